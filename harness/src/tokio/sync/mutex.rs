//! Tokio's async mutex: a [`Semaphore`] with one permit guarding a cell, so waiters get the
//! lock in the order they asked for it (FIFO), and a waiting task yields its thread.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::Arc;

use super::{Semaphore, Site, TryAcquireError};
use crate::sync::GuardedData;

/// An async mutual exclusion lock, as `tokio::sync::Mutex`: `lock().await` waits without
/// blocking the thread, waiters are served first come first, and there is no poisoning.
pub struct Mutex<T: ?Sized> {
    /// One permit: the lock.
    pub(super) semaphore: Semaphore,
    data: GuardedData<T>,
}

// SAFETY: the semaphore gives access to `data` to one holder at a time, as a std mutex does;
// its facade lock orders each release before the next acquire.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// The error of a `try_lock` (or `try_read`, `try_write`) that would have had to wait
/// (`tokio::sync::TryLockError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

/// Access to the value of a locked [`Mutex`]; unlocks when dropped.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
    /// Sync only if `T` is: sharing the guard shares `&T`.
    _access: PhantomData<&'a mut T>,
}

/// As [`MutexGuard`], holding the mutex through an [`Arc`] (from [`Mutex::lock_owned`]).
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedMutexGuard<T: ?Sized> {
    pub(super) lock: Arc<Mutex<T>>,
}

// SAFETY: the guard gives `&mut T` to its holder only; sharing it shares `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    #[track_caller]
    pub fn new(value: T) -> Mutex<T> {
        Self::const_new(value)
    }

    /// As [`new`](Self::new), usable in a `static`.
    #[track_caller]
    pub const fn const_new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: Semaphore::const_new(1),
            data: GuardedData::new(value),
        }
    }

    /// Consumes the mutex and returns its value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock, behind the tasks that asked before.
    #[track_caller]
    pub fn lock(&self) -> impl std::future::Future<Output = MutexGuard<'_, T>> {
        let site = Location::caller();
        crate::future::await_point(async move {
            self.wait(site).await;
            MutexGuard::new(self)
        })
    }

    /// Takes the lock if it is free and nobody waits for it.
    #[track_caller]
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.try_take(Location::caller())?;
        Ok(MutexGuard::new(self))
    }

    /// As [`lock`](Self::lock), with a guard that owns a reference to the mutex.
    #[track_caller]
    pub fn lock_owned(self: Arc<Self>) -> impl std::future::Future<Output = OwnedMutexGuard<T>> {
        let site = Location::caller();
        crate::future::await_point(async move {
            self.wait(site).await;
            OwnedMutexGuard { lock: self }
        })
    }

    /// As [`try_lock`](Self::try_lock), with an owned guard.
    #[track_caller]
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        self.try_take(Location::caller())?;
        Ok(OwnedMutexGuard { lock: self })
    }

    /// Blocks the thread until the lock is taken (for code outside async tasks), by
    /// [`block_on`](crate::future::block_on).
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::future::block_on(self.lock())
    }

    /// As [`blocking_lock`](Self::blocking_lock), with an owned guard.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        crate::future::block_on(self.lock_owned())
    }

    /// A mutable reference to the value; no locking is needed with `&mut self`.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Takes the lock, asked for at `site` (where lock orders say it was taken).
    async fn wait(&self, site: Site) {
        // The semaphore of a mutex is never closed.
        let acquired = self.semaphore.acquire_lock(site).await;
        debug_assert!(acquired.is_ok());
        self.data.taken();
    }

    fn try_take(&self, site: Site) -> Result<(), TryLockError> {
        self.semaphore.try_acquire_lock(site).map_err(|error| {
            debug_assert_eq!(error, TryAcquireError::NoPermits);
            TryLockError(())
        })?;
        self.data.taken();
        Ok(())
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(lock: &'a Mutex<T>) -> Self {
        MutexGuard {
            lock,
            _access: PhantomData,
        }
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and `&mut self` proves no other reference from this guard exists.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and `&mut self` proves no other reference from this guard exists.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release_lock();
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release_lock();
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}
