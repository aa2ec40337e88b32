//! Threads that wait under the c11 engine: for a lock's release or a notification (`locks`),
//! with a timeout, and in spin loops.
//!
//! A waiting thread stops at the read that showed it must wait; the write it waits for,
//! once another thread adds it, revisits that read. Once only waiting threads can run, the
//! scheduler ends the run (`LowestFirst::next_task` calls [`RunWaits::only_waiting_left`]).
//!
//! A spin loop is seen where it yields (`thread::yield_now`, `hint::spin_loop`, a sleep):
//! when a thread's events since its last yield are the same reads, of the same writes, as
//! the events just before that yield, the iteration did nothing new (GenMC's "spin assume"
//! rests on the same fact), and the thread waits for a write that changes what it reads.
//! The rule looks at what ran, not at the code, so straight-line code that repeats its reads
//! between yields looks like a loop, and so does a loop bounded by a count of its own: once
//! nothing else can run, such a thread is let go on, one iteration at a time, up to
//! `LET_GO` times in a run; only one that still repeats itself then is taken to spin for ever
//! (a `Hang`, whose message says so).
//!
//! A wait with a timeout (`Condvar::wait_timeout`, and so parking with a timeout, a task's
//! `sleep` or `timeout`) that is not woken at once either times out at once or waits as a
//! spinner does, timing out once no other thread can run, as time passes under tokio's paused
//! clock when every task waits on it. Which, is a data choice explored as `select!`'s are
//! (`engine::choices`: an exploration of the graphs per combination), as the other model
//! engines explore a timeout firing at any point (`engine::timed`). A thread whose timed wait
//! timed out at once waits patiently in its next one, so that a loop of timed waits (a sleep
//! polled until time passes) alternates and ends, and the choices it meets stay few.

use super::SharedState;
use crate::kinds::FailureKind;
use crate::rt::{self, ThreadIdx};

/// How many more iterations a spinner runs once nothing else can: a loop of its own that
/// repeats its reads, bounded by a count, ends within them; one that does not hangs.
const LET_GO: usize = 100;

/// Why the threads left wait: what the one the scheduler picks reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Waits {
    /// Some thread may still run.
    #[default]
    Not,
    /// Every thread left waits for a lock or a notification that nothing will give.
    Deadlock,
    /// Every thread left spins on values that nothing will change.
    Hang,
}

/// What the scheduler does once only waiting threads can run.
pub(crate) enum Verdict {
    /// Runs this one: it reports the deadlock or hang, or (a spinner let go) goes on.
    Run(ThreadIdx),
    /// The run is no execution of the program: end it without a verdict.
    Abandon,
}

/// What the threads of the run under way wait for; a new run starts with nothing.
#[derive(Debug, Default)]
pub(crate) struct RunWaits {
    /// Threads that wait for ever (`locks`), ...
    waiting: Vec<ThreadIdx>,
    /// ...that wait in a spin loop or with a timeout, and each time one was let go on.
    patient: Vec<ThreadIdx>,
    let_go: Vec<ThreadIdx>,
    /// Per thread, how many events it had run at its last yield.
    yields: Vec<(ThreadIdx, u32)>,
    /// Threads whose last timed wait timed out at once ([`times_out_early`]).
    early: Vec<ThreadIdx>,
    /// Set once only waiting threads are left and none will be let go.
    stuck: Waits,
    /// Set when the run is no execution of the program (the graph repeats a spin loop's
    /// iteration that changed nothing, `after_yield`; a thread waits for a write that another
    /// graph has it read, `only_waiting_left`; a sampled path stops, `backend::blocked`): every
    /// thread unwinds at its next step ([`leave_if_abandoned`]) and the run is abandoned, not
    /// finished.
    pub abandoned: bool,
    /// A thread unwinding out of the abandoned run yielded (a destructor that spins): the
    /// next step runs another (`LowestFirst::unwinding`).
    pub unwinding_yield: bool,
    /// A thread that yielded with no iteration repeated (a poll loop that takes a lock each
    /// time, say): the next step runs another thread, if one can run. Otherwise the lowest-
    /// numbered thread first would run such a loop alone to the step limit.
    pub stepped_aside: Option<ThreadIdx>,
    /// The thread that last stepped aside with no other thread able to run, and how many
    /// times in a row: after [`LONE_YIELDS`] such yields it waits as a spinner does (the others
    /// wait for it to change something, and it waits for them).
    pub lone: Option<(ThreadIdx, u32)>,
}

/// Yields in a row with no other thread able to run after which a thread that steps aside
/// waits as a spinner does.
const LONE_YIELDS: u32 = 100;

impl RunWaits {
    /// Thread `yielder` stepped aside, and `alone` says whether no other thread could run.
    pub(crate) fn stepped_aside(&mut self, yielder: ThreadIdx, alone: bool) {
        self.lone = match (alone, self.lone) {
            (false, _) => None,
            (true, Some((t, n))) if t == yielder => Some((t, n.saturating_add(1))),
            (true, _) => Some((yielder, 1)),
        };
    }

    /// Whether thread `me`, at a yield, has stepped aside alone long enough to wait.
    fn waits_alone(&self, me: ThreadIdx) -> bool {
        self.lone.is_some_and(|(t, n)| t == me && n >= LONE_YIELDS)
    }
}

impl RunWaits {
    /// The verdict once only threads that wait can run: `waiting`, in the order of their
    /// numbers, each with whether its last read reads its location's latest write.
    pub(crate) fn only_waiting_left(&mut self, waiting: &[(ThreadIdx, bool)]) -> Verdict {
        // One waits for a write the graph has: another graph has its read read it.
        if !waiting.iter().all(|&(_, latest)| latest) {
            return Verdict::Abandon;
        }
        let spinner = waiting.iter().map(|&(t, _)| t).find(|&t| {
            self.patient.contains(&t) && self.let_go.iter().filter(|&&g| g == t).count() < LET_GO
        });
        if let Some(spinner) = spinner {
            self.patient.retain(|&t| t != spinner);
            self.let_go.push(spinner);
            return Verdict::Run(spinner);
        }
        self.stuck = if waiting.iter().any(|(t, _)| self.waiting.contains(t)) {
            Waits::Deadlock
        } else {
            Waits::Hang
        };
        Verdict::Run(waiting[0].0)
    }

    /// Whether model thread `idx` waits (and the scheduler must not pick it).
    pub(crate) fn is_waiting(&self, idx: ThreadIdx) -> bool {
        self.waiting.contains(&idx) || self.patient.contains(&idx)
    }
}

fn running() -> ThreadIdx {
    rt::current_thread().map_or(0, |(_, t)| t)
}

/// The running thread waits for a write its last read did not read: for ever, in this run.
/// The scheduler no longer picks it, unless to report a deadlock.
pub(super) fn wait_for_ever(shared: &SharedState) -> ! {
    shared.lock().waits.waiting.push(running());
    loop {
        rt::engine_call(shuttle::thread::yield_now);
        leave_if_abandoned(shared);
        report_if_stuck(shared);
    }
}

/// At a yield of the running thread: if its last iteration repeated the one before (see
/// the module docs), it waits until the scheduler lets it go on; if not, another thread
/// runs first, if one can.
pub(super) fn after_yield(shared: &SharedState) {
    let me = running();
    let spins = {
        let mut guard = shared.lock();
        let shared = &mut *guard;
        let Some(tid) = shared.tid_of(me) else {
            return;
        };
        let last = shared
            .waits
            .yields
            .iter()
            .find(|&&(t, _)| t == me)
            .map(|&(_, at)| at);
        let Some(mut run) = shared.explorer.execution() else {
            return;
        };
        let now = run.events_run(tid);
        // This iteration, since the last yield, against as many events before that yield.
        let spins = last.is_some_and(|last| {
            let len = now - last;
            len <= last && run.same_reads(tid, last - len..last, last..now)
        });
        let replays = run.replay_ready(tid).is_some();
        let yields = &mut shared.waits.yields;
        yields.retain(|&(t, _)| t != me);
        yields.push((me, now));
        if spins && replays {
            // The graph has the thread go on after an iteration that changed nothing: the
            // same graph without that iteration is explored, so this one is dropped (GenMC
            // blocks such graphs the same way).
            shared.waits.abandoned = true;
        }
        spins
    };
    let alone = shared.lock().waits.waits_alone(me);
    if spins || alone {
        wait_patiently(shared);
    } else {
        shared.lock().waits.stepped_aside = Some(me);
        rt::engine_call(shuttle::thread::yield_now);
    }
}

/// Whether the running thread's timed wait, owed no wakeup, times out at once rather than
/// once no other thread can run: a data choice (see the module docs), made only if its last
/// timed wait did not time out at once.
pub(super) fn times_out_early(shared: &SharedState) -> bool {
    let me = running();
    let mut guard = shared.lock();
    let shared = &mut *guard;
    if let Some(i) = shared.waits.early.iter().position(|&t| t == me) {
        shared.waits.early.swap_remove(i);
        return false;
    }
    let early = shared.choices.choose(me as usize, 2) == 1;
    if early {
        shared.waits.early.push(me);
    }
    early
}

/// The running thread waits until a write the scheduler no longer expects lets it go on, or
/// until no other thread can run: in a spin loop, and in a wait with a timeout (time passes
/// when every thread waits, as under tokio's paused clock).
pub(super) fn wait_patiently(shared: &SharedState) {
    let me = running();
    shared.lock().waits.patient.push(me);
    loop {
        rt::engine_call(shuttle::thread::yield_now);
        leave_if_abandoned(shared);
        report_if_stuck(shared);
        if !shared.lock().waits.patient.contains(&me) {
            return;
        }
    }
}

/// Unwinds the running thread if its run is abandoned (see [`RunWaits::abandoned`]).
pub(super) fn leave_if_abandoned(shared: &SharedState) {
    if shared.lock().waits.abandoned {
        rt::abandon_thread();
    }
}

fn report_if_stuck(shared: &SharedState) {
    let stuck = shared.lock().waits.stuck;
    let (kind, what) = match stuck {
        Waits::Not => return,
        Waits::Deadlock => (
            FailureKind::Deadlock,
            "deadlock: every thread left waits for a lock to be released or a condition \
             variable to be notified, and no thread will do it"
                .to_owned(),
        ),
        Waits::Hang => (
            FailureKind::Hang,
            format!(
                "hang: every thread left spins, reading values that no thread will change (it \
                 read the same values between yields {LET_GO} more times with no other thread \
                 able to run; a loop that stops after more iterations than that, by a count \
                 of its own, looks the same to this engine)"
            ),
        ),
    };
    rt::fail(
        kind,
        format!("{what} (under the C/C++ memory model, in this execution)"),
    );
}
