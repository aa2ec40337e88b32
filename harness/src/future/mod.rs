//! Async tasks under every engine: [`spawn`], [`block_on`], [`yield_now`], [`JoinHandle`] (with
//! its [`AbortHandle`] and task [`Id`]) and [`spawn_blocking`], executor-agnostic, shaped as
//! tokio's.
//!
//! Under the model engines each task runs on a model thread of its own, which polls it, waits
//! for its waker when it returns `Pending`, and polls it again once woken. Every engine explores tasks as it explores
//! threads: where a task's polls interleave with the other tasks' and threads' operations,
//! which is every interleaving of their facade operations. A wake is an operation of the
//! waking thread and a synchronisation (it happens before the poll it causes), so the DPOR
//! engine stays optimal and the race detector sees the order.
//!
//! When a test's tasks all wait for wakes that nothing will send, the failure is a
//! [`LostWakeup`](crate::FailureKind::LostWakeup), not a deadlock: a condition checked before
//! the waker was registered, a waker dropped, or one stored where nobody looks.
//!
//! ```
//! use tapestry::future::{block_on, spawn};
//! use tapestry::sync::Arc;
//! use tapestry::sync::atomic::{AtomicUsize, Ordering};
//!
//! let hits = Arc::new(AtomicUsize::new(0));
//! let task = {
//!     let hits = hits.clone();
//!     spawn(async move { hits.fetch_add(1, Ordering::SeqCst) })
//! };
//! block_on(async {
//!     assert_eq!(task.await.unwrap(), 0);
//! });
//! assert_eq!(hits.load(Ordering::SeqCst), 1);
//! ```
//!
//! `#[tapestry::test] async fn` runs the function's body as the first task (on the test's
//! main thread, with [`block_on`]); when it returns, tasks still running are aborted, as at
//! the end of `#[tokio::test]`.
//!
//! Under the stress engine tasks are polled by a real multi-threaded executor
//! ([`async-executor`](https://docs.rs/async-executor)) on as many threads as the machine has
//! cores (or `workers`), so a task may move from thread to thread between its polls, as on a
//! work-stealing runtime. Outside explorations the same code runs on std threads, one per
//! task.

#[cfg(not(loom))]
mod executor;
/// Under `--cfg loom` the executor's crates are not built (see `Cargo.toml`): no task is
/// spawned on it, and there is nothing to wait for.
#[cfg(loom)]
mod executor {
    pub(super) const AVAILABLE: bool = false;

    pub(super) fn spawn<F: std::future::Future>(
        _: std::sync::Arc<super::task::Shared<F::Output>>,
        _: F,
        _: &'static std::panic::Location<'static>,
    ) {
        unreachable!("no executor under `--cfg loom`")
    }

    pub(super) fn wait_until_idle() {}

    pub(super) fn add_runner() {}
}
mod blocking;
mod context;
mod join_error;
pub(crate) mod locks;
mod per_execution;
mod shared_state;
mod shutdown;
mod task;
pub(crate) mod timer;
mod waker;
pub(crate) mod workers;

use std::future::Future;
use std::panic::Location;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

pub(crate) use blocking::block_in_place;
pub use blocking::spawn_blocking;
pub use context::Id;
pub(crate) use context::{
    Enter, Kind as ContextKind, current as context, enter_if_outside, task_id,
};
pub(crate) use context::{refund_budget, spend_budget};
pub use join_error::JoinError;
pub use task::{AbortHandle, JoinHandle, spawn};

use waker::Target;

/// Runs `future` to completion on the calling thread, waiting for its waker whenever it
/// returns `Pending`; returns its output. Tasks it spawned run on.
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let site = Location::caller();
    let mut future = pin!(future);
    let poll = |cx: &mut Context<'_>| {
        // Where it waits is noted afresh by each poll, and kept until the next (`rt::pending_at`).
        let _stale = crate::rt::take_pending_at();
        match future.as_mut().poll(cx) {
            Poll::Ready(output) => Some(output),
            Poll::Pending => None,
        }
    };
    drive(Target::current(), site, None, poll, |output| output)
}

/// The poll loop of a task or a `block_on`: `step` polls with the context of `target`'s
/// waker until it returns an output, and the thread waits for a wake after each `None`. Each
/// poll runs in the runtime's context, for `task` if it polls one. `done` is given the output
/// while the last poll's worker is still held: a task's completion (its output stored for its
/// handle) is part of its last run on a worker, as on tokio, where a `current_thread`
/// runtime's task that wakes its joiner in its last poll is finished before the joiner runs.
fn drive<T, R>(
    target: Arc<Target>,
    site: &'static Location<'static>,
    task: Option<Id>,
    mut step: impl FnMut(&mut Context<'_>) -> Option<T>,
    done: impl FnOnce(T) -> R,
) -> R {
    let waker = target.waker();
    let mut cx = Context::from_waker(&waker);
    // The loop runs on one model thread from start to end.
    let thread = crate::rt::current_thread();
    let mut timer = timer::Slot::new();
    loop {
        let wanted = {
            let _worker = workers::claim(thread, site);
            // In the runtime's context: `Handle::current` works, a `block_on` is refused.
            let context = context::enter(thread, context::Kind::Poll, task);
            let output = step(&mut cx);
            let wanted = context.leave();
            if let Some(output) = output {
                // The future (which `step` owns) and the task's timer go first, as before
                // tokio stores a task's output.
                drop(step);
                timer.release();
                workers::ended(thread);
                return done(output);
            }
            wanted
        };
        match wanted.deadline() {
            Some(_) => timer::wait(&mut timer, &target, site, wanted),
            None => {
                timer.release();
                target.wait(site);
            }
        }
    }
}

/// Notes in the trace that a `select!` at `site` dropped its branch `branch` (from 0), the
/// future written `future`, while it was pending at `waiting_at`.
pub(crate) fn dropped_select_branch(
    site: &'static Location<'static>,
    branch: usize,
    future: &'static &'static str,
    waiting_at: Option<&'static Location<'static>>,
) {
    let branch = u8::try_from(branch + 1).unwrap_or(u8::MAX);
    let why = crate::rt::Cancel::SelectBranch { branch, future };
    crate::rt::cancelled(site, why, waiting_at);
}

/// Where an unbiased `select!` of `count` branches at `site` starts polling, if the engine
/// chooses it (see `tokio::__select_start`).
pub(crate) fn select_start(site: &'static Location<'static>, count: usize) -> Option<usize> {
    crate::rt::select_start(site, count)
}

/// Notes in the trace that a timeout made at `site` fired and drops its pending future, which
/// waited at `waiting_at`.
pub(crate) fn dropped_by_timeout(
    site: &'static Location<'static>,
    waiting_at: Option<&'static Location<'static>>,
) {
    crate::rt::cancelled(site, crate::rt::Cancel::Timeout, waiting_at);
}

/// Runs `poll`, a poll of one future, and says where that future waits if it is pending and
/// one of tapestry's futures inside it said so ([`AwaitPoint`]). What an enclosing future
/// learns is kept: the first pending future's await point.
pub(crate) fn poll_noting<T>(
    poll: impl FnOnce() -> Poll<T>,
) -> (Poll<T>, Option<&'static Location<'static>>) {
    let outer = crate::rt::take_pending_at();
    let result = poll();
    let inner = crate::rt::take_pending_at().filter(|_| result.is_pending());
    if let Some(site) = outer.or(inner) {
        crate::rt::pending_at(site);
    }
    (result, inner)
}

pin_project_lite::pin_project! {
    /// One of tapestry's futures that a task can wait in, with the line of user code that made
    /// it (and, as a rule, awaits it): while it is pending, that line is where the task waits,
    /// which a report of the task's future dropped there names.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub(crate) struct AwaitPoint<F> {
        #[pin]
        future: F,
        site: &'static Location<'static>,
    }
}

/// `future`, made at the caller's line: see [`AwaitPoint`].
#[track_caller]
pub(crate) fn await_point<F: Future>(future: F) -> AwaitPoint<F> {
    AwaitPoint {
        future,
        site: Location::caller(),
    }
}

impl<F: Future> Future for AwaitPoint<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if !context::spend_budget() {
            return out_of_budget(this.site, cx);
        }
        let result = this.future.poll(cx);
        if result.is_pending() {
            context::refund_budget();
            waiting_at(this.site);
        }
        result
    }
}

/// What an operation on a runtime resource does when its poll's cooperative budget is spent
/// ([`context::BUDGET`]): it yields, as a `yield_now` (a yield point of its thread, and a wake
/// of its own task), and says `Pending`.
pub(crate) fn out_of_budget<T>(site: &'static Location<'static>, cx: &mut Context<'_>) -> Poll<T> {
    crate::thread::yield_at(site);
    cx.waker().wake_by_ref();
    waiting_at(site);
    Poll::Pending
}

pin_project_lite::pin_project! {
    /// A future whose polls are the initialisation of the object at `addr` (see
    /// [`initialising_static`]).
    pub(crate) struct InitialisingStatic<F> {
        #[pin]
        future: F,
        addr: usize,
    }
}

/// `future`, whose polls run as the initialiser of the facade object at `addr` (tokio's
/// `OnceCell`): if that object is a `static`, what they allocate belongs to it and the leak
/// check does not count it, as for a `static` `OnceLock`'s initialiser (`rt::initialising_static`).
pub(crate) fn initialising_static<F: Future>(addr: usize, future: F) -> InitialisingStatic<F> {
    InitialisingStatic { future, addr }
}

impl<F: Future> Future for InitialisingStatic<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        crate::rt::initialising_static(*this.addr, || this.future.poll(cx))
    }
}

/// One of tapestry's futures made at `site` returned `Pending`: the future the running
/// thread polls waits there, unless a future inside it said where first.
pub(crate) fn waiting_at(site: &'static Location<'static>) {
    crate::rt::pending_at(site);
}

/// Runs an async test's body: [`block_on`], then the shutdown of the tasks still running.
#[doc(hidden)]
#[track_caller]
pub fn __run_test<F: Future>(future: F) -> F::Output {
    let output = block_on(future);
    shutdown::shut_down();
    output
}

/// Yields to the other tasks and threads: the task is woken at once, and the engines may run
/// others before its next poll (a yield point, as [`thread::yield_now`](crate::thread::yield_now)).
#[track_caller]
pub fn yield_now() -> YieldNow {
    YieldNow {
        yielded: false,
        site: Location::caller(),
    }
}

/// The future of [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
    /// Where it was made: the line its yield shows at in a trace.
    site: &'static Location<'static>,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        crate::thread::yield_at(self.site);
        cx.waker().wake_by_ref();
        waiting_at(self.site);
        Poll::Pending
    }
}
