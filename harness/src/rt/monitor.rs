//! State guarded by an engine lock and `N` condition variables, for what the facade builds
//! itself: barriers, `Once`, channels (two conditions: senders and receiver), a thread's
//! parker and a scope's finished threads (one). The lock and waits inside are the workings of
//! a facade operation that records itself: they are not recorded.

use std::cell::UnsafeCell;
use std::time::{Duration, Instant};

use super::{Backend, RawCondvar, RawMutex, engine_call, real_threads};

pub(crate) struct Monitor<S, const N: usize = 2> {
    lock: Box<dyn RawMutex>,
    conds: [Box<dyn RawCondvar>; N],
    state: UnsafeCell<S>,
}

// SAFETY: `state` is only reached through `Held`, which exists only while `lock` is held.
unsafe impl<S: Send, const N: usize> Send for Monitor<S, N> {}
// SAFETY: as above.
unsafe impl<S: Send, const N: usize> Sync for Monitor<S, N> {}

impl<S, const N: usize> Monitor<S, N> {
    pub(crate) fn new(backend: &dyn Backend, state: S) -> Monitor<S, N> {
        Monitor {
            lock: backend.new_mutex(),
            conds: std::array::from_fn(|_| backend.new_condvar()),
            state: UnsafeCell::new(state),
        }
    }

    /// Runs `f` holding the lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Held<'_, S, N>) -> R) -> R {
        // Outside an `rt` frame, so the running thread is restored here (see `RawMutex`).
        engine_call(|| self.lock.lock());
        f(&mut Held { monitor: self })
    }
}

/// The lock of a [`Monitor`], held; released when dropped.
pub(crate) struct Held<'a, S, const N: usize = 2> {
    monitor: &'a Monitor<S, N>,
}

impl<S, const N: usize> Held<'_, S, N> {
    pub(crate) fn state(&mut self) -> &mut S {
        // SAFETY: the lock is held, and `&mut self` keeps this the only reference.
        unsafe { &mut *self.monitor.state.get() }
    }

    /// Waits on condition `which`, releasing the lock meanwhile.
    pub(crate) fn wait(&mut self, which: usize) {
        self.monitor.conds[which].wait(&*self.monitor.lock);
    }

    /// Like `wait`, giving up after `timeout` (model engines: at any point; see
    /// `engine::timed`); returns whether it timed out.
    pub(crate) fn wait_timeout(&mut self, which: usize, timeout: Duration) -> bool {
        let (cond, lock) = (&self.monitor.conds[which], &*self.monitor.lock);
        // Real threads wait until a real deadline, which a timeout as long as `Duration::MAX`
        // has not: that wait never times out (nor would std's in practice).
        if real_threads() && Instant::now().checked_add(timeout).is_none() {
            cond.wait(lock);
            false
        } else {
            cond.wait_timeout(lock, timeout)
        }
    }

    pub(crate) fn notify_one(&mut self, which: usize) {
        self.monitor.conds[which].notify_one();
    }

    pub(crate) fn notify_all(&mut self, which: usize) {
        self.monitor.conds[which].notify_all();
    }
}

impl<S, const N: usize> Drop for Held<'_, S, N> {
    fn drop(&mut self) {
        engine_call(|| self.monitor.lock.unlock());
    }
}
