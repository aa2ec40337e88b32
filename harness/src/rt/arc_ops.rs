//! A facade `Arc`'s reference counting as operations of the engine.
//!
//! std's `Arc` counts its references with atomic operations, and programs depend on their
//! order: which thread drops the last reference (and so runs the destructor, perhaps under a
//! lock it holds), whether a `Weak::upgrade` comes before the last drop, which of two
//! `into_inner`s gets the value. The facade keeps the count in a std `Arc`, whose operations
//! no engine sees; so, for the engines that choose where threads switch
//! ([`ArcOperations::Scheduled`]), each allocation has a hidden atomic, `count`, and:
//!
//! - a reference given up (a drop, `into_inner`, `try_unwrap`) loads it; the last one then
//!   also writes it (a read-modify-write), so two drops are dependent only when one of them
//!   is the last, and the engines explore which thread that is, not every order of the drops
//!   (loom's own `Arc`, one shared count written by every drop, explores those too: n! for n
//!   threads);
//! - `Weak::upgrade` loads it: dependent on the last drop, not on the others;
//! - `get_mut`, `strong_count` and `weak_count` write it: they see every other change.
//!
//! A clone makes no operation: a thread clones only a reference it holds, so no drop can be
//! the last meanwhile.
//!
//! loom also checks a destructor's cell writes and atomics' `get_mut` with clocks of its own,
//! which learn only from loom's operations ([`ArcOperations::Clocked`]). Each thread that gives
//! a reference up then also has a counter of its own, which it increments with a release;
//! whoever takes the value over (the last reference's drop, a `get_mut`) reads every other
//! thread's with an acquire read-modify-write (which reads the latest store, where a load might
//! read an older one): every drop happens before the destruction, as std's `Arc` orders it.
//!
//! The c11 engine explores execution graphs rather than interleavings, so it takes no
//! scheduling points ([`ArcOperations::Handover`]): each reference given up is an event of its
//! thread, and the last one (or `get_mut`) an event that they all happen before
//! ([`RawHandover`]). Which thread drops last, or whether an upgrade comes first, it does not
//! explore.
//!
//! These operations are bookkeeping, not the program's: no trace shows them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::Mutex;

use super::backend::{ArcOperations, Backend, RawAtomic, RawHandover};
use super::event::Site;
use super::frame::hidden_op;
use super::{AtomicRepr, RmwOp, ThreadIdx};

/// One allocation's hidden operations.
pub(crate) struct ArcOps(Ops);

enum Ops {
    /// [`ArcOperations::Scheduled`] and [`ArcOperations::Clocked`] (with `clocks`).
    Counted {
        count: Box<dyn RawAtomic>,
        clocks: Option<Clocks>,
    },
    Handover(Box<dyn RawHandover>),
}

/// Each dropping thread's counter, under [`ArcOperations::Clocked`].
type Clocks = Mutex<Vec<(ThreadIdx, Arc<Counter>)>>;

struct Counter(Box<dyn RawAtomic>);

impl std::fmt::Debug for ArcOps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArcOps")
    }
}

impl ArcOps {
    /// The operations of an allocation made at `site`, if `backend` wants any.
    pub(super) fn new(backend: &dyn Backend, site: Site) -> Option<ArcOps> {
        let clocked = match backend.arc_operations() {
            ArcOperations::None => return None,
            ArcOperations::Scheduled => false,
            ArcOperations::Clocked => true,
            ArcOperations::Handover => {
                return backend.new_handover().map(|h| ArcOps(Ops::Handover(h)));
            }
        };
        Some(ArcOps(Ops::Counted {
            count: new_atomic(backend, site),
            clocks: clocked.then(Mutex::default),
        }))
    }

    /// Thread `me` gives a reference up; `last` says, after the operation (at which the engine
    /// may have run other threads), whether it held the last one.
    pub(super) fn give_up(&self, me: ThreadIdx, last: impl Fn() -> bool) {
        let count = match &self.0 {
            Ops::Counted { count, .. } => count,
            Ops::Handover(handover) => return hidden_op(|_| handover.give_up(&last)),
        };
        if let Some(mine) = self.counter_of(me) {
            hidden_op(|_| mine.0.fetch(RmwOp::Add, 1, Ordering::Release));
        }
        hidden_op(|_| count.load(Ordering::Relaxed));
        if last() {
            self.take_over(me);
        }
    }

    /// Thread `me` takes the value over (the last drop, `get_mut`): what the threads that gave
    /// references up did happens before what it does next.
    pub(super) fn take_over(&self, me: ThreadIdx) {
        let clocks = match &self.0 {
            Ops::Counted { clocks, .. } => clocks,
            Ops::Handover(handover) => return hidden_op(|_| handover.take_over()),
        };
        if let Some(clocks) = clocks {
            // Collected first: an operation may run other threads, which may give references
            // of their own up (after a `Weak::upgrade`).
            let others: Vec<_> = clocks
                .lock()
                .iter()
                .filter(|(thread, _)| *thread != me)
                .map(|(_, counter)| counter.clone())
                .collect();
            for counter in others {
                hidden_op(|_| counter.0.fetch(RmwOp::Add, 0, Ordering::Acquire));
            }
        }
        self.write();
    }

    /// A `Weak::upgrade`: dependent on the last drop.
    pub(super) fn upgrade(&self) {
        if let Ops::Counted { count, .. } = &self.0 {
            hidden_op(|_| count.load(Ordering::Relaxed));
        }
    }

    /// The count is read (`strong_count`, `weak_count`): dependent on every change.
    pub(super) fn write(&self) {
        if let Ops::Counted { count, .. } = &self.0 {
            hidden_op(|_| count.fetch(RmwOp::Add, 0, Ordering::Relaxed));
        }
    }

    /// Thread `me`'s counter under [`ArcOperations::Clocked`], made now if it has none.
    fn counter_of(&self, me: ThreadIdx) -> Option<Arc<Counter>> {
        let Ops::Counted {
            clocks: Some(clocks),
            ..
        } = &self.0
        else {
            return None;
        };
        let mut clocks = clocks.lock();
        if let Some((_, counter)) = clocks.iter().find(|(thread, _)| *thread == me) {
            return Some(counter.clone());
        }
        let backend = &*super::local()?.exec.backend;
        // Named by this line, the same for every counter.
        let site = std::panic::Location::caller();
        let counter = Arc::new(Counter(new_atomic(backend, site)));
        clocks.push((me, counter.clone()));
        Some(counter)
    }
}

/// A hidden atomic made by `backend`, named by `site` to engines that compare objects across
/// executions.
fn new_atomic(backend: &dyn Backend, site: Site) -> Box<dyn RawAtomic> {
    backend.creating(Some(site));
    let atomic = backend.new_atomic(AtomicRepr::Usize, 0);
    backend.creating(None);
    atomic
}
