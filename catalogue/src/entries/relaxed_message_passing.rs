//! # Relaxed message passing
//!
//! A producer writes data, then sets a `ready` flag; a consumer that sees the flag reads the data.
//!
//! ## The bug
//!
//! With `Relaxed` orderings nothing makes the data write visible before the flag write: the
//! consumer can see the flag set and still read the old data. No interleaving of the two threads
//! explains it; the memory model allows it.
//!
//! ```text
//! T1    store data <- 42 (Relaxed)
//! T1    store ready <- true (Relaxed)
//! main  load ready -> true (Relaxed)
//! main  load data -> 0 (Relaxed)     not the latest: read from the initial value,
//!                                     not from T1's store of 42
//! ```
//!
//! ## The fix
//!
//! Publish with `Release` and read the flag with `Acquire`: everything written before a release
//! store is visible after an acquire load that reads it.
//!
//! ## In real systems
//!
//! Hand-rolled queues and "ready" flags, lazy initialisation, seqlocks. x86 hides the bug (it
//! never reorders two stores), so it often appears only on ARM or POWER, or after a compiler
//! reorders the stores.

use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "relaxed_message_passing",
    category: Category::MemoryOrdering,
    summary: "a flag published with Relaxed does not publish the data written before it",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &[EngineKind::Exhaustive, EngineKind::C11],
    source: include_str!("relaxed_message_passing.rs"),
    missed_by: &[
        (
            EngineKind::Dpor,
            "it explores sequentially consistent interleavings only: every ordering acts as SeqCst",
        ),
        (
            EngineKind::Random,
            "shuttle is sequentially consistent: every ordering acts as SeqCst",
        ),
        (
            EngineKind::Pct,
            "shuttle is sequentially consistent: every ordering acts as SeqCst",
        ),
        (
            EngineKind::Surw,
            "it explores sequentially consistent interleavings only: every ordering acts as SeqCst",
        ),
        (
            EngineKind::Priority,
            "shuttle is sequentially consistent: every ordering acts as SeqCst",
        ),
        (
            EngineKind::Stress,
            "x86 is TSO: stores are never reordered with each other, so the weak outcome never happens here",
        ),
    ],
};

fn run(publish: Ordering, observe: Ordering) {
    let data = Arc::new(AtomicU64::named("data", 0));
    let ready = Arc::new(AtomicBool::named("ready", false));
    let (d, r) = (data.clone(), ready.clone());
    let producer = thread::spawn(move || {
        d.store(42, Ordering::Relaxed);
        r.store(true, publish);
    });
    if ready.load(observe) {
        assert_eq!(
            data.load(Ordering::Relaxed),
            42,
            "saw the flag but not the data"
        );
    }
    producer.join().unwrap();
}

/// Publishes and observes the flag with `Relaxed`.
pub fn buggy() {
    run(Ordering::Relaxed, Ordering::Relaxed);
}

/// Publishes with `Release`, observes with `Acquire`.
pub fn fixed() {
    run(Ordering::Release, Ordering::Acquire);
}
