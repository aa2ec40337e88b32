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
//! An atomic whose first value differs from execution to execution (a pointer's address,
//! above all) cannot be made ahead with that value. It takes an atomic of its type made with
//! 0 and offsets every value by its own first value ([`PooledAtomic`]): loads add the offset,
//! stores subtract it, a bijection under which loads, stores, swaps, exchanges, additions and
//! subtractions are one loom operation each; the other read-modify-writes become an exchange
//! loop (the same outcomes, more executions). Atomics of constant first values (almost all:
//! 0, `false`, `true`, a limit) get one made with that value and no offset.
//!
//! A binding that finds none (the first execution, or one that takes a new path) makes its
//! own atomic where it is. That is exact on main before any thread is spawned; elsewhere the
//! execution is *unsure*: a failure in it may be loom's complaint about that creation, so the
//! exhaustive engine starts the search over, with what it has learned (`super::explore_here`).
//! A pass is never in doubt: the creation only adds checks.

use std::cell::RefCell;
use std::collections::HashMap;

use std::sync::atomic::Ordering;

use super::backend::LoomAtomicInner;
use crate::rt::{self, AtomicRepr, RmwOp};

/// At most this many distinct first values of a type are made ahead exactly; values beyond
/// (which vary between executions) take an offset atomic.
const MAX_EXACT: usize = 32;

#[derive(Default)]
pub(super) struct AtomicPool(RefCell<Pool>);

#[derive(Default)]
struct Pool {
    /// How many atomics of each type and first value one execution has bound, at most; a
    /// value of `None` stands for any value, offset.
    wanted: HashMap<(AtomicRepr, Option<u64>), usize>,
    /// This execution's: made at its start and not bound yet.
    ready: Vec<((AtomicRepr, Option<u64>), LoomAtomicInner)>,
    /// What this execution has bound so far.
    bound: HashMap<(AtomicRepr, Option<u64>), usize>,
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
                let atomic = LoomAtomicInner::new(repr, bits.unwrap_or(0));
                pool.ready.push(((repr, bits), atomic));
            }
        }
    }

    /// The loom atomic of a facade atomic bound now, with first value `bits`.
    pub(super) fn take(&self, repr: AtomicRepr, bits: u64) -> PooledAtomic {
        let mut pool = self.0.borrow_mut();
        let exact_kinds = pool
            .wanted
            .keys()
            .filter(|(r, b)| *r == repr && b.is_some());
        let exact = repr != AtomicRepr::Ptr
            && (pool.wanted.contains_key(&(repr, Some(bits))) || exact_kinds.count() < MAX_EXACT);
        let key = (repr, exact.then_some(bits));
        *pool.bound.entry(key).or_default() += 1;
        let offset = if exact { 0 } else { bits };
        if let Some(i) = pool.ready.iter().position(|(k, _)| *k == key) {
            let inner = pool.ready.swap_remove(i).1;
            return PooledAtomic::new(inner, repr, offset);
        }
        // On main before any spawn, creation happens before every other thread's access.
        let exact_here =
            rt::current_thread().is_some_and(|(_, thread)| thread == 0) && rt::thread_count() == 1;
        pool.unsure |= !exact_here;
        PooledAtomic::new(LoomAtomicInner::new(repr, bits - offset), repr, offset)
    }

    /// Whether a failure of this execution may come from an atomic made outside the pool.
    pub(super) fn unsure(&self) -> bool {
        self.0.borrow().unsure
    }
}

/// A loom atomic whose values are the facade atomic's minus `offset` (see the module docs).
pub(super) struct PooledAtomic {
    inner: LoomAtomicInner,
    repr: AtomicRepr,
    offset: u64,
}

impl PooledAtomic {
    fn new(inner: LoomAtomicInner, repr: AtomicRepr, offset: u64) -> PooledAtomic {
        PooledAtomic {
            inner,
            repr,
            offset,
        }
    }

    /// The facade's value of loom's `raw`.
    fn value(&self, raw: u64) -> u64 {
        match self.offset {
            0 => raw,
            offset => RmwOp::Add.apply(self.repr, raw, offset),
        }
    }

    /// Loom's value of the facade's `value`.
    fn raw(&self, value: u64) -> u64 {
        match self.offset {
            0 => value,
            offset => RmwOp::Sub.apply(self.repr, value, offset),
        }
    }

    pub(super) fn load(&self, order: Ordering) -> u64 {
        self.value(self.inner.load(order))
    }

    pub(super) fn store(&self, bits: u64, order: Ordering) {
        self.inner.store(self.raw(bits), order);
    }

    pub(super) fn swap(&self, bits: u64, order: Ordering) -> u64 {
        self.value(self.inner.swap(self.raw(bits), order))
    }

    pub(super) fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
        weak: bool,
    ) -> Result<u64, u64> {
        let (current, new) = (self.raw(current), self.raw(new));
        self.inner
            .compare_exchange(current, new, success, failure, weak)
            .map(|raw| self.value(raw))
            .map_err(|raw| self.value(raw))
    }

    pub(super) fn fetch(&self, op: RmwOp, bits: u64, order: Ordering) -> u64 {
        if self.offset == 0 || matches!(op, RmwOp::Add | RmwOp::Sub) {
            // An offset commutes with addition: loom adds to its own value.
            return self.value(self.inner.fetch(op, bits, order));
        }
        // The exchange loop of a read-modify-write: each failure reads the latest value.
        let failure = match order {
            Ordering::Release | Ordering::Relaxed => Ordering::Relaxed,
            Ordering::AcqRel | Ordering::Acquire => Ordering::Acquire,
            _ => Ordering::SeqCst,
        };
        let mut raw = self.inner.load(failure);
        loop {
            let old = self.value(raw);
            let new = self.raw(op.apply(self.repr, old, bits));
            match self.inner.compare_exchange(raw, new, order, failure, false) {
                Ok(_) => return old,
                Err(actual) => raw = actual,
            }
        }
    }

    pub(super) fn with_bits<R>(&mut self, f: impl FnOnce(&mut u64) -> R) -> R {
        let (repr, offset) = (self.repr, self.offset);
        self.inner.with_bits(|raw| {
            let mut value = RmwOp::Add.apply(repr, *raw, offset);
            let result = f(&mut value);
            *raw = RmwOp::Sub.apply(repr, value, offset);
            result
        })
    }
}
