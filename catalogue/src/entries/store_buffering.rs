//! # Store buffering (Dekker)
//!
//! Two threads each want to enter a critical section. Each raises its own flag, then reads the
//! other's: if the other's flag is down, it enters (Dekker's and Peterson's algorithms start
//! this way).
//!
//! ## The bug
//!
//! In every interleaving at least one thread reads the other's flag raised, so at most one
//! enters. But a store followed by a load of another location may be reordered: the store
//! waits in the core's store buffer while the load runs. `Release` orders the store after
//! earlier accesses and `Acquire` the load before later ones; neither orders a store before a
//! later load. Both threads read `false` and both enter. x86 does this too.
//!
//! ```text
//! main  store main_wants <- true (Release)
//! main  load t1_wants -> false (Acquire)
//! T1    store t1_wants <- true (Release)
//! T1    load main_wants -> false (Acquire)    main's store is still in its store buffer
//! ```
//!
//! ## The fix
//!
//! A `SeqCst` fence between the store and the load in each thread: all `SeqCst` fences are in
//! one total order, so whichever thread's fence comes second sees the other's store. (`SeqCst`
//! on both the store and the load works too: `peterson_lock` fixes the same reordering that
//! way.)
//!
//! ## In real systems
//!
//! Dekker- and Peterson-style mutual exclusion, "set my flag, then check yours" handshakes
//! between a thread going to sleep and one waking it (lost wakeups in hand-written parkers and
//! event counts), hazard pointers publishing a pointer and then re-reading it.

use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicBool, Ordering, fence};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "store_buffering",
    category: Category::MemoryOrdering,
    summary: "each thread raises its flag and reads the other's; both read it down and both enter",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &[EngineKind::Exhaustive, EngineKind::C11],
    source: include_str!("store_buffering.rs"),
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
            "x86 does reorder a store with a later load, but tapestry's bookkeeping between the two (tens of nanoseconds) lets the store buffer drain first, so the weak outcome does not show within the budget",
        ),
    ],
};

/// Raises `mine`, runs `between`, then reads `theirs`: whether this thread may enter.
fn try_enter(mine: &AtomicBool, theirs: &AtomicBool, between: fn()) -> bool {
    mine.store(true, Ordering::Release);
    between();
    !theirs.load(Ordering::Acquire)
}

fn run(between: fn()) {
    let main_wants = Arc::new(AtomicBool::named("main_wants", false));
    let t1_wants = Arc::new(AtomicBool::named("t1_wants", false));
    let (mine, theirs) = (t1_wants.clone(), main_wants.clone());
    let t = thread::spawn(move || try_enter(&mine, &theirs, between));
    let main_entered = try_enter(&main_wants, &t1_wants, between);
    let t1_entered = t.join().unwrap();
    assert!(
        !(main_entered && t1_entered),
        "both threads entered the critical section"
    );
}

/// Nothing orders each thread's store before its load.
pub fn buggy() {
    run(|| {});
}

/// A `SeqCst` fence between each thread's store and its load.
pub fn fixed() {
    run(|| fence(Ordering::SeqCst));
}
