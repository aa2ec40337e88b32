//! # Read-lock upgrade
//!
//! A cache holds a value behind a read-write lock. `get` read-locks it and returns the value
//! if it is there; if not, it computes the value and write-locks the cache to store it. Two
//! threads call `get`.
//!
//! ## The bug
//!
//! `get` takes the write lock while its read guard is still alive, hoping to "upgrade" it. A
//! write lock waits until there are no readers, and the thread is one of them: it waits for
//! itself, forever. (With two threads each holding a read guard, each would also wait for the
//! other.) `std`'s `RwLock` has no upgrade.
//!
//! ```text
//! main  read_lock cache       the value is absent; the read guard stays alive
//! main  write_lock cache      waits until no thread reads, main included: deadlock
//! ```
//!
//! ## The fix
//!
//! Drop the read guard, then take the write lock, and check again: another thread may have
//! stored the value between the two locks. (Or take the write lock from the start, or use an
//! upgradable lock such as `parking_lot`'s `upgradable_read`.)
//!
//! ## In real systems
//!
//! Caches and memo tables filled on a miss, connection and session maps, configuration
//! reloaded when stale: any "read, and if it is missing, write" on a read-write lock. Often
//! the read guard is hidden in a `match` or `if let` scrutinee.

use tapestry::sync::atomic::{AtomicUsize, Ordering};
use tapestry::sync::{Arc, RwLock};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "rwlock_upgrade",
    category: Category::Deadlock,
    summary: "a thread holding a read guard takes the write lock and waits for itself",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("rwlock_upgrade.rs"),
    missed_by: &[],
};

/// A value computed on the first miss; `computations` counts how often.
struct Cache {
    value: RwLock<Option<u64>>,
    computations: AtomicUsize,
}

impl Cache {
    /// The expensive computation the cache saves.
    fn compute(&self) -> u64 {
        self.computations.fetch_add(1, Ordering::SeqCst);
        42
    }
}

fn run(get: fn(&Cache) -> u64) {
    let cache = Arc::new(Cache {
        value: RwLock::named("cache", None),
        computations: AtomicUsize::named("computations", 0),
    });
    let other = cache.clone();
    let t = thread::spawn(move || get(&other));
    assert_eq!(get(&cache), 42);
    assert_eq!(t.join().unwrap(), 42);
    let computations = cache.computations.load(Ordering::SeqCst);
    assert_eq!(
        computations, 1,
        "the value was computed {computations} times"
    );
}

/// Takes the write lock while still holding the read guard.
pub fn buggy() {
    run(|cache| {
        let cached = cache.value.read().unwrap();
        if let Some(value) = *cached {
            return value;
        }
        let mut value = cache.value.write().unwrap();
        *value.insert(cache.compute())
    });
}

/// Drops the read guard before taking the write lock, then checks again.
pub fn fixed() {
    run(|cache| {
        let cached = *cache.value.read().unwrap();
        if let Some(value) = cached {
            return value;
        }
        let mut value = cache.value.write().unwrap();
        // Another thread may have stored the value between the two locks.
        *value.get_or_insert_with(|| cache.compute())
    });
}
