//! What the runtime keeps for async tasks (`future/`, `tokio/`): where a task's future waits,
//! what became of its waker, the futures it dropped, the `select!` choices, the workers of a
//! modelled runtime, the tokio-shaped locks it waits for and holds.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;

use super::event::{Cancel, ThreadIdx, WakerEvent, WakerNote};
use super::thread_stack::ThreadStack;
use super::{Op, Site, execution, is_ours, local};

thread_local! {
    /// The task this thread is polling, when tasks have no thread of their own.
    static POLLING: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
    /// The task polls under way on this OS thread that return a panic as the task's output,
    /// innermost last, each found by its model thread (see `ThreadStack`: a thread may switch
    /// in the middle of a poll, also while its panic unwinds), with what the hook made of the
    /// last panic raised in it: the number of the task panic it noted, or `None` for a panic
    /// that fails the execution.
    static CATCHING: ThreadStack<Option<u64>> = const { ThreadStack::new() };
}

/// A panic of a task's poll that the task's handle returns (a `JoinError`), as tokio's.
pub(crate) struct TaskPanic {
    pub payload: Box<dyn Any + Send + 'static>,
    /// Under an exploration, the execution and the number it noted the panic by: a panic no
    /// handle returns by the end of the execution fails it (`execution/task_panics.rs`).
    pub noted: Option<(u64, u64)>,
}

/// Polls a task with `poll`, returning a panic of the program's as the task's [`TaskPanic`]:
/// a panic of an engine (a deadlock, a race, a misuse) or of a coroutine's control flow
/// unwinds on, failing the execution as before.
pub(crate) fn catch_task_panic<R>(poll: impl FnOnce() -> R) -> Result<R, TaskPanic> {
    let thread = super::current_thread();
    CATCHING.with(|catching| catching.push(thread, None));
    let result = catch_unwind(AssertUnwindSafe(poll));
    let caught = CATCHING
        .try_with(|c| c.pop(thread))
        .ok()
        .flatten()
        .flatten();
    let payload = match result {
        Ok(output) => return Ok(output),
        Err(payload) => payload,
    };
    let Some(local) = local() else {
        // Outside explorations every panic is the program's.
        return Err(TaskPanic {
            payload,
            noted: None,
        });
    };
    // Caught: the thread no longer unwinds (see `rt::panicking`).
    local.exec.set_unwinding(local.running(), false);
    match caught {
        Some(id) => Err(TaskPanic {
            payload,
            noted: Some((local.exec.id(), id)),
        }),
        None => resume_unwind(payload),
    }
}

/// Whether a panic raised now is a task's that [`catch_task_panic`] returns (for the hook):
/// whether the running thread is in a task's poll.
pub(crate) fn catching_task_panic() -> bool {
    let thread = super::current_thread();
    let catching = |c: &ThreadStack<_>| c.innermost(thread, |_| true, |_| ()).is_some();
    CATCHING.try_with(catching).unwrap_or(false)
}

/// Whether a task's panic that its handle will return unwinds now, on some model thread of
/// the running execution on this OS thread (std's `thread::panicking` is then true for every
/// model thread there).
pub(crate) fn task_panic_unwinding() -> bool {
    let exec = super::current_thread().map(|t| t.0);
    let unwinding = |of: super::thread_stack::Thread, caught: &Option<u64>| {
        caught.is_some() && of.map(|t| t.0) == exec
    };
    CATCHING.try_with(|c| c.any(unwinding)).unwrap_or(false)
}

/// The hook noted the panic being raised on the running thread as task panic `id` (or,
/// `None`, as a failure).
pub(crate) fn caught_task_panic(id: Option<u64>) {
    let thread = super::current_thread();
    let _ = CATCHING.try_with(|c| c.innermost(thread, |_| true, |caught| *caught = id));
}

/// A task's handle returned the panic `noted` (see [`TaskPanic::noted`]).
pub(crate) fn task_panic_seen(noted: (u64, u64)) {
    if let Some(local) = local()
        && local.exec.id() == noted.0
    {
        local.exec.task_panic_seen(noted.1);
    }
}

/// While it lives, the running thread polls task `name`, which has no thread of its own (the
/// stress engine's executor): a panic in the poll is the task's (`hook`).
pub(crate) struct Polling(Option<Arc<str>>);

pub(crate) fn polling(name: &Arc<str>) -> Polling {
    Polling(POLLING.with(|p| p.borrow_mut().replace(name.clone())))
}

impl Drop for Polling {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = POLLING.try_with(|p| *p.borrow_mut() = previous);
    }
}

/// The task the running thread polls, if it polls one with no thread of its own.
pub(crate) fn polled_task() -> Option<String> {
    POLLING
        .try_with(|p| p.try_borrow().ok()?.as_deref().map(str::to_owned))
        .ok()
        .flatten()
}

/// Notes in the trace that the running thread dropped a pending future (`why`), made at
/// `site`, which waited at `waiting_at` if known: no operation of any engine, and nothing
/// outside explorations.
pub(crate) fn cancelled(site: Site, why: Cancel, waiting_at: Option<Site>) {
    if let Some(local) = local() {
        let op = || Op::Cancelled { why, waiting_at };
        local.record(local.running(), 0, op, site);
    }
}

/// The future the running thread polls waits at `site`, unless a future inside it already
/// said where in this poll (the innermost says first). A line of tapestry's own (one of its
/// futures made inside another) is no place a user can look at, and is not kept.
pub(crate) fn pending_at(site: Site) {
    if is_ours(site) {
        return;
    }
    if let Some(local) = local() {
        local.exec.note_pending_at(local.running(), site);
    }
}

/// Where the future the running thread polled last waits, forgotten (see [`pending_at`]).
pub(crate) fn take_pending_at() -> Option<Site> {
    let local = local()?;
    local.exec.pending_at(local.running(), true)
}

/// Where the future the running thread polled last waits, kept: a lost wakeup's report names
/// it (see [`pending_at`]).
pub(crate) fn peek_pending_at() -> Option<Site> {
    let local = local()?;
    local.exec.pending_at(local.running(), false)
}

/// Notes `what` happened to the waker of the task on model thread `task` of execution `exec`,
/// done by the running thread, for a lost wakeup's report (`Execution::record_failure`).
pub(crate) fn waker_note(exec: u64, task: ThreadIdx, what: WakerEvent) {
    let Some(local) = local().filter(|l| l.exec.id() == exec) else {
        return;
    };
    let after = local.peek_recording(|r| r.events.len());
    let site = local.exec.waker_sites.then(user_line).flatten();
    let note = WakerNote {
        what,
        by: local.running(),
        after,
        site,
    };
    local.exec.note_waker(task, note);
}

/// The line of user code the running thread is in: the innermost frame of a backtrace that is
/// neither tapestry's, nor the standard library's, nor a dependency's from a registry, as
/// `file:line` with the file relative to the workspace (as `Location`s name files); leaked:
/// only a lost wakeup's run again for its report asks. `None` without debug info.
fn user_line() -> Option<&'static str> {
    let ours = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");
    let here = std::env::current_dir().ok()?;
    let backtrace = std::backtrace::Backtrace::force_capture().to_string();
    let at = backtrace
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("at "))
        .map(|at| match at.strip_prefix("./") {
            Some(relative) => here.join(relative).display().to_string(),
            None => at.to_owned(),
        })
        .find(|at| {
            !at.starts_with(ours)
                && !at.starts_with("/rustc/")
                && !at.contains("/.cargo/registry/")
                && !at.contains("/.cargo/git/")
        })?;
    // `file:line:column` to `file:line`.
    let at = at
        .rsplit_once(':')
        .map_or(at.as_str(), |(file_line, _)| file_line);
    // The workspace's root holds its `Cargo.lock`.
    let root = here
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file());
    let at = root
        .and_then(|root| std::path::Path::new(at).strip_prefix(root).ok())
        .map_or_else(|| at.to_owned(), |relative| relative.display().to_string());
    Some(Box::leak(at.into_boxed_str()))
}

/// The running task, spawned at `site`, panicked in a poll: a note in the trace.
pub(crate) fn task_panicked(site: Site) {
    if let Some(local) = local() {
        local.record(local.running(), 0, || Op::TaskPanicked, site);
    }
}

/// A poll of the running task, whose loop runs at `site`, holds worker `worker` (from 0) of
/// the modelled async runtime: a note in the trace.
pub(crate) fn polled_by(worker: usize, site: Site) {
    if let Some(local) = local() {
        let worker = u8::try_from(worker + 1).unwrap_or(u8::MAX);
        local.record(local.running(), 0, || Op::Poll { worker }, site);
    }
}

/// Where an unbiased `select!` of `n > 0` branches made at `site` starts polling: a choice
/// the running execution's engine explores or samples (`Backend::choose`), recorded as
/// `Op::SelectStart`; `None` outside explorations and under engines that make none.
pub(crate) fn select_start(site: Site, n: usize) -> Option<usize> {
    let local = local()?;
    let start = local.exec.backend.choose(n)?;
    let (branch, of) = (start + 1, n);
    let op = || Op::SelectStart {
        branch: u8::try_from(branch).unwrap_or(u8::MAX),
        of: u8::try_from(of).unwrap_or(u8::MAX),
    };
    local.record(local.running(), 0, op, site);
    Some(start)
}

/// Runs `f` on the running execution's record of the locks of `tapestry::tokio`, with the
/// running thread; nothing outside explorations.
pub(crate) fn async_locks(f: impl FnOnce(&mut execution::AsyncLocks, ThreadIdx)) {
    if let Some(l) = local() {
        f(&mut l.exec.async_locks(), l.running());
    }
}

/// The running execution's async runtime workers, if limited (`Explorer::workers`).
pub(crate) fn workers() -> Option<std::num::NonZeroUsize> {
    local().and_then(|l| l.exec.worker_count())
}
