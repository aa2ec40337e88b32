//! Spawned tasks: each runs on a model thread of its own (a std thread outside explorations),
//! which polls it whenever its waker is woken, so every engine explores tasks as it explores
//! threads. The task's output reaches its [`JoinHandle`] through a lock (`shared_state`),
//! which orders the task's last poll before the poll of the handle that returns it.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::context::Id;
use super::join_error::JoinError;
use super::shared_state::{SharedFlag, SharedState};
use super::waker::Target;
use crate::rt;

/// An owned permission to await a spawned task's output, as tokio's: awaiting it returns the
/// output, or a [`JoinError`] if the task was aborted or panicked. Dropping it detaches the
/// task, which runs on.
///
/// A panic in a task is its handle's `JoinError` (whose [`is_panic`](JoinError::is_panic) is
/// `true`), as in tokio, under every engine and outside explorations: code that supervises
/// tasks is tested as it runs. One difference: under an exploration, a task's panic that no
/// handle returns by the end of the execution (the handle was dropped or never awaited) fails
/// it, with the panic's message and line. tokio would print it and run on; it is almost always
/// a failed assertion. Await the handle to expect a panic.
pub struct JoinHandle<T> {
    shared: Arc<Shared<T>>,
    /// The same task, its output's type erased: what an [`AbortHandle`] holds.
    task: Arc<dyn Abort>,
}

/// An owned permission to abort a spawned task, without awaiting it, as tokio's: from
/// [`JoinHandle::abort_handle`] or `JoinSet::spawn`. Clones abort the same task; dropping one
/// does nothing to the task.
#[derive(Clone)]
pub struct AbortHandle {
    task: Arc<dyn Abort>,
}

impl AbortHandle {
    /// Cancels the task, as [`JoinHandle::abort`]: it is dropped the next time it would be
    /// polled, and awaiting its handle returns a cancelled [`JoinError`]. A task that already
    /// finished keeps its output; an abort of one already aborted does nothing. A
    /// `spawn_blocking` closure that has started runs to its end regardless.
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the task has finished (returned, panicked, or been dropped after an abort):
    /// `false` between an abort and the task's drop at its next poll, as tokio's.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.task.id()
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}

/// What a task and its handle share.
pub(super) struct Shared<T> {
    state: SharedState<State<T>>,
    aborted: SharedFlag,
    id: Id,
}

struct State<T> {
    output: Option<Result<T, JoinError>>,
    /// Whether the output was taken by the handle.
    taken: bool,
    /// The handle's waker, while it waits.
    joiner: Option<Waker>,
    /// What wakes the task, once known: an abort wakes it.
    task: Option<Wakes>,
}

/// What wakes a task: the thread that polls it, or, on the stress engine's executor, the
/// executor's waker of it.
#[derive(Clone)]
pub(super) enum Wakes {
    Thread(Arc<Target>),
    // (No executor under `--cfg loom`: see `future::executor`.)
    #[cfg_attr(loom, allow(dead_code))]
    Executor(Waker),
}

impl<T: Send + 'static> JoinHandle<T> {
    /// The handle of the task that `shared` is the task's side of.
    pub(super) fn new(shared: Arc<Shared<T>>) -> JoinHandle<T> {
        JoinHandle {
            task: shared.clone(),
            shared,
        }
    }
}

impl<T> JoinHandle<T> {
    /// Cancels the task: it is dropped the next time it would be polled (at the await point
    /// where it waits, or before its first poll), and awaiting the handle returns a
    /// cancelled [`JoinError`]. A task that already finished keeps its output. A
    /// [`spawn_blocking`](super::spawn_blocking) closure cannot be stopped once it started:
    /// the abort then does nothing, as tokio's (before it starts, it never runs).
    pub fn abort(&self) {
        self.shared.cancel();
    }

    /// A handle that aborts this task, and only that: it cannot await it.
    #[must_use = "abort handles do nothing unless `.abort` is called"]
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle {
            task: self.task.clone(),
        }
    }

    /// The task's id, as [`task::id()`](crate::tokio::task::id) says inside it.
    pub fn id(&self) -> Id {
        self.shared.id
    }

    /// Whether the task has finished (returned, panicked, or been dropped after an abort).
    pub fn is_finished(&self) -> bool {
        self.shared.finished()
    }
}

impl<T> Shared<T> {
    /// Whether the task was aborted.
    pub(super) fn aborted(&self) -> bool {
        self.aborted.is_set()
    }

    pub(super) fn id(&self) -> Id {
        self.id
    }

    /// Marks the task aborted and wakes it, so that its next poll drops it instead.
    fn cancel(&self) {
        self.aborted.set();
        let task = self.state.with(|state| state.task.clone());
        match task {
            Some(Wakes::Thread(target)) => target.wake(),
            Some(Wakes::Executor(waker)) => waker.wake(),
            None => {}
        }
    }

    /// Whether the task has finished: an operation under every engine (see
    /// `SharedState::with_seen`), as it may be polled in a loop.
    fn finished(&self) -> bool {
        self.state
            .with_seen(|state| state.output.is_some() || state.taken)
    }

    #[cfg_attr(loom, allow(dead_code))]
    /// Notes the executor's waker of the task, at its first poll and before it looks whether
    /// it was aborted: an abort either finds the waker or is seen by that poll.
    pub(super) fn woken_by(&self, waker: &Waker) {
        self.state.with(|state| {
            if state.task.is_none() {
                state.task = Some(Wakes::Executor(waker.clone()));
            }
        });
    }

    pub(super) fn finish(&self, output: Result<T, JoinError>) {
        let joiner = self.state.with(|state| {
            state.output = Some(output);
            state.task = None;
            state.joiner.take()
        });
        if let Some(joiner) = joiner {
            joiner.wake();
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = self.shared.state.with(|state| match state.output.take() {
            Some(output) => {
                state.taken = true;
                Poll::Ready(output)
            }
            None if state.taken => panic!("a `JoinHandle` was polled after it returned"),
            None => {
                state.joiner = Some(cx.waker().clone());
                Poll::Pending
            }
        });
        if let Poll::Ready(Err(JoinError {
            noted: Some(noted), ..
        })) = &polled
        {
            crate::rt::task_panic_seen(*noted);
        }
        polled
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.shared.id)
            .finish()
    }
}

/// Spawns `future` as a task: it runs concurrently with the caller and the other tasks, on a
/// model thread of its own under a model engine (a lane named `task-N` in traces), polled by
/// a real multi-threaded executor under the stress engine (on the threads `runtime-worker-N`,
/// one per core or per `workers`), on a std thread of its own outside explorations.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let site = Location::caller();
    if rt::real_threads() && super::executor::AVAILABLE {
        let shared = Shared::new(None);
        super::executor::spawn(shared.clone(), future, site);
        super::shutdown::register(shared.clone(), None);
        return JoinHandle::new(shared);
    }
    // Under an exploration the task's thread is the next one the execution starts.
    let thread = rt::thread_count();
    let target = Target::model(thread);
    if target.is_some() {
        super::workers::queue(thread);
    }
    let shared = Shared::new(target.clone().map(Wakes::Thread));
    let task = shared.clone();
    let name = match target {
        Some(_) => format!("task-{thread}"),
        None => "tapestry-task".to_owned(),
    };
    let thread = crate::thread::Builder::new()
        .name(name)
        .spawn(move || run(&task, future, target, site))
        .expect("failed to start a thread for a task");
    super::shutdown::register(shared.clone(), Some(thread));
    JoinHandle::new(shared)
}

impl<T> Shared<T> {
    /// Made by `spawn` (or `spawn_blocking`): its lock and flag show at the spawn's line in
    /// traces. The task gets the next [`Id`].
    #[track_caller]
    pub(super) fn new(task: Option<Wakes>) -> Arc<Self> {
        Arc::new(Shared {
            state: SharedState::new(State {
                output: None,
                taken: false,
                joiner: None,
                task,
            }),
            aborted: SharedFlag::new(),
            id: Id::next(),
        })
    }
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
            shared
                .state
                .with(|state| state.task = Some(Wakes::Thread(target.clone())));
            target
        }
    };
    let mut polls = Polls::new(future, site);
    // `drive` drops its step, and the future with it, before the handle learns the output.
    let step = move |cx: &mut Context<'_>| polls.step(shared, cx);
    super::drive(target, site, Some(shared.id), step, |output| {
        shared.finish(output)
    });
}

/// A task's future and what its polls keep track of: polled until it is ready, or dropped at
/// its next poll once the task is aborted.
pub(super) struct Polls<F> {
    future: Pin<Box<F>>,
    /// Where it was spawned.
    site: &'static Location<'static>,
    polled: bool,
    /// Where the future waits since its last poll: where an abort drops it.
    waiting_at: Option<&'static Location<'static>>,
}

impl<F: Future> Polls<F> {
    pub(super) fn new(future: F, site: &'static Location<'static>) -> Self {
        Polls {
            future: Box::pin(future),
            site,
            polled: false,
            waiting_at: None,
        }
    }

    /// Whether it was never polled.
    #[cfg_attr(loom, allow(dead_code))]
    pub(super) fn first(&self) -> bool {
        !self.polled
    }

    /// One poll: the output once the future is ready, a cancelled `JoinError` instead of a
    /// poll once the task is aborted, `None` while it is pending. The caller has entered the
    /// runtime's context for the task (`context::enter`).
    pub(super) fn step(
        &mut self,
        shared: &Shared<F::Output>,
        cx: &mut Context<'_>,
    ) -> Option<Result<F::Output, JoinError>> {
        if shared.aborted.is_set() {
            let why = crate::rt::Cancel::Abort {
                polled: self.polled,
            };
            crate::rt::cancelled(self.site, why, self.waiting_at);
            return Some(Err(JoinError::cancelled(shared.id)));
        }
        // The task's future is the outermost: nothing encloses it to keep a site for.
        let _stale = crate::rt::take_pending_at();
        let future = &mut self.future;
        let result = rt::catch_task_panic(|| future.as_mut().poll(cx)).map_err(|panic| {
            rt::task_panicked(self.site);
            JoinError::panicked(shared.id, panic)
        });
        self.polled = true;
        // Kept, for a lost wakeup's report, until the next poll.
        self.waiting_at =
            crate::rt::peek_pending_at().filter(|_| matches!(result, Ok(Poll::Pending)));
        match result {
            Ok(Poll::Ready(output)) => Some(Ok(output)),
            Ok(Poll::Pending) => None,
            Err(panic) => Some(Err(panic)),
        }
    }
}

/// A task with its output's type erased, as the end of an async test (abort it if it still
/// runs) and an [`AbortHandle`] see it.
pub(super) trait Abort: Send + Sync {
    fn abort(&self);

    fn is_finished(&self) -> bool;

    fn id(&self) -> Id;

    /// Leaks the task's output if its handle never took it, for a task of an execution that
    /// is over: dropped later, its destructor would run in another execution, on objects of
    /// the one that is over (a misuse report of a program that has none).
    fn forget_output(&self);
}

impl<T: Send> Abort for Shared<T> {
    fn abort(&self) {
        self.cancel();
    }

    fn is_finished(&self) -> bool {
        self.finished()
    }

    fn id(&self) -> Id {
        self.id
    }

    fn forget_output(&self) {
        std::mem::forget(self.state.after_its_execution().output.take());
    }
}
