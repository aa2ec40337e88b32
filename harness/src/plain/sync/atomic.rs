//! Atomics: std's, with the explore facade's `named` constructors.
//!
//! Each type is a `#[repr(transparent)]` wrapper of std's, so it has std's size and
//! alignment, and each operation is std's, inlined.

use std::borrow::Cow;
use std::fmt;

pub use std::sync::atomic::{Ordering, compiler_fence, fence};

/// Methods every atomic type has, forwarded to the std type `$std` holding a `$t`.
macro_rules! atomic_common {
    ($name:ident, $std:ident, $t:ty) => {
        impl $name {
            /// Creates an atomic holding `value`.
            #[inline]
            pub const fn new(value: $t) -> $name {
                $name(std::sync::atomic::$std::new(value))
            }

            /// Creates an atomic holding `value`; the name is for traces, which this build has
            /// none of.
            #[inline]
            pub fn named(name: impl Into<Cow<'static, str>>, value: $t) -> $name {
                drop(name);
                $name::new(value)
            }

            /// Loads the value.
            #[inline]
            pub fn load(&self, order: Ordering) -> $t {
                self.0.load(order)
            }

            /// Stores `value`.
            #[inline]
            pub fn store(&self, value: $t, order: Ordering) {
                self.0.store(value, order)
            }

            /// Stores `value` and returns the previous value.
            #[inline]
            pub fn swap(&self, value: $t, order: Ordering) -> $t {
                self.0.swap(value, order)
            }

            /// Stores `new` if the value is `current`; returns the previous value, `Ok` if it
            /// was `current`.
            #[inline]
            pub fn compare_exchange(
                &self,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$t, $t> {
                self.0.compare_exchange(current, new, success, failure)
            }

            /// Like `compare_exchange`, but may fail spuriously.
            #[inline]
            pub fn compare_exchange_weak(
                &self,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$t, $t> {
                self.0.compare_exchange_weak(current, new, success, failure)
            }

            /// Applies `f` until a compare-and-exchange succeeds, as std's `fetch_update`.
            #[inline]
            pub fn fetch_update<F>(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                f: F,
            ) -> Result<$t, $t>
            where
                F: FnMut($t) -> Option<$t>,
            {
                self.0.fetch_update(set_order, fetch_order, f)
            }

            /// Applies `f` until a compare-and-exchange succeeds, as std's `try_update`.
            #[inline]
            pub fn try_update(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                f: impl FnMut($t) -> Option<$t>,
            ) -> Result<$t, $t> {
                // std's own `try_update` is newer than this crate's oldest Rust; it is this.
                self.0.fetch_update(set_order, fetch_order, f)
            }

            /// Stores what `f` makes of the value, as std's `update`; returns the previous value.
            #[inline]
            pub fn update(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                f: impl FnMut($t) -> $t,
            ) -> $t {
                let mut f = f;
                match self.0.fetch_update(set_order, fetch_order, |v| Some(f(v))) {
                    Ok(previous) | Err(previous) => previous,
                }
            }

            /// Stores `new` if the value is `current`, as std's deprecated `compare_and_swap`.
            #[inline]
            #[deprecated(note = "Use `compare_exchange` or `compare_exchange_weak` instead")]
            pub fn compare_and_swap(&self, current: $t, new: $t, order: Ordering) -> $t {
                #[allow(deprecated)]
                self.0.compare_and_swap(current, new, order)
            }

            /// Consumes the atomic and returns its value.
            #[inline]
            pub const fn into_inner(self) -> $t {
                self.0.into_inner()
            }

            /// A mutable reference to the value; `&mut self` proves no other access exists.
            #[inline]
            pub fn get_mut(&mut self) -> &mut $t {
                self.0.get_mut()
            }
        }

        impl Default for $name {
            #[inline]
            fn default() -> Self {
                $name::new(<$t>::default())
            }
        }

        impl From<$t> for $name {
            #[inline]
            fn from(value: $t) -> Self {
                $name::new(value)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

/// The bitwise operations of `AtomicBool` and the integer atomics.
macro_rules! atomic_bits {
    ($name:ident, $t:ty) => {
        impl $name {
            /// Bitwise "and" with `value`; returns the previous value.
            #[inline]
            pub fn fetch_and(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch_and(value, order)
            }

            /// Bitwise "nand" with `value`; returns the previous value.
            #[inline]
            pub fn fetch_nand(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch_nand(value, order)
            }

            /// Bitwise "or" with `value`; returns the previous value.
            #[inline]
            pub fn fetch_or(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch_or(value, order)
            }

            /// Bitwise "xor" with `value`; returns the previous value.
            #[inline]
            pub fn fetch_xor(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch_xor(value, order)
            }
        }
    };
}

/// An integer atomic type, where the target has atomics of its width (`$bits`, as in
/// `target_has_atomic`), as std has it.
macro_rules! atomic_int {
    ($name:ident, $t:ty, $bits:literal) => {
        #[doc = concat!(
                    "An integer shared between threads: [`std::sync::atomic::", stringify!($name),
                    "`], with the explore facade's `named`."
                )]
        #[cfg(target_has_atomic = $bits)]
        #[repr(transparent)]
        pub struct $name(std::sync::atomic::$name);

        #[cfg(target_has_atomic = $bits)]
        atomic_common!($name, $name, $t);
        #[cfg(target_has_atomic = $bits)]
        atomic_bits!($name, $t);

        #[cfg(target_has_atomic = $bits)]
        impl $name {
            /// Adds `value` (wrapping); returns the previous value.
            #[inline]
            pub fn fetch_add(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch_add(value, order)
            }

            /// Subtracts `value` (wrapping); returns the previous value.
            #[inline]
            pub fn fetch_sub(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch_sub(value, order)
            }

            /// Stores the maximum of the value and `value`; returns the previous value.
            #[inline]
            pub fn fetch_max(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch_max(value, order)
            }

            /// Stores the minimum of the value and `value`; returns the previous value.
            #[inline]
            pub fn fetch_min(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch_min(value, order)
            }
        }
    };
}

/// A boolean shared between threads: [`std::sync::atomic::AtomicBool`], with the explore
/// facade's `named`.
#[cfg(target_has_atomic = "8")]
#[repr(transparent)]
pub struct AtomicBool(std::sync::atomic::AtomicBool);

#[cfg(target_has_atomic = "8")]
atomic_common!(AtomicBool, AtomicBool, bool);
#[cfg(target_has_atomic = "8")]
atomic_bits!(AtomicBool, bool);

#[cfg(target_has_atomic = "8")]
impl AtomicBool {
    /// Negates the value; returns the previous value.
    #[inline]
    pub fn fetch_not(&self, order: Ordering) -> bool {
        self.0.fetch_not(order)
    }
}

atomic_int!(AtomicU8, u8, "8");
atomic_int!(AtomicI8, i8, "8");
atomic_int!(AtomicU16, u16, "16");
atomic_int!(AtomicI16, i16, "16");
atomic_int!(AtomicU32, u32, "32");
atomic_int!(AtomicI32, i32, "32");
atomic_int!(AtomicU64, u64, "64");
atomic_int!(AtomicI64, i64, "64");
atomic_int!(AtomicUsize, usize, "ptr");
atomic_int!(AtomicIsize, isize, "ptr");

/// A raw pointer shared between threads: [`std::sync::atomic::AtomicPtr`], with the explore
/// facade's `named`.
#[cfg(target_has_atomic = "ptr")]
#[repr(transparent)]
pub struct AtomicPtr<T>(std::sync::atomic::AtomicPtr<T>);

#[cfg(target_has_atomic = "ptr")]
impl<T> AtomicPtr<T> {
    /// Creates an atomic holding `ptr`.
    #[inline]
    pub const fn new(ptr: *mut T) -> AtomicPtr<T> {
        AtomicPtr(std::sync::atomic::AtomicPtr::new(ptr))
    }

    /// Creates an atomic holding `ptr`; the name is for traces, which this build has none of.
    #[inline]
    pub fn named(name: impl Into<Cow<'static, str>>, ptr: *mut T) -> AtomicPtr<T> {
        drop(name);
        AtomicPtr::new(ptr)
    }

    /// Loads the pointer.
    #[inline]
    pub fn load(&self, order: Ordering) -> *mut T {
        self.0.load(order)
    }

    /// Stores `ptr`.
    #[inline]
    pub fn store(&self, ptr: *mut T, order: Ordering) {
        self.0.store(ptr, order)
    }

    /// Stores `ptr` and returns the previous pointer.
    #[inline]
    pub fn swap(&self, ptr: *mut T, order: Ordering) -> *mut T {
        self.0.swap(ptr, order)
    }

    /// Stores `new` if the pointer is `current`; returns the previous pointer, `Ok` if it was
    /// `current`.
    #[inline]
    pub fn compare_exchange(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.0.compare_exchange(current, new, success, failure)
    }

    /// Like `compare_exchange`, but may fail spuriously.
    #[inline]
    pub fn compare_exchange_weak(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.0.compare_exchange_weak(current, new, success, failure)
    }

    /// Applies `f` until a compare-and-exchange succeeds, as std's `fetch_update`.
    #[inline]
    pub fn fetch_update<F>(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        f: F,
    ) -> Result<*mut T, *mut T>
    where
        F: FnMut(*mut T) -> Option<*mut T>,
    {
        self.0.fetch_update(set_order, fetch_order, f)
    }

    /// Applies `f` until a compare-and-exchange succeeds, as std's `try_update`.
    #[inline]
    pub fn try_update(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        f: impl FnMut(*mut T) -> Option<*mut T>,
    ) -> Result<*mut T, *mut T> {
        // std's own `try_update` is newer than this crate's oldest Rust; it is this.
        self.0.fetch_update(set_order, fetch_order, f)
    }

    /// Stores what `f` makes of the pointer, as std's `update`; returns the previous one.
    #[inline]
    pub fn update(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        f: impl FnMut(*mut T) -> *mut T,
    ) -> *mut T {
        let mut f = f;
        match self.0.fetch_update(set_order, fetch_order, |p| Some(f(p))) {
            Ok(previous) | Err(previous) => previous,
        }
    }

    /// Stores `new` if the pointer is `current`, as std's deprecated `compare_and_swap`.
    #[inline]
    #[deprecated(note = "Use `compare_exchange` or `compare_exchange_weak` instead")]
    pub fn compare_and_swap(&self, current: *mut T, new: *mut T, order: Ordering) -> *mut T {
        #[allow(deprecated)]
        self.0.compare_and_swap(current, new, order)
    }

    /// A read-modify-write of the pointer as one exchange loop: std's own pointer arithmetic
    /// (`fetch_ptr_add`, ...) is newer than this crate's oldest Rust.
    #[inline]
    fn rmw(&self, order: Ordering, f: impl Fn(*mut T) -> *mut T) -> *mut T {
        let load = match order {
            Ordering::Release | Ordering::Relaxed => Ordering::Relaxed,
            Ordering::AcqRel | Ordering::Acquire => Ordering::Acquire,
            _ => Ordering::SeqCst,
        };
        match self.0.fetch_update(order, load, |p| Some(f(p))) {
            Ok(previous) | Err(previous) => previous,
        }
    }

    /// Offsets the pointer by `count` elements (wrapping); returns the previous pointer.
    #[inline]
    pub fn fetch_ptr_add(&self, count: usize, order: Ordering) -> *mut T {
        self.rmw(order, |p| p.wrapping_add(count))
    }

    /// Offsets the pointer back by `count` elements (wrapping); returns the previous pointer.
    #[inline]
    pub fn fetch_ptr_sub(&self, count: usize, order: Ordering) -> *mut T {
        self.rmw(order, |p| p.wrapping_sub(count))
    }

    /// Offsets the pointer by `bytes` bytes (wrapping); returns the previous pointer.
    #[inline]
    pub fn fetch_byte_add(&self, bytes: usize, order: Ordering) -> *mut T {
        self.rmw(order, |p| p.wrapping_byte_add(bytes))
    }

    /// Offsets the pointer back by `bytes` bytes (wrapping); returns the previous pointer.
    #[inline]
    pub fn fetch_byte_sub(&self, bytes: usize, order: Ordering) -> *mut T {
        self.rmw(order, |p| p.wrapping_byte_sub(bytes))
    }

    /// Bitwise "or" of the address with `value`; returns the previous pointer.
    #[inline]
    pub fn fetch_or(&self, value: usize, order: Ordering) -> *mut T {
        self.rmw(order, |p| p.map_addr(|a| a | value))
    }

    /// Bitwise "and" of the address with `value`; returns the previous pointer.
    #[inline]
    pub fn fetch_and(&self, value: usize, order: Ordering) -> *mut T {
        self.rmw(order, |p| p.map_addr(|a| a & value))
    }

    /// Bitwise "xor" of the address with `value`; returns the previous pointer.
    #[inline]
    pub fn fetch_xor(&self, value: usize, order: Ordering) -> *mut T {
        self.rmw(order, |p| p.map_addr(|a| a ^ value))
    }

    /// Consumes the atomic and returns its pointer.
    #[inline]
    pub const fn into_inner(self) -> *mut T {
        self.0.into_inner()
    }

    /// A mutable reference to the pointer; `&mut self` proves no other access exists.
    #[inline]
    pub fn get_mut(&mut self) -> &mut *mut T {
        self.0.get_mut()
    }
}

#[cfg(target_has_atomic = "ptr")]
impl<T> Default for AtomicPtr<T> {
    #[inline]
    fn default() -> Self {
        AtomicPtr::new(std::ptr::null_mut())
    }
}

#[cfg(target_has_atomic = "ptr")]
impl<T> From<*mut T> for AtomicPtr<T> {
    #[inline]
    fn from(ptr: *mut T) -> Self {
        AtomicPtr::new(ptr)
    }
}

#[cfg(target_has_atomic = "ptr")]
impl<T> fmt::Debug for AtomicPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(target_has_atomic = "ptr")]
impl<T> fmt::Pointer for AtomicPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&self.0, f)
    }
}
