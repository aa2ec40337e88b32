//! One thread of an execution, as a facade operation updates it.

use super::Execution;
use crate::rt::clock::Views;
use crate::rt::event::{Blocked, ObjId, Site, ThreadIdx};
use crate::rt::race::ThreadClocks;
use crate::rt::threads::ThreadSlot;

/// One thread of an execution: what a facade operation updates about its running thread.
#[derive(Clone, Copy)]
pub(crate) struct ThreadRef<'a> {
    pub(super) exec: &'a Execution,
    pub(super) slot: &'a ThreadSlot,
    pub(super) idx: ThreadIdx,
}

/// The running thread in the frame of lock `lock`'s acquisition or release (`rt::lock`,
/// `rt::unlock`): the clock the facade then acquires or releases (`race::acquire_by`,
/// `race::release_by`) is that lock's. Apart from [`ThreadRef`], so that the frames' inlined
/// code, which passes threads around, carries no lock.
#[derive(Clone, Copy)]
pub(crate) struct LockFrame<'a> {
    pub thread: ThreadRef<'a>,
    pub lock: ObjId,
}

impl<'a> ThreadRef<'a> {
    /// The thread's number.
    #[inline]
    pub(crate) fn idx(self) -> ThreadIdx {
        self.idx
    }

    /// Its execution.
    #[inline]
    pub(crate) fn exec(self) -> &'a Execution {
        self.exec
    }

    /// Whether its execution keeps vector clocks now (see [`Execution::keep_clocks`]).
    #[inline]
    pub(crate) fn clocks_on(self) -> bool {
        self.exec.clocks_on()
    }

    /// The views its execution keeps clocks in now.
    #[inline]
    pub(crate) fn views(self) -> Views {
        self.exec.views()
    }

    /// Whether `lock` has taken part in a lock-order edge of the execution.
    pub(crate) fn nests(self, lock: ObjId) -> bool {
        self.exec.nests(lock)
    }

    /// Runs `f` on the thread's clocks.
    #[inline]
    pub(crate) fn with_clocks<R>(self, f: impl FnOnce(&mut ThreadClocks) -> R) -> R {
        self.exec.with_state(&self.slot.clocks, f)
    }

    #[inline]
    pub(crate) fn set_blocked(self, blocked: Option<Blocked>) {
        self.slot.set_blocked(blocked);
    }

    /// The thread is about to block to take `lock`; a lock-order cycle it closes becomes the
    /// exploration's prediction, if it has none.
    #[inline]
    pub(crate) fn lock_acquiring(self, lock: ObjId, site: Site) {
        // Inlined: taking a lock while holding no other (the common case) adds no edge.
        if self
            .exec
            .with_state(&self.slot.held, |held| held.orders(lock))
        {
            self.exec.add_lock_order(self, lock, site);
        }
    }

    #[inline]
    pub(crate) fn lock_acquired(self, lock: ObjId, site: Site) {
        self.exec
            .with_state(&self.slot.held, |held| held.acquired(lock, site));
    }

    #[inline]
    pub(crate) fn lock_released(self, lock: ObjId) {
        self.exec
            .with_state(&self.slot.held, |held| held.released(lock));
    }
}
