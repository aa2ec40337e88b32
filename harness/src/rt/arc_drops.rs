//! An `Arc` allocation's reference drops as operations of an engine whose own memory model
//! orders cells and atomics (loom's clocks: see `Backend::orders_arc_drops`).
//!
//! std's `Arc` makes every drop of a reference happen before the value's destruction: each
//! decrement of its count releases, and the last one acquires. The other engines learn that
//! from the facade's clocks (`rt::race`); loom checks a destructor's cell writes and atomics'
//! `get_mut` against clocks of its own, which learn only from loom's operations, so without
//! these a destructor run by the last of two threads raced with the other's earlier reads.
//!
//! Each thread that gives a reference up has a counter of its own here, which it increments
//! with a release; whoever takes the value over (the last reference's drop, a `get_mut`) reads
//! every other thread's with an acquire read-modify-write (which reads the latest store, where
//! a load might read an older one). One counter per thread rather than one shared count, so
//! that the engine sees two drops as dependent only when one of them is the last (which thread
//! runs the destructor), not every order of the drops: loom's own `Arc`, one shared count,
//! explores those too (n! for n threads dropping clones).
//!
//! The counters are bookkeeping, not the program's: no trace shows them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::Mutex;

use super::backend::RawAtomic;
use super::frame::hidden_op;
use super::local::local;
use super::{AtomicRepr, RmwOp, ThreadIdx};

/// The counters of one allocation's drops, by thread.
#[derive(Default)]
pub(crate) struct ArcDrops {
    counters: Mutex<Vec<(ThreadIdx, Arc<Counter>)>>,
}

struct Counter(Box<dyn RawAtomic>);

impl std::fmt::Debug for ArcDrops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArcDrops")
    }
}

impl ArcDrops {
    /// Thread `me` gives a reference up; `last` says, after the operation (at which the engine
    /// may have run other threads), whether it held the last one.
    pub(super) fn give_up(&self, me: ThreadIdx, last: impl FnOnce() -> bool) {
        let Some(mine) = self.counter_of(me) else {
            return;
        };
        hidden_op(|_| mine.0.fetch(RmwOp::Add, 1, Ordering::Release));
        if last() {
            self.take_over(me);
        }
    }

    /// Thread `me` takes the value over: what the threads that gave references up did happens
    /// before what it does next.
    pub(super) fn take_over(&self, me: ThreadIdx) {
        // Collected first: an operation may run other threads, which may give references of
        // their own up (after a `Weak::upgrade`).
        let others: Vec<_> = self
            .counters
            .lock()
            .iter()
            .filter(|(thread, _)| *thread != me)
            .map(|(_, counter)| counter.clone())
            .collect();
        for counter in others {
            hidden_op(|_| counter.0.fetch(RmwOp::Add, 0, Ordering::Acquire));
        }
    }

    /// Thread `me`'s counter, made now if it has none (by the running execution's engine).
    fn counter_of(&self, me: ThreadIdx) -> Option<Arc<Counter>> {
        let mut counters = self.counters.lock();
        if let Some((_, counter)) = counters.iter().find(|(thread, _)| *thread == me) {
            return Some(counter.clone());
        }
        let backend = &*local()?.exec.backend;
        let counter = Arc::new(Counter(backend.new_atomic(AtomicRepr::Usize, 0)));
        counters.push((me, counter.clone()));
        Some(counter)
    }
}
