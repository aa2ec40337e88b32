//! `OnceLock` and `LazyLock`: values initialised once, per execution under exploration.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::Deref;

use super::Once;

/// A cell written once, as [`std::sync::OnceLock`].
///
/// Under exploration, racing initialisations are explored like any `Once`: one thread runs
/// its initialiser, the others wait for it. A `static` `OnceLock` is empty again at the start
/// of every execution (the value of the last one is dropped then).
pub struct OnceLock<T> {
    once: Once,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: as std's: the value is written once, under the `Once`, and shared after.
unsafe impl<T: Sync + Send> Sync for OnceLock<T> {}
// SAFETY: as std's.
unsafe impl<T: Send> Send for OnceLock<T> {}

impl<T> OnceLock<T> {
    /// An empty cell (a `const fn`, as std's).
    #[track_caller]
    pub const fn new() -> OnceLock<T> {
        OnceLock {
            once: Once::new(),
            value: UnsafeCell::new(None),
        }
    }

    /// Resets the value with the `Once` when a `static` starts a new execution.
    fn fresh(&self) -> impl FnOnce(&crate::rt::Fresh<'_>) + '_ {
        // SAFETY: the `Once` is being bound: nobody of this context has reached the value.
        |fresh| unsafe { fresh.data(self.value.get()) }
    }

    /// The value, if it is initialised.
    #[track_caller]
    pub fn get(&self) -> Option<&T> {
        if self.once.completed(self.fresh()) {
            // SAFETY: written before the `Once` completed, never again while shared.
            unsafe { (*self.value.get()).as_ref() }
        } else {
            None
        }
    }

    /// A mutable reference to the value, if it is initialised.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut().as_mut()
    }

    /// Initialises the cell with `value`; `Err(value)` if it was already initialised.
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        self.init(|| value.take().expect("the initialiser runs once"));
        match value {
            None => Ok(()),
            Some(value) => Err(value),
        }
    }

    /// The value, initialised with `f` if it was not; if several threads race, one runs its
    /// `f` and the others wait for it. A panicking `f` leaves the cell empty.
    #[track_caller]
    pub fn get_or_init<F: FnOnce() -> T>(&self, f: F) -> &T {
        self.init(f);
        // SAFETY: the `Once` completed: the value is written and shared read-only from now.
        unsafe { (*self.value.get()).as_ref() }.expect("an initialised OnceLock has a value")
    }

    /// Blocks until the cell is initialised, then returns the value.
    #[track_caller]
    pub fn wait(&self) -> &T {
        loop {
            if let Some(value) = self.get() {
                return value;
            }
            crate::thread::yield_now();
        }
    }

    /// Consumes the cell and returns its value, if any.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty.
    #[track_caller]
    pub fn take(&mut self) -> Option<T> {
        let value = self.value.get_mut().take();
        self.once = Once::new();
        value
    }

    #[track_caller]
    fn init(&self, f: impl FnOnce() -> T) {
        // Forced: a panicking initialiser leaves the cell empty for the next one, as in std.
        self.once.call(true, self.fresh(), |_| {
            let value = crate::rt::initialising_static(std::ptr::from_ref(self).addr(), f);
            // SAFETY: only the thread that claimed the `Once` runs this; nobody reads the value
            // before the `Once` completes.
            unsafe { *self.value.get() = Some(value) };
        });
    }
}

impl<T> Default for OnceLock<T> {
    #[track_caller]
    fn default() -> Self {
        OnceLock::new()
    }
}

impl<T> From<T> for OnceLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(value);
        cell
    }
}

impl<T: Clone> Clone for OnceLock<T> {
    #[track_caller]
    fn clone(&self) -> Self {
        match self.get() {
            Some(value) => OnceLock::from(value.clone()),
            None => OnceLock::new(),
        }
    }
}

impl<T: PartialEq> PartialEq for OnceLock<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceLock<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("OnceLock");
        match self.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}

/// A value initialised on first access, as [`std::sync::LazyLock`].
///
/// Under exploration, racing first accesses are explored like any `Once`. A `static`
/// `LazyLock` runs its initialiser again in every execution (the value of the last one is
/// dropped then), as loom's `lazy_static!` does.
pub struct LazyLock<T, F = fn() -> T> {
    once: Once,
    state: UnsafeCell<State<T, F>>,
}

enum State<T, F> {
    Pending(F),
    Ready(T),
    /// The initialiser panicked.
    Poisoned,
}

// SAFETY: as std's: `F` runs once, on one thread; `T` is shared after.
unsafe impl<T: Sync + Send, F: Send> Sync for LazyLock<T, F> {}

impl<T, F: FnOnce() -> T> LazyLock<T, F> {
    /// A value that `f` makes on first access (a `const fn`, as std's).
    #[track_caller]
    pub const fn new(f: F) -> LazyLock<T, F> {
        LazyLock {
            once: Once::new(),
            state: UnsafeCell::new(State::Pending(f)),
        }
    }

    /// The value, made now if this is the first access.
    #[track_caller]
    pub fn force(this: &LazyLock<T, F>) -> &T {
        // SAFETY: the `Once` is being bound: nobody of this context has reached the state.
        let fresh = |fresh: &crate::rt::Fresh<'_>| unsafe { fresh.data(this.state.get()) };
        this.once.call(true, fresh, |_| {
            // SAFETY: only the thread that claimed the `Once` runs this.
            let state = unsafe { &mut *this.state.get() };
            match std::mem::replace(state, State::Poisoned) {
                State::Pending(f) => {
                    let addr = std::ptr::from_ref(this).addr();
                    *state = State::Ready(crate::rt::initialising_static(addr, f));
                }
                _ => panic!("LazyLock instance has previously been poisoned"),
            }
        });
        // SAFETY: the `Once` completed: the state is shared read-only from now.
        match unsafe { &*this.state.get() } {
            State::Ready(value) => value,
            _ => panic!("LazyLock instance has previously been poisoned"),
        }
    }
}

impl<T, F: FnOnce() -> T> Deref for LazyLock<T, F> {
    type Target = T;

    #[track_caller]
    fn deref(&self) -> &T {
        LazyLock::force(self)
    }
}

impl<T: Default> Default for LazyLock<T> {
    #[track_caller]
    fn default() -> Self {
        LazyLock::new(T::default)
    }
}

impl<T: fmt::Debug, F> fmt::Debug for LazyLock<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyLock").finish_non_exhaustive()
    }
}
