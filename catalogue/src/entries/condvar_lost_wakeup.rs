//! # Lost wakeup
//!
//! A worker finishes a job, sets `finished` and notifies a condition variable; the main thread
//! waits on the condition variable for the job to finish.
//!
//! ## The bug
//!
//! The waiter waits without checking whether the job has already finished. A condition
//! variable has no memory: a notification with no thread waiting is simply lost. If the worker
//! notifies before the waiter starts waiting, the waiter waits for a notification that has
//! already come and gone, forever.
//!
//! ```text
//! T1    lock finished, set it, unlock finished
//! T1    notify_one finished_cv      nobody waits yet: the notification is lost
//! main  lock finished
//! main  wait finished_cv            for a notification already sent
//! ```
//!
//! ## The fix
//!
//! Keep the condition in the state the mutex guards, and wait only while it is false, checked
//! under the lock in a loop: `while !*finished { finished = cv.wait(finished)?; }`, or
//! `cv.wait_while(guard, |finished| !*finished)`. The loop also handles spurious wakeups and a
//! third thread undoing the condition; an `if` does not.
//!
//! ## In real systems
//!
//! Hand-written events, latches, "wait for the worker to start" handshakes and shutdown
//! signals; any `wait` not inside a loop on a predicate, and any predicate checked outside the
//! lock (it can change between the check and the wait).

use tapestry::sync::{Arc, Condvar, Mutex, MutexGuard};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "condvar_lost_wakeup",
    category: Category::Deadlock,
    summary: "a waiter that waits without a predicate misses a notification sent before it waits",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("condvar_lost_wakeup.rs"),
    missed_by: &[],
};

/// Whether the job has finished, and the condition variable that announces it.
struct Job {
    finished: Mutex<bool>,
    finished_cv: Condvar,
}

fn run(wait_until_finished: fn(&Condvar, MutexGuard<'_, bool>)) {
    let job = Arc::new(Job {
        finished: Mutex::named("finished", false),
        finished_cv: Condvar::named("finished_cv"),
    });
    let other = job.clone();
    let worker = thread::spawn(move || {
        *other.finished.lock().unwrap() = true;
        other.finished_cv.notify_one();
    });
    wait_until_finished(&job.finished_cv, job.finished.lock().unwrap());
    worker.join().unwrap();
}

/// Waits once, whatever the state.
pub fn buggy() {
    run(|finished_cv, finished| {
        drop(finished_cv.wait(finished).unwrap());
    });
}

/// Waits only while the job has not finished.
pub fn fixed() {
    run(|finished_cv, finished| {
        drop(
            finished_cv
                .wait_while(finished, |finished| !*finished)
                .unwrap(),
        );
    });
}
