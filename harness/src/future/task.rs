//! Spawned tasks: each runs on a model thread of its own (a std thread outside explorations),
//! which polls it whenever its waker is woken, so every engine explores tasks as it explores
//! threads. The task's output reaches its [`JoinHandle`] through a facade lock, which orders
//! the task's last poll before the poll of the handle that returns it.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use super::waker::Target;
use crate::rt;
use crate::sync::Mutex;
use crate::sync::atomic::{AtomicBool, Ordering};

/// An owned permission to await a spawned task's output, as tokio's: awaiting it returns the
/// output, or a [`JoinError`] if the task was aborted. Dropping it detaches the task, which
/// runs on.
///
/// A panic in a task fails the execution under an exploration (as a panicking thread does: an
/// assertion in a task is a test's assertion). Outside explorations, as in tokio, the handle
/// returns it as a [`JoinError`] whose [`is_panic`](JoinError::is_panic) is `true`.
pub struct JoinHandle<T> {
    shared: Arc<Shared<T>>,
}

pub(super) struct Shared<T> {
    state: Mutex<State<T>>,
    aborted: AtomicBool,
}

struct State<T> {
    output: Option<Result<T, JoinError>>,
    /// Whether the output was taken by the handle.
    taken: bool,
    /// The handle's waker, while it waits.
    joiner: Option<Waker>,
    /// The task's own waker target, once it runs: an abort wakes it.
    task: Option<Arc<Target>>,
}

/// Why a task gave no output: it was aborted, or (outside explorations) it panicked.
pub struct JoinError {
    panic: Option<Box<dyn Any + Send + 'static>>,
}

impl JoinError {
    /// Whether the task was aborted ([`JoinHandle::abort`], or the end of an async test).
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// Whether the task panicked (only outside explorations: inside one, a panic fails the
    /// execution).
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// The panic's payload. Panics if the task was aborted, as tokio's does.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.panic
            .expect("`JoinError::into_panic` on a task that was cancelled, not panicked")
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic {
            None => f.write_str("JoinError::Cancelled"),
            Some(_) => f.write_str("JoinError::Panic(..)"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic {
            None => f.write_str("task was cancelled"),
            Some(_) => f.write_str("task panicked"),
        }
    }
}

impl std::error::Error for JoinError {}

impl<T> JoinHandle<T> {
    /// Cancels the task: it is dropped the next time it would be polled (at the await point
    /// where it waits, or before its first poll), and awaiting the handle returns a
    /// cancelled [`JoinError`]. A task that already finished keeps its output.
    pub fn abort(&self) {
        self.shared.cancel();
    }

    /// Whether the task has finished (returned, or been dropped after an abort).
    pub fn is_finished(&self) -> bool {
        let state = self.shared.lock();
        state.output.is_some() || state.taken
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> crate::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the task aborted and wakes it, so that its next poll drops it instead.
    fn cancel(&self) {
        self.aborted.store(true, Ordering::Release);
        let task = self.lock().task.clone();
        if let Some(task) = task {
            task.wake();
        }
    }

    fn finish(&self, output: Result<T, JoinError>) {
        let joiner = {
            let mut state = self.lock();
            state.output = Some(output);
            state.task = None;
            state.joiner.take()
        };
        if let Some(joiner) = joiner {
            joiner.wake();
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.shared.lock();
        match state.output.take() {
            Some(output) => {
                state.taken = true;
                Poll::Ready(output)
            }
            None if state.taken => panic!("a `JoinHandle` was polled after it returned"),
            None => {
                state.joiner = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").finish_non_exhaustive()
    }
}

/// Spawns `future` as a task: it runs concurrently with the caller and the other tasks, on a
/// model thread of its own under an exploration (a lane named `task-N` in traces), on a std
/// thread outside one.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let site = Location::caller();
    // Under an exploration the task's thread is the next one the execution starts.
    let thread = rt::thread_count();
    let target = Target::model(thread);
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            output: None,
            taken: false,
            joiner: None,
            task: target.clone(),
        }),
        aborted: AtomicBool::new(false),
    });
    let task = shared.clone();
    let name = match target {
        Some(_) => format!("task-{thread}"),
        None => "tapestry-task".to_owned(),
    };
    let thread = crate::thread::Builder::new()
        .name(name)
        .spawn(move || run(&task, future, target, site))
        .expect("failed to start a thread for a task");
    super::shutdown::register(shared.clone(), thread);
    JoinHandle { shared }
}

/// The task's thread: polls until the future is ready or the task is aborted.
fn run<F: Future>(
    shared: &Shared<F::Output>,
    future: F,
    target: Option<Arc<Target>>,
    site: &'static Location<'static>,
) {
    // Outside explorations the task's std thread is known only now; so is a model thread
    // whose number another thread's spawn took first (real threads, under the stress engine).
    let target = match target {
        Some(target) if target.is_current() => target,
        _ => {
            let target = Target::current();
            shared.lock().task = Some(target.clone());
            target
        }
    };
    let mut future = Box::pin(future);
    let outside = rt::current_thread().is_none();
    // Polled while it runs; dropped here, on its own thread, at the await point where it
    // waited, if aborted.
    let mut poll = move |cx: &mut Context<'_>| {
        if outside {
            std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)))
                .map_err(|panic| JoinError { panic: Some(panic) })
        } else {
            Ok(future.as_mut().poll(cx))
        }
    };
    // Where the task's future waits since its last poll: where an abort drops it.
    let (mut polled, mut waiting_at) = (false, None);
    // `drive` drops its step, and the future with it, before the handle learns the output.
    let output = super::drive(target, site, move |cx| {
        if shared.aborted.load(Ordering::Acquire) {
            crate::rt::cancelled(site, crate::rt::Cancel::Abort { polled }, waiting_at);
            return Some(Err(JoinError { panic: None }));
        }
        // The task's future is the outermost: nothing encloses it to keep a site for.
        let _stale = crate::rt::take_pending_at();
        let result = poll(cx);
        polled = true;
        // Kept, for a lost wakeup's report, until the next poll.
        waiting_at = crate::rt::peek_pending_at().filter(|_| matches!(result, Ok(Poll::Pending)));
        match result {
            Ok(Poll::Ready(output)) => Some(Ok(output)),
            Ok(Poll::Pending) => None,
            Err(panic) => Some(Err(panic)),
        }
    });
    shared.finish(output);
}

/// A task as the end of an async test sees it: abort it if it still runs.
pub(super) trait Abort: Send + Sync {
    fn abort(&self);
}

impl<T: Send> Abort for Shared<T> {
    fn abort(&self) {
        self.cancel();
    }
}
