//! `loom::sync::atomic`: tapestry's atomics, with loom's `with_mut` and `unsync_load`.
//!
//! Each type dereferences to tapestry's, which has std's methods.

use std::ops::{Deref, DerefMut};

pub use tapestry::sync::atomic::{Ordering, fence};

/// A spin-loop hint, as loom's: lets another thread run.
pub fn spin_loop_hint() {
    tapestry::hint::spin_loop();
}

macro_rules! atomics {
    ($($name:ident($t:ty)),* $(,)?) => {$(
        #[doc = concat!("loom's `", stringify!($name), "`: tapestry's, with loom's methods.")]
        #[derive(Debug, Default)]
        pub struct $name(tapestry::sync::atomic::$name);

        impl $name {
            #[track_caller]
            pub const fn new(value: $t) -> $name {
                $name(tapestry::sync::atomic::$name::new(value))
            }

            /// Runs `f` with the value, through `&mut self` (no other thread can see it).
            pub fn with_mut<R>(&mut self, f: impl FnOnce(&mut $t) -> R) -> R {
                f(self.0.get_mut())
            }

            /// Reads the value without synchronising: here a `Relaxed` load.
            ///
            /// # Safety
            /// As loom's: no store may be concurrent with it.
            pub unsafe fn unsync_load(&self) -> $t {
                self.0.load(Ordering::Relaxed)
            }

            pub fn into_inner(self) -> $t {
                self.0.into_inner()
            }

            /// As std's deprecated `compare_and_swap`, which loom's keeps undeprecated.
            #[track_caller]
            #[allow(deprecated)]
            pub fn compare_and_swap(&self, current: $t, new: $t, order: Ordering) -> $t {
                self.0.compare_and_swap(current, new, order)
            }
        }

        impl Deref for $name {
            type Target = tapestry::sync::atomic::$name;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl From<$t> for $name {
            fn from(value: $t) -> $name {
                $name::new(value)
            }
        }
    )*};
}

atomics!(
    AtomicBool(bool),
    AtomicU8(u8),
    AtomicU16(u16),
    AtomicU32(u32),
    AtomicU64(u64),
    AtomicUsize(usize),
    AtomicI8(i8),
    AtomicI16(i16),
    AtomicI32(i32),
    AtomicI64(i64),
    AtomicIsize(isize),
);

/// loom's `AtomicPtr`: tapestry's, with loom's methods.
#[derive(Debug, Default)]
pub struct AtomicPtr<T>(tapestry::sync::atomic::AtomicPtr<T>);

impl<T> AtomicPtr<T> {
    #[track_caller]
    pub const fn new(value: *mut T) -> AtomicPtr<T> {
        AtomicPtr(tapestry::sync::atomic::AtomicPtr::new(value))
    }

    /// Runs `f` with the pointer, through `&mut self`.
    pub fn with_mut<R>(&mut self, f: impl FnOnce(&mut *mut T) -> R) -> R {
        f(self.0.get_mut())
    }

    /// Reads the pointer without synchronising: here a `Relaxed` load.
    ///
    /// # Safety
    /// As loom's: no store may be concurrent with it.
    pub unsafe fn unsync_load(&self) -> *mut T {
        self.0.load(Ordering::Relaxed)
    }

    pub fn into_inner(self) -> *mut T {
        self.0.into_inner()
    }

    /// As std's deprecated `compare_and_swap`, which loom's keeps undeprecated.
    #[track_caller]
    #[allow(deprecated)]
    pub fn compare_and_swap(&self, current: *mut T, new: *mut T, order: Ordering) -> *mut T {
        self.0.compare_and_swap(current, new, order)
    }
}

impl<T> Deref for AtomicPtr<T> {
    type Target = tapestry::sync::atomic::AtomicPtr<T>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<T> DerefMut for AtomicPtr<T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}
