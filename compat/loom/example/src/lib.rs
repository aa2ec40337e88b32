//! A hit counter written the way loom's users write concurrent code: std's atomics normally,
//! loom's under `cfg(loom)`. Its tests (`tests/loom.rs`) are plain loom tests; the crate's
//! only tapestry-specific line is the `package = "tapestry-loom"` rename in `Cargo.toml`.

#[cfg(loom)]
use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts hits from many threads.
#[derive(Debug, Default)]
pub struct Hits(AtomicUsize);

impl Hits {
    pub fn new() -> Hits {
        Hits(AtomicUsize::new(0))
    }

    /// The bug: a load, then a store of one more; two threads can both load the same count.
    pub fn add_racy(&self) {
        let seen = self.0.load(Ordering::SeqCst);
        self.0.store(seen + 1, Ordering::SeqCst);
    }

    /// The fix: one read-modify-write.
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}
