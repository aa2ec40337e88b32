//! Task-local values (`tokio::task_local!`): a value a future sees while [`LocalKey::scope`]
//! polls it, whichever task, thread or executor polls it.
//!
//! The value lives in the future [`scope`](LocalKey::scope) returns, and moves into a
//! thread-local slot only for the length of each poll. The slot is a facade
//! [`thread_local!`](crate::thread_local): under the model engines every model thread has its
//! own, so a task switched away from in the middle of its poll keeps its value from the one
//! that runs next on the same OS thread.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys, as `tokio::task_local!` (same syntax, no initialiser: a key has
/// a value only inside [`LocalKey::scope`] or [`LocalKey::sync_scope`]).
///
/// ```
/// use tapestry::tokio;
///
/// tokio::task_local! {
///     static REQUEST: u32;
/// }
///
/// tapestry::future::block_on(REQUEST.scope(7, async {
///     assert_eq!(REQUEST.get(), 7);
///     tokio::task::yield_now().await;
///     assert_eq!(REQUEST.get(), 7);
/// }));
/// assert!(REQUEST.try_with(|_| ()).is_err());
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __tokio_task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__tokio_task_local!($(#[$attr])* $vis static $name: $t);
        $crate::__tokio_task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $(#[$attr])* $vis static $name: $crate::tokio::task::LocalKey<$t> = {
            $crate::thread_local! {
                static SLOT: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::tokio::task::LocalKey::__new(&SLOT)
        };
    };
}

/// A key for a task-local value, declared with [`task_local!`](crate::tokio::task_local).
pub struct LocalKey<T: 'static> {
    slot: &'static crate::thread::LocalKey<RefCell<Option<T>>>,
}

/// A task-local value was asked for outside a [`scope`](LocalKey::scope) of its key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessError").finish()
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set")
    }
}

impl std::error::Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: &'static crate::thread::LocalKey<RefCell<Option<T>>>) -> Self {
        LocalKey { slot }
    }

    /// `future`, which sees `value` as this key's value whenever it is polled; the value is
    /// dropped with the future.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Runs `f` with `value` as this key's value, then drops the value.
    ///
    /// # Panics
    /// Inside a [`with`](Self::with) of the same key, as tokio's.
    #[track_caller]
    pub fn sync_scope<F: FnOnce() -> R, R>(&'static self, value: T, f: F) -> R {
        let mut value = Some(value);
        let output = self.scoped(&mut value, f);
        drop(value);
        output
    }

    /// Runs `f` on this key's value.
    ///
    /// # Panics
    /// Outside a scope of the key, as tokio's.
    #[track_caller]
    pub fn with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> R {
        match self.try_with(f) {
            Ok(output) => output,
            Err(_) => panic!(
                "cannot access a task-local storage value without setting it first via \
                 `LocalKey::scope`"
            ),
        }
    }

    /// Runs `f` on this key's value, or `Err` outside a scope of the key.
    pub fn try_with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> Result<R, AccessError> {
        self.slot
            .try_with(|slot| slot.borrow().as_ref().map(f))
            .ok()
            .flatten()
            .ok_or(AccessError(()))
    }

    /// A copy of this key's value.
    ///
    /// # Panics
    /// Outside a scope of the key, as tokio's.
    #[track_caller]
    pub fn get(&'static self) -> T
    where
        T: Copy,
    {
        self.with(|value| *value)
    }

    /// Runs `f` with `*value` as this key's value, and puts the value (as `f` left it) back
    /// into `value` afterwards, also if `f` panics. What the slot held before comes back too,
    /// so scopes nest.
    #[track_caller]
    fn scoped<R>(&'static self, value: &mut Option<T>, f: impl FnOnce() -> R) -> R {
        struct Restore<'a, T: 'static> {
            key: &'static LocalKey<T>,
            value: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                // The slot has this scope's value; the one outside goes back in.
                let _ = self.key.slot.try_with(|slot| {
                    std::mem::swap(&mut *slot.borrow_mut(), self.value);
                });
            }
        }
        let swapped = self.slot.try_with(|slot| match slot.try_borrow_mut() {
            Ok(mut slot) => {
                std::mem::swap(&mut *slot, value);
                true
            }
            Err(_) => false,
        });
        if swapped != Ok(true) {
            panic!(
                "cannot enter a task-local scope while the key's value is borrowed (inside its \
                 `with`), or while its thread exits"
            );
        }
        let _restore = Restore { key: self, value };
        f()
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

pin_project_lite::pin_project! {
    /// The future of [`LocalKey::scope`].
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        value: Option<T>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            // The future's destructor sees the value too, as tokio's does.
            let this = this.project();
            if this.future.is_some() && this.value.is_some() {
                let key = *this.key;
                let mut future = this.future;
                key.scoped(this.value, || future.set(None));
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// The value, taken out (`None` if it was taken already), as tokio's: also while the
    /// future has not completed, which then no longer sees it.
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().value.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let key = *this.key;
        let mut future = this.future;
        // A future that completes is dropped inside the scope too.
        let output = key.scoped(this.value, || {
            let poll = future.as_mut().as_pin_mut()?.poll(cx);
            if poll.is_ready() {
                future.set(None);
            }
            Some(poll)
        });
        output.expect("`TaskLocalFuture` polled after completion")
    }
}

impl<T: fmt::Debug + 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}
