//! Thread-local values, as std's `thread_local!` and [`std::thread::LocalKey`].
//!
//! Model engines run every model thread on one OS thread, where a `std::thread_local!` is one
//! value shared by all of them. A key declared with [`thread_local!`](crate::thread_local)
//! instead has a value per model thread inside an exploration (kept by `rt::locals`), made on
//! the thread's first access and dropped when it exits, and is std's own thread-local outside.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::AtomicU8;

use crate::rt::{self, locals};

/// Declares thread-local keys, as [`std::thread_local!`], with the same syntax (attributes,
/// visibility, several keys, `const { ... }` initialisers):
///
/// ```
/// use std::cell::{Cell, RefCell};
///
/// tapestry::thread_local! {
///     static COUNT: Cell<u32> = const { Cell::new(0) };
///     /// Lines this thread has logged.
///     pub static LOG: RefCell<Vec<String>> = RefCell::new(Vec::new());
/// }
///
/// COUNT.set(COUNT.get() + 1);
/// LOG.with_borrow_mut(|log| log.push("hello".to_owned()));
/// assert_eq!(COUNT.get(), 1);
/// ```
///
/// Each key is a `static` [`LocalKey`](crate::thread::LocalKey). Outside an exploration it is
/// std's thread-local. Inside one every model thread has its own value, made by the
/// initialiser on the thread's first access (a `const` initialiser is evaluated then too) and
/// dropped when the thread exits, before its `join` returns; a thread's values are dropped last
/// made first, as std does on Linux, and a destructor that uses a key whose value was dropped
/// already gets [`AccessError`](crate::thread::AccessError) (`with` panics), as in std. The
/// values of threads an execution that failed left unfinished are leaked, not dropped.
#[macro_export]
macro_rules! thread_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const $init:block $(; $($rest:tt)*)?) => {
        $crate::__thread_local_key!($(#[$attr])* $vis $name, $t, const $init);
        $($crate::thread_local!($($rest)*);)?
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr $(; $($rest:tt)*)?) => {
        $crate::__thread_local_key!($(#[$attr])* $vis $name, $t, $init);
        $($crate::thread_local!($($rest)*);)?
    };
}

/// One key of [`thread_local!`]: std's key for code outside explorations, and the initialiser
/// again for model threads.
#[doc(hidden)]
#[macro_export]
macro_rules! __thread_local_key {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty, const $init:block) => {
        $(#[$attr])* $vis static $name: $crate::thread::LocalKey<$t> = {
            ::std::thread_local!(static STD: $t = const $init);
            fn init() -> $t {
                $init
            }
            $crate::thread::LocalKey::__new(&STD, init)
        };
    };
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty, $init:expr) => {
        $(#[$attr])* $vis static $name: $crate::thread::LocalKey<$t> = {
            ::std::thread_local!(static STD: $t = $init);
            fn init() -> $t {
                $init
            }
            $crate::thread::LocalKey::__new(&STD, init)
        };
    };
}

/// A thread-local key, as [`std::thread::LocalKey`]: declared with
/// [`thread_local!`](crate::thread_local), which says what it holds inside explorations.
pub struct LocalKey<T: 'static> {
    std: &'static std::thread::LocalKey<T>,
    init: fn() -> T,
    /// Makes the key's `static` writable memory, which is never merged with another: its
    /// address names the key in `rt::locals`.
    unique: AtomicU8,
}

/// The key's value was dropped already (its thread is exiting), as
/// [`std::thread::AccessError`], which has no public constructor: outside explorations
/// [`LocalKey::try_with`] turns std's into this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("already destroyed")
    }
}

impl std::error::Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(std: &'static std::thread::LocalKey<T>, init: fn() -> T) -> LocalKey<T> {
        LocalKey {
            std,
            init,
            unique: AtomicU8::new(0),
        }
    }

    fn key(&'static self) -> locals::Key {
        std::ptr::from_ref(&self.unique) as usize
    }

    /// Runs `f` on this thread's value, making it first if need be, as std's `with`.
    ///
    /// # Panics
    ///
    /// If the value was dropped already (a destructor of another key uses it while the
    /// thread exits), as std's does.
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(r) => r,
            Err(e) => panic!(
                "cannot access a Thread Local Storage value during or after destruction: {e:?}"
            ),
        }
    }

    /// Like [`with`](Self::with), but `Err` if the value was dropped already.
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        self.initialize_with(None, |_, value| f(value))
    }

    /// Runs `f` on this thread's value, made by `value` if it has none yet (`f` then gets
    /// `None`), else by the key's initialiser; `f` gets `value` back if it was not used.
    fn initialize_with<R>(
        &'static self,
        value: Option<T>,
        f: impl FnOnce(Option<T>, &T) -> R,
    ) -> Result<R, AccessError> {
        let mut value = value;
        let init = self.init;
        let model = locals::value(self.key(), || match value.take() {
            Some(v) => v,
            None => init(),
        });
        match model {
            // SAFETY: the value lives until its thread exits (`locals::value`), and this
            // thread is running `f`.
            Some(Ok(ptr)) => Ok(f(value, unsafe { &*ptr })),
            Some(Err(locals::Dropped)) => Err(AccessError(())),
            None => {
                let mut f = Some(f);
                self.std
                    .try_with(|v| (f.take().expect("called once"))(value, v))
                    .map_err(|_| AccessError(()))
            }
        }
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

impl<T: 'static> LocalKey<Cell<T>> {
    /// Sets this thread's value, without running the initialiser if it has none yet.
    #[track_caller]
    pub fn set(&'static self, value: T) {
        if rt::current_thread().is_none() {
            return self.std.set(value);
        }
        self.initialize_with_value(Cell::new(value), |rejected, cell| {
            if let Some(rejected) = rejected {
                cell.set(rejected.into_inner());
            }
        });
    }

    /// A copy of this thread's value.
    #[track_caller]
    pub fn get(&'static self) -> T
    where
        T: Copy,
    {
        self.with(Cell::get)
    }

    /// Takes this thread's value, leaving `T::default()`.
    #[track_caller]
    pub fn take(&'static self) -> T
    where
        T: Default,
    {
        self.with(Cell::take)
    }

    /// Replaces this thread's value, returning the old one.
    #[track_caller]
    pub fn replace(&'static self, value: T) -> T {
        self.with(|cell| cell.replace(value))
    }
}

impl<T: 'static> LocalKey<RefCell<T>> {
    /// Runs `f` on a shared borrow of this thread's value.
    #[track_caller]
    pub fn with_borrow<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        self.with(|cell| f(&cell.borrow()))
    }

    /// Runs `f` on a mutable borrow of this thread's value.
    #[track_caller]
    pub fn with_borrow_mut<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&mut T) -> R,
    {
        self.with(|cell| f(&mut cell.borrow_mut()))
    }

    /// Sets this thread's value, without running the initialiser if it has none yet.
    #[track_caller]
    pub fn set(&'static self, value: T) {
        if rt::current_thread().is_none() {
            return self.std.set(value);
        }
        self.initialize_with_value(RefCell::new(value), |rejected, cell| {
            if let Some(rejected) = rejected {
                *cell.borrow_mut() = rejected.into_inner();
            }
        });
    }

    /// Takes this thread's value, leaving `T::default()`.
    #[track_caller]
    pub fn take(&'static self) -> T
    where
        T: Default,
    {
        self.with(RefCell::take)
    }

    /// Replaces this thread's value, returning the old one.
    #[track_caller]
    pub fn replace(&'static self, value: T) -> T {
        self.with(|cell| cell.replace(value))
    }
}

impl<T: 'static> LocalKey<T> {
    /// [`initialize_with`](Self::initialize_with) for `set` inside explorations (outside, std's
    /// own `set` does the same), which panics as `with` does.
    #[track_caller]
    fn initialize_with_value(&'static self, value: T, f: impl FnOnce(Option<T>, &T)) {
        if let Err(e) = self.initialize_with(Some(value), f) {
            panic!("cannot access a Thread Local Storage value during or after destruction: {e:?}")
        }
    }
}
