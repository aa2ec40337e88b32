//! Interior mutability, as the explore facade's [`UnsafeCell`] but unchecked: std's cell.

use std::borrow::Cow;
use std::fmt;

/// [`std::cell::UnsafeCell`] with the explore facade's access methods (`with`, `with_mut`),
/// through which the explore facade checks for data races; here they only hand out the
/// pointer.
#[repr(transparent)]
pub struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    /// Creates a cell holding `value`.
    #[inline]
    pub const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Creates a cell holding `value`; the name is for traces, which this build has none of.
    #[inline]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> UnsafeCell<T> {
        drop(name);
        UnsafeCell::new(value)
    }

    /// Consumes the cell and returns its value.
    #[inline]
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Calls `f` with a pointer to the value: `f` may only read.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Calls `f` with a pointer to the value, through which it may write.
    #[inline]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }

    /// A mutable reference; `&mut self` proves no other access exists.
    #[inline]
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    #[inline]
    fn default() -> Self {
        UnsafeCell::new(T::default())
    }
}

impl<T> From<T> for UnsafeCell<T> {
    #[inline]
    fn from(value: T) -> Self {
        UnsafeCell::new(value)
    }
}

impl<T: ?Sized> fmt::Debug for UnsafeCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsafeCell").finish_non_exhaustive()
    }
}
