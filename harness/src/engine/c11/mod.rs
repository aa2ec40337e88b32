//! The c11 engine: every execution of the test body that the C/C++/Rust memory model allows
//! (RC11, `SeqCst` exactly), each once, with no limit on threads. The memory model and its
//! exploration live in the `tapestry-c11` crate (TruSt: POPL 2022); this module runs the body
//! once per execution graph it gives, on shuttle's runtime with a scheduler that runs the
//! lowest-numbered thread that can run (the order events are added in must depend on the
//! graph alone), and answers every atomic operation from the graph (`backend`).
//!
//! What it models today: atomics of every type and ordering, fences, `thread::spawn` and
//! `join`, `UnsafeCell` accesses as plain events (two conflicting ones of different threads
//! that happens-before does not order are a `DataRace`), locks, reader-writer locks and
//! condition variables as locations taken and released with acquire and release (`locks`),
//! so what the facade builds on them runs too (channels, `Once`, barriers, scoped threads,
//! parking, tasks), yields and spin loops (`waits`: an iteration that repeats the reads
//! of the one before waits for a write that changes them), and an `Arc`'s drops, each an
//! event that happens before the last one's (`backend::C11Handover`), which thread drops last
//! being whichever runs last here. An atomic's `get_mut` and `into_inner` are non-atomic
//! accesses (a relaxed load, and a relaxed store if the program writes through the
//! reference), each a data race unless every other thread's conflicting access to the atomic
//! happens before or after it. A `compare_exchange_weak` never fails spuriously here; a
//! condition variable's wait may wake spuriously at once, never late (`locks::Timeout`); which
//! waiter a `notify_one` wakes is explored, and whether a timed wait times out at once or once
//! nothing else can run (`waits`).
//!
//! A failure replays as `c11 execution=N`: the exploration is deterministic, so running it
//! again to its `N`th execution reproduces the failing one.

mod atomic;
mod backend;
mod locks;
mod waits;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};
use smallvec::SmallVec;
use tapestry_c11::{EventId, Explorer, Model};

use self::backend::C11Backend;
use super::choices::{Choices, Given, given, next_rounds, public};
use super::shuttle::run_on;
use super::{Body, C11, EngineRun, Limits, on_fresh_thread};
use crate::kinds::FailureKind;
use crate::rt::ThreadIdx;
use crate::schedule::Replay;

/// What the scheduler and the backend share: the exploration, and which of its threads each
/// model thread of the run under way is.
#[derive(Debug)]
pub(crate) struct Shared {
    pub explorer: Explorer,
    /// Model thread (`rt`'s numbering, in the run's spawn order) to the graph's thread.
    pub threads: Vec<(ThreadIdx, tapestry_c11::Tid)>,
    /// What the threads of the run under way wait for (`waits`).
    pub waits: waits::RunWaits,
    /// The step of the run's trace at which each atomic write of its graph ran, so that a
    /// trace names the store each read read (`Recording::reads_from`).
    pub steps: HashMap<EventId, u32>,
    /// The non-atomic accesses to atomics (through `get_mut`) of the run under way, with their
    /// locations, against which each later atomic access to one is checked for a data race
    /// (`backend::C11Atomic`).
    pub non_atomic: Vec<(tapestry_c11::Loc, EventId)>,
    /// The places whose objects the program dropped in the run under way, by id
    /// (`backend::Place::event`).
    pub dropped: Vec<u64>,
    /// The data choices of this exploration (a round of `run`).
    pub choices: Choices,
    /// Runs started, and those that were executions of the program (not abandoned).
    runs: u64,
    executions: u64,
    /// The budget, in executions; a replay's, in runs.
    max_executions: Option<u64>,
    max_runs: Option<u64>,
    /// The exploration ran out of graphs: it is complete.
    done: bool,
    /// When the exploration must stop, even in the middle of a run: one run can take long (a
    /// spin loop whose iterations change what they read runs to the step limit, its graph
    /// growing at every step), and the budget is time.
    deadline: Option<Instant>,
    /// Steps since the deadline was last looked at (`LowestFirst::out_of_time`).
    steps_unchecked: u32,
    /// The deadline passed: the run under way was abandoned, and no other starts.
    out_of_time: bool,
    /// Steps of the run under way, against the step limit of every run (`Limits::max_steps`):
    /// a thread unwinding out of an abandoned run yields only while that leaves room
    /// ([`Shared::may_yield_unwinding`]), since a run that reached the limit would fail.
    run_steps: u64,
    max_steps: u64,
}

pub(crate) type SharedState = Arc<Mutex<Shared>>;

impl Shared {
    fn new(explorer: Explorer, max_executions: Option<u64>, max_runs: Option<u64>) -> SharedState {
        Arc::new(Mutex::new(Shared {
            explorer,
            threads: Vec::new(),
            waits: waits::RunWaits::default(),
            steps: HashMap::new(),
            non_atomic: Vec::new(),
            dropped: Vec::new(),
            choices: Choices::default(),
            runs: 0,
            executions: 0,
            max_executions,
            max_runs,
            done: false,
            deadline: None,
            steps_unchecked: 0,
            out_of_time: false,
            run_steps: 0,
            max_steps: u64::MAX,
        }))
    }

    /// Whether a thread unwinding out of the abandoned run under way may yield to the others
    /// (`LowestFirst::unwinding`): not so near the step limit that their steps could reach it.
    pub fn may_yield_unwinding(&self) -> bool {
        let room = 2 * self.threads.len() as u64 + 16;
        self.waits.abandoned && self.run_steps.saturating_add(room) < self.max_steps
    }

    /// Stops the exploration once `time` has passed from now, even in the middle of a run.
    fn stop_after(state: &SharedState, time: Duration) {
        state.lock().deadline = Instant::now().checked_add(time);
    }

    /// The graph's thread of model thread `idx` of the run under way.
    pub fn tid_of(&self, idx: ThreadIdx) -> Option<tapestry_c11::Tid> {
        self.threads
            .iter()
            .find(|&&(i, _)| i == idx)
            .map(|&(_, tid)| tid)
    }

    /// The model thread of the graph's thread `tid` in the run under way.
    pub fn idx_of(&self, tid: tapestry_c11::Tid) -> Option<ThreadIdx> {
        self.threads
            .iter()
            .find(|&&(_, t)| t == tid)
            .map(|&(idx, _)| idx)
    }
}

/// Runs `body` on shuttle's runtime for as many executions as `shared`'s explorer gives
/// (and its budget allows).
fn run_on_graphs(
    body: &Body,
    shared: &SharedState,
    limits: &Limits,
    max_time: Duration,
) -> EngineRun {
    let scheduler = LowestFirst {
        shared: shared.clone(),
        started: false,
    };
    let backend = Box::new(C11Backend::new(shared.clone()));
    shared.lock().max_steps = limits.max_steps;
    run_on(body, scheduler, (backend, None), limits, Some(max_time)).0
}

pub(crate) fn explore(body: &Body, config: &C11, limits: &Limits) -> EngineRun {
    on_fresh_thread("tapestry-c11", || {
        run(
            body,
            (config.max_executions, None),
            limits,
            config.max_time,
            None,
        )
    })
}

/// Explores again, with the data choices `choices`, up to run `run` (`Replay::C11` counts the
/// runs that were no execution too): the failing one, if the program is unchanged.
pub(crate) fn replay(
    body: &Body,
    limits: &Limits,
    run_number: u64,
    choices: &[(u32, u32, u32)],
) -> EngineRun {
    on_fresh_thread("tapestry-c11-replay", || {
        let given = Some(given(choices));
        run(body, (None, Some(run_number)), limits, Duration::MAX, given)
    })
}

/// Explores `body` within `(max_executions, max_runs)`: an exploration of its graphs per
/// combination of values of the data choices met (`engine::choices`; `replay`: only the one
/// given). The executions it reports are the runs that were executions of the program: not
/// those abandoned (`waits`).
fn run(
    body: &Body,
    (max_executions, max_runs): (Option<u64>, Option<u64>),
    limits: &Limits,
    max_time: Duration,
    replay: Option<Given>,
) -> EngineRun {
    let start = std::time::Instant::now();
    let mut rounds = vec![replay.clone().unwrap_or_default()];
    let (mut executions, mut complete) = (0, true);
    let mut weak_orderings = None;
    let mut predicted = None;
    let mut last = None;
    while let Some(given) = rounds.pop() {
        let left = max_executions.map(|max| max.saturating_sub(executions));
        let time = max_time.saturating_sub(start.elapsed());
        if last.is_some() && (left == Some(0) || time.is_zero()) {
            complete = false;
            break;
        }
        let shared = Shared::new(Explorer::new(1, &[], Model::Rc11), left, max_runs);
        shared.lock().choices.given = given.clone();
        Shared::stop_after(&shared, time);
        let mut run = run_on_graphs(body, &shared, limits, time);
        let (ran, done, met) = {
            let mut shared = shared.lock();
            let met = std::mem::take(&mut shared.choices.met);
            (shared.executions, shared.done, met)
        };
        executions += ran;
        weak_orderings = weak_orderings.max(run.weak_orderings);
        if let Some(found) = run.found.as_mut() {
            found.replay = Replay::C11 {
                execution: found.execution,
                choices: public(&given),
            };
            found.execution = executions + 1;
            found.preemptions = None;
            run.executions = executions + 1;
            run.elapsed = start.elapsed();
            run.complete = false;
            return run;
        }
        if let Some(mut found) = run.predicted.take().filter(|_| predicted.is_none()) {
            found.replay = Replay::C11 {
                execution: found.execution,
                choices: public(&given),
            };
            predicted = Some(found);
        }
        last = Some(run);
        if !done || replay.is_some() {
            complete = complete && done;
            break;
        }
        rounds.extend(next_rounds(&given, &met));
    }
    let mut run = last.expect("the first round runs");
    run.executions = executions;
    run.elapsed = start.elapsed();
    run.complete = complete && rounds.is_empty();
    run.predicted = predicted;
    run.weak_orderings = weak_orderings;
    if !run.complete && max_executions.is_some_and(|m| run.executions >= m) {
        run.estimate = estimate(body, limits, Model::Rc11, run.elapsed)
            .map(|e| describe_estimate(&e, run.executions));
    }
    run
}

/// What a search stopped by its budget after `ran` executions says of `estimate`. The paths
/// the estimate samples are the c11 engine's, which do not follow every program as a dpor
/// search does (a poll loop's timers and waits, say): an estimate well below what
/// already ran says nothing, and the report says so rather than print it as a forecast.
pub(crate) fn describe_estimate(estimate: &tapestry_c11::Estimate, ran: u64) -> String {
    if estimate.paths == 0 {
        format!(
            "its budget stopped it after {ran} executions: a complete exploration would run \
             more, how many more is unknown (no random path of the estimate ended in its time \
             and within {ESTIMATE_MAX_STEPS} steps)"
        )
    } else if estimate.executions + 2.0 * estimate.std_error < ran as f64 {
        format!(
            "its budget stopped it after {ran} executions: a complete exploration would run \
             more than {ran} executions, how many more is unknown (the random paths an \
             estimate samples do not follow this program: {} sampled)",
            estimate.paths
        )
    } else {
        format!("its budget stopped it: a complete exploration would run {estimate}")
    }
}

/// Paths sampled for an estimate, at most.
const ESTIMATE_PATHS: usize = 1_000;

/// The longest path the estimate samples: a step of the c11 exploration costs more the larger
/// its graph (a write looks at every read of its location it could revisit, and at what a
/// revisit would delete), so that one step of a path tens of thousands of steps long took
/// over ten seconds (two threads incrementing one counter 8,000 times each). A search whose
/// executions are longer gets no estimate, and says so.
const ESTIMATE_MAX_STEPS: u64 = 2_000;

/// The estimate of no path: none ended within the estimate's time (a path that runs to the
/// step limit, its graph growing at every step, takes long), or one was longer than
/// [`ESTIMATE_MAX_STEPS`].
const NO_PATH: tapestry_c11::Estimate = tapestry_c11::Estimate {
    executions: 0.0,
    std_error: 0.0,
    paths: 0,
};

/// The time an estimate may take after a search that took `searched`: a quarter of it,
/// within 0.2 s and 2 s, so that a suite of short tests stopped by their budgets does not
/// take seconds longer each.
fn estimate_time(searched: Duration) -> Duration {
    (searched / 4).clamp(Duration::from_millis(200), Duration::from_secs(2))
}

/// How many executions the complete exploration of `body` under `model` would run (after a
/// search that took `searched`), from random paths of its tree (`tapestry_c11::estimate`),
/// of which none may have ended in its time; `None` if this engine cannot run the body. Each path is a run of the body of its own: a
/// path that turns (a backward revisit) or ends without an execution abandons its run, whose
/// threads unwind (`backend::blocked`); what the runs found is not reported, only their
/// count. Under `Model::Sc` the count is that of the dpor engine's optimal search, which
/// estimates its own with it.
pub(crate) fn estimate(
    body: &Body,
    limits: &Limits,
    model: Model,
    searched: Duration,
) -> Option<tapestry_c11::Estimate> {
    let time = estimate_time(searched);
    let shared = Shared::new(Explorer::sampling(1, &[], model, 0), None, Some(1));
    Shared::stop_after(&shared, time);
    let quiet = Limits {
        tracing: false,
        max_steps: limits.max_steps.min(ESTIMATE_MAX_STEPS),
        ..limits.clone()
    };
    let start = std::time::Instant::now();
    loop {
        {
            let mut shared = shared.lock();
            if shared.out_of_time {
                return Some(shared.explorer.estimate().unwrap_or(NO_PATH));
            }
            // A run that failed: its path ends there.
            if let Some(run) = shared.explorer.execution() {
                run.finish();
            }
            let paths = shared.explorer.estimate().map_or(0, |e| e.paths);
            if paths >= ESTIMATE_PATHS || start.elapsed() >= time {
                return Some(shared.explorer.estimate().unwrap_or(NO_PATH));
            }
            shared.runs = 0;
        }
        let left = time.saturating_sub(start.elapsed());
        let run = run_on_graphs(body, &shared, &quiet, left);
        match run.found.map(|f| f.record.kind) {
            // The body uses what this engine lacks.
            Some(FailureKind::Unsupported) => return None,
            Some(FailureKind::StepLimit) => return Some(NO_PATH),
            _ => {}
        }
    }
}

/// Runs the lowest-numbered thread that can run; each execution is the exploration's next
/// graph.
struct LowestFirst {
    shared: SharedState,
    started: bool,
}

impl LowestFirst {
    /// Who runs in an abandoned run: each thread unwinds when it runs
    /// (`waits::RunWaits::abandoned`), the latest spawned first, so that a thread's scoped
    /// threads end before it leaves their scope. A thread that yields as it unwinds (a
    /// destructor that spins, waiting for another thread's) lets the next one down run, and
    /// the first lets the latest.
    fn unwinding(ids: &[TaskId], yielding: Option<TaskId>) -> Option<TaskId> {
        match yielding {
            Some(me) if ids.len() > 1 => ids
                .iter()
                .rev()
                .find(|&&id| id < me)
                .or_else(|| ids.iter().rev().find(|&&id| id != me))
                .copied(),
            _ => ids.last().copied(),
        }
    }

    /// Whether the exploration's deadline has passed (looked at every 256 steps: reading the
    /// clock at each would cost a few percent of a short step); if so, it stops.
    fn out_of_time(shared: &mut Shared) -> bool {
        let Some(deadline) = shared.deadline else {
            return false;
        };
        shared.steps_unchecked += 1;
        if shared.steps_unchecked < 256 {
            return false;
        }
        shared.steps_unchecked = 0;
        shared.out_of_time |= Instant::now() >= deadline;
        shared.out_of_time
    }
}

impl Scheduler for LowestFirst {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        let mut shared = self.shared.lock();
        let abandoned = std::mem::take(&mut shared.waits).abandoned;
        // A run cut short by the deadline is neither an execution nor a path of an estimate.
        if std::mem::replace(&mut self.started, true)
            && !shared.out_of_time
            && let Some(run) = shared.explorer.execution()
        {
            if abandoned {
                run.abandon();
            } else {
                run.finish();
                shared.executions += 1;
            }
        }
        if shared.out_of_time
            || shared
                .max_executions
                .is_some_and(|max| shared.executions >= max)
            || shared.max_runs.is_some_and(|max| shared.runs >= max)
        {
            return None;
        }
        if shared.explorer.next_execution().is_none() {
            shared.done = true;
            return None;
        }
        shared.runs += 1;
        shared.run_steps = 0;
        shared.threads = vec![(0, 0)];
        shared.steps.clear();
        shared.non_atomic.clear();
        shared.dropped.clear();
        shared.choices.new_execution();
        Some(ShuttleSchedule::new(0))
    }

    /// The thread whose next event is the next of the graph's sequentially consistent order,
    /// if it has one; else the lowest-numbered thread whose next event of the graph may run
    /// now (see `Execution::replay_ready`); once no thread has one left, the lowest-numbered
    /// thread: every write of the graph has run before any event is added.
    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        // Small vectors: this runs at every step, and allocating here cost 10% of a run.
        let mut ids: SmallVec<[TaskId; 16]> = runnable.iter().map(|t| t.id()).collect();
        ids.sort_unstable();
        let mut guard = self.shared.lock();
        let shared = &mut *guard;
        shared.run_steps += 1;
        let unwinding_yield = std::mem::take(&mut shared.waits.unwinding_yield);
        let yielding = current.filter(|_| unwinding_yield);
        if shared.waits.abandoned {
            return Self::unwinding(&ids, yielding);
        }
        if Self::out_of_time(shared) {
            shared.waits.abandoned = true;
            return Self::unwinding(&ids, yielding);
        }
        let aside = shared.waits.stepped_aside.take();
        let idx = |id: TaskId| usize::from(id) as ThreadIdx;
        // The graph's sequentially consistent order first, if it has one, so that a trace
        // shows such a graph as an interleaving (`Execution::preferred_thread`). Found from
        // the graph, not by asking each thread: the common case, it costs one lookup.
        let preferred = shared
            .explorer
            .execution()
            .and_then(|mut run| run.preferred_thread());
        if let Some(preferred) = preferred.and_then(|tid| shared.idx_of(tid))
            && !shared.waits.is_waiting(preferred)
            && let Some(&id) = ids.iter().find(|&&id| idx(id) == preferred)
        {
            return Some(id);
        }
        let going: SmallVec<[(TaskId, Option<tapestry_c11::Tid>); 16]> = ids
            .iter()
            .filter(|&&id| !shared.waits.is_waiting(idx(id)))
            .map(|&id| (id, shared.tid_of(idx(id))))
            .collect();
        if going.is_empty() && !ids.is_empty() {
            // Only threads that wait are left (see `waits`).
            let tids: SmallVec<[_; 16]> = ids.iter().map(|&id| shared.tid_of(idx(id))).collect();
            let waiting: Vec<(ThreadIdx, bool)> = {
                let run = shared.explorer.execution();
                ids.iter()
                    .zip(tids)
                    .map(|(&id, tid)| {
                        let latest = match (&run, tid) {
                            // It waits for the others, not for a write.
                            _ if shared.waits.lone.is_some_and(|(t, _)| t == idx(id)) => true,
                            (Some(run), Some(tid)) => run.last_read_is_latest(tid),
                            (None, _) => true,
                            (Some(_), None) => false,
                        };
                        (idx(id), latest)
                    })
                    .collect()
            };
            return match shared.waits.only_waiting_left(&waiting) {
                waits::Verdict::Run(t) => Some(TaskId::from(t as usize)),
                waits::Verdict::Abandon => {
                    shared.waits.abandoned = true;
                    Self::unwinding(&ids, yielding)
                }
            };
        }
        let Some(mut run) = shared.explorer.execution() else {
            return ids.first().copied();
        };
        // A thread that just stepped aside goes last (`waits::RunWaits::stepped_aside`).
        let mut going = going;
        if let Some(i) = going.iter().position(|&(id, _)| Some(idx(id)) == aside) {
            shared
                .waits
                .stepped_aside(idx(going[i].0), going.len() == 1);
            let yielder = going.remove(i);
            going.push(yielder);
        }
        let ready = going
            .iter()
            .find(|&&(_, tid)| tid.is_some_and(|tid| run.replay_ready(tid) == Some(true)));
        ready.or(going.first()).map(|&(id, _)| id)
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

#[cfg(test)]
mod estimate_tests {
    use super::describe_estimate;
    use tapestry_c11::Estimate;

    fn estimate(executions: f64, std_error: f64) -> Estimate {
        Estimate {
            executions,
            std_error,
            paths: 100,
        }
    }

    #[test]
    fn an_estimate_above_what_ran_is_a_forecast() {
        let text = describe_estimate(&estimate(24_000.0, 500.0), 10_000);
        assert!(
            text.ends_with("would run about 24000 executions (± 500, from 100 random paths)"),
            "{text}"
        );
    }

    #[test]
    fn an_estimate_of_no_path_says_so() {
        let none = Estimate {
            paths: 0,
            ..estimate(0.0, 0.0)
        };
        let text = describe_estimate(&none, 20);
        assert!(
            text.ends_with(
                "how many more is unknown (no random path of the estimate ended in its time \
                 and within 2000 steps)"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_estimate_below_what_ran_is_no_forecast() {
        // Seen on an async program: "about 0.0 executions (± 0.0)" after 10,000 had run.
        let text = describe_estimate(&estimate(0.0, 0.0), 10_000);
        assert!(
            text.contains("more than 10000 executions, how many more is unknown"),
            "{text}"
        );
        assert!(!text.contains("about"), "{text}");
        assert!(!text.contains("0.0"), "{text}");
    }
}
