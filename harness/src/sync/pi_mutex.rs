//! A mutex with priority inheritance.

use std::borrow::Cow;
use std::fmt;
use std::sync::{LockResult, TryLockResult};

use super::{Mutex, MutexGuard};
use crate::rt::ObjKind;

/// A [`Mutex`] with priority inheritance: under the priority engine, a thread holding it runs
/// at the highest priority of the threads waiting for it, so a thread of intermediate priority
/// cannot keep it from releasing the lock (the remedy for the Mars Pathfinder's unbounded
/// priority inversion; POSIX calls it `PTHREAD_PRIO_INHERIT`). Under every other engine, and
/// outside explorations, it is an ordinary mutex.
///
/// Its guard is a [`MutexGuard`], so it works with [`Condvar`](super::Condvar) as a mutex does.
pub struct PiMutex<T: ?Sized>(Mutex<T>);

impl<T> PiMutex<T> {
    /// Creates an unlocked mutex holding `value`.
    #[track_caller]
    pub fn new(value: T) -> PiMutex<T> {
        Self::make(None, value)
    }

    /// Creates a mutex that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> PiMutex<T> {
        Self::make(Some(name.into()), value)
    }

    #[track_caller]
    fn make(name: Option<Cow<'static, str>>, value: T) -> PiMutex<T> {
        PiMutex(Mutex::make_kind(ObjKind::PiMutex, name, value))
    }

    /// Consumes the mutex and returns its value; `Err` if it is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        self.0.into_inner()
    }
}

impl<T: ?Sized> PiMutex<T> {
    /// Blocks until the lock is free, then takes it; meanwhile the holder runs at this
    /// thread's priority if that is higher than its own.
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        self.0.lock()
    }

    /// Takes the lock if it is free.
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        self.0.try_lock()
    }

    /// Whether a thread panicked while holding the lock.
    pub fn is_poisoned(&self) -> bool {
        self.0.is_poisoned()
    }

    /// Clears the poisoned state.
    pub fn clear_poison(&self) {
        self.0.clear_poison();
    }

    /// A mutable reference to the value; no locking is needed with `&mut self`.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.0.get_mut()
    }
}

impl<T: Default> Default for PiMutex<T> {
    #[track_caller]
    fn default() -> Self {
        PiMutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for PiMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
