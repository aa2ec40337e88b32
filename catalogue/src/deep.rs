//! Deep bugs among many threads: scalable programs whose bug needs one particular thread to
//! act at one particular moment, for measuring randomized engines (`cargo xtask bench --only
//! deep`).
//!
//! Each program has a size `n`, the number of threads it spawns (3 to 100 or more), and a
//! fixed variant. In each, one thread (the *late* one) first does [`WORK`] steps of private
//! work (a counter of its own) and only then the two steps the bug is about, so a random walk,
//! which lets every thread run equally often, has almost always finished the other threads by
//! then; and the thread that must come between is one specific thread among `n`, so PCT's
//! chance of giving it the right priority falls as `1/n`. The other threads are noise that
//! touches the same objects, as real code around a bug would. The thread that must come
//! between is spawned first and the late thread last, so spawning order does not help.
//!
//! Every object is created before any thread starts, so objects are numbered the same in
//! every execution. Every access is `SeqCst`: these measure interleavings, not weak memory.

use std::sync::Arc;

use tapestry::sync::Mutex;
use tapestry::sync::atomic::{AtomicU64, Ordering::SeqCst};
use tapestry::thread;

use crate::classic::shared;

/// Private steps the late thread runs before the steps the bug is about.
pub const WORK: usize = 20;

/// A deep-bug program at one size, buggy and fixed.
#[derive(Clone)]
pub struct Deep {
    /// `late_audit`, `torn_pair` or `stale_read`.
    pub name: &'static str,
    /// Threads spawned.
    pub size: usize,
    /// One execution of the buggy program; it panics when the bug shows.
    pub buggy: Arc<dyn Fn() + Send + Sync>,
    /// The same program with the bug fixed.
    pub fixed: Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Deep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.name, self.size)
    }
}

/// Every shape at size `n` (at least 3).
pub fn all(n: usize) -> Vec<Deep> {
    vec![late_audit(n), torn_pair(n), stale_read(n)]
}

fn work(counter: &AtomicU64) {
    for _ in 0..WORK {
        counter.fetch_add(1, SeqCst);
    }
}

/// An owner updates a record in two critical sections (half, then whole) after its private
/// work; `n - 2` workers each take the lock once to count a visit; one auditor takes it once
/// and must not see the record half updated. The bug: the auditor's critical section falls
/// between the owner's two. Fixed: the owner updates in one critical section.
pub fn late_audit(n: usize) -> Deep {
    let program = move |split: bool| {
        move || {
            // (state: 0 old, 1 half, 2 whole; visits)
            let record = tapestry::sync::Arc::new(Mutex::new((0u8, 0usize)));
            let mine = shared(1);
            let mut threads = Vec::new();
            let auditor = record.clone();
            threads.push(thread::spawn(move || {
                let state = auditor.lock().unwrap().0;
                assert_ne!(state, 1, "the auditor saw a half-updated record");
            }));
            for _ in 0..n.saturating_sub(2) {
                let record = record.clone();
                threads.push(thread::spawn(move || record.lock().unwrap().1 += 1));
            }
            threads.push(thread::spawn(move || {
                work(&mine[0]);
                if split {
                    record.lock().unwrap().0 = 1;
                }
                record.lock().unwrap().0 = 2;
            }));
            for t in threads {
                t.join().unwrap();
            }
        }
    };
    Deep {
        name: "late_audit",
        size: n,
        buggy: Arc::new(program(true)),
        fixed: Arc::new(program(false)),
    }
}

/// `n - 1` writers store a pair `(x, y)` = `(i, i)`; all but one take a lock to do so. The
/// last writer, after its private work, writes `x` then `y` without the lock; a checker reads
/// the pair under the lock and must see `x == y`. The bug: the checker (or another writer)
/// comes between the unlocked writer's two stores. Fixed: that writer takes the lock too.
pub fn torn_pair(n: usize) -> Deep {
    let program = move |unlocked: bool| {
        move || {
            let lock = tapestry::sync::Arc::new(Mutex::new(()));
            let pair = shared(2);
            let mine = shared(1);
            let writers = n.saturating_sub(1).max(1);
            let mut threads = Vec::new();
            {
                let (lock, pair) = (lock.clone(), pair.clone());
                threads.push(thread::spawn(move || {
                    let _guard = lock.lock().unwrap();
                    let (x, y) = (pair[0].load(SeqCst), pair[1].load(SeqCst));
                    assert_eq!(x, y, "the checker read a torn pair");
                }));
            }
            for i in 1..=writers as u64 {
                let (lock, pair, mine) = (lock.clone(), pair.clone(), mine.clone());
                let late = i == writers as u64;
                threads.push(thread::spawn(move || {
                    if late {
                        work(&mine[0]);
                    }
                    let _guard = (!late || !unlocked).then(|| lock.lock().unwrap());
                    pair[0].store(i, SeqCst);
                    pair[1].store(i, SeqCst);
                }));
            }
            for t in threads {
                t.join().unwrap();
            }
        }
    };
    Deep {
        name: "torn_pair",
        size: n,
        buggy: Arc::new(program(true)),
        fixed: Arc::new(program(false)),
    }
}

/// A publisher, after its private work, sets a version to 1 (an intermediate value) and then
/// to 2; `n - 2` readers each load it once and ignore it; one checker loads it once and must
/// never see 1. The bug: the checker's load falls between the publisher's two stores. Fixed:
/// the publisher stores 2 directly.
pub fn stale_read(n: usize) -> Deep {
    let program = move |intermediate: bool| {
        move || {
            let version = shared(1);
            let mine = shared(1);
            let mut threads = Vec::new();
            let checker = version.clone();
            threads.push(thread::spawn(move || {
                assert_ne!(
                    checker[0].load(SeqCst),
                    1,
                    "the checker saw the intermediate version"
                );
            }));
            for _ in 0..n.saturating_sub(2) {
                let version = version.clone();
                threads.push(thread::spawn(move || {
                    version[0].load(SeqCst);
                }));
            }
            threads.push(thread::spawn(move || {
                work(&mine[0]);
                if intermediate {
                    version[0].store(1, SeqCst);
                }
                version[0].store(2, SeqCst);
            }));
            for t in threads {
                t.join().unwrap();
            }
        }
    };
    Deep {
        name: "stale_read",
        size: n,
        buggy: Arc::new(program(true)),
        fixed: Arc::new(program(false)),
    }
}
