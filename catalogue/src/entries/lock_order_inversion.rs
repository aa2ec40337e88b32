//! # Lock-order inversion (ABBA)
//!
//! Two threads each need two locks, `a` and `b`: one takes `a` then `b`, the other `b` then `a`.
//!
//! ## The bug
//!
//! If each thread takes its first lock before the other takes its second, each then waits for
//! the lock the other holds, forever.
//!
//! ```text
//! main  lock b
//! T1    lock a
//! T1    lock b      waits for main
//! main  lock a      waits for T1: deadlock
//! ```
//!
//! ## The fix
//!
//! Give the locks a global order and take them in that order everywhere (here: `a` before `b`).
//!
//! ## In real systems
//!
//! Transfers between two accounts locked in argument order (`transfer(x, y)` racing with
//! `transfer(y, x)`), parent and child objects locked in both directions, callbacks that take a
//! lock while their caller holds another.

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
    source: include_str!("lock_order_inversion.rs"),
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
