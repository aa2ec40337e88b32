use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

use crate::rt::race::{self, SyncClock};
use crate::rt::{self, Bound, ObjKind, Op, RawRwLock, Site, Slot};

/// A reader-writer lock, as [`std::sync::RwLock`]: many readers or one writer.
///
/// A writer that panics poisons the lock, as in std.
pub struct RwLock<T: ?Sized> {
    slot: Slot<Box<dyn RawRwLock>>,
    /// What a write unlock releases (race detection).
    clock: SyncClock,
    /// What read unlocks release, for the next writer.
    read_clock: SyncClock,
    poisoned: AtomicBool,
    data: UnsafeCell<T>,
}

// SAFETY: as std's: writers get exclusive access, readers shared access (hence `T: Sync`).
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`. A `const fn`, as std's: a `static` lock
    /// starts every execution of an exploration holding `value` again.
    #[track_caller]
    pub const fn new(value: T) -> RwLock<T> {
        Self::make(None, value)
    }

    /// Creates a lock that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> RwLock<T> {
        Self::make(Some(name.into()), value)
    }

    #[track_caller]
    const fn make(name: Option<Cow<'static, str>>, value: T) -> RwLock<T> {
        RwLock {
            slot: Slot::new(Location::caller(), name),
            clock: SyncClock::new(),
            read_clock: SyncClock::new(),
            poisoned: AtomicBool::new(false),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns its value; `Err` if it is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.is_poisoned();
        let value = self.data.into_inner();
        if poisoned {
            Err(PoisonError::new(value))
        } else {
            Ok(value)
        }
    }
}

impl<T: ?Sized> RwLock<T> {
    /// This lock's engine object in the running context (made at its first use there).
    #[inline]
    fn bound(&self) -> &Bound<Box<dyn RawRwLock>> {
        self.slot.get(
            ObjKind::RwLock,
            |b| b.new_rwlock(),
            |fresh| {
                self.clock.clear();
                self.read_clock.clear();
                self.poisoned.store(false, Ordering::Relaxed);
                // SAFETY: the lock is being bound: no thread of this context holds it.
                unsafe { fresh.data(self.data.get()) };
            },
        )
    }

    /// Blocks until no writer holds the lock, then takes a read lock.
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let site = Location::caller();
        let bound = self.bound();
        rt::lock(
            bound.obj,
            site,
            Op::Read,
            || bound.raw.read(),
            |thread| race::acquire_by(thread, &self.clock),
        );
        self.poisoned(RwLockReadGuard {
            lock: self,
            site,
            _not_send: PhantomData,
        })
    }

    /// Takes a read lock if no writer holds the lock.
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let site = Location::caller();
        let bound = self.bound();
        if rt::op(
            bound.obj,
            site,
            || bound.raw.try_read() && self.acquired_read() && self.holds(site),
            |&ok| Op::TryRead { ok },
        ) {
            self.poisoned(RwLockReadGuard {
                lock: self,
                site,
                _not_send: PhantomData,
            })
            .map_err(TryLockError::Poisoned)
        } else {
            Err(TryLockError::WouldBlock)
        }
    }

    /// Blocks until the lock is free, then takes the write lock.
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let site = Location::caller();
        let bound = self.bound();
        rt::lock(
            bound.obj,
            site,
            Op::Write,
            || bound.raw.write(),
            |thread| {
                // A writer learns what the last writer and every reader since released.
                race::acquire_by(thread, &self.clock);
                race::acquire_by(thread, &self.read_clock);
            },
        );
        self.poisoned(self.write_guard(site))
    }

    /// Takes the write lock if the lock is free.
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let site = Location::caller();
        let bound = self.bound();
        if rt::op(
            bound.obj,
            site,
            || bound.raw.try_write() && self.acquired_write() && self.holds(site),
            |&ok| Op::TryWrite { ok },
        ) {
            self.poisoned(self.write_guard(site))
                .map_err(TryLockError::Poisoned)
        } else {
            Err(TryLockError::WouldBlock)
        }
    }

    /// Whether a writer panicked while holding the lock.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Relaxed)
    }

    /// Clears the poisoned state.
    pub fn clear_poison(&self) {
        self.poisoned.store(false, Ordering::Relaxed);
    }

    /// A mutable reference to the value; no locking is needed with `&mut self`.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let poisoned = self.is_poisoned();
        let value = self.data.get_mut();
        if poisoned {
            Err(PoisonError::new(value))
        } else {
            Ok(value)
        }
    }

    /// The running thread holds the lock now (lock-order bookkeeping); `true` for `&&` chains.
    fn holds(&self, site: Site) -> bool {
        rt::lock_acquired(self.bound().obj, site);
        true
    }

    /// A reader learns what the last writer released; returns `true` for `&&` chains.
    fn acquired_read(&self) -> bool {
        race::acquire(&self.clock);
        true
    }

    /// A writer learns what the last writer and every reader since released.
    fn acquired_write(&self) -> bool {
        race::acquire(&self.clock);
        race::acquire(&self.read_clock);
        true
    }

    fn write_guard(&self, site: Site) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard {
            lock: self,
            panicking: crate::rt::panicking(),
            site,
            _not_send: PhantomData,
        }
    }

    fn poisoned<G>(&self, guard: G) -> LockResult<G> {
        if self.is_poisoned() {
            Err(PoisonError::new(guard))
        } else {
            Ok(guard)
        }
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
            Err(TryLockError::Poisoned(guard)) => d.field("data", &&*guard.into_inner()),
            Err(TryLockError::WouldBlock) => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.is_poisoned())
            .finish_non_exhaustive()
    }
}

/// Shared access to the value of a read-locked [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    lock: &'a RwLock<T>,
    site: Site,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing the guard shares only `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a read lock is held: no writer exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        // Always released, even while a failed execution unwinds: other unwinding threads may
        // need the lock for their destructors (the loom backend ignores the call when loom
        // cannot take it).
        let bound = self.lock.bound();
        rt::unlock(
            bound.obj,
            self.site,
            Op::ReadUnlock,
            |thread| race::release_by(thread, &self.lock.read_clock, true),
            || bound.raw.unlock_read(),
        );
    }
}

/// Exclusive access to the value of a write-locked [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    lock: &'a RwLock<T>,
    panicking: bool,
    site: Site,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing the guard shares only `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the write lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write lock is held, and `&mut self` rules out other references.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        if !self.panicking && crate::rt::panicking() {
            self.lock.poisoned.store(true, Ordering::Relaxed);
        }
        // Always released, even while a failed execution unwinds: other unwinding threads may
        // need the lock for their destructors (the loom backend ignores the call when loom
        // cannot take it).
        let bound = self.lock.bound();
        rt::unlock(
            bound.obj,
            self.site,
            Op::WriteUnlock,
            |thread| race::release_by(thread, &self.lock.clock, false),
            || bound.raw.unlock_write(),
        );
    }
}

macro_rules! forward_fmt {
    ($($guard:ident),*) => {$(
        impl<T: ?Sized + fmt::Debug> fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<T: ?Sized + fmt::Display> fmt::Display for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    )*};
}

forward_fmt!(RwLockReadGuard, RwLockWriteGuard);
