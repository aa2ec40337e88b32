//! # Double-checked locking
//!
//! A value is initialised lazily. To avoid locking on every call, `get` first checks an
//! `initialised` flag without the lock (the fast path); only if it is unset does it lock,
//! check again, write the value and set the flag.
//!
//! ## The bug
//!
//! The fast path reads the flag with `Relaxed`, and the initialiser sets it with `Relaxed`.
//! Seeing the flag set then says nothing about the value: no happens-before edge links the
//! initialiser's write of the value to the reader's read. The reader can see the flag but not
//! the value; the read is a data race, undefined behaviour.
//!
//! ```text
//! main  load initialised -> false, lock init_lock, load initialised -> false
//! main  write value, store initialised <- true (Relaxed), unlock init_lock
//! T1    load initialised -> true (Relaxed)     the fast path: no lock
//! T1    read value                             races with main's write
//! ```
//!
//! ## The fix
//!
//! Set the flag with `Release` and read it on the fast path with `Acquire`: a reader that sees
//! the flag set also sees everything written before it. Better still, use `OnceLock` or
//! `LazyLock`, which do exactly this.
//!
//! ## In real systems
//!
//! The classic broken singleton of C++ and Java before their memory models; hand-rolled lazy
//! statics and caches in Rust; any "fast path" flag checked outside the lock that guards what
//! it announces.

use tapestry::cell::UnsafeCell;
use tapestry::sync::atomic::{AtomicBool, Ordering};
use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "double_checked_locking",
    category: Category::MemoryOrdering,
    summary: "a lazy value's fast path reads a Relaxed flag and then the value, which races",
    kind: FailureKind::DataRace,
    buggy,
    fixed,
    found_by: &EngineKind::NAMED,
    source: include_str!("double_checked_locking.rs"),
    missed_by: &[],
};

/// A value initialised on first use.
struct Lazy {
    initialised: AtomicBool,
    init_lock: Mutex<()>,
    value: UnsafeCell<u64>,
}

// SAFETY: `value` is written once, under `init_lock`, before `initialised` is set; it is read only
// after `initialised` is seen set. That orders the accesses only if the flag's orderings do
// (`fixed`); `buggy` races on purpose.
unsafe impl Sync for Lazy {}

impl Lazy {
    /// The value, initialising it on the first call. The flag is set with `publish` and read on
    /// the fast path with `observe`.
    fn get(&self, publish: Ordering, observe: Ordering) -> u64 {
        if !self.initialised.load(observe) {
            let _guard = self.init_lock.lock().unwrap();
            // The lock orders this check after any earlier initialisation.
            if !self.initialised.load(Ordering::Relaxed) {
                // SAFETY: under the lock, and no reader reads before the flag is set.
                self.value.with_mut(|v| unsafe { *v = 42 });
                self.initialised.store(true, publish);
            }
        }
        // SAFETY: the flag is set; see `impl Sync`.
        self.value.with(|v| unsafe { *v })
    }
}

fn run(publish: Ordering, observe: Ordering) {
    let lazy = Arc::new(Lazy {
        initialised: AtomicBool::named("initialised", false),
        init_lock: Mutex::named("init_lock", ()),
        value: UnsafeCell::named("value", 0),
    });
    let other = lazy.clone();
    let t = thread::spawn(move || other.get(publish, observe));
    assert_eq!(
        lazy.get(publish, observe),
        42,
        "saw the flag but not the value"
    );
    assert_eq!(t.join().unwrap(), 42, "saw the flag but not the value");
}

/// Sets and checks the flag with `Relaxed`.
pub fn buggy() {
    run(Ordering::Relaxed, Ordering::Relaxed);
}

/// Sets the flag with `Release`, checks it on the fast path with `Acquire`.
pub fn fixed() {
    run(Ordering::Release, Ordering::Acquire);
}
