//! Random walk and PCT, as schedulers for shuttle's runtime.
//!
//! shuttle ships both, but they let the `SHUTTLE_RANDOM_SEED` environment variable replace the
//! seed they are given and print to stderr when a test fails; tapestry's promise is that the
//! seed alone decides the schedules. Each execution draws from its own generator, seeded by
//! [`execution_seed`], so executions are independent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use crate::engine::rng::{Rng, execution_seed};
use crate::engine::split::Slice;
use crate::rt;

/// One worker's seeded share of the schedules, each drawing from a generator of its own.
#[derive(Debug)]
pub(crate) struct Schedules {
    seed: u64,
    slice: Slice,
    started: u64,
    /// Set when another worker has found a failure.
    stop: Arc<AtomicBool>,
}

impl Schedules {
    pub(crate) fn new(seed: u64, slice: Slice, stop: Arc<AtomicBool>) -> Self {
        Schedules {
            seed,
            slice,
            started: 0,
            stop,
        }
    }

    /// The generator of the next schedule; `None` once the share is spent or another worker
    /// has found a failure.
    pub(crate) fn start(&mut self) -> Option<Rng> {
        if self.started >= self.slice.len() || self.stop.load(Relaxed) {
            return None;
        }
        self.started += 1;
        let number = self.slice.number(self.started);
        Some(Rng::new(execution_seed(self.seed, number)))
    }
}

/// Picks a runnable thread uniformly at random at every step.
#[derive(Debug)]
pub(crate) struct RandomWalk {
    schedules: Schedules,
    rng: Rng,
}

impl RandomWalk {
    pub(crate) fn new(schedules: Schedules) -> Self {
        RandomWalk {
            schedules,
            rng: Rng::new(0),
        }
    }

    /// Picks among the threads that may run after the running one yields.
    #[inline(never)]
    fn step_aside(&mut self, runnable: &[&Task], current: Option<TaskId>) -> Option<TaskId> {
        let candidates = candidates(runnable, current, true);
        let chosen = self.rng.below(candidates.clone().count());
        candidates.map(|t| t.id()).nth(chosen)
    }
}

/// The runnable threads to choose from: a thread that yields again with nobody else having
/// run since (a spin loop, say) steps aside when another can run, or it could spin forever
/// (see `rt::yield_point`).
pub(crate) fn candidates<'a>(
    runnable: &'a [&'a Task],
    current: Option<TaskId>,
    is_yielding: bool,
) -> impl Iterator<Item = &'a Task> + Clone {
    let step_aside =
        is_yielding && rt::stepping_aside() && runnable.iter().any(|t| Some(t.id()) != current);
    runnable
        .iter()
        .copied()
        .filter(move |t| !step_aside || Some(t.id()) != current)
}

impl Scheduler for RandomWalk {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        self.rng = self.schedules.start()?;
        Some(ShuttleSchedule::new(self.rng.next_u64()))
    }

    #[inline]
    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        if is_yielding {
            return self.step_aside(runnable, current);
        }
        // Every runnable thread is a candidate: the same draw as `step_aside`'s.
        Some(runnable.get(self.rng.below(runnable.len()))?.id())
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

/// Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS
/// 2010): threads get random distinct priorities and the highest-priority runnable thread
/// runs; at `depth - 1` random steps the running thread drops below every other. A bug that
/// needs `depth` ordering constraints among `n` threads and `k` steps is found by one schedule
/// with probability at least `1 / (n k^(depth-1))`.
///
/// A thread that steps aside (it yields again with nobody else having run: a spin loop) also
/// drops below every other thread, as in fair PCT implementations: with only stepping aside,
/// two spinners of high priority would hand the processor to each other forever while the
/// thread they wait for, of lower priority, never ran (a false livelock).
#[derive(Debug)]
pub(crate) struct Pct {
    schedules: Schedules,
    depth: usize,
    rng: Rng,
    /// The longest execution so far: `k`, the range of the change points.
    longest: usize,
    step: usize,
    change_points: Vec<usize>,
    /// Priority of each thread, by thread number; `None` until it first becomes runnable.
    priorities: Vec<Option<u64>>,
}

/// Priorities: threads start in the upper half, change points lower a thread to `CHANGE + i`,
/// and a thread that steps aside goes below every priority given so far.
const START: u64 = 1 << 63;
const CHANGE: u64 = 1 << 62;

impl Pct {
    /// The priority below every priority given so far.
    fn lowest(&self) -> u64 {
        let lowest = self.priorities.iter().flatten().min().copied();
        lowest.map_or(CHANGE, |p| p.min(CHANGE)) - 1
    }

    pub(crate) fn new(depth: usize, schedules: Schedules) -> Self {
        Pct {
            schedules,
            depth: depth.max(1),
            rng: Rng::new(0),
            longest: 1,
            step: 0,
            change_points: Vec::new(),
            priorities: Vec::new(),
        }
    }
}

impl Scheduler for Pct {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        self.rng = self.schedules.start()?;
        self.longest = self.longest.max(self.step);
        self.step = 0;
        self.priorities.clear();
        self.change_points = (1..self.depth)
            .map(|_| 1 + self.rng.below(self.longest))
            .collect();
        Some(ShuttleSchedule::new(self.rng.next_u64()))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.step += 1;
        for task in runnable {
            let slot = usize::from(task.id());
            if slot >= self.priorities.len() {
                self.priorities.resize(slot + 1, None);
            }
            if self.priorities[slot].is_none() {
                // New threads get a random priority above every change-point priority.
                self.priorities[slot] = Some(START + self.rng.next_u64() % START);
            }
        }
        if let Some(current) = current {
            // Change point `i` (of `depth - 1`) lowers the running thread to priority `i`.
            if let Some(i) = self.change_points.iter().position(|&p| p == self.step) {
                self.priorities[usize::from(current)] = Some(CHANGE + i as u64);
            }
            if is_yielding && rt::stepping_aside() {
                self.priorities[usize::from(current)] = Some(self.lowest());
            }
        }
        candidates(runnable, current, is_yielding)
            .max_by_key(|t| self.priorities[usize::from(t.id())])
            .map(|t| t.id())
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}
