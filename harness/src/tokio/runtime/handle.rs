//! [`Handle`]: the runtime as code inside it reaches it, as tokio's `runtime::Handle`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use crate::tokio::task::JoinHandle;

/// A handle to the runtime, as `tokio::runtime::Handle`: spawns tasks and blocking closures
/// on it, and blocks on a future from outside it. [`Handle::current`] is the runtime of the
/// running code; [`Runtime::handle`](super::Runtime::handle) a built runtime's.
///
/// tapestry has one runtime per execution (its tasks' threads and its modelled workers), so
/// every handle reaches the same one; a handle of a built runtime also makes the execution's
/// workers that runtime's, as the runtime's own methods do.
///
/// The runtime's context, where [`Handle::current`] works, is what it is for tokio: a task's
/// poll, a `block_on` (an async test's body is one), a [`spawn_blocking`] closure, and a
/// thread inside a [`Handle::enter`] guard; not a thread spawned with `thread::spawn`.
///
/// [`spawn_blocking`]: crate::tokio::task::spawn_blocking
#[derive(Clone, Debug)]
pub struct Handle {
    /// The workers of the runtime it came from, if built here.
    workers: Option<usize>,
}

/// Why [`Handle::try_current`] found no runtime, as tokio's `TryCurrentError`.
#[derive(Debug)]
pub struct TryCurrentError(());

impl TryCurrentError {
    /// Whether the call was made outside a runtime's context: always, here (tokio's other
    /// cause, a thread-local destroyed, does not arise).
    pub fn is_missing_context(&self) -> bool {
        true
    }

    /// Whether the runtime's thread-local was destroyed: never, here.
    pub fn is_thread_local_destroyed(&self) -> bool {
        false
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NO_CONTEXT)
    }
}

impl std::error::Error for TryCurrentError {}

/// tokio's message, outside a runtime's context.
const NO_CONTEXT: &str =
    "there is no reactor running, must be called from the context of a Tokio 1.x runtime";

impl Handle {
    /// The handle of a runtime of `workers` workers.
    pub(super) fn of(workers: usize) -> Handle {
        Handle {
            workers: Some(workers),
        }
    }

    /// The runtime of the running code.
    ///
    /// # Panics
    /// Outside a runtime's context (see [`Handle`]), with tokio's message.
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(error) => panic!("{error}"),
        }
    }

    /// The runtime of the running code, or an error outside a runtime's context.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        match crate::future::context() {
            Some(_) => Ok(Handle { workers: None }),
            None => Err(TryCurrentError(())),
        }
    }

    /// Makes the running thread part of the runtime's context until the guard is dropped, so
    /// that [`Handle::current`] works there (a thread of `thread::spawn` given the handle).
    pub fn enter(&self) -> EnterGuard<'_> {
        self.limit();
        EnterGuard {
            _entered: crate::future::enter_if_outside(),
            _handle: PhantomData,
        }
    }

    /// Spawns a task, as [`crate::tokio::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.limit();
        crate::future::spawn(future)
    }

    /// Runs `f` on a thread of its own, as [`crate::tokio::task::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.limit();
        crate::future::spawn_blocking(f)
    }

    /// Runs `future` to completion on the calling thread, as tokio's: from code outside the
    /// runtime, a `spawn_blocking` closure or a `block_in_place` one.
    ///
    /// # Panics
    /// Inside a task's poll or another `block_on` (an async function: `.await` the future
    /// instead), as tokio's, whose thread would block a worker that drives tasks.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if crate::future::context()
            .is_some_and(|(kind, _)| kind == crate::future::ContextKind::Poll)
        {
            panic!(
                "Cannot start a runtime from within a runtime. This happens because a function \
                 (like `block_on`) attempted to block the current thread while the thread is \
                 being used to drive asynchronous tasks. If you are in an async function, use \
                 `.await` on the future instead of blocking on it."
            );
        }
        self.limit();
        crate::future::block_on(future)
    }

    /// A built runtime's handle makes its workers the execution's, if no runtime did first.
    fn limit(&self) {
        if let Some(workers) = self.workers {
            crate::future::workers::limit(workers);
        }
    }
}

/// The runtime's context entered on a thread, until dropped: from [`Handle::enter`].
#[must_use = "the runtime's context is left when the guard is dropped"]
pub struct EnterGuard<'a> {
    _entered: Option<crate::future::Enter>,
    /// Tied to the thread that entered (not `Send`), and to the handle.
    _handle: PhantomData<(&'a Handle, *const ())>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}
