//! The random, PCT, SURW and priority engines: schedulers for shuttle's runtime, wrapped to record
//! every decision so that a failing execution can be replayed exactly.

mod backend;
mod bounded;
pub(crate) mod condvar;
mod priority;
mod record;
mod schedulers;
mod surw;
pub(crate) mod token;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use shuttle::scheduler::Scheduler;
use shuttle::{Config, FailurePersistence, MaxSteps, Runner};

pub(crate) use self::backend::ShuttleBackend;
use self::bounded::BoundedDfs;
use self::priority::{PriorityMode, RealTime};
pub(crate) use self::record::Log;
use self::record::Replayer;
use self::record::{Recorder, SharedLog};
use self::schedulers::{Pct as PctScheduler, RandomWalk, Schedules};
use self::surw::Surw as SurwScheduler;
use super::split::Slice;
use super::{
    Body, EngineRun, Found, Limits, Pct, Priority, Random, Surw, failure_of, on_fresh_thread,
    predicted,
};
use super::{hang, stack};
use crate::engine::dpor::access::SharedTracker;
use crate::engine::dpor::backend::DporBackend;
use crate::kinds::FailureKind;
use crate::rt::{self, Execution, Local};
use crate::schedule::{Replay, Schedule};

pub(crate) fn explore_random(body: &Body, config: &Random, limits: &Limits) -> EngineRun {
    explore_split(
        "tapestry-random",
        config.seed,
        config.schedules,
        limits,
        |schedules| {
            run(
                body,
                RandomWalk::new(schedules),
                limits,
                Some(config.max_time),
            )
            .0
        },
    )
}

pub(crate) fn explore_priority(body: &Body, config: &Priority, limits: &Limits) -> EngineRun {
    explore_split(
        "tapestry-priority",
        config.seed,
        config.schedules,
        limits,
        |schedules| {
            let mode = Arc::new(PriorityMode::new(config.inversion_bound));
            let scheduler = RealTime::new(schedules, mode.clone());
            let inversion_bound = Some(mode.inversion_bound);
            let backend = ShuttleBackend {
                priority: Some(mode),
            };
            let backend = (Box::new(backend) as Box<dyn rt::Backend>, inversion_bound);
            run_on(body, scheduler, backend, limits, Some(config.max_time)).0
        },
    )
}

pub(crate) fn explore_pct(body: &Body, config: &Pct, limits: &Limits) -> EngineRun {
    explore_split(
        "tapestry-pct",
        config.seed,
        config.schedules,
        limits,
        |schedules| {
            let scheduler = PctScheduler::new(config.depth, schedules);
            run(body, scheduler, limits, Some(config.max_time)).0
        },
    )
}

pub(crate) fn explore_surw(body: &Body, config: &Surw, limits: &Limits) -> EngineRun {
    if config.shuttle_urw {
        return on_fresh_thread("tapestry-urw", || {
            let urw = shuttle::scheduler::UrwRandomScheduler::new_from_seed(
                config.seed,
                config.schedules as usize,
            );
            run(body, urw, limits, Some(config.max_time)).0
        });
    }
    explore_split(
        "tapestry-surw",
        config.seed,
        config.schedules,
        limits,
        |schedules| {
            // The DPOR engine's wrappers announce each operation before it runs; they add no
            // scheduling point, so the schedules replay on the plain shuttle backend.
            let tracker = SharedTracker::default();
            let scheduler = SurwScheduler::new(schedules, tracker.clone());
            let backend = Box::new(DporBackend::new(tracker)) as Box<dyn rt::Backend>;
            run_on(
                body,
                scheduler,
                (backend, None),
                limits,
                Some(config.max_time),
            )
            .0
        },
    )
}

/// Runs this machine's share (`limits.shard`) of a seeded engine's `total` schedules on
/// `limits.jobs` workers, each on an OS thread of its own (shuttle runs a whole execution on
/// the thread that started it); the first failure stops the others. Failures carry their
/// schedule number (see `split`); the earliest found is reported.
fn explore_split(
    name: &str,
    seed: u64,
    total: u64,
    limits: &Limits,
    worker: impl Fn(Schedules) -> EngineRun + Sync,
) -> EngineRun {
    let jobs = limits.jobs.clamp(1, total.max(1));
    let stop = Arc::new(AtomicBool::new(false));
    let runs: Vec<EngineRun> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|job| {
                let slice = Slice {
                    shard: limits.shard,
                    job,
                    jobs,
                    total,
                };
                let (stop, worker) = (stop.clone(), &worker);
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn_scoped(scope, move || {
                        let mut run = worker(Schedules::new(seed, slice, stop.clone()));
                        if run.found.is_some() {
                            stop.store(true, Relaxed);
                        }
                        for found in run.found.iter_mut().chain(run.predicted.iter_mut()) {
                            found.execution = slice.number(found.execution);
                        }
                        run
                    })
                    .expect("failed to start an exploration thread")
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|payload| resume_unwind(payload)))
            .collect()
    });
    let mut merged = EngineRun {
        executions: runs.iter().map(|r| r.executions).sum(),
        elapsed: runs.iter().map(|r| r.elapsed).max().unwrap_or_default(),
        complete: runs.iter().all(|r| r.complete),
        found: None,
        predicted: None,
        weak_orderings: Some(false),
        estimate: None,
    };
    for run in runs {
        merged.add_weak_orderings(run.weak_orderings);
        merged.found = earliest(merged.found, run.found);
        merged.predicted = earliest(merged.predicted, run.predicted);
    }
    merged.complete &= merged.found.is_none();
    merged
}

fn earliest(a: Option<Found>, b: Option<Found>) -> Option<Found> {
    match (a, b) {
        (Some(a), Some(b)) if b.execution < a.execution => Some(b),
        (a, b) => a.or(b),
    }
}

/// Runs one execution that makes the decisions of `schedule`, watching for priority inversions
/// longer than `inversion_bound` when it is a priority engine's schedule. `Err` says where the
/// program stopped fitting the schedule (it changed since the schedule was recorded).
pub(crate) fn replay(
    body: &Body,
    schedule: &Schedule,
    inversion_bound: Option<u64>,
    limits: &Limits,
) -> Result<EngineRun, String> {
    on_fresh_thread("tapestry-replay", || {
        let log = SharedLog::default();
        let replayer = Replayer::new(schedule.steps.clone(), log.clone());
        let backend = ShuttleBackend {
            priority: inversion_bound.map(|bound| Arc::new(PriorityMode::new(bound))),
        };
        let backend = (Box::new(backend) as Box<dyn rt::Backend>, inversion_bound);
        let (run, log) = run_with_log(body, replayer, backend, log, limits, None);
        if let Some(divergence) = log.divergence {
            return Err(divergence);
        }
        if run.found.is_none() && log.steps.len() < schedule.steps.len() {
            return Err(format!(
                "the schedule diverged from the program at step {}: the program finished, but the schedule has {} steps",
                log.steps.len() + 1,
                schedule.steps.len()
            ));
        }
        Ok(run)
    })
}

/// The preemptions of `steps`, the schedule of a failure of `kind`, counted by running it once
/// more (schedulers do not count them as they go: that would cost every decision of every
/// execution for what only a failure needs). `None` if it does not fail that way again.
fn preemptions(
    body: &Body,
    steps: &[crate::schedule::Step],
    inversion_bound: Option<u64>,
    kind: FailureKind,
    limits: &Limits,
) -> Option<usize> {
    let schedule = Schedule {
        steps: steps.to_vec(),
    };
    let untraced = Limits {
        tracing: false,
        ..limits.clone()
    };
    let run = replay(body, &schedule, inversion_bound, &untraced).ok()?;
    run.found.filter(|f| f.record.kind == kind)?.preemptions
}

/// Looks for a failure of `kind` with fewer than `preemptions` preemptions: searches every
/// schedule with 0 preemptions, then 1, ... within `max_executions` per bound and `max_time`
/// in all. The first failure found has the fewest preemptions of any failure.
pub(crate) fn shrink(
    body: &Body,
    kind: FailureKind,
    preemptions: usize,
    limits: &Limits,
    max_executions: u64,
    max_time: Duration,
) -> Option<Found> {
    on_fresh_thread("tapestry-shrink", || {
        let start = Instant::now();
        for bound in 0..preemptions {
            let left = max_time.checked_sub(start.elapsed())?;
            let (run, _) = run(
                body,
                BoundedDfs::new(bound, max_executions),
                limits,
                Some(left),
            );
            if let Some(found) = run.found {
                // A failure of another kind first means this search cannot reach the one wanted.
                return (found.record.kind == kind).then_some(found);
            }
        }
        None
    })
}

fn run<S: Scheduler + 'static>(
    body: &Body,
    scheduler: S,
    limits: &Limits,
    max_time: Option<Duration>,
) -> (EngineRun, Log) {
    let backend = Box::new(ShuttleBackend::default());
    run_on(body, scheduler, (backend, None), limits, max_time)
}

/// Runs `scheduler`'s executions of `body` on shuttle with `backend` (and its priority
/// engine's inversion bound), recording every decision so that a failure can be replayed.
pub(crate) fn run_on<S: Scheduler + 'static>(
    body: &Body,
    scheduler: S,
    backend: (Box<dyn rt::Backend>, Option<u64>),
    limits: &Limits,
    max_time: Option<Duration>,
) -> (EngineRun, Log) {
    let log = SharedLog::default();
    let recorder = Recorder::new(scheduler, log.clone());
    run_with_log(body, recorder, backend, log, limits, max_time)
}

/// Runs `scheduler`'s executions of `body` on shuttle with `backend` (and its priority
/// engine's inversion bound, which its failures replay with), `log` recording the decisions.
fn run_with_log<S: Scheduler + 'static>(
    body: &Body,
    scheduler: S,
    (backend, inversion_bound): (Box<dyn rt::Backend>, Option<u64>),
    log: SharedLog,
    limits: &Limits,
    max_time: Option<Duration>,
) -> (EngineRun, Log) {
    rt::hook::install();
    let start = Instant::now();
    let replay = move |steps: Vec<crate::schedule::Step>| {
        let schedule = Schedule { steps };
        match inversion_bound {
            Some(inversion_bound) => Replay::Priority {
                inversion_bound,
                schedule,
            },
            None => Replay::Schedule(schedule),
        }
    };
    let exec = Arc::new(
        Execution::new(backend, false)
            .engine(limits.engine)
            .tracing(limits.tracing)
            .lock_order(limits.lock_order)
            .available_parallelism(limits.parallelism)
            .workers(limits.workers)
            .timeouts(limits.timeouts)
            .waker_sites(limits.waker_sites),
    );
    let local = Local::new(exec.clone());
    let _installed = local.install();
    let _watched = hang::watch(&exec, limits.watchdog);

    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::FailAfter(limits.max_steps as usize);
    config.max_time = max_time;
    config.silence_warnings = true;
    // shuttle's stacks (pooled, committed as touched) are a spawned thread's default size; the
    // test body and threads that ask for more run on stacks of ours (`engine::stack`).
    config.stack_size = backend::shuttle_stack();
    let runner = Runner::new(hang::Working(scheduler), config);
    let program = body.clone();
    let result = catch_unwind(AssertUnwindSafe(|| {
        runner.run(move || {
            // shuttle names the main thread with a label that each spawned thread inherits, a
            // copy per spawn (5% of a spawn-heavy execution); tapestry names threads itself.
            shuttle::current::with_labels_for_task(shuttle::current::me(), |labels| {
                *labels = shuttle::current::Labels::new();
            });
            stack::run_on(stack::MAIN, || rt::run_main(&*program))
        })
    }));
    log.borrow_mut().keep_prediction();
    rt::keep_prediction_trace(&local);
    let log = log.borrow().clone();
    let found = result.err().map(|payload| {
        let record = failure_of(&exec, &*payload);
        let preemptions = log
            .preemptions
            .or_else(|| preemptions(body, &log.steps, inversion_bound, record.kind, limits));
        Found {
            record,
            recording: local.take_recording(),
            execution: exec.executions(),
            replay: replay(log.steps.clone()),
            preemptions,
        }
    });
    let predicted = predicted(&exec, |_| replay(log.predicted.clone().unwrap_or_default()));
    let run = EngineRun {
        executions: exec.executions(),
        elapsed: start.elapsed(),
        complete: found.is_none() && max_time.is_none_or(|t| start.elapsed() < t),
        found,
        predicted,
        weak_orderings: Some(exec.weak_orderings()),
        estimate: None,
    };
    (run, log)
}
