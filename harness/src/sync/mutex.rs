use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

use crate::rt::race::{self, SyncClock};
use crate::rt::{self, Bound, ObjKind, Op, RawMutex, Site, Slot};

/// A mutual exclusion lock, as [`std::sync::Mutex`].
///
/// Poisoning works as in std: a guard dropped while its thread panics poisons the mutex, and
/// later `lock` calls return `Err` holding the guard.
pub struct Mutex<T: ?Sized> {
    pub(crate) slot: Slot<Box<dyn RawMutex>>,
    /// `Mutex` or `PiMutex`.
    kind: ObjKind,
    /// What an unlock releases and the next lock acquires (race detection).
    pub(crate) clock: SyncClock,
    poisoned: AtomicBool,
    data: UnsafeCell<T>,
}

// SAFETY: as std's: the lock hands out access to `T` to one thread at a time.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`. A `const fn`, as std's: a `static` mutex
    /// starts every execution of an exploration holding `value` again.
    #[track_caller]
    pub const fn new(value: T) -> Mutex<T> {
        Self::make_kind(ObjKind::Mutex, None, value)
    }

    /// Creates a mutex that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> Mutex<T> {
        Self::make_kind(ObjKind::Mutex, Some(name.into()), value)
    }

    #[track_caller]
    pub(crate) const fn make_kind(
        kind: ObjKind,
        name: Option<Cow<'static, str>>,
        value: T,
    ) -> Mutex<T> {
        Mutex {
            slot: Slot::new(Location::caller(), name),
            kind,
            clock: SyncClock::new(),
            poisoned: AtomicBool::new(false),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns its value; `Err` if it is poisoned.
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

impl<T: ?Sized> Mutex<T> {
    /// This mutex's engine object in the running context (made at its first use there).
    #[inline]
    pub(crate) fn bound(&self) -> &Bound<Box<dyn RawMutex>> {
        self.slot.get(
            self.kind,
            |b| b.new_mutex(),
            |fresh| {
                self.clock.clear();
                self.poisoned.store(false, Ordering::Relaxed);
                if self.kind == ObjKind::PiMutex {
                    rt::inherit_priority(fresh.obj);
                }
                // SAFETY: the mutex is being bound: no thread of this context holds it.
                unsafe { fresh.data(self.data.get()) };
            },
        )
    }

    /// Blocks until the lock is free, then takes it.
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let site = Location::caller();
        let bound = self.bound();
        rt::lock(
            bound.obj,
            site,
            Op::Lock,
            || bound.raw.lock(),
            |thread| race::acquire_by(thread, &self.clock),
        );
        self.guard(site)
    }

    /// Takes the lock if it is free.
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let site = Location::caller();
        let bound = self.bound();
        // The bookkeeping runs after `op`, which restores the running thread (see `RawMutex`).
        if rt::op(
            bound.obj,
            site,
            || bound.raw.try_lock(),
            |&ok| Op::TryLock { ok },
        ) {
            rt::lock_acquired(bound.obj, site);
            race::acquire(&self.clock);
            self.guard(site).map_err(TryLockError::Poisoned)
        } else {
            Err(TryLockError::WouldBlock)
        }
    }

    /// Whether a thread panicked while holding the lock.
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

    /// Wraps the lock this thread now holds in a guard; `Err` if poisoned.
    pub(crate) fn guard(&self, site: Site) -> LockResult<MutexGuard<'_, T>> {
        let guard = MutexGuard {
            lock: self,
            panicking: crate::rt::panicking(),
            site,
            _not_send: PhantomData,
        };
        if self.is_poisoned() {
            Err(PoisonError::new(guard))
        } else {
            Ok(guard)
        }
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
            Err(TryLockError::Poisoned(guard)) => d.field("data", &&*guard.into_inner()),
            Err(TryLockError::WouldBlock) => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.is_poisoned())
            .finish_non_exhaustive()
    }
}

/// Access to the value of a locked [`Mutex`]; unlocks when dropped.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    pub(crate) lock: &'a Mutex<T>,
    /// Whether the thread was already panicking when it took the lock: only a panic that
    /// starts while the guard is held poisons.
    panicking: bool,
    pub(crate) site: Site,
    /// Like std's guard, this one must be dropped by the thread that locked.
    _not_send: PhantomData<*const ()>,
}

// SAFETY: as std's guard: sharing `&MutexGuard` shares only `&T`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> MutexGuard<'_, T> {
    /// Poisons the mutex if a panic started while this guard was held.
    pub(crate) fn poison_if_panicking(&self) {
        if !self.panicking && crate::rt::panicking() {
            self.lock.poisoned.store(true, Ordering::Relaxed);
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard proves this thread holds the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves this thread holds the lock, and `&mut self` that no other
        // reference from this guard exists.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.poison_if_panicking();
        // Always released, even while a failed execution unwinds: other unwinding threads may
        // need the lock for their destructors (the loom backend ignores the call when loom
        // cannot take it).
        let bound = self.lock.bound();
        rt::unlock(
            bound.obj,
            self.site,
            Op::Unlock,
            |thread| race::release_by(thread, &self.lock.clock, false),
            || bound.raw.unlock(),
        );
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
