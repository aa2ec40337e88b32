//! # Join while holding a lock
//!
//! The test body starts a worker that records its result in a shared `results` list under a
//! mutex. To shut down, the body locks `results`, then joins the worker and reads what it
//! recorded.
//!
//! ## The bug
//!
//! `join` waits for the worker to finish, and the worker cannot finish: it needs `results`,
//! which the body holds while it waits. If the body locks before the worker does, each waits
//! for the other forever. If the worker happens to run first, nothing goes wrong, which is why
//! the bug hides.
//!
//! ```text
//! main    spawn worker
//! main    lock results
//! main    join worker      waits for the worker to finish
//! worker  lock results     waits for main to unlock: deadlock
//! ```
//!
//! ## The fix
//!
//! Release the lock before joining; take it again afterwards to read the result. Never block
//! on another thread (join, receive, wait) while holding a lock that thread may need.
//!
//! ## In real systems
//!
//! `stop()` or `Drop` methods that lock the object's state, set a "stopping" flag and join the
//! background thread in the same critical section; the background thread needs that state to
//! finish its current iteration. The same shape appears with `recv` on a channel the other
//! thread sends on only after taking the lock.

use tapestry::sync::{Arc, Mutex, MutexGuard};
use tapestry::thread::{self, JoinHandle};
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "join_while_holding_lock",
    category: Category::Deadlock,
    summary: "a thread joins another while holding the lock that thread needs to finish",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("join_while_holding_lock.rs"),
    missed_by: &[],
};

type Results<'a> = MutexGuard<'a, Vec<&'static str>>;

fn run(shut_down: fn(Results<'_>, JoinHandle<()>)) {
    let results = Arc::new(Mutex::named("results", Vec::new()));
    let worker_results = results.clone();
    let worker = thread::Builder::new()
        .name("worker".into())
        .spawn(move || worker_results.lock().unwrap().push("done"))
        .unwrap();
    shut_down(results.lock().unwrap(), worker);
    assert_eq!(
        *results.lock().unwrap(),
        ["done"],
        "the worker's result is missing"
    );
}

/// Joins the worker with `results` still locked.
pub fn buggy() {
    run(|results, worker| {
        worker.join().unwrap();
        drop(results);
    });
}

/// Unlocks `results`, then joins the worker.
pub fn fixed() {
    run(|results, worker| {
        drop(results);
        worker.join().unwrap();
    });
}
