//! Timers of tasks: a poll that returns `Pending` may ask to be polled again at a deadline
//! ([`wake_at`], from `tapestry::tokio::time`'s sleeps and timeouts), and the task's thread
//! then waits for a wake or for that deadline, whichever comes first.
//!
//! Outside explorations and under the stress engine the deadline is on the real clock and the
//! wait is a real timed wait. Under the model engines it is on the execution's virtual clock
//! (`crate::time`) and the wait is a timed wait of the engine's; when a timer fires, the clock
//! moves on to its deadline. Time passes as on tokio's paused clock, with one addition:
//!
//! - a sleep fires only when no other thread can go on (`Execution::time_may_pass`), and in
//!   deadline order: a sleep that comes due while another task waits for an earlier deadline
//!   does not fire; its task waits on (for a wake only) until a task whose timer wait ended has
//!   been polled again, then waits for its own deadline anew. So a task that sleeps 1 s has
//!   been polled before one that sleeps 2 s goes on, in every schedule;
//! - a timeout may also fire at any point where its task waits, while others still run (the
//!   engine chooses: at once, or after any of their steps), because under a real clock the
//!   work it guards may take any time. So whether a timeout fires before that work is done is
//!   explored at every await point of the work.

use std::cell::Cell;
use std::panic::Location;
use std::sync::Arc;
use std::task::Waker;

use super::per_execution::PerExecution;
use super::waker::Target;
use crate::rt::{self, ThreadIdx};
use crate::sync::Mutex;
use crate::time::Instant;

crate::thread_local! {
    /// `None` while no poll of ours runs on this thread; in a poll, the timers it asked for.
    static POLL: Cell<Option<Wanted>> = const { Cell::new(None) };
}

/// The timers a poll asked for: the earliest deadline of its sleeps, and of its timeouts,
/// which may also fire before time would pass for sleeps (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Wanted {
    sleep: Option<Instant>,
    timeout: Option<Instant>,
}

impl Wanted {
    pub(super) fn deadline(&self) -> Option<Instant> {
        match (self.sleep, self.timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A task waiting for its timer under a model engine.
struct Timer {
    thread: ThreadIdx,
    deadline: Instant,
    /// Its timer came due while an earlier one was pending: it waits for a wake only.
    deferred: bool,
}

type Timers = Arc<Mutex<Vec<Timer>>>;

/// Each execution's timer waits, behind a facade mutex, so that the engines see (and the DPOR
/// engine orders) every use of them.
static EXECUTIONS: PerExecution<Mutex<Vec<Timer>>> = PerExecution::new();

/// The running execution's timer waits.
fn timers() -> Timers {
    EXECUTIONS.get(|| Mutex::new(Vec::new()))
}

fn lock(timers: &Timers) -> crate::sync::MutexGuard<'_, Vec<Timer>> {
    timers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The future being polled (a sleep) wants to be polled again at `deadline` if nothing wakes
/// it earlier; `waker` is its context's.
///
/// Polled by one of tapestry's poll loops (a task, `block_on`), the loop waits with a timer.
/// Polled by another executor (outside explorations), a std thread wakes `waker` at the
/// deadline.
#[track_caller]
pub(crate) fn wake_at(deadline: Instant, waker: &Waker) {
    want(deadline, waker, |wanted| &mut wanted.sleep);
}

/// As [`wake_at`], for a timeout: under a model engine its timer may fire at any point the
/// poll's task waits, whether or not other tasks could still run.
#[track_caller]
pub(crate) fn expire_at(deadline: Instant, waker: &Waker) {
    want(deadline, waker, |wanted| &mut wanted.timeout);
}

#[track_caller]
fn want(deadline: Instant, waker: &Waker, which: fn(&mut Wanted) -> &mut Option<Instant>) {
    match POLL.get() {
        Some(mut wanted) => {
            let slot = which(&mut wanted);
            *slot = Some(slot.map_or(deadline, |d| d.min(deadline)));
            POLL.set(Some(wanted));
        }
        None if rt::current_thread().is_some() => rt::misuse(format!(
            "a tapestry timer was polled by an executor other than tapestry's (at {}): under an \
             exploration, run futures with `tapestry::future::{{block_on, spawn}}`",
            Location::caller()
        )),
        None => {
            let waker = waker.clone();
            let remaining = deadline.saturating_duration_since(Instant::now());
            std::thread::spawn(move || {
                std::thread::sleep(remaining);
                waker.wake();
            });
        }
    }
}

/// Runs a poll of one of our loops; returns its result and the timers it asked for.
pub(super) fn polling<T>(poll: impl FnOnce() -> T) -> (T, Option<Wanted>) {
    let outer = POLL.replace(Some(Wanted::default()));
    let result = poll();
    let wanted = POLL.replace(outer).filter(|w| w.deadline().is_some());
    (result, wanted)
}

/// Waits for a wake of `target`'s thread or for the timers `wanted`. Returns whether the wait
/// was a model timer wait, after which [`polled`] must follow the next poll.
pub(super) fn wait(target: &Target, site: &'static Location<'static>, wanted: Wanted) -> bool {
    let deadline = wanted
        .deadline()
        .expect("`polling` keeps only wanted timers");
    let Some((_, me)) = rt::current_thread().filter(|_| rt::virtual_now().is_some()) else {
        target.wait_timeout(site, deadline.saturating_duration_since(Instant::now()));
        return false;
    };
    let all = timers();
    lock(&all).push(Timer {
        thread: me,
        deadline,
        deferred: false,
    });
    // Until a wake, or a timer that fires: a sleep's only when nothing else can run.
    let fired = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if !target.wait_timeout(site, remaining) {
            break None;
        }
        if rt::time_may_pass(crate::thread::has_token) {
            break Some(deadline);
        }
        if let Some(timeout) = wanted.timeout {
            break Some(timeout);
        }
    };
    let defer = {
        let mut timers = lock(&all);
        let earlier = timers
            .iter()
            .any(|t| t.thread != me && t.deadline < deadline);
        let mine = timers
            .iter()
            .position(|t| t.thread == me)
            .expect("a timer wait is registered until it ends");
        let defer = fired == Some(deadline) && earlier;
        if defer {
            timers[mine].deferred = true;
        } else {
            timers.swap_remove(mine);
        }
        defer
    };
    if defer {
        target.wait(site);
        let mut timers = lock(&all);
        if let Some(mine) = timers.iter().position(|t| t.thread == me) {
            timers.swap_remove(mine);
        }
    } else if let Some(at) = fired {
        let now = rt::virtual_now().expect("under a model engine");
        rt::advance_to(now, at.saturating_duration_since(Instant::now()));
    }
    true
}

/// A task whose timer wait ended has been polled again: the tasks whose timers were deferred
/// behind it may wait for theirs anew.
pub(super) fn polled() {
    let Some((exec, _)) = rt::current_thread() else {
        return;
    };
    let all = timers();
    let deferred: Vec<ThreadIdx> = lock(&all)
        .iter_mut()
        .filter_map(|t| std::mem::take(&mut t.deferred).then_some(t.thread))
        .collect();
    for thread in deferred {
        crate::thread::wake(exec, thread, Location::caller());
    }
}
