//! The value a lock built on other facade objects guards (the tokio-shaped `Mutex` and
//! `RwLock`, behind a semaphore). A `static` lock (`Mutex::const_new`) holds its initial value
//! again at the start of every execution, as the facade's own locks do (see `rt::slot`): the
//! objects in front of it start over by themselves, and this puts the value back when the lock
//! is first taken in an execution.

use std::cell::UnsafeCell;
use std::panic::Location;

use crate::rt::Slot;

pub(crate) struct GuardedData<T: ?Sized> {
    /// Bound in each context that takes the lock; for a `static`, the value's pristine bytes.
    slot: Slot<()>,
    value: UnsafeCell<T>,
}

impl<T> GuardedData<T> {
    #[track_caller]
    pub(crate) const fn new(value: T) -> GuardedData<T> {
        GuardedData {
            slot: Slot::new(Location::caller(), None),
            value: UnsafeCell::new(value),
        }
    }

    pub(crate) fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> GuardedData<T> {
    /// The lock was just taken (a read or a write lock): the value is made ready for the
    /// running execution before anyone reaches it.
    #[inline]
    pub(crate) fn taken(&self) {
        // SAFETY: the caller holds the lock and every other holder in this context passes
        // here first (and waits for the binding), so no one touches the value now; it is the
        // same value at every binding.
        self.slot
            .refresh(|fresh| unsafe { fresh.data(self.value.get()) });
    }

    /// The value; reached only by the lock's holders.
    pub(crate) fn get(&self) -> *mut T {
        self.value.get()
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}
