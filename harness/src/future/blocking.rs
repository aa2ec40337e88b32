//! Blocking code among tasks, as tokio's: [`spawn_blocking`] runs a closure on a thread of its
//! own, outside the runtime's workers; `block_in_place` runs one in the task, giving its worker
//! back meanwhile.

use std::panic::Location;

use super::context::{self, Kind};
use super::join_error::JoinError;
use super::task::{JoinHandle, Shared};
use crate::rt;

/// Runs `f` on a thread of its own and returns a handle to its output, as tokio's
/// `spawn_blocking`: for blocking or long computing code that would hold a worker of the
/// runtime if it ran in a task.
///
/// The thread is a model thread of its own under every engine but stress, so every engine
/// explores where its operations interleave with the tasks' (a lane named `blocking-N` in
/// traces), a real thread under the stress engine, and a std thread outside explorations. It
/// holds none of the modelled runtime's workers (`workers = N`), as tokio's blocking pool is
/// apart from its workers. A panic in `f` is the handle's [`JoinError`], as a task's.
///
/// `f` cannot be stopped once it started: [`JoinHandle::abort`] and
/// [`AbortHandle::abort`](super::AbortHandle::abort) then do nothing, as tokio's (an abort
/// that comes before `f` starts keeps it from running: the handle returns a cancelled
/// `JoinError`, an ordering every engine explores). The end of an async test waits for a
/// closure that is running, as the shutdown of tokio's runtime does.
///
/// ```
/// use tapestry::future::{block_on, spawn_blocking};
///
/// let sum = spawn_blocking(|| (1..=10).sum::<u32>());
/// assert_eq!(block_on(sum).unwrap(), 55);
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let site = Location::caller();
    // Nothing wakes the closure's thread: an abort only has to be seen before it starts.
    let shared = Shared::new(None);
    let name = match rt::current_thread() {
        // Under an exploration the closure's thread is the next one the execution starts.
        Some(_) => format!("blocking-{}", rt::thread_count()),
        None => "tapestry-blocking".to_owned(),
    };
    let task = shared.clone();
    let thread = crate::thread::Builder::new()
        .name(name)
        .spawn(move || run(&task, f, site))
        .expect("failed to start a thread for a blocking closure");
    super::shutdown::register(shared.clone(), Some(thread));
    JoinHandle::new(shared)
}

/// The closure's thread: runs it unless it was aborted first, and hands over its output.
fn run<R>(shared: &Shared<R>, f: impl FnOnce() -> R, site: &'static Location<'static>) {
    let id = shared.id();
    if shared.aborted() {
        rt::cancelled(site, rt::Cancel::AbortBlocking, None);
        shared.finish(Err(JoinError::cancelled(id)));
        return;
    }
    let context = context::enter(rt::current_thread(), Kind::Entered, Some(id));
    let output = rt::catch_task_panic(f).map_err(|panic| {
        rt::task_panicked(site);
        JoinError::panicked(id, panic)
    });
    drop(context);
    shared.finish(output);
}

/// `tokio::task::block_in_place` (documented there): `f` on the running thread, in a task's
/// poll after giving its worker back; a panic in a poll of a one-worker runtime, as tokio's on a
/// `current_thread` runtime.
#[track_caller]
pub(crate) fn block_in_place<F: FnOnce() -> R, R>(f: F) -> R {
    let Some((kind, task)) = context::current() else {
        return f();
    };
    if kind == Kind::Poll {
        if super::workers::count() == Some(1) {
            panic!("can call blocking only when running on the multi-threaded runtime");
        }
        super::workers::release_held();
        if task.is_some() && rt::real_threads() {
            // The task runs on one of the stress engine's runners, which `f` blocks.
            super::executor::add_runner();
        }
    }
    let _context = context::enter(rt::current_thread(), Kind::Entered, task);
    f()
}
