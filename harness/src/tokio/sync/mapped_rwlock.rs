//! The `map` and `try_map` of `RwLock`'s guards, as tokio's: a read guard maps to a read
//! guard of a part of the value, a write guard to a mapped write guard; each holds its permits
//! until it is dropped.

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::rwlock::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use super::{Semaphore, arc_out_of, picked};

/// A [`RwLockWriteGuard`] mapped to a part of the value
/// (`tokio::sync::RwLockMappedWriteGuard`); unlocks when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    semaphore: &'a Semaphore,
    /// Every permit of the lock.
    permits: u32,
    data: *mut T,
    _access: PhantomData<&'a mut T>,
}

/// An [`OwnedRwLockWriteGuard`] mapped to a part `U` of the value
/// (`tokio::sync::OwnedRwLockMappedWriteGuard`); unlocks when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *mut U,
}

// SAFETY: the guard holds every permit and gives `&mut T` to its holder alone, as a
// `RwLockWriteGuard` does.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: sharing the guard shares `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: as above; the `Arc` keeps the lock, which holds `T`, alive.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send
    for OwnedRwLockMappedWriteGuard<T, U>
{
}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync
    for OwnedRwLockMappedWriteGuard<T, U>
{
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// A read guard of the part of the value `f` picks, holding the read permit on.
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        picked(Self::try_map(this, |value| Some(f(value))))
    }

    /// As [`map`](Self::map) when `f` picks a part; the guard back if it picks none.
    pub fn try_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let Some(data) = f(&*this).map(|part| part as *const U) else {
            return Err(this);
        };
        let this = ManuallyDrop::new(this);
        Ok(RwLockReadGuard {
            semaphore: this.semaphore,
            data,
            _access: PhantomData,
        })
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// As [`RwLockReadGuard::map`], keeping the lock alive through the guard's `Arc`.
    pub fn map<F, V: ?Sized>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        picked(Self::try_map(this, |value| Some(f(value))))
    }

    /// As [`RwLockReadGuard::try_map`].
    pub fn try_map<F, V: ?Sized>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let Some(data) = f(&*this).map(|part| part as *const V) else {
            return Err(this);
        };
        Ok(OwnedRwLockReadGuard {
            lock: arc_out_of(this, |guard| &guard.lock),
            data,
        })
    }

    /// The lock this guard reads.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// A guard of the part of the value `f` picks, holding the write access on.
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        picked(Self::try_map(this, |value| Some(f(value))))
    }

    /// As [`map`](Self::map) when `f` picks a part; the guard back if it picks none.
    pub fn try_map<F, U: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|part| part as *mut U) else {
            return Err(this);
        };
        let lock = ManuallyDrop::new(this).lock;
        Ok(RwLockMappedWriteGuard {
            semaphore: &lock.semaphore,
            permits: lock.max_readers,
            data,
            _access: PhantomData,
        })
    }

    /// Turns write access into read access of the part `f` picks, as
    /// [`downgrade`](Self::downgrade) does (no writer gets in between).
    pub fn downgrade_map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        picked(Self::try_downgrade_map(this, |value| Some(f(value))))
    }

    /// As [`downgrade_map`](Self::downgrade_map) when `f` picks a part; the guard back,
    /// still writing, if it picks none.
    pub fn try_downgrade_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let Some(data) = f(&*this).map(|part| part as *const U) else {
            return Err(this);
        };
        let lock = ManuallyDrop::new(this).lock;
        lock.semaphore.release(lock.max_readers as usize - 1);
        Ok(RwLockReadGuard {
            semaphore: &lock.semaphore,
            data,
            _access: PhantomData,
        })
    }
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// As [`RwLockWriteGuard::map`].
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        picked(Self::try_map(this, |value| Some(f(value))))
    }

    /// As [`RwLockWriteGuard::try_map`].
    pub fn try_map<F, U: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|part| part as *mut U) else {
            return Err(this);
        };
        let this = ManuallyDrop::new(this);
        Ok(RwLockMappedWriteGuard {
            semaphore: this.semaphore,
            permits: this.permits,
            data,
            _access: PhantomData,
        })
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// As [`RwLockWriteGuard::map`], keeping the lock alive through the guard's `Arc`.
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        picked(Self::try_map(this, |value| Some(f(value))))
    }

    /// As [`RwLockWriteGuard::try_map`].
    pub fn try_map<F, U: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|part| part as *mut U) else {
            return Err(this);
        };
        Ok(OwnedRwLockMappedWriteGuard {
            lock: arc_out_of(this, |guard| &guard.lock),
            data,
        })
    }

    /// As [`RwLockWriteGuard::downgrade_map`].
    pub fn downgrade_map<F, U: ?Sized>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        picked(Self::try_downgrade_map(this, |value| Some(f(value))))
    }

    /// As [`RwLockWriteGuard::try_downgrade_map`].
    pub fn try_downgrade_map<F, U: ?Sized>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let Some(data) = f(&*this).map(|part| part as *const U) else {
            return Err(this);
        };
        let lock = arc_out_of(this, |guard| &guard.lock);
        lock.semaphore.release(lock.max_readers as usize - 1);
        Ok(OwnedRwLockReadGuard { lock, data })
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// As [`RwLockWriteGuard::map`].
    pub fn map<F, V: ?Sized>(this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        picked(Self::try_map(this, |value| Some(f(value))))
    }

    /// As [`RwLockWriteGuard::try_map`].
    pub fn try_map<F, V: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let Some(data) = f(&mut *this).map(|part| part as *mut V) else {
            return Err(this);
        };
        Ok(OwnedRwLockMappedWriteGuard {
            lock: arc_out_of(this, |guard| &guard.lock),
            data,
        })
    }

    /// The lock this guard writes.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit; `data` points into the lock's value.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and `&mut self` proves no other reference from this guard exists.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: as above; the `Arc` keeps the value alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as above.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
