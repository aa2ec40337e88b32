//! [`AtomicPtr`]: a pointer shared between threads.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::ptr;

use super::{Atomic, Ordering};
use crate::rt::{RmwOp, load_part};

/// A raw pointer shared between threads, as [`std::sync::atomic::AtomicPtr`].
///
/// Engines see the pointer's address (its provenance is exposed on the way in and taken back
/// on the way out, so a loaded pointer may be dereferenced as std's would be). Traces show
/// addresses as `null` or `ptr#1`, `ptr#2`, ... in the order the trace meets them, since
/// addresses change from run to run and a trace must not. The exhaustive engine (loom)
/// explores the reorderings weak orderings allow around it: a pointer published with
/// `Relaxed` and read through with `Relaxed` is a data race it finds, as in std.
pub struct AtomicPtr<T> {
    inner: Atomic,
    _type: PhantomData<*mut T>,
}

// SAFETY: as std's `AtomicPtr`: the pointer is only ever moved between threads atomically;
// what it points to is the program's to synchronise.
unsafe impl<T> Send for AtomicPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for AtomicPtr<T> {}
// As std's: an atomic is never left half-updated by a panic.
impl<T> RefUnwindSafe for AtomicPtr<T> {}
impl<T> UnwindSafe for AtomicPtr<T> {}

impl<T> AtomicPtr<T> {
    /// Creates an atomic holding `value`. A `const fn`, as std's: a `static` atomic holds
    /// `value` again at the start of every execution of an exploration.
    #[track_caller]
    pub const fn new(value: *mut T) -> AtomicPtr<T> {
        AtomicPtr {
            inner: Atomic::new_ptr(value.cast_const().cast(), None),
            _type: PhantomData,
        }
    }

    /// Creates an atomic that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, value: *mut T) -> AtomicPtr<T> {
        Self::make(Some(name.into()), value)
    }

    #[track_caller]
    fn make(name: Option<Cow<'static, str>>, value: *mut T) -> AtomicPtr<T> {
        AtomicPtr {
            inner: Atomic::new_ptr(value.cast_const().cast(), name),
            _type: PhantomData,
        }
    }

    /// A mutable reference to the pointer: `&mut self` proves no other thread can reach it,
    /// so using it is no operation of the exploration.
    pub fn get_mut(&mut self) -> &mut *mut T {
        self.inner.get_mut()
    }

    /// Consumes the atomic and returns the pointer (no operation of the exploration).
    pub fn into_inner(self) -> *mut T {
        self.inner.into_inner()
    }

    /// A pointer to the pointer, as std's `as_ptr`: outside explorations and under the stress
    /// engine; under a model engine the execution fails as
    /// [`Unsupported`](crate::FailureKind::Unsupported) (see the module docs).
    #[track_caller]
    pub fn as_ptr(&self) -> *mut *mut T {
        self.inner.as_ptr("AtomicPtr")
    }

    /// Loads the pointer.
    #[track_caller]
    pub fn load(&self, order: Ordering) -> *mut T {
        self.inner.load(order)
    }

    /// Stores `value`.
    #[track_caller]
    pub fn store(&self, value: *mut T, order: Ordering) {
        self.inner.store(value, order)
    }

    /// Stores `value` and returns the previous pointer.
    #[track_caller]
    pub fn swap(&self, value: *mut T, order: Ordering) -> *mut T {
        self.inner.swap(value, order)
    }

    /// Stores `new` if the pointer is `current`; returns the previous pointer either way.
    #[deprecated(note = "deprecated in std since 1.50.0: use `compare_exchange` or \
                         `compare_exchange_weak` instead")]
    #[track_caller]
    pub fn compare_and_swap(&self, current: *mut T, new: *mut T, order: Ordering) -> *mut T {
        match self
            .inner
            .compare_exchange(current, new, order, load_part(order), false)
        {
            Ok(previous) | Err(previous) => previous,
        }
    }

    /// Stores `new` if the pointer is `current`; returns the previous pointer, `Ok` if it was
    /// `current`.
    #[track_caller]
    pub fn compare_exchange(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.inner
            .compare_exchange(current, new, success, failure, false)
    }

    /// Like `compare_exchange`, but may fail spuriously (under engines that model it).
    #[track_caller]
    pub fn compare_exchange_weak(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.inner
            .compare_exchange(current, new, success, failure, true)
    }

    /// Applies `f` until a compare-and-exchange succeeds, as std's `fetch_update`.
    #[track_caller]
    pub fn fetch_update<F>(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        f: F,
    ) -> Result<*mut T, *mut T>
    where
        F: FnMut(*mut T) -> Option<*mut T>,
    {
        self.inner.fetch_update(set_order, fetch_order, f)
    }

    /// std's newer name of [`fetch_update`](Self::fetch_update).
    #[track_caller]
    pub fn try_update(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        f: impl FnMut(*mut T) -> Option<*mut T>,
    ) -> Result<*mut T, *mut T> {
        self.inner.fetch_update(set_order, fetch_order, f)
    }

    /// Applies `f` until a compare-and-exchange succeeds; returns the previous pointer.
    #[track_caller]
    pub fn update(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        mut f: impl FnMut(*mut T) -> *mut T,
    ) -> *mut T {
        let result = self
            .inner
            .fetch_update(set_order, fetch_order, |p| Some(f(p)));
        result.unwrap_or_else(|previous| previous)
    }

    /// Moves the pointer `val` elements of `T` forward (wrapping); returns the previous
    /// pointer.
    #[track_caller]
    pub fn fetch_ptr_add(&self, val: usize, order: Ordering) -> *mut T {
        self.fetch_byte_add(val.wrapping_mul(size_of::<T>()), order)
    }

    /// Moves the pointer `val` elements of `T` back (wrapping); returns the previous pointer.
    #[track_caller]
    pub fn fetch_ptr_sub(&self, val: usize, order: Ordering) -> *mut T {
        self.fetch_byte_sub(val.wrapping_mul(size_of::<T>()), order)
    }

    /// Moves the pointer `val` bytes forward (wrapping); returns the previous pointer.
    #[track_caller]
    pub fn fetch_byte_add(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwOp::Add, val, order)
    }

    /// Moves the pointer `val` bytes back (wrapping); returns the previous pointer.
    #[track_caller]
    pub fn fetch_byte_sub(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwOp::Sub, val, order)
    }

    /// Bitwise "or" of the address with `val` (tagging low bits, say); returns the previous
    /// pointer.
    #[track_caller]
    pub fn fetch_or(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwOp::Or, val, order)
    }

    /// Bitwise "and" of the address with `val`; returns the previous pointer.
    #[track_caller]
    pub fn fetch_and(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwOp::And, val, order)
    }

    /// Bitwise "xor" of the address with `val`; returns the previous pointer.
    #[track_caller]
    pub fn fetch_xor(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwOp::Xor, val, order)
    }

    /// A read-modify-write whose operand is a byte count or a mask, not a pointer: it crosses
    /// the engines as a pointer without provenance, whose bits are `val`.
    #[track_caller]
    fn rmw(&self, rmw: RmwOp, val: usize, order: Ordering) -> *mut T {
        self.inner
            .fetch::<*mut T>(rmw, ptr::without_provenance_mut(val), order)
    }
}

impl<T> Default for AtomicPtr<T> {
    /// A null pointer.
    #[track_caller]
    fn default() -> Self {
        AtomicPtr::new(ptr::null_mut())
    }
}

impl<T> From<*mut T> for AtomicPtr<T> {
    #[track_caller]
    fn from(value: *mut T) -> Self {
        AtomicPtr::new(value)
    }
}

impl<T> fmt::Debug for AtomicPtr<T> {
    #[track_caller]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.load(Ordering::Relaxed), f)
    }
}

impl<T> fmt::Pointer for AtomicPtr<T> {
    #[track_caller]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&self.load(Ordering::Relaxed), f)
    }
}
