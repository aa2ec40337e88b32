//! Atomics made at the start of each execution, on the test body's thread.
//!
//! Facade atomics are `const`, so they get their loom atomic at their first operation
//! (`rt::slot`), on whichever thread performs it. loom treats an atomic's creation as a
//! non-atomic write that every later access must happen after: an atomic that `main` made and
//! a spawned thread touched first would fail main's next access as a "causality violation",
//! though in the program the atomic was made before either thread used it. So this backend
//! makes, when each execution begins (on main, before anything happens that another thread
//! could miss), one loom atomic for each atomic the execution is expected to bind: as many of
//! each type and first value as an execution of this exploration has bound so far. A binding
//! takes a matching one.
//!
//! A binding that finds none (the first execution, or one that takes a new path) makes its
//! own atomic where it is. That is exact on main before any thread is spawned; elsewhere the
//! execution is *unsure*: a failure in it may be loom's complaint about that creation, so the
//! exhaustive engine starts the search over, with what it has learned (`super::explore_here`).
//! A pass is never in doubt: the creation only adds checks.

use std::cell::RefCell;
use std::collections::HashMap;

use super::backend::LoomAtomicInner;
use crate::rt::{self, AtomicRepr};

#[derive(Default)]
pub(super) struct AtomicPool(RefCell<Pool>);

#[derive(Default)]
struct Pool {
    /// How many atomics of each type and first value one execution has bound, at most.
    wanted: HashMap<(AtomicRepr, u64), usize>,
    /// This execution's: made at its start and not bound yet.
    ready: Vec<((AtomicRepr, u64), LoomAtomicInner)>,
    /// What this execution has bound so far.
    bound: HashMap<(AtomicRepr, u64), usize>,
    /// An atomic of this execution was made where a failure may be loom's complaint about it.
    unsure: bool,
}

// SAFETY: loom runs every model thread on the OS thread that runs the model, one at a time;
// the pool is touched only between loom calls.
unsafe impl Send for AtomicPool {}
// SAFETY: as above.
unsafe impl Sync for AtomicPool {}

impl std::fmt::Debug for AtomicPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtomicPool")
    }
}

impl AtomicPool {
    /// A new execution begins, on main: makes its atomics.
    pub(super) fn begin(&self) {
        let mut pool = self.0.borrow_mut();
        let pool = &mut *pool;
        for (key, count) in pool.bound.drain() {
            let wanted = pool.wanted.entry(key).or_default();
            *wanted = (*wanted).max(count);
        }
        pool.unsure = false;
        pool.ready.clear();
        for (&(repr, bits), &count) in &pool.wanted {
            for _ in 0..count {
                pool.ready
                    .push(((repr, bits), LoomAtomicInner::new(repr, bits)));
            }
        }
    }

    /// The loom atomic of a facade atomic bound now.
    pub(super) fn take(&self, repr: AtomicRepr, bits: u64) -> LoomAtomicInner {
        let mut pool = self.0.borrow_mut();
        let key = (repr, bits);
        *pool.bound.entry(key).or_default() += 1;
        if let Some(i) = pool.ready.iter().position(|(k, _)| *k == key) {
            return pool.ready.swap_remove(i).1;
        }
        // On main before any spawn, creation happens before every other thread's access.
        let exact =
            rt::current_thread().is_some_and(|(_, thread)| thread == 0) && rt::thread_count() == 1;
        pool.unsure |= !exact;
        LoomAtomicInner::new(repr, bits)
    }

    /// Whether a failure of this execution may come from an atomic made outside the pool.
    pub(super) fn unsure(&self) -> bool {
        self.0.borrow().unsure
    }
}
