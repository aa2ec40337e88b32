//! # Spurious wakeup
//!
//! A worker publishes its result under a mutex and notifies a condition variable; the main
//! thread waits on the condition variable for the result, if it is not there yet.
//!
//! ## The bug
//!
//! The waiter checks for the result with `if`, waits once, and takes the return of `wait` to
//! mean "notified, so the result is there". std says otherwise: `Condvar::wait` "is
//! susceptible to spurious wakeups", and may return with no notification at all (POSIX
//! condition variables, futex-based implementations and signals all cause them). The waiter
//! then reads a result that nobody has written.
//!
//! ```text
//! main  lock result, none yet
//! main  wait ready                 releases result
//! main  woken ready spuriously     no notification was sent
//! main  result is None             the `expect` fails
//! ```
//!
//! ## The fix
//!
//! Wait in a loop on the condition itself, re-checked under the lock after every wakeup:
//! `while result.is_none() { result = ready.wait(result)?; }`, or
//! `ready.wait_while(guard, |result| result.is_none())`. A wakeup is a hint to look again,
//! never a message.
//!
//! ## In real systems
//!
//! Every hand-rolled event, latch or one-shot built on a condition variable. The bug hides in
//! tests because real spurious wakeups are rare; tapestry's model engines wake a waiter
//! spuriously where std may (while another thread can still act, and not twice in a row).

use tapestry::sync::{Arc, Condvar, Mutex, MutexGuard};
use tapestry::{EngineKind, FailureKind, thread};

use crate::entry::MODEL_ENGINES_AND_C11;
use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "spurious_wakeup",
    category: Category::Pattern,
    summary: "a waiter that waits once, under an if, takes a spurious wakeup for the notification",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &MODEL_ENGINES_AND_C11,
    source: include_str!("spurious_wakeup.rs"),
    missed_by: &[(
        EngineKind::Stress,
        "real threads: the OS wakes a waiter spuriously too rarely to be seen",
    )],
};

/// The worker's result, and the condition variable that announces it.
struct Handoff {
    result: Mutex<Option<u32>>,
    ready: Condvar,
}

/// The result, locked.
type Locked<'a> = MutexGuard<'a, Option<u32>>;

fn run(wait_for_result: for<'a> fn(&Condvar, Locked<'a>) -> Locked<'a>) {
    let handoff = Arc::new(Handoff {
        result: Mutex::named("result", None),
        ready: Condvar::named("ready"),
    });
    let other = handoff.clone();
    let worker = thread::spawn(move || {
        *other.result.lock().unwrap() = Some(42);
        other.ready.notify_one();
    });
    let result = wait_for_result(&handoff.ready, handoff.result.lock().unwrap());
    assert_eq!(result.expect("woke up with no result"), 42);
    drop(result);
    worker.join().unwrap();
}

/// Waits once if the result is not there, and trusts the wakeup.
pub fn buggy() {
    run(|ready, mut result| {
        if result.is_none() {
            result = ready.wait(result).unwrap();
        }
        result
    });
}

/// Waits until the result is there.
pub fn fixed() {
    run(|ready, result| ready.wait_while(result, |result| result.is_none()).unwrap());
}
