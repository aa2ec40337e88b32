//! Tasks under the stress engine: polled by a real multi-threaded executor
//! ([`async_executor`]), whose runner threads are model threads of the execution, one per
//! core (or per `workers`). A task's facade operations are those of the runner polling it, so
//! the stress engine's jitter, race detection and watchdog see them; and a task may move from
//! runner to runner between its polls, as on a work-stealing runtime such as tokio's
//! multi-thread one, which the model engines (a thread of its own per task) never do.
//!
//! The runners start with the first task and leave once no task is left; a later task starts
//! them again. Timers are on the real clock: a runner's wait for work ends at the earliest
//! deadline of the tasks' timers, and the runner then wakes the tasks whose deadlines passed.

use std::future::{Future, poll_fn};
use std::panic::Location;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use async_executor::Executor;

use super::per_execution::PerExecution;
use super::task::{Polls, Shared};
use super::waker::Target;
use super::{context, timer, workers};
use crate::rt;
use crate::time::Instant;

/// Whether tasks run on the executor under the stress engine (not under `--cfg loom`).
pub(super) const AVAILABLE: bool = true;

/// An execution's executor, and what its runners and tasks share.
struct Runtime {
    executor: Executor<'static>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Tasks spawned and not finished. While some are, their futures (in the executor) hold
    /// the runtime: an execution that fails with tasks pending leaves them, and the runtime,
    /// behind rather than dropping user futures outside their execution.
    live: usize,
    /// Tasks spawned in the execution: the next is named `task-{spawned + 1}`.
    spawned: usize,
    /// Runner threads running.
    runners: usize,
    /// The tasks' timers: when to wake which.
    timers: Vec<(Instant, Waker)>,
    /// Who waits for no task to be left: idle runners, the end of an async test.
    idle: Vec<Waker>,
}

static RUNTIMES: PerExecution<Runtime> = PerExecution::new();

/// Spawns `future`, the task that `shared` is the handle's side of, made at `site`, on the
/// running execution's executor, starting its runners if they are not running.
pub(super) fn spawn<F>(shared: Arc<Shared<F::Output>>, future: F, site: &'static Location<'static>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = RUNTIMES.get(|| Runtime {
        executor: Executor::new(),
        state: Mutex::new(State::default()),
    });
    let (start, name) = {
        let mut state = runtime.lock();
        state.live += 1;
        state.spawned += 1;
        let first = state.runners;
        state.runners = state.runners.max(runner_count());
        let name: Arc<str> = format!("task-{}", state.spawned).into();
        (first..state.runners, name)
    };
    let ours = runtime.clone();
    let mut polls = Some(Polls::new(future, site));
    let task = poll_fn(move |cx| {
        let Some(task) = polls.as_mut() else {
            return Poll::Ready(());
        };
        if task.first() {
            shared.woken_by(cx.waker());
        }
        // A panic in this poll is the task's, not its runner's.
        let _polling = rt::polling(&name);
        let context = context::enter(rt::current_thread(), context::Kind::Poll, Some(shared.id()));
        let step = task.step(&shared, cx);
        let wanted = context.leave();
        let Some(output) = step else {
            if let Some(deadline) = wanted.deadline() {
                ours.lock().timers.push((deadline, cx.waker().clone()));
                // The runner polling it waits for work at most until then (its idle future,
                // which asks for the earliest timer, was polled before this task).
                timer::wake_at(deadline, cx.waker());
            }
            return Poll::Pending;
        };
        // The future goes before the handle learns the output, as on a task's own thread.
        polls = None;
        shared.finish(output);
        ours.finished();
        Poll::Ready(())
    });
    runtime.executor.spawn(task).detach();
    for n in start {
        start_runner(&runtime, n);
    }
}

fn start_runner(runtime: &Arc<Runtime>, n: usize) {
    let runtime = runtime.clone();
    crate::thread::Builder::new()
        .name(format!("runtime-worker-{}", n + 1))
        .spawn(move || run(&runtime))
        .expect("failed to start a runner thread for the executor");
}

/// A task blocks its runner in place (`block_in_place`): one more runner polls the others
/// meanwhile, as tokio starts a thread to take over the blocked worker's tasks. (Runners beyond
/// the workers' count wait for a worker to poll: no more polls run at once.)
pub(super) fn add_runner() {
    let Some(runtime) = RUNTIMES.get_or(|| None) else {
        return;
    };
    let n = {
        let mut state = runtime.lock();
        state.runners += 1;
        state.runners - 1
    };
    start_runner(&runtime, n);
}

/// How many runners: as many as the modelled runtime's workers, or the cores.
fn runner_count() -> usize {
    workers::count()
        .or_else(|| rt::available_parallelism().flatten().map(|n| n.get()))
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
}

/// A runner thread: runs the executor's tasks until none is left.
fn run(runtime: &Runtime) {
    let site = Location::caller();
    let idle = poll_fn(|cx| runtime.runner_polled(cx.waker()));
    let mut running = pin!(runtime.executor.run(idle));
    // Each poll holds one of the modelled runtime's workers, if they are limited, as a poll of
    // `block_on` does: so a task blocking its runner inside a poll (a std lock held across an
    // `.await` elsewhere) holds a worker, as on the real runtime.
    let poll = |cx: &mut Context<'_>| running.as_mut().poll(cx).is_ready().then_some(());
    super::drive(Target::current(), site, None, poll, |()| ());
}

/// Waits until the running execution's executor has no task left (none if it has none).
pub(super) fn wait_until_idle() {
    let Some(runtime) = RUNTIMES.get_or(|| None) else {
        return;
    };
    super::block_on(poll_fn(|cx| {
        let mut state = runtime.lock();
        if state.live == 0 {
            return Poll::Ready(());
        }
        state.idle.push(cx.waker().clone());
        Poll::Pending
    }));
}

impl Runtime {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A runner is polled (woken, or its wait timed out): it leaves if no task is left, and
    /// otherwise wakes the tasks whose timers are due and waits on, at most until the next
    /// timer's deadline.
    fn runner_polled(&self, waker: &Waker) -> Poll<()> {
        let now = Instant::now();
        let (due, next) = {
            let mut state = self.lock();
            if state.live == 0 {
                state.runners -= 1;
                return Poll::Ready(());
            }
            let (due, later) = std::mem::take(&mut state.timers)
                .into_iter()
                .partition::<Vec<_>, _>(|(deadline, _)| *deadline <= now);
            state.timers = later;
            if !state.idle.iter().any(|idle| idle.will_wake(waker)) {
                state.idle.push(waker.clone());
            }
            (
                due,
                state.timers.iter().map(|(deadline, _)| *deadline).min(),
            )
        };
        // In deadline order, as tokio's timer wheel fires what expired meanwhile: a runner that
        // woke late (a loaded machine) must not wake them in the order they were registered.
        let mut due = due;
        due.sort_by_key(|(deadline, _)| *deadline);
        for (_, task) in due {
            task.wake();
        }
        if let Some(next) = next {
            timer::wake_at(next, waker);
        }
        Poll::Pending
    }

    /// A task finished: if it was the last, the runners leave and the end of a test goes on.
    fn finished(&self) {
        let idle = {
            let mut state = self.lock();
            state.live -= 1;
            if state.live > 0 {
                return;
            }
            state.timers.clear();
            std::mem::take(&mut state.idle)
        };
        for waiting in idle {
            waiting.wake();
        }
    }
}
