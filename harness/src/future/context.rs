//! Tasks' ids, and what the running thread is doing for the async runtime: polling a task or
//! a `block_on`, or running a blocking closure (`spawn_blocking`, `block_in_place`). tokio
//! calls that the runtime context: `task::id()` reads the task from it, `Handle::current()`
//! needs one, and a `block_on` inside a poll is refused, as tokio's.
//!
//! The context is kept on a std thread-local stack, each entry found by its model thread: model
//! threads share an OS thread under the model engines and may switch in the middle of a poll (a
//! poll that blocks), as `timer.rs` explains for its own stack.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::per_execution::PerExecution;
use super::timer::Wanted;
use crate::rt::{self, ThreadIdx, ThreadStack};

/// A task's id, as tokio's `task::Id`: unique among the tasks of an execution (of a process,
/// outside explorations), numbered from 1 in the order they were spawned. Under an
/// exploration each execution numbers its tasks afresh, so a schedule replays the same ids.
///
/// Shown as its number (`Display`), or as `Id(3)` (`Debug`), as tokio's.
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The last id given outside explorations.
static NEXT: AtomicU64 = AtomicU64::new(0);
/// The last id given in each execution.
static NEXT_OF: PerExecution<AtomicU64> = PerExecution::new();

impl Id {
    /// The next task's id, in the running execution or outside explorations.
    pub(super) fn next() -> Id {
        let last = match rt::current_thread() {
            Some(_) => NEXT_OF.get(|| AtomicU64::new(0)).fetch_add(1, Relaxed),
            None => NEXT.fetch_add(1, Relaxed),
        };
        Id(NonZeroU64::new(last + 1).expect("task ids never run out"))
    }
}

/// What a model thread (or, outside explorations, a std thread) does for the runtime.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Polls a task, or a `block_on`'s future: a `block_on` here would block a worker.
    Poll,
    /// In the runtime's context without polling (a `spawn_blocking` or `block_in_place`
    /// closure, a `Handle::enter` guard): it may `block_on`.
    Entered,
}

struct Entered {
    kind: Kind,
    /// The task, if the thread runs one (a `block_on` is none, as tokio's).
    task: Option<Id>,
    /// The timers a poll asked for so far (`timer::want`); none for [`Kind::Entered`].
    wanted: Wanted,
    /// What is left of the poll's cooperative budget ([`spend_budget`]).
    budget: u8,
}

/// tokio's cooperative budget (`tokio::task::coop`): how many operations on the runtime's
/// resources (a lock taken, a message received, a sleep that has elapsed, ...) one poll of a
/// task may complete. Past it each such operation says `Pending` and wakes its task, which so
/// yields: a task that loops on resources that are always ready (`sleep(Duration::ZERO)`, a
/// `timeout` of zero around a lock that is free) lets the others run, as on tokio, instead of
/// running alone until the step limit under an engine that lets it.
pub(crate) const BUDGET: u8 = 128;

/// Gives back the unit an operation spent ([`spend_budget`]) when it then was not ready, as
/// tokio counts only the operations that complete.
pub(crate) fn refund_budget() {
    let refund = |entry: &mut Entered| entry.budget = entry.budget.saturating_add(1).min(BUDGET);
    let _ = CONTEXT.try_with(|entries| entries.innermost(rt::current_thread(), is_poll, refund));
}

/// Spends one unit of the running poll's budget; `false`, spending nothing, if none is left
/// (and `true` outside polls of ours, which have no budget).
pub(crate) fn spend_budget() -> bool {
    let spent = |entry: &mut Entered| match entry.budget {
        0 => false,
        left => {
            entry.budget = left - 1;
            true
        }
    };
    CONTEXT
        .try_with(|entries| entries.innermost(rt::current_thread(), is_poll, spent))
        .ok()
        .flatten()
        .unwrap_or(true)
}

std::thread_local! {
    /// What the threads running on this OS thread do, innermost last: one entry per poll of
    /// tapestry's loops (pushed and popped once per poll, so it is the one stack a poll pays
    /// for) and per blocking closure, each found by its model thread (see `ThreadStack`).
    static CONTEXT: ThreadStack<Entered> = const { ThreadStack::new() };
}

/// While it lives, the running thread is in the runtime context `kind`, for `task`; it leaves
/// it when dropped (also when the poll or closure panics), or by [`Enter::leave`].
pub(crate) struct Enter(Option<(u64, ThreadIdx)>);

/// Enters the runtime context `kind` on `thread` (the running one), for `task`.
pub(crate) fn enter(thread: Option<(u64, ThreadIdx)>, kind: Kind, task: Option<Id>) -> Enter {
    let wanted = Wanted::default();
    let entered = Entered {
        kind,
        task,
        wanted,
        budget: BUDGET,
    };
    CONTEXT.with(|entries| entries.push(thread, entered));
    Enter(thread)
}

impl Enter {
    /// Leaves the context; returns the timers its poll asked for.
    pub(super) fn leave(self) -> Wanted {
        let wanted = leave(self.0);
        std::mem::forget(self);
        wanted.unwrap_or_default()
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        leave(self.0);
    }
}

/// Removes `thread`'s innermost entry.
fn leave(thread: Option<(u64, ThreadIdx)>) -> Option<Wanted> {
    // `try_with`: a poll may unwind while this OS thread exits.
    let left = CONTEXT
        .try_with(|entries| entries.pop(thread))
        .ok()
        .flatten();
    left.map(|entry| entry.wanted)
}

/// Lets `ask` change the timers wanted by `thread`'s innermost poll (skipping the contexts
/// of blocking closures entered inside it); `None` if the thread runs no poll of ours.
pub(super) fn want(thread: Option<(u64, ThreadIdx)>, ask: impl FnOnce(&mut Wanted)) -> Option<()> {
    CONTEXT.with(|entries| entries.innermost(thread, is_poll, |entry| ask(&mut entry.wanted)))
}

/// Whether a context entry is a poll's (not a blocking closure's, entered inside one).
fn is_poll(entry: &Entered) -> bool {
    entry.kind == Kind::Poll
}

/// The running thread's innermost context: what it does, and for which task.
pub(crate) fn current() -> Option<(Kind, Option<Id>)> {
    let thread = rt::current_thread();
    CONTEXT
        .try_with(|entries| entries.innermost(thread, |_| true, |e| (e.kind, e.task)))
        .ok()
        .flatten()
}

/// The id of the task the running thread runs (polls, or runs the blocking closure of):
/// `None` outside tasks, in a `block_on` among them, as tokio's `task::try_id`.
pub(crate) fn task_id() -> Option<Id> {
    current().and_then(|(_, task)| task)
}

/// Enters the runtime's context on the running thread unless it is in it already (a
/// `Handle::enter` guard); it leaves when the guard is dropped.
pub(crate) fn enter_if_outside() -> Option<Enter> {
    match current() {
        Some(_) => None,
        None => Some(enter(rt::current_thread(), Kind::Entered, None)),
    }
}
