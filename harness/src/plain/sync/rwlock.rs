//! [`RwLock`]: std's reader-writer lock.

use std::borrow::Cow;
use std::fmt;
use std::sync::{LockResult, RwLockReadGuard, RwLockWriteGuard, TryLockResult};

/// A reader-writer lock: [`std::sync::RwLock`], with the explore facade's `named`.
#[repr(transparent)]
pub struct RwLock<T: ?Sized>(std::sync::RwLock<T>);

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    #[inline]
    pub const fn new(value: T) -> RwLock<T> {
        RwLock(std::sync::RwLock::new(value))
    }

    /// Creates an unlocked lock holding `value`; the name is for traces, which this build has
    /// none of.
    #[inline]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> RwLock<T> {
        drop(name);
        RwLock::new(value)
    }

    /// Consumes the lock and returns its value; `Err` if it is poisoned.
    #[inline]
    pub fn into_inner(self) -> LockResult<T> {
        self.0.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading, blocking while a writer holds it.
    #[inline]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        self.0.read()
    }

    /// Locks for reading if no writer holds it.
    #[inline]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        self.0.try_read()
    }

    /// Locks for writing, blocking while anyone holds it.
    #[inline]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        self.0.write()
    }

    /// Locks for writing if nobody holds it.
    #[inline]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        self.0.try_write()
    }

    /// Whether a thread panicked while holding the lock for writing.
    #[inline]
    pub fn is_poisoned(&self) -> bool {
        self.0.is_poisoned()
    }

    /// Clears the poison.
    #[inline]
    pub fn clear_poison(&self) {
        self.0.clear_poison()
    }

    /// A mutable reference to the value; `&mut self` proves no lock is held.
    #[inline]
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.0.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    #[inline]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[inline]
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
