//! `loom::cell`: an `UnsafeCell` whose accesses tapestry checks for data races, with loom's
//! `get`/`get_mut` pointers, and a `Cell` over it.

/// A cell whose every access is checked for data races, as loom's: reach the value through
/// [`with`](Self::with), [`with_mut`](Self::with_mut), [`get`](Self::get) or
/// [`get_mut`](Self::get_mut).
#[derive(Debug, Default)]
pub struct UnsafeCell<T: ?Sized>(tapestry::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    #[track_caller]
    pub fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(tapestry::cell::UnsafeCell::new(value))
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a pointer for reading: a read of the cell.
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.0.with(f)
    }

    /// Runs `f` with a pointer for writing: a write of the cell.
    #[track_caller]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }

    /// A pointer for reading: a read of the cell, now.
    #[track_caller]
    pub fn get(&self) -> ConstPtr<T> {
        ConstPtr(self.0.with(|p| p))
    }

    /// A pointer for writing: a write of the cell, now.
    #[track_caller]
    pub fn get_mut(&self) -> MutPtr<T> {
        MutPtr(self.0.with_mut(|p| p))
    }
}

impl<T> From<T> for UnsafeCell<T> {
    #[track_caller]
    fn from(value: T) -> UnsafeCell<T> {
        UnsafeCell::new(value)
    }
}

/// A pointer to read an [`UnsafeCell`]'s value, from [`UnsafeCell::get`].
#[derive(Debug)]
pub struct ConstPtr<T: ?Sized>(*const T);

impl<T: ?Sized> ConstPtr<T> {
    /// The value.
    ///
    /// # Safety
    /// As dereferencing the raw pointer: no write may overlap the reference's use.
    pub unsafe fn deref(&self) -> &T {
        // SAFETY: the caller's promise.
        unsafe { &*self.0 }
    }

    /// Runs `f` with the raw pointer.
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0)
    }
}

/// A pointer to write an [`UnsafeCell`]'s value, from [`UnsafeCell::get_mut`].
#[derive(Debug)]
pub struct MutPtr<T: ?Sized>(*mut T);

impl<T: ?Sized> MutPtr<T> {
    /// The value.
    ///
    /// # Safety
    /// As dereferencing the raw pointer: no other access may overlap the reference's use.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn deref(&self) -> &mut T {
        // SAFETY: the caller's promise.
        unsafe { &mut *self.0 }
    }

    /// Runs `f` with the raw pointer.
    pub fn with<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0)
    }
}

/// A mutable memory location, as `std::cell::Cell`, whose accesses are checked for races.
#[derive(Debug, Default)]
pub struct Cell<T>(UnsafeCell<T>);

impl<T> Cell<T> {
    #[track_caller]
    pub fn new(value: T) -> Cell<T> {
        Cell(UnsafeCell::new(value))
    }

    #[track_caller]
    pub fn set(&self, value: T) {
        drop(self.replace(value));
    }

    #[track_caller]
    pub fn replace(&self, value: T) -> T {
        // SAFETY: `Cell` is not `Sync`, and `with_mut` gives the only access.
        self.0
            .with_mut(|p| unsafe { std::mem::replace(&mut *p, value) })
    }

    #[track_caller]
    pub fn swap(&self, other: &Cell<T>) {
        if std::ptr::eq(self, other) {
            return;
        }
        // SAFETY: two distinct cells, each accessed only here (`Cell` is not `Sync`).
        self.0
            .with_mut(|a| other.0.with_mut(|b| unsafe { std::ptr::swap(a, b) }));
    }

    #[track_caller]
    pub fn get(&self) -> T
    where
        T: Copy,
    {
        // SAFETY: as in `replace`.
        self.0.with(|p| unsafe { *p })
    }

    #[track_caller]
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.replace(T::default())
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T> From<T> for Cell<T> {
    #[track_caller]
    fn from(value: T) -> Cell<T> {
        Cell::new(value)
    }
}
