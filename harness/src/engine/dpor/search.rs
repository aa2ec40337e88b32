//! The DPOR engine's scheduler for shuttle's runtime: replays the prefix of the next branch of
//! the exploration tree, then follows the wakeup tree it was given, then runs freshly, avoiding
//! sleeping threads; after each execution it adds the wakeup sequences its races ask for.

use std::cell::RefCell;
use std::rc::Rc;

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use super::access::{Access, Class, Footprint, Obj, SharedTracker, Tid};
use super::races;
use super::tree::{Node, Threads};
use super::wakeup::Branch;
use crate::rt;

/// What a search did, shared with the engine that reads it after shuttle's runner returns.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stats {
    /// Executions that ran to the end.
    pub complete: u64,
    /// Executions stopped because every thread that could go on was asleep: their behaviours
    /// are all explored elsewhere.
    pub blocked: u64,
    /// Executions stopped by the preemption bound.
    pub bounded: u64,
    /// Branches that turned out not to start with a thread that can run.
    pub skipped: u64,
    /// Whether the bound left out a branch (so a larger bound explores more).
    pub pruned: bool,
    /// Whether the tree was explored to the end.
    pub exhausted: bool,
    /// Why the program did not repeat the prefix it was given, if it did not.
    pub nondeterminism: Option<String>,
}

pub(crate) type SharedStats = Rc<RefCell<Stats>>;

/// Lock state, to know which pending acquisitions can run. Objects' numbers are small and
/// dense (`Tracker::object`), so each map is a vector indexed by them.
#[derive(Debug, Default)]
struct Locks {
    /// Each lock's exclusive holder.
    held: Vec<Option<Tid>>,
    /// How many hold each lock shared.
    shared: Vec<u32>,
    /// Where each thread's condvar wait stands (see [`WaitPhase`]).
    waits: Vec<WaitPhase>,
    /// Wake tokens given and not yet taken.
    tokens: Vec<bool>,
}

/// How far a condvar wait has gone. Shuttle's wait takes three steps, each after a scheduling
/// point: the first releases the mutex and joins the waiters (then the thread blocks until a
/// notification); the second, once notified, takes the notification (`Woken`); the third takes
/// the mutex back, and the wait returns. A thread whose condition still fails waits again at
/// once: a new wait, back at the first step.
///
/// The search runs the second step only while the mutex is free, and takes the mutex in it:
/// the third step then finds it free (nobody else can take it in between) and does nothing
/// the search sees. Taking the notification commutes with what another thread does under the
/// mutex meanwhile, so no behaviour is lost, and the wake-up races with other acquisitions of
/// the mutex, which orders it against the critical sections that notify.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum WaitPhase {
    /// The wait's next step releases the mutex (or the thread is in no wait).
    #[default]
    Releasing,
    /// Released; its next step takes the notification and the mutex.
    Released,
    /// Woken, holding the mutex; its next step ends the wait.
    Woken,
}

/// The entry of `o` in `map`, grown to hold it.
fn entry<T: Default + Clone>(map: &mut Vec<T>, o: Obj) -> &mut T {
    let at = o as usize;
    if at >= map.len() {
        map.resize(at + 1, T::default());
    }
    &mut map[at]
}

impl Locks {
    fn clear(&mut self) {
        self.held.clear();
        self.shared.clear();
        self.waits.clear();
        self.tokens.clear();
    }

    fn holder(&self, o: Obj) -> Option<Tid> {
        self.held.get(o as usize).copied().flatten()
    }

    fn free(&self, o: Obj, t: Tid) -> bool {
        self.holder(o).is_none_or(|h| h == t) && self.shared.get(o as usize).is_none_or(|&n| n == 0)
    }

    fn wait_phase(&self, t: Tid) -> WaitPhase {
        self.waits.get(t).copied().unwrap_or_default()
    }

    /// Whether thread `t`, with `pending` announced, can run now. (A waiter that has released
    /// its mutex is runnable once notified, which shuttle knows.)
    fn can_run(&self, t: Tid, pending: Option<Access>) -> bool {
        match pending {
            Some(Access::Lock(o)) => self.free(o, t),
            Some(Access::Share(o)) => self.holder(o).is_none(),
            Some(Access::Take(o)) => self.tokens.get(o as usize).copied().unwrap_or(false),
            Some(Access::Wait { mutex, .. }) => {
                self.wait_phase(t) == WaitPhase::Releasing || self.free(mutex, t)
            }
            _ => true,
        }
    }

    /// The accesses `pending` makes when thread `t` runs now, or `None` if it cannot run.
    fn now(&self, t: Tid, pending: Option<Access>) -> Option<Footprint> {
        if !self.can_run(t, pending) {
            return None;
        }
        let mut now = Footprint::new();
        match pending {
            None => {}
            Some(Access::Wait { cv, mutex }) => match self.wait_phase(t) {
                WaitPhase::Releasing => {
                    now.push(Access::Unlock(mutex));
                    now.push(Access::Write(cv));
                }
                WaitPhase::Released => {
                    now.push(Access::Lock(mutex));
                    now.push(Access::Woken(cv));
                }
                WaitPhase::Woken => {}
            },
            Some(access) => now.push(access),
        }
        Some(now)
    }

    /// Thread `t` runs its pending operation: a condvar wait moves on to its next phase.
    fn chose(&mut self, t: Tid, pending: Option<Access>) {
        if let Some(Access::Wait { .. }) = pending {
            let phase = entry(&mut self.waits, t as Obj);
            *phase = match phase {
                WaitPhase::Releasing => WaitPhase::Released,
                WaitPhase::Released => WaitPhase::Woken,
                WaitPhase::Woken => WaitPhase::Releasing,
            };
        }
    }

    fn apply(&mut self, t: Tid, footprint: &[Access]) {
        for &access in footprint {
            match access {
                Access::Lock(o) => *entry(&mut self.held, o) = Some(t),
                Access::Unlock(o) => *entry(&mut self.held, o) = None,
                Access::Share(o) => *entry(&mut self.shared, o) += 1,
                Access::Unshare(o) => {
                    let n = entry(&mut self.shared, o);
                    *n = n.saturating_sub(1);
                }
                Access::Give(o) => *entry(&mut self.tokens, o) = true,
                Access::Take(o) | Access::TakeTimed(o) => *entry(&mut self.tokens, o) = false,
                _ => {}
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct Dpor {
    tracker: SharedTracker,
    stats: SharedStats,
    bound: Option<usize>,
    max_executions: Option<u64>,
    nodes: Vec<Node>,
    analysis: races::Analysis,
    /// Steps taken in the current execution.
    depth: usize,
    locks: Locks,
    started: bool,
    /// How many steps of the current execution replay steps of the last one.
    replayed: usize,
    /// Whether a step is in progress (its footprint not yet recorded).
    open: bool,
    /// Why the current execution was stopped early, if it was.
    stopped: Option<Stop>,
    /// The current execution is stopped and runs on to its end outside the search (see
    /// [`Dpor::drain`]).
    draining: bool,
    /// Threads whose last step ended in a yield: spinning, as far as the search can tell.
    yielded: Threads,
    /// Yields since the last step that wrote anything (see [`IDLE_SPINS`]).
    idle_spins: usize,
}

/// After this many yields in a row with no write by any thread, while a thread that could
/// run is asleep, the execution stops as blocked by its sleep set: the spinners wait for a
/// change that only a sleeping thread can make, and every execution in which it makes it is
/// explored elsewhere (its step commutes with their reads). Without the stop they would spin
/// to the step limit, a false livelock. A loop bounded by a count of its own that repeats its
/// reads more often than this before giving up is taken for a spinner too.
const IDLE_SPINS: usize = 1_000;

#[derive(Clone, Copy, Debug)]
enum Stop {
    Blocked,
    Bounded,
    Skipped,
    Diverged,
}

impl Dpor {
    pub(crate) fn new(
        tracker: SharedTracker,
        stats: SharedStats,
        bound: Option<usize>,
        max_executions: Option<u64>,
    ) -> Self {
        Dpor {
            tracker,
            stats,
            bound,
            max_executions,
            nodes: Vec::new(),
            analysis: races::Analysis::default(),
            depth: 0,
            locks: Locks::default(),
            started: false,
            open: false,
            replayed: 0,
            stopped: None,
            draining: false,
            yielded: Threads::default(),
            idle_spins: 0,
        }
    }

    /// Records the footprint of the step in progress, if one is. `Err` says how a replayed
    /// step differs from the step it replays.
    fn end_step(&mut self) -> Result<(), String> {
        if !std::mem::replace(&mut self.open, false) {
            return Ok(());
        }
        let d = self.depth - 1;
        let replayed = d < self.replayed;
        let Some(node) = self.nodes.get_mut(d) else {
            return Ok(());
        };
        let mut tracker = self.tracker.lock();
        let (footprint, found) = tracker.take_step();
        if replayed && footprint != node.footprint {
            return Err(format!(
                "at step {} thread {} did {footprint:?} where it did {:?} before",
                d + 1,
                node.chosen,
                node.footprint
            ));
        }
        node.footprint = footprint;
        node.found = found;
        drop(tracker);
        let writes = |a: &Access| a.on().is_some_and(|(_, class)| class == Class::Write);
        if node.footprint.iter().any(writes) {
            self.idle_spins = 0;
        }
        self.locks.apply(node.chosen, &node.footprint);
        Ok(())
    }

    /// Runs the stopped execution on to its end: the running thread while it can go on, else
    /// another. Its steps join no tree and no race. Ending it here instead, shuttle would
    /// abandon its threads where they stand, and the stacks of threads suspended mid-call are
    /// never reclaimed: a search that stops thousands of executions (sleep sets, preemption
    /// bounds) ran the process out of memory and aborted it. A failure of such a run is a real
    /// one (its prefix is a real execution), reported as any other.
    fn drain(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        yielding: bool,
    ) -> Option<TaskId> {
        self.draining = true;
        self.open = false;
        // Its footprint is nobody's: dropped, so that the step in progress stays empty.
        drop(self.tracker.lock().take_step());
        let can_go_on = |id: TaskId| runnable.iter().any(|t| t.id() == id);
        match current.filter(|&c| !yielding && can_go_on(c)) {
            Some(current) => Some(current),
            // The next thread after the running one, in turn: spinners that yield to each
            // other let every thread run.
            None => {
                let others = || {
                    runnable
                        .iter()
                        .map(|t| t.id())
                        .filter(|&t| Some(t) != current)
                };
                let after = current.map_or(0, |c| usize::from(c) + 1);
                (others().find(|&t| usize::from(t) >= after))
                    .or_else(|| others().next())
                    .or(current.filter(|&c| can_go_on(c)))
            }
        }
    }

    /// Gives up the search: the program does not repeat itself under the same schedule.
    fn diverged(&mut self, what: String) -> Option<TaskId> {
        self.stats.borrow_mut().nondeterminism = Some(format!(
            "{what}; the program must behave the same under the same schedule (no \
             randomness, time or state kept between executions)"
        ));
        self.stopped = Some(Stop::Diverged);
        None
    }

    /// Ends the execution that just ran: counts it, adds the wakeup sequences its races ask
    /// for, and moves to the next branch. `false` when the tree is explored.
    fn finish_execution(&mut self) -> bool {
        if let Err(what) = self.end_step() {
            self.diverged(what);
        }
        let stopped = self.stopped.take();
        let skipped = matches!(stopped, Some(Stop::Skipped));
        // A skipped branch's node is the last one kept; its step never ran.
        self.nodes.truncate(self.depth + usize::from(skipped));
        {
            let mut stats = self.stats.borrow_mut();
            match stopped {
                None => stats.complete += 1,
                Some(Stop::Blocked) => stats.blocked += 1,
                Some(Stop::Bounded) => stats.bounded += 1,
                Some(Stop::Diverged) => return false,
                Some(Stop::Skipped) => stats.skipped += 1,
            }
        }
        if !skipped {
            self.analysis.analyse(&mut self.nodes, self.replayed);
        }
        let mut explored = !skipped;
        while let Some(node) = self.nodes.last_mut() {
            let next = node.next_branch(explored, self.bound);
            explored = true;
            match next {
                Ok(_) => return true,
                Err(pruned) => {
                    self.stats.borrow_mut().pruned |= pruned;
                    self.nodes.pop();
                }
            }
        }
        self.stats.borrow_mut().exhausted = true;
        false
    }

    /// Which threads can take a step now, as the search sees them.
    fn enabled(&self, runnable: &[&Task], current: Option<TaskId>, yielding: bool) -> Threads {
        let tracker = self.tracker.lock();
        let mut enabled: Threads = runnable
            .iter()
            .map(|t| usize::from(t.id()))
            .filter(|&t| self.locks.can_run(t, tracker.pending(t)))
            .collect();
        if enabled.is_empty() {
            // Every thread waits for a lock another holds: let one block in shuttle, which
            // then reports the deadlock.
            enabled = runnable.iter().map(|t| usize::from(t.id())).collect();
        }
        // A thread that yields again with nobody else having run since (a spin loop) steps
        // aside while another can run, or the search would spin with it forever
        // (`rt::yield_point`). A first yield may go on: under std a yield is only a hint.
        if let Some(current) = current.map(usize::from)
            && yielding
            && rt::stepping_aside()
            && enabled.iter().any(|t| t != current)
        {
            enabled.remove(current);
        }
        enabled
    }

    /// Whether thread `t` is among [`Dpor::enabled`]'s threads, known without computing them
    /// all (a replayed step, the common case, checks only its own thread): it can run, and is
    /// not the running thread yielding (which may have to step aside).
    fn surely_enabled(
        &self,
        t: Tid,
        runnable: &[&Task],
        current: Option<TaskId>,
        yielding: bool,
    ) -> bool {
        let yields = yielding && current.map(usize::from) == Some(t);
        !yields
            && runnable.iter().any(|r| usize::from(r.id()) == t)
            && self.locks.can_run(t, self.tracker.lock().pending(t))
    }

    /// Adds a node for the state the execution has reached (made in place: a node is large)
    /// and returns the thread it runs, or why the execution must stop (and adds none).
    fn fresh_node(&mut self, enabled: Threads, current: Option<TaskId>) -> Result<Tid, Stop> {
        let (sleep, preemptions, wakeup) = match self.nodes.last_mut() {
            Some(parent) => (
                parent.child_sleep(&parent.footprint),
                parent.preemptions + usize::from(parent.preempts(parent.chosen)),
                // What the wakeup tree says to run after the parent's step.
                std::mem::take(&mut parent.after),
            ),
            None => Default::default(),
        };
        let current = current.map(usize::from);
        let previous = current.map(|c| (c, enabled.contains(c)));
        self.nodes.push(Node {
            enabled,
            chosen: 0,
            footprint: Footprint::new(),
            found: None,
            previous,
            after: Vec::new(),
            later: Vec::new(),
            done: Default::default(),
            sleep,
            preemptions,
        });
        let node = self.nodes.last_mut().expect("a node was just added");
        if self.idle_spins > IDLE_SPINS && node.enabled.iter().any(|t| node.is_asleep(t)) {
            self.nodes.pop();
            return Err(Stop::Blocked);
        }
        let chosen = choose(node, wakeup, current, &self.yielded, self.bound);
        if chosen.is_err() {
            self.nodes.pop();
        }
        if let Err(Stop::Bounded) = chosen {
            self.stats.borrow_mut().pruned = true;
        }
        chosen
    }
}

/// The thread a new node runs: the first branch of the wakeup tree it was given, else the
/// running thread or the first that can run and is not asleep, within `bound` preemptions.
/// A thread that did not just yield goes before one that did: two spinners that yield to each
/// other would otherwise hand the processor back and forth for ever, while the thread they
/// wait for, higher-numbered, never ran.
fn choose(
    node: &mut Node,
    mut wakeup: Vec<Branch>,
    current: Option<Tid>,
    yielded: &Threads,
    bound: Option<usize>,
) -> Result<Tid, Stop> {
    let runnable = |t: &Tid| node.enabled.contains(*t) && !node.is_asleep(*t);
    // A wakeup sequence runs as inserted; a thread it names can always run (the sequence
    // ran before), but if the program disagrees, choose freely rather than stop.
    wakeup.retain(|b| runnable(&b.thread));
    let chosen = match wakeup.first() {
        Some(branch) => branch.thread,
        // Going on with the running thread costs no preemption.
        None => current
            .filter(runnable)
            .or_else(|| {
                let mut candidates = node.enabled.iter().filter(runnable);
                let first = candidates.next()?;
                let steady = |t: &Tid| !yielded.contains(*t);
                Some(if steady(&first) {
                    first
                } else {
                    candidates.find(steady).unwrap_or(first)
                })
            })
            .ok_or(Stop::Blocked)?,
    };
    if bound.is_some_and(|b| node.preemptions + usize::from(node.preempts(chosen)) > b) {
        return Err(Stop::Bounded);
    }
    node.chosen = chosen;
    if !wakeup.is_empty() {
        node.after = wakeup.remove(0).children;
        node.later = wakeup;
    }
    Ok(chosen)
}

impl Scheduler for Dpor {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if std::mem::replace(&mut self.started, true) && !self.finish_execution() {
            return None;
        }
        let ran = {
            let s = self.stats.borrow();
            s.complete + s.blocked + s.bounded + s.skipped
        };
        if self.max_executions.is_some_and(|max| ran >= max) {
            return None;
        }
        self.tracker.lock().reset();
        self.tracker.choices().new_execution();
        self.locks.clear();
        self.yielded = Threads::default();
        self.idle_spins = 0;
        self.depth = 0;
        self.draining = false;
        // The last node's step changes (a new branch); the steps before it must repeat.
        self.replayed = self.nodes.len().saturating_sub(1);
        Some(ShuttleSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        if self.draining {
            return self.drain(runnable, current, is_yielding);
        }
        if let Err(what) = self.end_step() {
            return self.diverged(what);
        }
        if let Some(current) = current {
            let current = usize::from(current);
            match is_yielding {
                true => self.yielded.insert(current),
                false => self.yielded.remove(current),
            }
            self.idle_spins += usize::from(is_yielding);
        }
        let chosen = if let Some(node) = self.nodes.get(self.depth) {
            // Replaying the prefix of the branch to explore.
            let chosen = node.chosen;
            if !self.surely_enabled(chosen, runnable, current, is_yielding) {
                let enabled = self.enabled(runnable, current, is_yielding);
                if !enabled.contains(chosen) && self.depth + 1 == self.nodes.len() {
                    // The branch to explore starts with a thread that cannot run here after
                    // all (one that just yielded): nothing to explore.
                    self.stopped = Some(Stop::Skipped);
                    return self.drain(runnable, current, is_yielding);
                }
                if !enabled.contains(chosen) {
                    let what = format!(
                        "at step {} thread {chosen} cannot run as it did before (threads that \
                         can: {enabled:?})",
                        self.depth + 1,
                    );
                    return self.diverged(what);
                }
            }
            chosen
        } else {
            let enabled = self.enabled(runnable, current, is_yielding);
            match self.fresh_node(enabled, current) {
                Ok(chosen) => chosen,
                Err(stop) => {
                    self.stopped = Some(stop);
                    return self.drain(runnable, current, is_yielding);
                }
            }
        };
        let mut tracker = self.tracker.lock();
        let pending = tracker.pending(chosen);
        let now = self.locks.now(chosen, pending).unwrap_or_default();
        self.locks.chose(chosen, pending);
        tracker.start_step(chosen, &now);
        drop(tracker);
        self.open = true;
        self.depth += 1;
        Some(TaskId::from(chosen))
    }

    fn next_u64(&mut self) -> u64 {
        // A data choice's value, given by the round (`engine::choices`). Other randomness is
        // not under the search's control: a constant keeps executions repeatable.
        self.tracker.choices().draw()
    }
}
