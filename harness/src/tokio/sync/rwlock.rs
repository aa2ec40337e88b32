//! Tokio's async reader-writer lock: a [`Semaphore`] with one permit per possible reader; a
//! read takes one, a write takes them all. The semaphore's fairness makes the lock fair and
//! write-preferring: a queued writer holds back every reader that comes after it.

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::{Semaphore, TryLockError};
use crate::sync::GuardedData;

/// The most readers a lock allows by default (tokio's value), and at most.
const MAX_READS: u32 = u32::MAX >> 3;

/// An async reader-writer lock, as `tokio::sync::RwLock`: many readers or one writer, served
/// first come first (a waiting writer blocks later readers).
pub struct RwLock<T: ?Sized> {
    pub(super) max_readers: u32,
    pub(super) semaphore: Semaphore,
    data: GuardedData<T>,
}

// SAFETY: the semaphore hands out shared access to readers and exclusive access to one writer;
// its facade lock orders each release before the acquires it lets through.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above; readers on several threads share `&T`, so `T: Sync` too.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to the value of an [`RwLock`]; gives its permit back when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// Of the lock, which holds the value `data` points into (all of it, unless mapped).
    pub(super) semaphore: &'a Semaphore,
    pub(super) data: *const T,
    pub(super) _access: PhantomData<&'a T>,
}

/// Exclusive access to the value of an [`RwLock`]; unlocks when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    pub(super) lock: &'a RwLock<T>,
    _access: PhantomData<&'a mut T>,
}

/// As [`RwLockReadGuard`], holding the lock through an [`Arc`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    pub(super) lock: Arc<RwLock<T>>,
    /// Into the lock's value (all of it, unless mapped).
    pub(super) data: *const U,
}

/// As [`RwLockWriteGuard`], holding the lock through an [`Arc`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    pub(super) lock: Arc<RwLock<T>>,
}

// SAFETY: a read guard gives only `&T`, wherever it is.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: as above; the `Arc` keeps the lock, which holds `T`, alive.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockReadGuard<T, U> {}
// SAFETY: a write guard gives `&mut T` to its holder and `&T` to whoever shares it.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    #[track_caller]
    pub fn new(value: T) -> RwLock<T> {
        Self::const_with_max_readers(value, MAX_READS)
    }

    /// Creates a lock that lets at most `max_readers` read at once. Panics if `max_readers` is
    /// above `u32::MAX >> 3`, as tokio's does.
    #[track_caller]
    pub fn with_max_readers(value: T, max_readers: u32) -> RwLock<T> {
        Self::const_with_max_readers(value, max_readers)
    }

    /// As [`new`](Self::new), usable in a `static`.
    #[track_caller]
    pub const fn const_new(value: T) -> RwLock<T> {
        Self::const_with_max_readers(value, MAX_READS)
    }

    /// As [`with_max_readers`](Self::with_max_readers), usable in a `static`.
    #[track_caller]
    pub const fn const_with_max_readers(value: T, max_readers: u32) -> RwLock<T> {
        assert!(
            max_readers <= MAX_READS,
            "a lock may not be created with more than u32::MAX >> 3 readers"
        );
        RwLock {
            max_readers,
            semaphore: Semaphore::const_new(max_readers as usize),
            data: GuardedData::new(value),
        }
    }

    /// Consumes the lock and returns its value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access, behind every task (reader or writer) that asked before.
    #[track_caller]
    pub fn read(&self) -> impl std::future::Future<Output = RwLockReadGuard<'_, T>> {
        crate::future::await_point(async move {
            self.wait(1).await;
            RwLockReadGuard::new(self)
        })
    }

    /// Waits for exclusive access, behind every task that asked before.
    #[track_caller]
    pub fn write(&self) -> impl std::future::Future<Output = RwLockWriteGuard<'_, T>> {
        crate::future::await_point(async move {
            self.wait(self.max_readers).await;
            RwLockWriteGuard::new(self)
        })
    }

    /// As [`read`](Self::read), with a guard that owns a reference to the lock.
    #[track_caller]
    pub fn read_owned(
        self: Arc<Self>,
    ) -> impl std::future::Future<Output = OwnedRwLockReadGuard<T>> {
        crate::future::await_point(async move {
            self.wait(1).await;
            OwnedRwLockReadGuard::new(self)
        })
    }

    /// As [`write`](Self::write), with a guard that owns a reference to the lock.
    #[track_caller]
    pub fn write_owned(
        self: Arc<Self>,
    ) -> impl std::future::Future<Output = OwnedRwLockWriteGuard<T>> {
        crate::future::await_point(async move {
            self.wait(self.max_readers).await;
            OwnedRwLockWriteGuard { lock: self }
        })
    }

    /// Takes shared access if nobody writes or waits.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.try_take(1)?;
        Ok(RwLockReadGuard::new(self))
    }

    /// Takes exclusive access if nobody reads, writes or waits.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.try_take(self.max_readers)?;
        Ok(RwLockWriteGuard::new(self))
    }

    /// As [`try_read`](Self::try_read), with an owned guard.
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.try_take(1)?;
        Ok(OwnedRwLockReadGuard::new(self))
    }

    /// As [`try_write`](Self::try_write), with an owned guard.
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.try_take(self.max_readers)?;
        Ok(OwnedRwLockWriteGuard { lock: self })
    }

    /// Blocks the thread until it can read, by [`block_on`](crate::future::block_on).
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::future::block_on(self.read())
    }

    /// Blocks the thread until it can write, by [`block_on`](crate::future::block_on).
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::future::block_on(self.write())
    }

    /// A mutable reference to the value; no locking is needed with `&mut self`.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    async fn wait(&self, permits: u32) {
        // The semaphore of a lock is never closed.
        let acquired = self.semaphore.acquire_raw(permits as usize).await;
        debug_assert!(acquired.is_ok());
        self.data.taken();
    }

    fn try_take(&self, permits: u32) -> Result<(), TryLockError> {
        self.semaphore
            .try_acquire_raw(permits as usize)
            .map_err(|_| TryLockError(()))?;
        self.data.taken();
        Ok(())
    }
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    fn new(lock: &'a RwLock<T>) -> Self {
        RwLockReadGuard {
            semaphore: &lock.semaphore,
            data: lock.data.get(),
            _access: PhantomData,
        }
    }
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    fn new(lock: Arc<RwLock<T>>) -> Self {
        let data = lock.data.get();
        OwnedRwLockReadGuard { lock, data }
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    fn new(lock: &'a RwLock<T>) -> Self {
        RwLockWriteGuard {
            lock,
            _access: PhantomData,
        }
    }

    /// Turns write access into read access without letting a writer in between; the readers
    /// queued first get in with it.
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let lock = ManuallyDrop::new(self).lock;
        lock.semaphore.release(lock.max_readers as usize - 1);
        RwLockReadGuard::new(lock)
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// As [`RwLockWriteGuard::downgrade`].
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let lock = super::arc_out_of(self, |guard| &guard.lock);
        lock.semaphore.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard::new(lock)
    }
}

/// `Deref` (and `DerefMut`) of a write guard to the lock's value.
macro_rules! deref_write {
    ($guard:ty) => {
        impl<T: ?Sized> Deref for $guard {
            type Target = T;

            fn deref(&self) -> &T {
                // SAFETY: the guard holds every permit.
                unsafe { &*self.lock.data.get() }
            }
        }

        impl<T: ?Sized> DerefMut for $guard {
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: the guard holds every permit, and `&mut self` proves no other
                // reference from it exists.
                unsafe { &mut *self.lock.data.get() }
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $guard {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    };
}

deref_write!(RwLockWriteGuard<'_, T>);
deref_write!(OwnedRwLockWriteGuard<T>);

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds a read permit; `data` points into the lock's value.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: as above; the `Arc` keeps the value alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(self.lock.max_readers as usize);
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}
