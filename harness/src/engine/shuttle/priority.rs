//! The priority engine's scheduler: a real-time OS's, on shuttle.
//!
//! The most urgent runnable thread always runs (effective priorities, so a `PiMutex` holder
//! runs at its waiters' priority). What the seed decides is what a real system leaves to
//! timing: when each thread *arrives* (a spawned thread, and a thread that called
//! `thread::sleep`, becomes eligible after a seeded number of steps, unless nothing else can
//! run) and which of several equally urgent threads runs at each step. A thread that yields
//! lets only threads of its own priority run, as under `SCHED_FIFO`: a more urgent thread that
//! spins waiting for a less urgent one starves it, and the execution hits its step limit.

use std::sync::Arc;

use parking_lot::Mutex;
use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use super::schedulers::Schedules;
use crate::engine::rng::Rng;
use crate::rt::{self, ThreadIdx};

/// What the scheduler and the backend of one priority exploration share.
#[derive(Debug)]
pub(crate) struct PriorityMode {
    /// Steps of intermediate-priority threads past which an inversion is unbounded.
    pub inversion_bound: u64,
    /// Threads that called `thread::sleep` since the scheduler last looked.
    sleepers: Mutex<Vec<ThreadIdx>>,
}

impl PriorityMode {
    pub(crate) fn new(inversion_bound: u64) -> PriorityMode {
        PriorityMode {
            inversion_bound,
            sleepers: Mutex::new(Vec::new()),
        }
    }

    /// The running thread goes to sleep: the scheduler gives it a new release time.
    pub(crate) fn sleep(&self, thread: ThreadIdx) {
        self.sleepers.lock().push(thread);
    }
}

#[derive(Debug)]
pub(crate) struct RealTime {
    schedules: Schedules,
    rng: Rng,
    mode: Arc<PriorityMode>,
    step: u64,
    /// The longest execution so far, in steps: the scale of release delays.
    longest: u64,
    /// The step at which each thread (by number) becomes eligible; `None` until first seen.
    release: Vec<Option<u64>>,
}

impl RealTime {
    pub(crate) fn new(schedules: Schedules, mode: Arc<PriorityMode>) -> Self {
        RealTime {
            schedules,
            rng: Rng::new(0),
            mode,
            step: 0,
            longest: 0,
            release: Vec::new(),
        }
    }

    /// A release delay, log-uniform up to the longest execution: a thread is as likely to
    /// arrive within a short critical section early on as within a long loop later.
    fn delay(&mut self) -> u64 {
        let horizon = self.longest.max(16);
        let scales = (u64::BITS - horizon.leading_zeros()) as usize;
        let scale = self.rng.below(scales + 1);
        self.rng.below(1 << scale) as u64
    }

    fn released_at(&mut self, thread: usize) -> u64 {
        if thread >= self.release.len() {
            self.release.resize(thread + 1, None);
        }
        if let Some(at) = self.release[thread] {
            return at;
        }
        // The test body is there from the start.
        let at = if thread == 0 {
            0
        } else {
            self.step + self.delay()
        };
        self.release[thread] = Some(at);
        at
    }
}

impl Scheduler for RealTime {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        self.rng = self.schedules.start()?;
        self.longest = self.longest.max(self.step);
        self.step = 0;
        self.release.clear();
        self.mode.sleepers.lock().clear();
        Some(ShuttleSchedule::new(self.rng.next_u64()))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.step += 1;
        let sleepers = std::mem::take(&mut *self.mode.sleepers.lock());
        for sleeper in sleepers.into_iter().map(|t| t as usize) {
            let at = self.step + self.delay();
            if sleeper >= self.release.len() {
                self.release.resize(sleeper + 1, None);
            }
            self.release[sleeper] = Some(at);
        }
        let released: Vec<(TaskId, u64)> = runnable
            .iter()
            .map(|t| (t.id(), self.released_at(usize::from(t.id()))))
            .collect();
        // Nothing eligible: time jumps to the next release.
        let mut now = released.iter().map(|&(_, at)| at).min()?.max(self.step);
        let local = rt::local();
        // Only spinners eligible, which wait for something time brings (`time_may_pass`): the
        // others arrive now, as time passes for them while the spinners spin.
        let spins =
            |id: TaskId| local.is_some_and(|l| l.exec.spins_for_time(usize::from(id) as ThreadIdx));
        if released.iter().all(|&(id, at)| at > now || spins(id)) {
            now = released.iter().map(|&(_, at)| at).max().unwrap_or(now);
        }
        let priorities = local
            .map(|l| l.exec.effective_priorities())
            .unwrap_or_default();
        let priority = |id: TaskId| priorities.get(usize::from(id)).copied().unwrap_or(0);
        let eligible = released.iter().filter(|&&(_, at)| at <= now);
        let top = eligible.clone().map(|&(id, _)| priority(id)).max()?;
        let mut candidates: Vec<TaskId> = eligible
            .map(|&(id, _)| id)
            .filter(|&id| priority(id) == top)
            .collect();
        if is_yielding && candidates.len() > 1 {
            candidates.retain(|&id| Some(id) != current);
        }
        let chosen = self.rng.below(candidates.len());
        Some(candidates[chosen])
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}
