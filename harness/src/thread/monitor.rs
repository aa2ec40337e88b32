//! State behind a lock and a condition variable of the engine's, for what threads share among
//! themselves (a parker's token, a scope's finished threads). The lock and the waits are the
//! workings of a facade operation that records itself: they are not recorded.
//!
//! `sync::Monitor` does the same for the synchronisation primitives; the layers keep `thread`
//! from using `sync` (which uses `thread`), so this one is the threads'.

use std::cell::UnsafeCell;
use std::time::{Duration, Instant};

use crate::rt::{self, Backend, RawCondvar, RawMutex};

pub(super) struct Monitor<S> {
    lock: Box<dyn RawMutex>,
    cond: Box<dyn RawCondvar>,
    state: UnsafeCell<S>,
}

// SAFETY: `state` is only reached through `Held`, which exists only while `lock` is held.
unsafe impl<S: Send> Send for Monitor<S> {}
// SAFETY: as above.
unsafe impl<S: Send> Sync for Monitor<S> {}

impl<S> Monitor<S> {
    pub(super) fn new(backend: &dyn Backend, state: S) -> Monitor<S> {
        Monitor {
            lock: backend.new_mutex(),
            cond: backend.new_condvar(),
            state: UnsafeCell::new(state),
        }
    }

    /// Runs `f` holding the lock.
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut Held<'_, S>) -> R) -> R {
        // Outside an `rt` frame's restore, so the running thread is restored here (see
        // `RawMutex`).
        rt::engine_call(|| self.lock.lock());
        f(&mut Held { monitor: self })
    }
}

/// The lock of a [`Monitor`], held; released when dropped.
pub(super) struct Held<'a, S> {
    monitor: &'a Monitor<S>,
}

impl<S> Held<'_, S> {
    pub(super) fn state(&mut self) -> &mut S {
        // SAFETY: the lock is held, and `&mut self` keeps this the only reference.
        unsafe { &mut *self.monitor.state.get() }
    }

    /// Waits for a notification, releasing the lock meanwhile.
    pub(super) fn wait(&mut self) {
        self.monitor.cond.wait(&*self.monitor.lock);
    }

    /// Like `wait`, giving up after `timeout` (model engines: at any point; see
    /// `engine::timed`).
    pub(super) fn wait_timeout(&mut self, timeout: Duration) {
        let (cond, lock) = (&self.monitor.cond, &*self.monitor.lock);
        // Real threads wait until a real deadline, which a timeout as long as `Duration::MAX`
        // has not: that wait never times out (nor would std's in practice).
        if rt::real_threads() && Instant::now().checked_add(timeout).is_none() {
            cond.wait(lock);
        } else {
            cond.wait_timeout(lock, timeout);
        }
    }

    pub(super) fn notify_all(&mut self) {
        self.monitor.cond.notify_all();
    }
}

impl<S> Drop for Held<'_, S> {
    fn drop(&mut self) {
        rt::engine_call(|| self.monitor.lock.unlock());
    }
}
