//! The DPOR engine's scheduler for shuttle's runtime: replays the prefix of the next branch of
//! the exploration tree, then runs freshly, avoiding sleeping threads, and after each execution
//! adds the backtrack points its races ask for.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use super::access::{Access, Footprint, Obj, SharedTracker, Tid};
use super::races;
use super::tree::{Node, Threads};

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
    /// Whether the bound left out a branch (so a larger bound explores more).
    pub pruned: bool,
    /// Whether the tree was explored to the end.
    pub exhausted: bool,
    /// Why the program did not repeat the prefix it was given, if it did not.
    pub nondeterminism: Option<String>,
}

pub(crate) type SharedStats = Rc<RefCell<Stats>>;

/// Lock state, to know which pending acquisitions can run.
#[derive(Debug, Default)]
struct Locks {
    held: HashMap<Obj, Tid>,
    shared: HashMap<Obj, u32>,
    /// Threads in a condvar wait that has released its mutex.
    released: Vec<bool>,
}

impl Locks {
    fn free(&self, o: Obj, t: Tid) -> bool {
        self.held.get(&o).is_none_or(|&h| h == t) && self.shared.get(&o).is_none_or(|&n| n == 0)
    }

    fn released(&self, t: Tid) -> bool {
        self.released.get(t).copied().unwrap_or(false)
    }

    /// The accesses `pending` makes when thread `t` runs now, or `None` if it cannot run.
    fn now(&self, t: Tid, pending: Option<Access>) -> Option<Footprint> {
        let mut now = Footprint::new();
        match pending {
            None => {}
            Some(Access::Lock(o)) if !self.free(o, t) => return None,
            Some(Access::Share(o)) if self.held.contains_key(&o) => return None,
            Some(Access::Wait { cv, mutex }) if !self.released(t) => {
                now.push(Access::Unlock(mutex));
                now.push(Access::Write(cv));
            }
            Some(Access::Wait { cv, mutex }) => {
                if !self.free(mutex, t) {
                    return None;
                }
                now.push(Access::Lock(mutex));
                now.push(Access::Woken(cv));
            }
            Some(access) => now.push(access),
        }
        Some(now)
    }

    fn apply(&mut self, t: Tid, footprint: &[Access], still_waiting: bool) {
        for &access in footprint {
            match access {
                Access::Lock(o) => {
                    self.held.insert(o, t);
                }
                Access::Unlock(o) => {
                    self.held.remove(&o);
                }
                Access::Share(o) => *self.shared.entry(o).or_default() += 1,
                Access::Unshare(o) => {
                    let n = self.shared.entry(o).or_default();
                    *n = n.saturating_sub(1);
                }
                _ => {}
            }
        }
        if t >= self.released.len() {
            self.released.resize(t + 1, false);
        }
        self.released[t] = still_waiting;
    }
}

#[derive(Debug)]
pub(crate) struct Dpor {
    tracker: SharedTracker,
    stats: SharedStats,
    bound: Option<usize>,
    max_executions: Option<u64>,
    nodes: Vec<Node>,
    /// Steps taken in the current execution.
    depth: usize,
    locks: Locks,
    started: bool,
    /// Whether a step is in progress (its footprint not yet recorded).
    open: bool,
    /// Why the current execution was stopped early, if it was.
    stopped: Option<Stop>,
}

#[derive(Clone, Copy, Debug)]
enum Stop {
    Blocked,
    Bounded,
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
            depth: 0,
            locks: Locks::default(),
            started: false,
            open: false,
            stopped: None,
        }
    }

    /// Records the footprint of the step in progress, if one is.
    fn end_step(&mut self) {
        if !std::mem::replace(&mut self.open, false) {
            return;
        }
        let Some(node) = self
            .depth
            .checked_sub(1)
            .and_then(|d| self.nodes.get_mut(d))
        else {
            return;
        };
        let mut tracker = self.tracker.lock();
        node.footprint = tracker.take_step();
        let t = node.chosen;
        let waiting = matches!(tracker.pending(t), Some(Access::Wait { .. }));
        drop(tracker);
        self.locks.apply(t, &node.footprint, waiting);
    }

    /// Ends the execution that just ran: counts it, adds the backtrack points its races ask
    /// for, and moves to the next branch. `false` when the tree is explored.
    fn finish_execution(&mut self) -> bool {
        self.end_step();
        self.nodes.truncate(self.depth);
        {
            let mut stats = self.stats.borrow_mut();
            match self.stopped.take() {
                None => stats.complete += 1,
                Some(Stop::Blocked) => stats.blocked += 1,
                Some(Stop::Bounded) => stats.bounded += 1,
                Some(Stop::Diverged) => return false,
            }
        }
        races::analyse(&mut self.nodes);
        while let Some(node) = self.nodes.last_mut() {
            let footprint = std::mem::take(&mut node.footprint);
            node.done.push((node.chosen, footprint));
            match node.next_branch(self.bound) {
                Ok(t) => {
                    node.chosen = t;
                    return true;
                }
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
            .filter(|&t| self.locks.now(t, tracker.pending(t)).is_some())
            .collect();
        if enabled.is_empty() {
            // Every thread waits for a lock another holds: let one block in shuttle, which
            // then reports the deadlock.
            enabled = runnable.iter().map(|t| usize::from(t.id())).collect();
        }
        enabled.sort_unstable();
        // A thread that yields (a spin loop) steps aside while another can run, or the search
        // would spin with it forever.
        if let Some(current) = current.map(usize::from)
            && yielding
            && enabled.iter().any(|&t| t != current)
        {
            enabled.retain(|t| *t != current);
        }
        enabled
    }

    /// A new node for the state the execution has reached, or why the execution must stop.
    fn fresh_node(&self, enabled: Threads, current: Option<TaskId>) -> Result<Node, Stop> {
        let (sleep, preemptions) = match self.nodes.last() {
            Some(parent) => (
                parent.child_sleep(&parent.footprint),
                parent.preemptions + usize::from(parent.preempts(parent.chosen)),
            ),
            None => Default::default(),
        };
        let current = current.map(usize::from);
        let previous = current.map(|c| (c, enabled.contains(&c)));
        let mut node = Node {
            enabled,
            chosen: 0,
            footprint: Footprint::new(),
            previous,
            backtrack: Threads::new(),
            done: Default::default(),
            sleep,
            preemptions,
        };
        let awake = |t: &&Tid| !node.is_asleep(**t);
        // Going on with the running thread costs no preemption.
        let chosen = current
            .filter(|c| node.enabled.contains(c) && !node.is_asleep(*c))
            .or_else(|| node.enabled.iter().find(awake).copied())
            .ok_or(Stop::Blocked)?;
        if self
            .bound
            .is_some_and(|b| preemptions + usize::from(node.preempts(chosen)) > b)
        {
            return Err(Stop::Bounded);
        }
        node.chosen = chosen;
        node.backtrack.push(chosen);
        Ok(node)
    }
}

impl Scheduler for Dpor {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if std::mem::replace(&mut self.started, true) && !self.finish_execution() {
            return None;
        }
        let ran = {
            let s = self.stats.borrow();
            s.complete + s.blocked + s.bounded
        };
        if self.max_executions.is_some_and(|max| ran >= max) {
            return None;
        }
        self.tracker.lock().reset();
        self.locks = Locks::default();
        self.depth = 0;
        Some(ShuttleSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.end_step();
        let enabled = self.enabled(runnable, current, is_yielding);
        let chosen = if let Some(node) = self.nodes.get(self.depth) {
            // Replaying the prefix of the branch to explore.
            if !enabled.contains(&node.chosen) {
                self.stats.borrow_mut().nondeterminism = Some(format!(
                    "at step {} thread {} should run again as it did before, but it cannot \
                     (it can: {enabled:?}); the program must behave the same under the same \
                     schedule (no randomness, time or state kept between executions)",
                    self.depth + 1,
                    node.chosen
                ));
                self.stopped = Some(Stop::Diverged);
                return None;
            }
            node.chosen
        } else {
            match self.fresh_node(enabled, current) {
                Ok(node) => {
                    let chosen = node.chosen;
                    self.nodes.push(node);
                    chosen
                }
                Err(stop) => {
                    self.stopped = Some(stop);
                    return None;
                }
            }
        };
        let mut tracker = self.tracker.lock();
        let now = self
            .locks
            .now(chosen, tracker.pending(chosen))
            .unwrap_or_default();
        tracker.start_step(chosen, &now);
        drop(tracker);
        self.open = true;
        self.depth += 1;
        Some(TaskId::from(chosen))
    }

    fn next_u64(&mut self) -> u64 {
        // Randomness is not under the search's control: a constant keeps executions repeatable.
        0
    }
}
