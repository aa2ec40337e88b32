//! Tokio's `OnceCell` (see [`OnceCell`]).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;

use super::Semaphore;
use crate::sync::OnceLock;

/// A cell set at most once, whose initialiser may be async, as `tokio::sync::OnceCell`.
///
/// Concurrent initialisers take turns, in the order they came: the first runs its future and
/// the others wait; if it completes, they all get its value without running theirs; if it
/// fails (`get_or_try_init`), panics or is dropped (a `select!` branch that lost, a timeout, an
/// aborted task), the next in line runs its own.
///
/// ```
/// use tapestry::tokio::sync::OnceCell;
///
/// static CONFIG: OnceCell<u32> = OnceCell::const_new();
///
/// tapestry::future::block_on(async {
///     let value = CONFIG.get_or_init(|| async { 40 + 2 }).await;
///     assert_eq!(*value, 42);
///     // Initialised once: a later initialiser does not run.
///     assert_eq!(*CONFIG.get_or_init(|| async { unreachable!() }).await, 42);
/// });
/// ```
///
/// Built on a [`Semaphore`] of one permit, held by the initialiser that runs and
/// closed once the value is set (which releases every waiter), and on a facade
/// [`OnceLock`] for the value: every engine explores who initialises, and a `static` cell
/// is empty again at the start of every execution. Tasks stuck waiting for an initialiser
/// that waits for them are a deadlock that names the initialiser's task. What the initialiser
/// of a `static` cell allocates belongs to the static, as a `static` `OnceLock`'s value does:
/// the leak check does not count it at the end of an execution.
pub struct OnceCell<T> {
    /// The value given at construction (`new_with`, `const_new_with`, `From`): a `const`
    /// constructor cannot fill a `OnceLock`.
    preset: Option<T>,
    /// The value set since.
    value: OnceLock<T>,
    /// One permit, held by the initialiser that runs; closed once `value` is set.
    semaphore: Semaphore,
}

/// Why [`OnceCell::set`] refused its value; holds it back.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already held a value.
    AlreadyInitializedError(T),
    /// The cell was empty, but an initialiser was running.
    InitializingError(T),
}

impl<T> OnceCell<T> {
    /// An empty cell.
    #[track_caller]
    pub fn new() -> OnceCell<T> {
        Self::const_new()
    }

    /// An empty cell, usable in a `static`.
    #[track_caller]
    pub const fn const_new() -> OnceCell<T> {
        OnceCell {
            preset: None,
            value: OnceLock::new(),
            semaphore: Semaphore::const_new(1),
        }
    }

    /// A cell holding `value`, or an empty one if it is `None`.
    #[track_caller]
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        OnceCell {
            preset: value,
            ..Self::const_new()
        }
    }

    /// A cell holding `value`, usable in a `static`.
    #[track_caller]
    pub const fn const_new_with(value: T) -> OnceCell<T> {
        OnceCell {
            preset: Some(value),
            value: OnceLock::new(),
            semaphore: Semaphore::const_new(1),
        }
    }

    /// Whether the cell holds a value.
    #[track_caller]
    pub fn initialized(&self) -> bool {
        self.get().is_some()
    }

    /// The value, if the cell holds one.
    #[track_caller]
    pub fn get(&self) -> Option<&T> {
        self.preset.as_ref().or_else(|| self.value.get())
    }

    /// The value, mutably, if the cell holds one.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        match &mut self.preset {
            Some(value) => Some(value),
            None => self.value.get_mut(),
        }
    }

    /// Sets the value if the cell is empty and no initialiser is running:
    /// [`SetError::AlreadyInitializedError`] if it holds one,
    /// [`SetError::InitializingError`] if an initialiser (a `get_or_init`) is running.
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        match self.semaphore.try_acquire() {
            Ok(permit) => {
                self.install(value);
                drop(permit);
                Ok(())
            }
            // Closed: set meanwhile.
            Err(super::TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
            Err(super::TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
        }
    }

    /// The value, initialised with `f`'s future if the cell is empty. Initialisers run one at a
    /// time: one that finds another running waits for it and, if that one completes, returns
    /// its value without running `f`; if that one is dropped or panics, the next waiter runs
    /// its own.
    ///
    /// Calling it from inside `f` on the same cell waits for ever (a deadlock), as tokio's.
    #[track_caller]
    pub fn get_or_init<F, Fut>(&self, f: F) -> impl Future<Output = &T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        crate::future::await_point(async move {
            let initialised =
                self.initialise(move || async move { Ok::<T, Infallible>(f().await) });
            match initialised.await {
                Ok(value) => value,
                Err(never) => match never {},
            }
        })
    }

    /// As [`get_or_init`](Self::get_or_init), with an initialiser that may fail: its error is
    /// returned, the cell stays empty, and the next waiter runs its own initialiser.
    #[track_caller]
    pub fn get_or_try_init<E, F, Fut>(&self, f: F) -> impl Future<Output = Result<&T, E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        crate::future::await_point(self.initialise(f))
    }

    /// Both initialisers: waits for the permit (in line) unless the cell is set, and runs `f`
    /// holding it, so that a failure, a panic or a drop gives it to the next in line.
    async fn initialise<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        let Ok(permit) = self.semaphore.acquire().await else {
            // Closed: the value is set.
            return Ok(self
                .get()
                .expect("a OnceCell's semaphore closes once it is set"));
        };
        if let Some(value) = self.get() {
            return Ok(value);
        }
        // Whatever the initialiser allocates belongs to a `static` cell, as a `static`
        // `OnceLock`'s value does: not a leak at the end of an execution.
        let addr = std::ptr::from_ref(self).addr();
        let value = crate::future::initialising_static(addr, async move { f().await }).await?;
        self.install(value);
        drop(permit);
        Ok(self.get().expect("just set"))
    }

    /// Stores `value` (the caller holds the permit) and closes the semaphore, which fails the
    /// acquires of every waiting initialiser: they find the value.
    #[track_caller]
    fn install(&self, value: T) {
        if self.value.set(value).is_err() {
            unreachable!("only the permit's holder sets a OnceCell");
        }
        self.semaphore.close();
    }

    /// The value, if any, consuming the cell.
    pub fn into_inner(mut self) -> Option<T> {
        self.take()
    }

    /// Takes the value out, leaving the cell empty (and settable again).
    #[track_caller]
    pub fn take(&mut self) -> Option<T> {
        let value = self.preset.take().or_else(|| self.value.take());
        self.semaphore = Semaphore::new(1);
        value
    }
}

impl<T> SetError<T> {
    /// Whether it is [`SetError::AlreadyInitializedError`].
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether it is [`SetError::InitializingError`].
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("AlreadyInitializedError"),
            SetError::InitializingError(_) => f.write_str("InitializingError"),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for SetError<T> {}

impl<T> Default for OnceCell<T> {
    #[track_caller]
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    #[track_caller]
    fn from(value: T) -> OnceCell<T> {
        OnceCell::new_with(Some(value))
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    #[track_caller]
    fn clone(&self) -> OnceCell<T> {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &OnceCell<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}
