//! [`Mutex`] and [`PiMutex`]: std's mutex under two names.

use std::borrow::Cow;
use std::fmt;
use std::sync::{LockResult, MutexGuard, TryLockResult};

/// Generates a wrapper of `std::sync::Mutex` with the explore facade's API.
macro_rules! mutex {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[repr(transparent)]
        pub struct $name<T: ?Sized>(std::sync::Mutex<T>);

        impl<T> $name<T> {
            /// Creates an unlocked mutex holding `value`.
            #[inline]
            pub const fn new(value: T) -> $name<T> {
                $name(std::sync::Mutex::new(value))
            }

            /// Creates an unlocked mutex holding `value`; the name is for traces, which this
            /// build has none of.
            #[inline]
            pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> $name<T> {
                drop(name);
                $name::new(value)
            }

            /// Consumes the mutex and returns its value; `Err` if it is poisoned.
            #[inline]
            pub fn into_inner(self) -> LockResult<T> {
                self.0.into_inner()
            }
        }

        impl<T: ?Sized> $name<T> {
            /// Locks the mutex, blocking until it is free; `Err` if it is poisoned.
            #[inline]
            pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
                self.0.lock()
            }

            /// Locks the mutex if it is free.
            #[inline]
            pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
                self.0.try_lock()
            }

            /// Whether a thread panicked while holding the lock.
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

        impl<T: Default> Default for $name<T> {
            #[inline]
            fn default() -> Self {
                $name::new(T::default())
            }
        }

        impl<T> From<T> for $name<T> {
            #[inline]
            fn from(value: T) -> Self {
                $name::new(value)
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

mutex!(
    /// A mutual-exclusion lock: [`std::sync::Mutex`], with the explore facade's `named`.
    Mutex
);

mutex!(
    /// The explore facade's priority-inheritance mutex, which the priority engine models; std
    /// has no priority inheritance, so here it is [`std::sync::Mutex`], as [`Mutex`] is.
    PiMutex
);
