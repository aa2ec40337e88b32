//! # Unsynchronised cell
//!
//! A counter lives in an `UnsafeCell` inside a type that claims to be `Sync`, and two threads
//! increment it.
//!
//! ## The bug
//!
//! Nothing orders the two writes: they are a data race, which is undefined behaviour in Rust
//! whatever values it happens to produce. The type's `unsafe impl Sync` promised a
//! synchronisation that the code does not do.
//!
//! ```text
//! main  write value
//! T1    write value      no happens-before between the two writes
//! ```
//!
//! ## The fix
//!
//! Touch the cell only while holding a mutex, so that each write happens before the next
//! thread's access.
//!
//! ## In real systems
//!
//! Hand-written `unsafe impl Sync` on types with interior mutability; caches and statistics
//! written "rarely enough" to skip locking; `static mut`.

use tapestry::cell::UnsafeCell;
use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "unsynchronized_cell",
    category: Category::Atomicity,
    summary: "two threads write an UnsafeCell with nothing ordering the writes",
    kind: FailureKind::DataRace,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("unsynchronized_cell.rs"),
    missed_by: &[],
};

struct Shared {
    value: UnsafeCell<u64>,
    lock: Mutex<()>,
}

// SAFETY: deliberately wrong for `buggy` (that is the bug); `fixed` only touches `value`
// while holding `lock`.
unsafe impl Sync for Shared {}

fn run(locked: bool) {
    let shared = Arc::new(Shared {
        value: UnsafeCell::named("value", 0),
        lock: Mutex::named("lock", ()),
    });
    let add = move |shared: &Shared| {
        let _guard = locked.then(|| shared.lock.lock().unwrap());
        // SAFETY: only sound with the lock held (`fixed`); `buggy` races here on purpose.
        shared.value.with_mut(|v| unsafe { *v += 1 });
    };
    let other = shared.clone();
    let t = thread::spawn(move || add(&other));
    add(&shared);
    t.join().unwrap();
}

/// Both threads write without the lock.
pub fn buggy() {
    run(false);
}

/// Both threads write holding the lock.
pub fn fixed() {
    run(true);
}
