//! Selectively uniform random walk: the SURW engine's scheduler.
//!
//! After Huan Zhao, Dylan Wolff, Umang Mathur and Abhik Roychoudhury, "Selectively Uniform
//! Concurrency Testing" (ASPLOS 2025). Two observations of that paper drive it:
//!
//! - A random walk (each runnable thread equally likely at every step) is far from uniform over
//!   interleavings: a thread with one event among threads with many runs early with high
//!   probability, so "the short thread acts last" has a probability exponentially small in the
//!   other threads' lengths. Choosing each thread with probability proportional to its number
//!   of *remaining* events samples every interleaving of the events with the same probability
//!   (a multinomial argument: the weight is the number of ways the rest can be interleaved).
//! - Uniform over every event spreads the probability over orders nobody cares about. SURW
//!   applies the uniform walk to a selected set of *interesting* events only, and keeps every
//!   interleaving of those reachable.
//!
//! What this scheduler does with that (its selection and its handling of the other events are
//! ours, made for tapestry's announced operations, not the paper's exact algorithm):
//!
//! - Every facade operation is announced before it runs (`dpor::access`), so at each decision
//!   the scheduler knows each runnable thread's *next* operation and the object it touches.
//! - Each execution picks one *target* object at random among the contended objects of earlier
//!   executions (touched by two threads or more, at least one of them writing or locking). The
//!   interesting events of the execution are the accesses to the target.
//! - A runnable thread whose next operation is not interesting runs first (one such thread,
//!   chosen uniformly). Only when every runnable thread is about to touch the target does the
//!   walk choose, with weights the threads' remaining accesses to it, estimated from the most
//!   seen in earlier executions (at least 1). So the accesses to the target are interleaved
//!   uniformly, whatever the number of threads and the length of the work around them: a bug
//!   that needs one thread's access between two of another's has probability about 1/3 given
//!   the target, and 1/3 over the number of contended objects in all.
//! - The first execution has nothing to learn from yet and is a plain random walk.
//!
//! Limits: uninteresting operations never wait behind interesting ones, so an order in which
//! another object's access follows a target access that was ready earlier is reachable only
//! with that other object as the target (every contended object is the target of some
//! executions). Object numbers are creation order: a program that creates objects in a
//! schedule-dependent order makes the learned counts approximate. A thread that runs many
//! uninteresting steps in a row (a spin loop with no yield) would starve the others, so after
//! [`PATIENCE`] such steps of one thread the walk takes one uniformly random step. The counts
//! are learned by each worker from its own executions, so with several jobs which schedules
//! run depends on the split (as with shuttle's `UrwRandomScheduler`); a failure still replays
//! exactly from its recorded decisions.

use std::collections::BTreeMap;

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use super::schedulers::{Schedules, candidates};
use crate::engine::dpor::access::{Access, Class, Obj, SharedTracker, Tid};
use crate::engine::rng::Rng;

/// Steps one thread may run in a row on uninteresting operations while a thread at an
/// interesting one waits, before one random-walk step.
const PATIENCE: u32 = 64;

/// Which threads touched an object, and how.
#[derive(Clone, Debug, Default)]
struct Usage {
    /// Accesses by thread number.
    counts: Vec<u32>,
    /// Some access wrote or locked.
    writes: bool,
}

impl Usage {
    fn add(&mut self, t: Tid, class: Class) {
        if t >= self.counts.len() {
            self.counts.resize(t + 1, 0);
        }
        self.counts[t] += 1;
        self.writes |= class == Class::Write;
    }

    fn contended(&self) -> bool {
        self.writes && self.counts.iter().filter(|&&c| c > 0).count() >= 2
    }

    /// Keeps the larger count of each thread.
    fn merge(&mut self, other: &Usage) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, &theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = (*mine).max(theirs);
        }
        self.writes |= other.writes;
    }
}

#[derive(Debug)]
pub(crate) struct Surw {
    schedules: Schedules,
    tracker: SharedTracker,
    rng: Rng,
    /// Every object's usage in the executions so far (ordered: choices must not depend on a
    /// hash map's iteration order).
    learned: BTreeMap<Obj, Usage>,
    /// The current execution's usage.
    seen: BTreeMap<Obj, Usage>,
    /// This execution's interesting object, if any execution has shown a contended one.
    target: Option<Obj>,
    /// The thread that ran the last uninteresting steps, and how many in a row.
    streak: (Option<TaskId>, u32),
}

impl Surw {
    pub(crate) fn new(schedules: Schedules, tracker: SharedTracker) -> Self {
        Surw {
            schedules,
            tracker,
            rng: Rng::new(0),
            learned: BTreeMap::new(),
            seen: BTreeMap::new(),
            target: None,
            streak: (None, 0),
        }
    }

    /// The learned accesses of `t` to the target left in this execution (at least 1).
    fn remaining(&self, target: Obj, t: Tid) -> u64 {
        let count = |m: &BTreeMap<Obj, Usage>| {
            m.get(&target)
                .and_then(|u| u.counts.get(t).copied())
                .unwrap_or(0)
        };
        u64::from(
            count(&self.learned)
                .saturating_sub(count(&self.seen))
                .max(1),
        )
    }

    fn uniform(&mut self, among: &[TaskId]) -> TaskId {
        among[self.rng.below(among.len())]
    }

    /// Chooses among `ready`, each thread weighted by its remaining accesses to the target.
    fn weighted(&mut self, target: Obj, ready: &[TaskId]) -> TaskId {
        let weights: Vec<u64> = ready
            .iter()
            .map(|&t| self.remaining(target, usize::from(t)))
            .collect();
        let mut pick = self.rng.next_u64() % weights.iter().sum::<u64>();
        for (&t, &w) in ready.iter().zip(&weights) {
            if pick < w {
                return t;
            }
            pick -= w;
        }
        unreachable!("the pick is below the sum of the weights")
    }
}

impl Scheduler for Surw {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        self.rng = self.schedules.start()?;
        for (obj, usage) in std::mem::take(&mut self.seen) {
            self.learned.entry(obj).or_default().merge(&usage);
        }
        let contended: Vec<Obj> = self
            .learned
            .iter()
            .filter(|(_, u)| u.contended())
            .map(|(&o, _)| o)
            .collect();
        self.target = (!contended.is_empty()).then(|| contended[self.rng.below(contended.len())]);
        self.streak = (None, 0);
        self.tracker.lock().reset();
        Some(ShuttleSchedule::new(self.rng.next_u64()))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let tracker = self.tracker.clone();
        let mut tracker = tracker.lock();
        let all: Vec<TaskId> = candidates(runnable, current, is_yielding)
            .map(|t| t.id())
            .collect();
        let next = |t: TaskId| tracker.pending(usize::from(t)).and_then(Access::on);
        let (ready, other): (Vec<TaskId>, Vec<TaskId>) = all
            .iter()
            .partition(|&&t| next(t).is_some_and(|(o, _)| Some(o) == self.target));
        let chosen = match self.target {
            None => self.uniform(&all),
            Some(target) if other.is_empty() => self.weighted(target, &ready),
            Some(_) if !ready.is_empty() && self.streak.1 >= PATIENCE => {
                self.streak = (None, 0);
                self.uniform(&all)
            }
            Some(_) => {
                let t = self.uniform(&other);
                let run = if self.streak.0 == Some(t) {
                    self.streak.1 + 1
                } else {
                    1
                };
                self.streak = (Some(t), run);
                t
            }
        };
        let now = tracker.pending(usize::from(chosen));
        if let Some((obj, class)) = now.and_then(Access::on) {
            self.seen
                .entry(obj)
                .or_default()
                .add(usize::from(chosen), class);
        }
        // Keeps the tracker's per-step bookkeeping as the DPOR scheduler does (it would grow
        // for the whole execution otherwise); this scheduler reads only the pending operations.
        tracker.start_step(usize::from(chosen), now.as_slice());
        Some(chosen)
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}
