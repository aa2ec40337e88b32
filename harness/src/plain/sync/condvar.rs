//! [`Condvar`]: std's condition variable, waiting on std's guards.

use std::borrow::Cow;
use std::fmt;
use std::sync::{LockResult, MutexGuard, WaitTimeoutResult};
use std::time::Duration;

/// A condition variable: [`std::sync::Condvar`], with the explore facade's `named`. It waits
/// on the guard of a facade [`Mutex`](super::Mutex), which here is std's [`MutexGuard`].
#[repr(transparent)]
pub struct Condvar(std::sync::Condvar);

impl Condvar {
    /// Creates a condition variable.
    #[inline]
    pub const fn new() -> Condvar {
        Condvar(std::sync::Condvar::new())
    }

    /// Creates a condition variable; the name is for traces, which this build has none of.
    #[inline]
    pub fn named(name: impl Into<Cow<'static, str>>) -> Condvar {
        drop(name);
        Condvar::new()
    }

    /// Unlocks the guard's mutex, waits for a notification, and locks it again.
    #[inline]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.0.wait(guard)
    }

    /// Waits while `condition` holds, re-checking it after every wake-up.
    #[inline]
    pub fn wait_while<'a, T, F>(
        &self,
        guard: MutexGuard<'a, T>,
        condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        self.0.wait_while(guard, condition)
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`.
    #[inline]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        self.0.wait_timeout(guard, timeout)
    }

    /// Like [`wait_while`](Self::wait_while), giving up after `timeout` in all.
    #[inline]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
        condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        self.0.wait_timeout_while(guard, timeout, condition)
    }

    /// Wakes one waiting thread, if any.
    #[inline]
    pub fn notify_one(&self) {
        self.0.notify_one()
    }

    /// Wakes every waiting thread.
    #[inline]
    pub fn notify_all(&self) {
        self.0.notify_all()
    }
}

impl Default for Condvar {
    #[inline]
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
