//! # Peterson's lock with acquire/release
//!
//! Peterson's algorithm gives two threads mutual exclusion with nothing but loads and stores.
//! To enter, a thread raises its flag, then gives the turn away, then waits while the other's
//! flag is up and the turn is the other's. To leave, it lowers its flag. Here each thread
//! increments a counter, a plain cell, inside the lock.
//!
//! ## The bug
//!
//! The algorithm is correct under sequential consistency: every interleaving lets at most one
//! thread in. With `Release` stores and `Acquire` loads it is not. A thread's store of its flag
//! and its later load of the other's flag are a store followed by a load of another location,
//! which `Release`/`Acquire` do not order (store buffering): each thread can read the other's
//! flag still down, and both enter. The two writes of the counter are then a data race.
//!
//! ```text
//! main  store flag0 <- true (Release); store turn <- 1 (Release)
//! T1    store flag1 <- true (Release); store turn <- 0 (Release)
//! main  load flag1 -> false (Acquire)    T1's store is not visible to main yet
//! T1    load flag0 -> false (Acquire)    nor main's to T1
//! main, T1  write count                  both inside: a race
//! ```
//!
//! ## The fix
//!
//! `SeqCst` on every access of the flags and the turn. All `SeqCst` operations fall in one
//! total order that each thread's program order respects, so the algorithm sees an
//! interleaving again, and its proof holds. (A `SeqCst` fence between the stores and the loads
//! would do too.) The exhaustive engine treats `SeqCst` accesses as sequentially consistent, so
//! the fix passes every engine; the bug needs weak memory, so only the exhaustive engine sees
//! it.
//!
//! ## In real systems
//!
//! Peterson's and Dekker's algorithms in textbooks and hand-written locks, "flag, then check"
//! handshakes (a thread going to sleep and one waking it), and hazard pointers. On x86 the
//! bug shows too: its store buffer reorders a store with a later load.

use tapestry::cell::UnsafeCell;
use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tapestry::{EngineKind, FailureKind, hint, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "peterson_lock",
    category: Category::MemoryOrdering,
    summary: "Peterson's lock with Release stores and Acquire loads lets both threads in",
    kind: FailureKind::DataRace,
    buggy,
    fixed,
    found_by: &[EngineKind::Exhaustive, EngineKind::C11],
    source: include_str!("peterson_lock.rs"),
    missed_by: &[
        (
            EngineKind::Dpor,
            "it explores sequentially consistent interleavings only, where Peterson's lock is correct",
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
            "it explores sequentially consistent interleavings only, where Peterson's lock is correct",
        ),
        (
            EngineKind::Priority,
            "shuttle is sequentially consistent: every ordering acts as SeqCst",
        ),
        (
            EngineKind::Stress,
            "x86 can reorder the flag's store with the later load, but the race detector's bookkeeping around each atomic (a full barrier under stress) drains the store buffer first",
        ),
    ],
};

/// Peterson's lock around a counter: `store` and `load` are the orderings of every access to
/// the flags and the turn.
struct Peterson {
    flags: [AtomicBool; 2],
    turn: AtomicUsize,
    count: UnsafeCell<u64>,
    store: Ordering,
    load: Ordering,
}

// SAFETY: `count` is only touched inside the lock, which is what the entry checks (a data race
// is reported when the lock fails).
unsafe impl Sync for Peterson {}

impl Peterson {
    /// Thread `me` (0 or 1) increments the counter inside the lock.
    fn increment(&self, me: usize) {
        let other = 1 - me;
        self.flags[me].store(true, self.store);
        self.turn.store(other, self.store);
        while self.flags[other].load(self.load) && self.turn.load(self.load) == other {
            hint::spin_loop();
        }
        // SAFETY: inside the lock (when the lock works).
        self.count.with_mut(|c| unsafe { *c += 1 });
        self.flags[me].store(false, self.store);
    }
}

fn run(store: Ordering, load: Ordering) {
    let lock = Arc::new(Peterson {
        flags: [
            AtomicBool::named("flag0", false),
            AtomicBool::named("flag1", false),
        ],
        turn: AtomicUsize::named("turn", 0),
        count: UnsafeCell::named("count", 0),
        store,
        load,
    });
    let l = lock.clone();
    let t = thread::spawn(move || l.increment(1));
    lock.increment(0);
    t.join().unwrap();
    // SAFETY: the other thread has finished.
    assert_eq!(lock.count.with(|c| unsafe { *c }), 2);
}

/// `Release` stores and `Acquire` loads.
pub fn buggy() {
    run(Ordering::Release, Ordering::Acquire);
}

/// `SeqCst` everywhere.
pub fn fixed() {
    run(Ordering::SeqCst, Ordering::SeqCst);
}
