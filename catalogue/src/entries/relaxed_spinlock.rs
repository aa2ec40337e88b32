//! # Relaxed spinlock
//!
//! A hand-written spinlock: `lock` spins on a compare-and-swap of `locked` from `false` to
//! `true`, `unlock` stores `false`. Two threads each increment a counter that the spinlock
//! protects.
//!
//! ## The bug
//!
//! Both the compare-and-swap and the unlocking store use `Relaxed`. Mutual exclusion still
//! holds (one thread at a time wins the swap), but the lock no longer orders memory: the second
//! owner is not guaranteed to see what the first wrote inside its critical section. The two
//! writes of the counter are a data race, undefined behaviour.
//!
//! ```text
//! main  compare_exchange locked false -> true (Relaxed), write counter
//! main  store locked <- false (Relaxed)
//! T1    compare_exchange locked false -> true (Relaxed)
//! T1    write counter          no happens-before from main's write: a race
//! ```
//!
//! ## The fix
//!
//! Take the lock with `Acquire` and release it with `Release`: the unlocking store then
//! happens before the next successful lock, and so does everything in the critical section
//! before it. (That is where the names come from.)
//!
//! ## In real systems
//!
//! Hand-rolled spinlocks and try-locks, "busy" flags guarding a buffer, reference counts whose
//! final decrement frees memory (it needs `Release`, and the freeing thread an `Acquire`
//! fence). x86 hides the bug, since its compare-and-swap is a full barrier; the compiler does
//! not, and may move the data accesses out of the critical section.

use tapestry::cell::UnsafeCell;
use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicBool, Ordering};
use tapestry::{EngineKind, FailureKind, hint, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "relaxed_spinlock",
    category: Category::MemoryOrdering,
    summary: "a spinlock taken and released with Relaxed does not order the data it protects",
    kind: FailureKind::DataRace,
    buggy,
    fixed,
    found_by: &EngineKind::NAMED,
    source: include_str!("relaxed_spinlock.rs"),
    missed_by: &[],
};

/// A spinlock and the counter it protects, taken with `acquire` and released with `release`.
struct SpinLock {
    locked: AtomicBool,
    counter: UnsafeCell<u64>,
    acquire: Ordering,
    release: Ordering,
}

// SAFETY: `counter` is touched only while `locked` is held; that orders the accesses only if
// the lock's orderings do (`fixed`). `buggy` races on purpose.
unsafe impl Sync for SpinLock {}

impl SpinLock {
    /// Takes the lock, increments the counter, releases the lock.
    fn increment(&self) {
        while self
            .locked
            .compare_exchange(false, true, self.acquire, Ordering::Relaxed)
            .is_err()
        {
            hint::spin_loop();
        }
        // SAFETY: the lock is held; see `impl Sync`.
        self.counter.with_mut(|c| unsafe { *c += 1 });
        self.locked.store(false, self.release);
    }
}

fn run(acquire: Ordering, release: Ordering) {
    let lock = Arc::new(SpinLock {
        locked: AtomicBool::named("locked", false),
        counter: UnsafeCell::named("counter", 0),
        acquire,
        release,
    });
    let other = lock.clone();
    let t = thread::spawn(move || other.increment());
    lock.increment();
    t.join().unwrap();
}

/// Locks and unlocks with `Relaxed`.
pub fn buggy() {
    run(Ordering::Relaxed, Ordering::Relaxed);
}

/// Locks with `Acquire`, unlocks with `Release`.
pub fn fixed() {
    run(Ordering::Acquire, Ordering::Release);
}
