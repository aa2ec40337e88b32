//! Schedulers wrapped around shuttle's: one records every decision of the current execution,
//! one replays recorded decisions and says where a changed program stops fitting them.

use std::cell::RefCell;
use std::rc::Rc;

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};
use smallvec::SmallVec;

use crate::schedule::Step;

/// The decisions of the current execution.
#[derive(Clone, Debug, Default)]
pub(crate) struct Log {
    pub steps: Vec<Step>,
    /// Switches away from a thread that could have gone on (not yielding, still runnable),
    /// counted only when replaying: counting costs every decision of every execution, and
    /// only a failure's count is wanted (see `shuttle::preemptions`).
    pub preemptions: Option<usize>,
    /// Why a replayed schedule stopped fitting the program.
    pub divergence: Option<String>,
    /// The decisions of the execution that predicted a deadlock (kept from execution to
    /// execution, to replay it).
    pub predicted: Option<Vec<Step>>,
}

impl Log {
    /// Keeps the schedule of the execution that just ended if it predicted a deadlock (before
    /// the runtime takes that execution's trace, which ends the search for it).
    pub(crate) fn keep_prediction(&mut self) {
        let ended_with_prediction = crate::rt::local()
            .is_some_and(|l| l.exec.prediction_without_trace() == Some(l.exec.executions()));
        if self.predicted.is_none() && ended_with_prediction {
            self.predicted = Some(self.steps.clone());
        }
    }

    /// Starts the log of a new execution.
    fn restart(&mut self) {
        self.keep_prediction();
        // Cleared, not replaced: the steps' buffer is reused by every execution.
        self.steps.clear();
        self.divergence = None;
    }

    /// Logs that the scheduler chose `next`, and tells the runtime (`rt::scheduled`).
    #[inline]
    fn choose(&mut self, next: TaskId) {
        // Shuttle's task ids are the runtime's thread numbers: both count spawns from 0.
        let thread = usize::from(next) as u32;
        self.steps.push(Step::Thread(thread));
        crate::rt::scheduled(thread);
    }

    /// Counts a preemption if choosing `next` switches away from `current` while it could have
    /// gone on.
    fn count_preemption(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
        next: TaskId,
    ) {
        let preempted = !is_yielding
            && current.is_some_and(|current| {
                current != next && runnable.iter().any(|t| t.id() == current)
            });
        if preempted && let Some(count) = &mut self.preemptions {
            *count += 1;
        }
    }
}

pub(crate) type SharedLog = Rc<RefCell<Log>>;

/// Forwards to `inner` and logs what it decides.
#[derive(Debug)]
pub(crate) struct Recorder<S> {
    inner: S,
    log: SharedLog,
}

impl<S> Recorder<S> {
    pub(crate) fn new(inner: S, log: SharedLog) -> Self {
        Recorder { inner, log }
    }
}

/// The threads a scheduler may run: `runnable` without threads parked in shuttle's `park`,
/// which shuttle offers as spurious wakeups. Only wake tokens park there (`token`), and a task
/// waiting for a wake wakes only when woken. Asked at every scheduling point, and async
/// programs park their tasks there, so the list is made in `buffer`, on the stack.
fn awake<'a, 'b>(
    runnable: &'b [&'a Task],
    buffer: &'b mut SmallVec<[&'a Task; 16]>,
) -> &'b [&'a Task] {
    if !runnable.iter().any(|t| t.can_spuriously_wakeup()) {
        return runnable;
    }
    for &task in runnable {
        if !task.can_spuriously_wakeup() {
            buffer.push(task);
        }
    }
    buffer
}

impl<S: Scheduler> Scheduler for Recorder<S> {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        let schedule = self.inner.new_execution()?;
        self.log.borrow_mut().restart();
        Some(schedule)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let next =
            self.inner
                .next_task(awake(runnable, &mut SmallVec::new()), current, is_yielding)?;
        self.log.borrow_mut().choose(next);
        Some(next)
    }

    fn next_u64(&mut self) -> u64 {
        let value = self.inner.next_u64();
        self.log.borrow_mut().steps.push(Step::Random(value));
        value
    }
}

/// Runs one execution that makes exactly the decisions of `steps`.
#[derive(Debug)]
pub(crate) struct Replayer {
    steps: Vec<Step>,
    next: usize,
    started: bool,
    log: SharedLog,
}

impl Replayer {
    pub(crate) fn new(steps: Vec<Step>, log: SharedLog) -> Self {
        Replayer {
            steps,
            next: 0,
            started: false,
            log,
        }
    }

    fn diverge(&self, why: String) {
        let mut log = self.log.borrow_mut();
        if log.divergence.is_none() {
            log.divergence = Some(format!(
                "the schedule diverged from the program at step {}: {why}",
                self.next + 1
            ));
        }
    }
}

fn thread_list(runnable: &[&Task]) -> String {
    let names: Vec<String> = runnable
        .iter()
        .map(|t| thread_name(usize::from(t.id()) as u32))
        .collect();
    names.join(", ")
}

fn thread_name(idx: u32) -> String {
    if idx == 0 {
        "main".to_owned()
    } else {
        format!("T{idx}")
    }
}

impl Scheduler for Replayer {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if std::mem::replace(&mut self.started, true) {
            return None;
        }
        *self.log.borrow_mut() = Log {
            preemptions: Some(0),
            ..Log::default()
        };
        Some(ShuttleSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let mut buffer = SmallVec::new();
        let runnable = awake(runnable, &mut buffer);
        match self.steps.get(self.next).copied() {
            Some(Step::Thread(wanted)) => {
                let Some(task) = runnable
                    .iter()
                    .find(|t| usize::from(t.id()) == wanted as usize)
                else {
                    self.diverge(format!(
                        "it runs thread {}, which is not runnable there (runnable: {})",
                        thread_name(wanted),
                        thread_list(runnable)
                    ));
                    return None;
                };
                self.next += 1;
                let mut log = self.log.borrow_mut();
                log.count_preemption(runnable, current, is_yielding, task.id());
                log.choose(task.id());
                Some(task.id())
            }
            Some(Step::Random(_)) => {
                self.diverge(format!(
                    "it expects a random draw, but the program reached a scheduling point (runnable: {})",
                    thread_list(runnable)
                ));
                None
            }
            None => {
                self.diverge(format!(
                    "the schedule has {} steps, but the program goes on (runnable: {})",
                    self.steps.len(),
                    thread_list(runnable)
                ));
                None
            }
        }
    }

    fn next_u64(&mut self) -> u64 {
        match self.steps.get(self.next).copied() {
            Some(Step::Random(value)) => {
                self.next += 1;
                self.log.borrow_mut().steps.push(Step::Random(value));
                value
            }
            _ => {
                self.diverge(
                    "the program draws a random number where the schedule runs a thread".to_owned(),
                );
                0
            }
        }
    }
}
