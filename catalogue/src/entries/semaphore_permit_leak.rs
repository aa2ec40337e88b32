//! # Semaphore permit leak
//!
//! A counting semaphore, built from a mutex and a condition variable, limits how many requests
//! are handled at once; here it has one permit. Two workers each handle one request: acquire a
//! permit, handle the request, release the permit. One request is invalid, and the handler
//! returns early with an error.
//!
//! ## The bug
//!
//! The early return skips `release`: the permit is never given back. Whether anyone notices
//! depends on the order. If the valid request goes first, it releases its permit, the invalid
//! one leaks the permit afterwards, and the program ends normally. If the invalid request goes
//! first, the other worker waits for a permit that no one will ever release.
//!
//! ```text
//! invalid  acquire: permits 1 -> 0
//! invalid  return early              the permit is never released
//! valid    acquire: permits == 0     waits forever: deadlock
//! ```
//!
//! ## The fix
//!
//! Make the permit a value: `acquire` returns a guard whose `Drop` releases it. Every way out
//! of the handler (return, `?`, panic) then gives the permit back, as a `MutexGuard` unlocks.
//!
//! ## In real systems
//!
//! Connection-pool and rate-limiter slots, file descriptors, and manually paired
//! `acquire`/`release`, `lock`/`unlock` or `inc`/`dec` calls in code with error paths. The pool
//! slowly runs dry, one failed request at a time, until every caller hangs.

use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "semaphore_permit_leak",
    category: Category::Deadlock,
    summary: "an early return forgets to release a semaphore permit, and a later acquire waits forever",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("semaphore_permit_leak.rs"),
    missed_by: &[],
};

struct Semaphore {
    permits: Mutex<usize>,
    released: Condvar,
}

impl Semaphore {
    fn acquire(&self) {
        let permits = self.permits.lock().unwrap();
        let mut permits = self.released.wait_while(permits, |p| *p == 0).unwrap();
        *permits -= 1;
    }

    fn release(&self) {
        *self.permits.lock().unwrap() += 1;
        self.released.notify_one();
    }

    /// Acquires a permit that is released when the returned guard is dropped.
    fn permit(&self) -> Permit<'_> {
        self.acquire();
        Permit(self)
    }
}

struct Permit<'a>(&'a Semaphore);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

type Handler = fn(&Semaphore, &str) -> Result<(), &'static str>;

fn run(handle: Handler) {
    let semaphore = Arc::new(Semaphore {
        permits: Mutex::named("permits", 1),
        released: Condvar::named("released"),
    });
    let workers: Vec<_> = ["invalid", "valid"]
        .into_iter()
        .map(|request| {
            let semaphore = semaphore.clone();
            thread::Builder::new()
                .name(request.into())
                .spawn(move || handle(&semaphore, request).is_ok())
                .unwrap()
        })
        .collect();
    let handled: Vec<bool> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(handled, [false, true], "only the valid request succeeds");
}

/// Releases by hand, and the error path forgets to.
pub fn buggy() {
    run(|semaphore, request| {
        semaphore.acquire();
        if request == "invalid" {
            return Err("invalid request");
        }
        semaphore.release();
        Ok(())
    });
}

/// Holds the permit as a guard, released on every path.
pub fn fixed() {
    run(|semaphore, request| {
        let _permit = semaphore.permit();
        if request == "invalid" {
            return Err("invalid request");
        }
        Ok(())
    });
}
