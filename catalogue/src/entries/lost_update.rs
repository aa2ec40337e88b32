//! # Lost update
//!
//! Two threads each add one to a shared counter by loading it, adding one, and storing the
//! result.
//!
//! ## The bug
//!
//! The load and the store are two steps. Both threads can load the same value before either
//! stores, and then both store that value plus one: one increment is lost, and the counter ends
//! at 1 instead of 2.
//!
//! ```text
//! T1    load counter -> 0
//! T2    load counter -> 0
//! T2    store counter <- 1
//! T1    store counter <- 1      T2's increment is gone
//! ```
//!
//! ## The fix
//!
//! Make the read-modify-write one indivisible step: `fetch_add` (or do the load and the store
//! under one lock).
//!
//! ## In real systems
//!
//! Hit counters and statistics, reference counts, sequence and ID generators, balances: any
//! "read, compute, write back" on shared state without a lock or an atomic read-modify-write.

use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicUsize, Ordering};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "lost_update",
    category: Category::Atomicity,
    summary: "load-then-store increments from two threads lose one",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("lost_update.rs"),
    missed_by: &[],
};

fn run(increment: fn(&AtomicUsize)) {
    let counter = Arc::new(AtomicUsize::named("counter", 0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let counter = counter.clone();
            thread::spawn(move || increment(&counter))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(counter.load(Ordering::SeqCst), 2, "an increment was lost");
}

/// Increments with a load and a store.
pub fn buggy() {
    run(|counter| {
        let n = counter.load(Ordering::SeqCst);
        counter.store(n + 1, Ordering::SeqCst);
    });
}

/// Increments with `fetch_add`.
pub fn fixed() {
    run(|counter| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
}
