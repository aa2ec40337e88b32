//! # Relaxed message passing
//!
//! A producer writes data, then sets a flag; a consumer that sees the flag reads the data. With
//! `Relaxed` orderings nothing makes the data write visible before the flag write: the
//! consumer can see the flag set and the data still old.
//!
//! ```text
//! T1: store data <- 42 (Relaxed)
//! T1: store ready <- true (Relaxed)
//! main: load ready -> true (Relaxed)
//! main: load data -> 0 (Relaxed)     (allowed: no happens-before from T1's store)
//! ```
//!
//! The fix publishes with `Release` and reads the flag with `Acquire`: everything written
//! before the release store is visible after an acquire load that sees it.
//!
//! Where it shows up: hand-rolled queues and "ready" flags, double-checked initialisation,
//! seqlocks. x86 hides it (its stores are not reordered with each other), ARM and POWER do not.

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
    found_by: &[EngineKind::Exhaustive],
    missed_by: &[
        (
            EngineKind::Random,
            "shuttle is sequentially consistent: every ordering acts as SeqCst",
        ),
        (
            EngineKind::Pct,
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
