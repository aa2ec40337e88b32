//! # Lock-order inversion (ABBA)
//!
//! One thread locks `a` then `b`; the other locks `b` then `a`. If each takes its first lock
//! before the other takes its second, each waits forever for the lock the other holds.
//!
//! ```text
//! T1: lock a
//! main: lock b
//! T1: lock b    (waits for main)
//! main: lock a  (waits for T1): deadlock
//! ```
//!
//! The fix gives locks a global order and takes them in that order everywhere.
//!
//! Where it shows up: transfers between two accounts locked in argument order, parent/child
//! locks taken in both directions, callbacks that lock while the caller holds a lock.

use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "lock_order_inversion",
    category: Category::Deadlock,
    summary: "two threads take two locks in opposite orders",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    missed_by: &[],
};

fn run(second_thread_order_ab: bool) {
    let a = Arc::new(Mutex::named("a", 0));
    let b = Arc::new(Mutex::named("b", 0));
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::spawn(move || {
        let _a = a2.lock().unwrap();
        let _b = b2.lock().unwrap();
    });
    if second_thread_order_ab {
        let _a = a.lock().unwrap();
        let _b = b.lock().unwrap();
    } else {
        let _b = b.lock().unwrap();
        let _a = a.lock().unwrap();
    }
    t.join().unwrap();
}

/// The threads lock in opposite orders.
pub fn buggy() {
    run(false);
}

/// Both threads lock `a` before `b`.
pub fn fixed() {
    run(true);
}
