//! State guarded by an engine lock, for primitives the facade builds itself (barriers, `Once`,
//! channels). The lock and waits inside are the primitive's implementation: they are not
//! recorded, the primitive records its own operation.

use std::cell::UnsafeCell;
use std::time::Duration;

use crate::rt::{self, Backend, RawCondvar, RawMutex};

pub(crate) struct Monitor<S> {
    lock: Box<dyn RawMutex>,
    conds: [Box<dyn RawCondvar>; 2],
    state: UnsafeCell<S>,
}

// SAFETY: `state` is only reached through `Held`, which exists only while `lock` is held.
unsafe impl<S: Send> Send for Monitor<S> {}
// SAFETY: as above.
unsafe impl<S: Send> Sync for Monitor<S> {}

impl<S> Monitor<S> {
    pub(crate) fn new(backend: &dyn Backend, state: S) -> Monitor<S> {
        Monitor {
            lock: backend.new_mutex(),
            conds: [backend.new_condvar(), backend.new_condvar()],
            state: UnsafeCell::new(state),
        }
    }

    /// Runs `f` holding the lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Held<'_, S>) -> R) -> R {
        // Outside an `rt` frame, so the running thread is restored here (see `RawMutex`).
        rt::engine_call(|| self.lock.lock());
        f(&mut Held { monitor: self })
    }
}

/// The lock of a [`Monitor`], held; released when dropped.
pub(crate) struct Held<'a, S> {
    monitor: &'a Monitor<S>,
}

impl<S> Held<'_, S> {
    pub(crate) fn state(&mut self) -> &mut S {
        // SAFETY: the lock is held, and `&mut self` keeps this the only reference.
        unsafe { &mut *self.monitor.state.get() }
    }

    /// Waits on condition `which` (0 or 1), releasing the lock meanwhile.
    pub(crate) fn wait(&mut self, which: usize) {
        self.monitor.conds[which].wait(&*self.monitor.lock);
    }

    /// Like `wait`, giving up after `timeout`; returns whether it timed out.
    pub(crate) fn wait_timeout(&mut self, which: usize, timeout: Duration) -> bool {
        self.monitor.conds[which].wait_timeout(&*self.monitor.lock, timeout)
    }

    pub(crate) fn notify_one(&mut self, which: usize) {
        self.monitor.conds[which].notify_one();
    }

    pub(crate) fn notify_all(&mut self, which: usize) {
        self.monitor.conds[which].notify_all();
    }
}

impl<S> Drop for Held<'_, S> {
    fn drop(&mut self) {
        rt::engine_call(|| self.monitor.lock.unlock());
    }
}
