//! Timers of tasks: a poll that returns `Pending` may ask to be polled again at a deadline
//! ([`wake_at`], from `tapestry::tokio::time`'s sleeps and timeouts), and the task's thread
//! then waits for a wake or for that deadline, whichever comes first.
//!
//! Outside explorations and under the stress engine the deadline is on the real clock and the
//! wait is a real timed wait. Under the model engines it is on the execution's virtual clock
//! (`crate::time`) and the wait is a timed wait of the engine's; when a timer fires, the clock
//! moves on to its deadline. Time passes as on tokio's paused clock, with one addition:
//!
//! - a sleep fires only when no other thread can go on (`Execution::time_may_pass`) and no poll
//!   waits for a free worker, and in deadline order: only the earliest pending timer may fire
//!   (a task's timer is pending from its wait until its next poll has ended, see [`Slot`]), and
//!   its task goes on before time passes again. So a task that sleeps 1 s has been polled
//!   before one that sleeps 2 s goes on, in every schedule;
//! - a timeout may also fire at any point where its task waits, while others still run (the
//!   engine chooses: at once, or after any of their steps), because under a real clock the
//!   work it guards may take any time. So whether a timeout fires before that work is done is
//!   explored at every await point of the work.

use std::panic::Location;
use std::sync::Arc;
use std::task::Waker;

use super::per_execution::PerExecution;
use super::waker::Target;
use crate::rt::{self, ThreadIdx};
use crate::sync::Mutex;
use crate::time::Instant;

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

/// A task's pending timer under a model engine: from the wait that asked for it until the
/// task's next poll has ended (see [`Slot`]). Between the two the task runs, woken or its
/// timer fired, and its sleep is still pending: no later timer may fire meanwhile, as under
/// tokio, whose timers stay registered from a sleep's first poll to its drop.
struct Timer {
    thread: ThreadIdx,
    deadline: Instant,
}

/// The timer that fires next when time may pass: the earliest (the lowest thread first among
/// equal deadlines), as an index into `timers`.
fn leader(timers: &[Timer]) -> Option<usize> {
    (0..timers.len()).min_by_key(|&i| (timers[i].deadline, timers[i].thread))
}

fn leading_thread(timers: &[Timer]) -> Option<ThreadIdx> {
    leader(timers).map(|i| timers[i].thread)
}

/// After the timers changed from leading thread `before` on: wakes the new leader, unless it
/// is `me` or led already, so that it waits with a time limit (see [`wait`]).
fn wake_new_leader(timers: &[Timer], before: Option<ThreadIdx>, me: ThreadIdx, exec: u64) {
    if let Some(now) = leading_thread(timers)
        && Some(now) != before
        && now != me
    {
        crate::thread::wake(exec, now, Location::caller());
    }
}

/// A poll loop's pending timer, if it has one registered ([`wait`] registers it); released
/// after a poll that asks for no timer, and when the loop ends (also by a panic).
pub(super) struct Slot {
    registered: Option<(u64, ThreadIdx)>,
}

impl Slot {
    pub(super) fn new() -> Slot {
        Slot { registered: None }
    }

    /// The loop's task no longer waits for a timer: its timer goes, and the next one leads.
    pub(super) fn release(&mut self) {
        let Some((exec, me)) = self.registered.take() else {
            return;
        };
        let all = timers();
        let mut timers = lock(&all);
        let before = leading_thread(&timers);
        if let Some(i) = timers.iter().position(|t| t.thread == me) {
            timers.swap_remove(i);
        }
        wake_new_leader(&timers, before, me, exec);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !rt::teardown() {
            self.release();
        }
    }
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
/// poll's task waits, whether or not other tasks could still run; with
/// `Timeouts::WhenIdle`, only as a sleep's.
#[track_caller]
pub(crate) fn expire_at(deadline: Instant, waker: &Waker) {
    match rt::early_timeouts() {
        true => want(deadline, waker, |wanted| &mut wanted.timeout),
        false => want(deadline, waker, |wanted| &mut wanted.sleep),
    }
}

#[track_caller]
fn want(deadline: Instant, waker: &Waker, which: fn(&mut Wanted) -> &mut Option<Instant>) {
    let me = rt::current_thread();
    let asked = super::context::want(me, |wanted| {
        let slot = which(wanted);
        *slot = Some(slot.map_or(deadline, |d| d.min(deadline)));
    });
    match asked {
        Some(()) => {}
        None if me.is_some() => rt::misuse(format!(
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

/// Waits for a wake of `target`'s thread or for the timers `wanted`, registering the timer in
/// `slot` (under a model engine; it stays registered until the slot is released).
///
/// Under a model engine, only the task whose timer fires next (the leader) waits with a time
/// limit, and a task with a timeout (which may fire at any point); the others wait for a wake
/// only. A model engine's timed wait may end at any step, so each timed waiter is a thread
/// that can always run: with every sleeper waiting so, sleepers would take turns timing out
/// and finding the others able to go on, for ever. When another timer comes to lead (the
/// leader's task asked for a later one, or for none), its task is woken and polled again (a
/// poll that changes nothing for a future that is not ready), then waits with a time limit.
pub(super) fn wait(
    slot: &mut Slot,
    target: &Target,
    site: &'static Location<'static>,
    wanted: Wanted,
) {
    let deadline = wanted
        .deadline()
        .expect("the poll loop waits only for wanted timers");
    let Some((exec, me)) = rt::current_thread().filter(|_| rt::virtual_now().is_some()) else {
        target.wait_timeout(site, deadline.saturating_duration_since(Instant::now()));
        return;
    };
    let all = timers();
    let mut timers = lock(&all);
    let before = leading_thread(&timers);
    match timers.iter().position(|t| t.thread == me) {
        Some(i) => timers[i].deadline = deadline,
        None => timers.push(Timer {
            thread: me,
            deadline,
        }),
    }
    slot.registered = Some((exec, me));
    wake_new_leader(&timers, before, me, exec);
    loop {
        let leads = leading_thread(&timers) == Some(me);
        drop(timers);
        let timed_out = if leads || wanted.timeout.is_some() {
            let remaining = deadline.saturating_duration_since(Instant::now());
            target.wait_timeout(site, remaining)
        } else {
            target.wait(site);
            false
        };
        timers = lock(&all);
        // A wake that came after the wait ended, while this thread took the lock, counts: the
        // task has work, and time passes only when every task is idle.
        if !timed_out || crate::thread::has_token(me) {
            // Woken: the task is polled again, its timer still pending.
            return;
        }
        // Due already: the clock moved past it (`tokio::time::advance`, a thread's sleep).
        if deadline <= Instant::now() {
            return;
        }
        // A sleep fires only when time may pass, and only the earliest.
        if leading_thread(&timers) == Some(me)
            && !super::workers::waiting_for_a_free_worker()
            && rt::time_may_pass(all.bound().obj.id, crate::thread::has_token)
        {
            drop(timers);
            advance_to(deadline);
            return;
        }
        if let Some(timeout) = wanted.timeout {
            // A timeout may fire whenever its task waits: the work it guards may take any
            // time.
            drop(timers);
            advance_to(timeout);
            return;
        }
    }
}

/// Moves the virtual clock on to `at`, if it is not there yet.
fn advance_to(at: Instant) {
    let now = rt::virtual_now().expect("under a model engine");
    rt::advance_to(now, at.saturating_duration_since(Instant::now()));
}

/// Time is paused (`tokio::time::pause`, a runtime or test that starts paused) at `site`: the
/// model engines' clock always is; an engine on real time (stress) cannot pause it, and a test
/// that relies on a paused clock (exact durations) would fail there for no fault of its own,
/// so the execution ends as one the engine cannot run. Outside explorations nothing happens.
pub(crate) fn pause_clock(site: &'static Location<'static>) {
    if rt::current_thread().is_some() && rt::virtual_now().is_none() {
        rt::fail(
            crate::kinds::FailureKind::Unsupported,
            format!(
                "the test pauses tokio's clock at {site} (`time::pause`, `start_paused`): the \
                 stress engine runs tasks on real time, which it cannot pause (a sleep takes at \
                 least its duration, `Instant` measures real time); the model engines run it on \
                 a paused virtual clock"
            ),
        );
    }
}

/// Moves the running execution's virtual clock on by `by` (`tokio::time::advance`), and wakes
/// the task whose timer leads, which fires if it is due now (the next one leads after it).
/// `false` outside a model engine's execution, where time is real.
pub(crate) fn advance_clock(by: std::time::Duration) -> bool {
    let Some((exec, me)) = rt::current_thread().filter(|_| rt::virtual_now().is_some()) else {
        return false;
    };
    let now = rt::virtual_now().expect("under a model engine");
    rt::advance_to(now, by);
    let all = timers();
    let timers = lock(&all);
    if let Some(leader) = leading_thread(&timers).filter(|&t| t != me) {
        crate::thread::wake(exec, leader, Location::caller());
    }
    true
}
