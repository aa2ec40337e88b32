//! # Lazy initialisation race
//!
//! Two threads use a value that is initialised on first use: each checks an `initialised`
//! flag and, if it is not set, initialises the value and sets the flag. The initialisation
//! must run once (think: open the one connection, register the one handler).
//!
//! ## The bug
//!
//! "Is it initialised?" and "initialise it" are two steps. Both threads can see the flag
//! unset before either sets it, and both initialise. The flag's `Acquire`/`Release` orderings
//! do not help: they order memory, they do not make the check and the act one step.
//!
//! ```text
//! main  load initialised -> false
//! main  initialise
//! T1    load initialised -> false     main has not set the flag yet
//! T1    initialise                    the second initialisation
//! ```
//!
//! ## The fix
//!
//! Use `Once` (or `OnceLock`, `LazyLock`): it makes the check and the initialisation one step,
//! runs the closure once, and makes the other callers wait until it has finished.
//!
//! ## In real systems
//!
//! Hand-rolled singletons and global registries, caches filled on a miss by whichever thread
//! misses first, "init if needed" in library entry points, loggers configured on first use.

use tapestry::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tapestry::sync::{Arc, Once};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "lazy_init_race",
    category: Category::Atomicity,
    summary: "two threads both see a lazy value uninitialised and both initialise it",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("lazy_init_race.rs"),
    missed_by: &[],
};

/// A value initialised on first use. `initialised` is the buggy version's flag, `once` the
/// fix; `inits` counts the initialisations.
struct Lazy {
    initialised: AtomicBool,
    once: Once,
    inits: AtomicUsize,
}

impl Lazy {
    /// The initialisation that must run once.
    fn initialise(&self) {
        self.inits.fetch_add(1, Ordering::SeqCst);
    }
}

fn run(ensure_initialised: fn(&Lazy)) {
    let lazy = Arc::new(Lazy {
        initialised: AtomicBool::named("initialised", false),
        once: Once::named("once"),
        inits: AtomicUsize::named("inits", 0),
    });
    let other = lazy.clone();
    let t = thread::spawn(move || ensure_initialised(&other));
    ensure_initialised(&lazy);
    t.join().unwrap();
    let inits = lazy.inits.load(Ordering::SeqCst);
    assert_eq!(inits, 1, "the value was initialised {inits} times");
}

/// Checks a flag, then initialises and sets it: two steps.
pub fn buggy() {
    run(|lazy| {
        if !lazy.initialised.load(Ordering::Acquire) {
            lazy.initialise();
            lazy.initialised.store(true, Ordering::Release);
        }
    });
}

/// Initialises through `Once`.
pub fn fixed() {
    run(|lazy| lazy.once.call_once(|| lazy.initialise()));
}
