use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use crate::rt::race::{self, SyncClock};
use crate::rt::{self, Allocation};

/// A reference-counted pointer, as [`std::sync::Arc`], whose allocations tapestry counts: an
/// execution that ends with some of them never freed (a reference cycle, say) fails with
/// [`FailureKind::Leak`](crate::FailureKind::Leak).
///
/// Reference counting is not modelled as a concurrent operation, so it adds no scheduling
/// points to an exploration. Unlike std's, this `Arc` cannot be coerced to `Arc<dyn Trait>`
/// (that needs an unstable trait); wrap the trait object instead: `Arc<Box<dyn Trait>>`.
pub struct Arc<T: ?Sized> {
    inner: std::sync::Arc<Inner<T>>,
}

struct Inner<T: ?Sized> {
    _allocation: Option<Allocation>,
    /// Dropped just before `value` (fields drop in order), by whichever thread drops last.
    sync: FinalDrop,
    value: T,
}

/// std's `Arc` makes every drop of a clone happen before the value's destruction (its count is
/// released on every decrement and acquired by the last). The race detector learns the same:
/// every drop releases into `clock`, and dropping this (with the last reference) acquires it.
#[derive(Debug, Default)]
struct FinalDrop {
    clock: SyncClock,
}

impl Drop for FinalDrop {
    fn drop(&mut self) {
        race::acquire(&self.clock);
    }
}

impl<T: ?Sized> Drop for Arc<T> {
    fn drop(&mut self) {
        race::release_join(&self.inner.sync.clock);
    }
}

impl<T> Arc<T> {
    /// Allocates `value`.
    pub fn new(value: T) -> Arc<T> {
        Arc {
            inner: std::sync::Arc::new(Inner {
                _allocation: rt::track_allocation(),
                sync: FinalDrop::default(),
                value,
            }),
        }
    }

    /// Returns the value if this is the only strong reference.
    pub fn try_unwrap(this: Arc<T>) -> Result<T, Arc<T>> {
        match std::sync::Arc::try_unwrap(Arc::into_std(this)) {
            Ok(inner) => Ok(inner.into_value()),
            Err(inner) => Err(Arc { inner }),
        }
    }

    /// Returns the value if this is the only strong reference, else drops this reference.
    pub fn into_inner(this: Arc<T>) -> Option<T> {
        std::sync::Arc::into_inner(Arc::into_std(this)).map(Inner::into_value)
    }

    /// The std `Arc` inside, as this reference's drop would leave it.
    fn into_std(this: Arc<T>) -> std::sync::Arc<Inner<T>> {
        race::release_join(&this.inner.sync.clock);
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so its one field is moved out once.
        unsafe { std::ptr::read(&this.inner) }
    }
}

impl<T> Inner<T> {
    fn into_value(self) -> T {
        let Inner { sync, value, .. } = self;
        drop(sync);
        value
    }
}

impl<T: ?Sized> Arc<T> {
    /// The number of strong references.
    pub fn strong_count(this: &Arc<T>) -> usize {
        std::sync::Arc::strong_count(&this.inner)
    }

    /// The number of weak references.
    pub fn weak_count(this: &Arc<T>) -> usize {
        std::sync::Arc::weak_count(&this.inner)
    }

    /// Whether both point to the same allocation.
    pub fn ptr_eq(this: &Arc<T>, other: &Arc<T>) -> bool {
        std::sync::Arc::ptr_eq(&this.inner, &other.inner)
    }

    /// A pointer to the value.
    pub fn as_ptr(this: &Arc<T>) -> *const T {
        &this.inner.value
    }

    /// A mutable reference, if there are no other references (strong or weak).
    pub fn get_mut(this: &mut Arc<T>) -> Option<&mut T> {
        let inner = std::sync::Arc::get_mut(&mut this.inner)?;
        race::acquire(&inner.sync.clock);
        Some(&mut inner.value)
    }

    /// Makes a weak reference.
    pub fn downgrade(this: &Arc<T>) -> Weak<T> {
        Weak {
            inner: std::sync::Arc::downgrade(&this.inner),
        }
    }
}

impl<T: Clone> Arc<T> {
    /// A mutable reference, cloning the value into a new allocation first if it is shared.
    pub fn make_mut(this: &mut Arc<T>) -> &mut T {
        if std::sync::Arc::get_mut(&mut this.inner).is_none() {
            *this = Arc::new(this.inner.value.clone());
        }
        &mut std::sync::Arc::get_mut(&mut this.inner)
            .expect("just made unique")
            .value
    }

    /// Returns the value if this is the only reference, else a clone of it.
    pub fn unwrap_or_clone(this: Arc<T>) -> T {
        Arc::try_unwrap(this).unwrap_or_else(|arc| (*arc).clone())
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    fn clone(&self) -> Self {
        Arc {
            inner: self.inner.clone(),
        }
    }
}

impl<T: ?Sized> Deref for Arc<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner.value
    }
}

impl<T: ?Sized> AsRef<T> for Arc<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized> Borrow<T> for Arc<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: Default> Default for Arc<T> {
    fn default() -> Self {
        Arc::new(T::default())
    }
}

impl<T> From<T> for Arc<T> {
    fn from(value: T) -> Self {
        Arc::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> fmt::Pointer for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&Arc::as_ptr(self), f)
    }
}

impl<T: ?Sized + PartialEq> PartialEq for Arc<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq> Eq for Arc<T> {}

impl<T: ?Sized + PartialOrd> PartialOrd for Arc<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord> Ord for Arc<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash> Hash for Arc<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

/// A weak reference to an [`Arc`] allocation, as [`std::sync::Weak`].
pub struct Weak<T: ?Sized> {
    inner: std::sync::Weak<Inner<T>>,
}

impl<T> Weak<T> {
    /// A weak reference to nothing; `upgrade` always returns `None`.
    pub fn new() -> Weak<T> {
        Weak {
            inner: std::sync::Weak::new(),
        }
    }
}

impl<T> Default for Weak<T> {
    fn default() -> Self {
        Weak::new()
    }
}

impl<T: ?Sized> Weak<T> {
    /// A strong reference, if the value is still alive.
    pub fn upgrade(&self) -> Option<Arc<T>> {
        self.inner.upgrade().map(|inner| Arc { inner })
    }

    /// The number of strong references to the allocation.
    pub fn strong_count(&self) -> usize {
        self.inner.strong_count()
    }

    /// Whether both point to the same allocation.
    pub fn ptr_eq(&self, other: &Weak<T>) -> bool {
        self.inner.ptr_eq(&other.inner)
    }
}

impl<T: ?Sized> Clone for Weak<T> {
    fn clone(&self) -> Self {
        Weak {
            inner: self.inner.clone(),
        }
    }
}

impl<T: ?Sized> fmt::Debug for Weak<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(Weak)")
    }
}
