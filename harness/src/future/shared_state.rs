//! What a task shares with its handle, behind a lock that every engine sees as it must and
//! none pays for more than it needs.
//!
//! The engines that search (exhaustive, dpor, c11) must see every access as an operation, to
//! know which orders of it to explore; so must the stress engine, whose real threads need a
//! lock and whose jitter acts at operations. The engines that sample schedules (random, PCT,
//! SURW, priority) run one model thread at a time and switch threads only at facade
//! operations, so a section without one is indivisible already: for them an access is no
//! operation, and only the race detector's clock passes from one access to the next (the
//! happens-before a lock would give). A task's round of polling then costs them the
//! scheduling points of the task's own code, as raw shuttle's tasks do.

use std::sync::PoisonError;

use crate::rt::{self, race::SyncClock};
use crate::sync::Mutex;
use crate::sync::atomic::{AtomicBool, Ordering};

pub(super) struct SharedState<T> {
    data: std::sync::Mutex<T>,
    /// Held around each access under the engines that must see it.
    order: Mutex<()>,
    /// What the last access released, under the engines that sample.
    clock: SyncClock,
}

impl<T> SharedState<T> {
    /// Made where the task is spawned: its lock shows there in traces.
    #[track_caller]
    pub(super) fn new(data: T) -> Self {
        SharedState {
            data: std::sync::Mutex::new(data),
            order: Mutex::new(()),
            clock: SyncClock::new(),
        }
    }

    /// Runs `f` on the state, alone.
    #[track_caller]
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        if rt::samples_schedules() {
            let mut data = self.data.lock().unwrap_or_else(PoisonError::into_inner);
            rt::race::acquire(&self.clock);
            let result = f(&mut data);
            rt::race::release(&self.clock);
            return result;
        }
        self.with_seen(f)
    }

    /// The state, reached as no operation of any engine: only for a state whose execution is
    /// over, which no model thread touches any more.
    pub(super) fn after_its_execution(&self) -> std::sync::MutexGuard<'_, T> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// As [`with`](Self::with), an operation under every engine: for a query that user code
    /// may poll in a loop (`JoinHandle::is_finished`), which must let the other threads run
    /// between its calls, or a loop that spins on it would spin forever under the engines
    /// that switch threads only at operations.
    #[track_caller]
    pub(super) fn with_seen<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _order = self.order.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut self.data.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A flag a task and its handle share (whether the task was aborted), seen by the engines as
/// [`SharedState`] is: a facade atomic where they must see it, a plain one where they sample.
pub(super) struct SharedFlag {
    seen: AtomicBool,
    plain: std::sync::atomic::AtomicBool,
}

impl SharedFlag {
    #[track_caller]
    pub(super) fn new() -> Self {
        SharedFlag {
            seen: AtomicBool::new(false),
            plain: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(super) fn set(&self) {
        if rt::samples_schedules() {
            self.plain.store(true, Ordering::Relaxed);
        } else {
            self.seen.store(true, Ordering::Release);
        }
    }

    pub(super) fn is_set(&self) -> bool {
        if rt::samples_schedules() {
            self.plain.load(Ordering::Relaxed)
        } else {
            self.seen.load(Ordering::Acquire)
        }
    }
}
