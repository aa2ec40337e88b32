//! Runs a test body under one or more engines.

use std::sync::Arc;

use crate::engine::{Body, Engine, EngineKind, EngineRun, Found, Limits, Shard};
use crate::explain::{Explained, explain};
use crate::failure::Failure;
use crate::kinds::FailureKind;
use crate::report::{EngineReport, Outcome, Report};
use crate::schedule::Replay;
use crate::trace::{Ending, Labels, Trace};

/// Runs a test body under engines and reports what they found.
///
/// ```
/// use tapestry::{Engine, Explorer, FailureKind};
/// use tapestry::sync::{Arc, atomic::{AtomicUsize, Ordering}};
/// use tapestry::thread;
///
/// let report = Explorer::new()
///     .engine(Engine::exhaustive())
///     .engine(Engine::random().schedules(200))
///     .run(|| {
///         let counter = Arc::new(AtomicUsize::new(0));
///         let handles: Vec<_> = (0..2)
///             .map(|_| {
///                 let counter = counter.clone();
///                 // Load, then store: two threads can both load 0.
///                 thread::spawn(move || {
///                     let n = counter.load(Ordering::SeqCst);
///                     counter.store(n + 1, Ordering::SeqCst);
///                 })
///             })
///             .collect();
///         for handle in handles {
///             handle.join().unwrap();
///         }
///         assert_eq!(counter.load(Ordering::SeqCst), 2);
///     });
/// let failure = report.failure().expect("the lost update is found");
/// assert_eq!(failure.kind(), FailureKind::Panic);
/// ```
#[derive(Clone, Debug)]
pub struct Explorer {
    engines: Vec<Engine>,
    keep_going: bool,
    max_steps: u64,
    shrink: bool,
    tracing: bool,
    jobs: u64,
    shard: Shard,
    lock_order: bool,
    watchdog: Option<std::time::Duration>,
    parallelism: Option<std::num::NonZeroUsize>,
    workers: Option<std::num::NonZeroUsize>,
    timeouts: crate::kinds::Timeouts,
    exhaustive_after_sc: bool,
}

impl Default for Explorer {
    fn default() -> Self {
        Explorer {
            engines: Vec::new(),
            keep_going: false,
            max_steps: Explorer::DEFAULT_MAX_STEPS,
            shrink: true,
            tracing: true,
            jobs: 1,
            shard: Shard::ALL,
            lock_order: true,
            watchdog: Some(crate::engine::hang::DEFAULT_BOUND),
            parallelism: None,
            workers: None,
            timeouts: crate::kinds::Timeouts::Early,
            exhaustive_after_sc: true,
        }
    }
}

impl Explorer {
    /// The default step limit of an execution ([`Explorer::max_steps`]): shuttle's. A
    /// correct program that is merely long must not fail: one hundred tasks sharing a rate
    /// limiter take some 30,000 scheduling points in one execution.
    pub const DEFAULT_MAX_STEPS: u64 = 1_000_000;

    /// An explorer with no engine chosen yet; if none is added, all seven run with their default
    /// settings ([`Engine::defaults`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an engine. Engines run in the order they were added.
    pub fn engine(mut self, engine: impl Into<Engine>) -> Self {
        self.engines.push(engine.into());
        self
    }

    /// Adds several engines.
    pub fn engines<E: Into<Engine>>(mut self, engines: impl IntoIterator<Item = E>) -> Self {
        self.engines.extend(engines.into_iter().map(Into::into));
        self
    }

    /// Runs every engine even after one has found a failure (by default the first failure
    /// stops the exploration).
    pub fn keep_going(mut self, keep_going: bool) -> Self {
        self.keep_going = keep_going;
        self
    }

    /// Fails an execution with [`FailureKind::StepLimit`] after this many steps: scheduling
    /// points under the model engines, facade operations of one thread under the stress engine
    /// (which then waits a grace period before failing, so that a thread the OS has not run yet
    /// is not taken for a livelock) (default [`Explorer::DEFAULT_MAX_STEPS`], 1,000,000).
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps;
        self
    }

    /// Shrinks failures of the random and PCT engines to the fewest preemptions that still
    /// fail (default on), so that traces are short: it searches every schedule with fewer
    /// preemptions, bound by bound, within a budget.
    pub fn shrink(mut self, shrink: bool) -> Self {
        self.shrink = shrink;
        self
    }

    /// Records every facade operation while exploring (default on). Off, executions run
    /// faster and a failure's trace comes from running its schedule once more with tracing on
    /// (the stress engine's failures, which cannot be replayed, then have no trace).
    pub fn tracing(mut self, on: bool) -> Self {
        self.tracing = on;
        self
    }

    /// Spreads the schedules of the random, PCT, SURW and priority engines over `jobs` worker
    /// threads (default 1). Each worker runs its own share of the schedules of the same seed,
    /// so the schedules run are the same with any number of jobs; the first failure stops the
    /// other workers, and is reported with the schedule number that replays it alone. With
    /// more than one job, which of several failing schedules is reported depends on timing.
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1) as u64;
        self
    }

    /// Runs only this machine's share of the random, PCT, SURW and priority engines' schedules: with
    /// shard `i/n` and a budget of `N` schedules, the schedules numbered `i+1`, `i+1+n`, ...,
    /// so `n` machines run the `nN` schedules of one machine with budget `nN`, without talking
    /// to each other (default: everything, `0/1`). The exhaustive and stress engines are not
    /// split: every shard runs the exhaustive search, and the stress engine runs with a seed
    /// of the shard's own.
    pub fn shard(mut self, shard: Shard) -> Self {
        self.shard = shard;
        self
    }

    /// Predicts deadlocks from lock orders (default on): a cycle of lock orders whose
    /// sections nothing else orders fails with [`FailureKind::PotentialDeadlock`] even when no
    /// execution deadlocked. Off, only a deadlock an engine runs into is reported.
    pub fn lock_order(mut self, on: bool) -> Self {
        self.lock_order = on;
        self
    }

    /// A model engine's thread that reaches no facade operation for this long (default 10 s)
    /// hangs: it spins on plain memory or waits on a std lock or channel, which no engine can
    /// preempt, so the exploration would never end. It is reported as a
    /// [`FailureKind::Hang`] and the process exploring it ends (in a `#[tapestry::test]`, the
    /// test's child process: see the crate docs, "Crashes, stacks and hangs"). `None` never
    /// times out. The stress engine has a watchdog of its own ([`Stress::watchdog`](crate::engine::Stress::watchdog)).
    pub fn watchdog(mut self, bound: Option<std::time::Duration>) -> Self {
        self.watchdog = bound;
        self
    }

    /// What [`thread::available_parallelism`](crate::thread::available_parallelism) says
    /// inside the exploration, under every engine (at least 1). By default 4 under the model
    /// engines, so that code that sizes a pool by it runs the same everywhere with few threads
    /// (the exhaustive engine runs at most five), and the machine's own count under the stress
    /// engine, whose threads are real. `TAPESTRY_PARALLELISM` sets it for `#[tapestry::test]`.
    pub fn available_parallelism(mut self, n: usize) -> Self {
        self.parallelism = std::num::NonZeroUsize::new(n.max(1));
        self
    }

    /// Models an async runtime with `n` worker threads (at least 1): at most `n` polls of
    /// tasks (and of `block_on`) run at once, so a task that blocks inside its poll (a std
    /// lock across `.await` met by another task, a blocking call) holds a worker, and with
    /// all workers held the tasks that could free it are never polled: a deadlock, as on a
    /// real runtime. `1` is tokio's current-thread runtime. By default tasks are not limited
    /// by workers (every task polls on a thread of its own, which finds the most
    /// interleavings). `#[tapestry::test(workers = N)]` sets it.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = std::num::NonZeroUsize::new(n.max(1));
        self
    }

    /// When a `timeout` of `tapestry::tokio::time` may fire under the model engines: at any
    /// await point of the work it guards ([`Timeouts::Early`](crate::Timeouts::Early), the
    /// default), or only when nothing else can run, as a sleep
    /// ([`Timeouts::WhenIdle`](crate::Timeouts::WhenIdle): for timeouts that only guard
    /// against a hang). `#[tapestry::test(timeouts = "when_idle")]` and `TAPESTRY_TIMEOUTS`
    /// set it.
    pub fn timeouts(mut self, timeouts: crate::kinds::Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Runs the exhaustive engine after a DPOR search that proved the program correct under
    /// sequential consistency (default on). Off, the exhaustive engine is skipped (and not
    /// reported) when an earlier DPOR search was complete and saw only `SeqCst` atomic
    /// operations and fences: every execution of such a program is sequentially consistent,
    /// DPOR explored one of each class of them, and loom's search could add only its
    /// `SeqCst`-as-`AcqRel` false alarms (loom#180). `tapestry-loom` turns it off.
    pub fn exhaustive_after_sc(mut self, on: bool) -> Self {
        self.exhaustive_after_sc = on;
        self
    }

    fn limits(&self) -> Limits {
        Limits {
            max_steps: self.max_steps,
            tracing: self.tracing,
            jobs: self.jobs,
            shard: self.shard,
            lock_order: self.lock_order,
            engine: None,
            watchdog: self.watchdog,
            parallelism: self.parallelism,
            workers: self.workers,
            timeouts: self.timeouts,
            waker_sites: false,
        }
    }

    /// The engines that will run, in order.
    pub fn chosen_engines(&self) -> Vec<Engine> {
        if self.engines.is_empty() {
            Engine::defaults()
        } else {
            self.engines.clone()
        }
    }

    /// Runs `body` under every chosen engine, stopping at the first failure unless told to
    /// keep going.
    pub fn run<F>(&self, body: F) -> Report
    where
        F: Fn() + Send + Sync + 'static,
    {
        let body: Body = Arc::new(body);
        let limits = self.limits();
        let mut report = Report::default();
        let mut proved_sc = false;
        for engine in self.chosen_engines() {
            if engine.kind() == EngineKind::Exhaustive && proved_sc && !self.exhaustive_after_sc {
                continue;
            }
            let limits = Limits {
                engine: Some(engine.kind()),
                ..limits.clone()
            };
            let mut run = engine.explore(&body, &limits);
            if self.shrink {
                run.found = run
                    .found
                    .map(|found| shrink(&body, engine.kind(), found, &limits));
            }
            if !self.tracing {
                run.found = run
                    .found
                    .map(|found| retrace(&body, found, &limits, |r| r.found));
                run.predicted = run
                    .predicted
                    .map(|found| retrace(&body, found, &limits, |r| r.predicted));
            } else {
                run.found = run
                    .found
                    .map(|found| with_waker_sites(&body, found, &limits));
            }
            // An engine that cannot run the program (loom's thread limit) stops nobody: the
            // others still run, and the report says what was not explored.
            let failed = run
                .found
                .as_ref()
                .is_some_and(|found| found.record.kind != FailureKind::Unsupported);
            let stop = failed && !self.keep_going;
            let engine_report = engine_report(engine.kind(), run);
            proved_sc |= engine_report.engine() == EngineKind::Dpor
                && engine_report.outcome() == &(Outcome::Passed { complete: true })
                && engine_report.weak_orderings() == Some(false);
            report.push(engine_report);
            if stop {
                break;
            }
        }
        report
    }

    /// Runs `body` like [`run`](Self::run) and panics with the report and the failing
    /// interleaving if an engine found a failure, or if an engine chosen with
    /// [`engine`](Self::engine) could not run the program. When no engine was chosen (every
    /// engine runs), one that cannot run the program is skipped with a notice on standard
    /// error, unless none could: then nothing was tested, and it panics.
    #[track_caller]
    pub fn check<F>(&self, body: F)
    where
        F: Fn() + Send + Sync + 'static,
    {
        let report = self.run(body);
        if let Some(failure) = report.failure() {
            panic!("{report}\n{failure}");
        }
        if let Some(note) = report.skipped_note() {
            if self.engines.is_empty() && report.ran_any() {
                crate::notice::notice(&format!("tapestry: the other engines passed, but {note}"));
            } else {
                panic!("{report}\n{note}");
            }
        }
    }
}

/// Shrinking budget: executions per preemption bound, and time in all.
const SHRINK_EXECUTIONS: u64 = 5_000;
const SHRINK_TIME: std::time::Duration = std::time::Duration::from_secs(3);

/// The failure with the fewest preemptions that the shrinker finds, or `found` itself.
fn shrink(body: &Body, engine: EngineKind, found: Found, limits: &Limits) -> Found {
    let shrinkable = matches!(engine, EngineKind::Random | EngineKind::Pct);
    match found.preemptions {
        Some(preemptions) if shrinkable && preemptions > 0 => {
            let kind = found.record.kind;
            match crate::engine::shuttle::shrink(
                body,
                kind,
                preemptions,
                limits,
                SHRINK_EXECUTIONS,
                SHRINK_TIME,
            ) {
                Some(smaller) => Found {
                    execution: found.execution,
                    ..smaller
                },
                None => found,
            }
        }
        _ => found,
    }
}

/// A failure found with tracing off (or a lost wakeup, see [`with_waker_sites`]), with the
/// trace of running its schedule again with tracing on, if that fails the same way (`pick`
/// chooses the real or the predicted failure). A lost wakeup's run notes its wakers' lines.
fn retrace(
    body: &Body,
    found: Found,
    limits: &Limits,
    pick: impl FnOnce(EngineRun) -> Option<Found>,
) -> Found {
    let traced = Limits {
        tracing: true,
        waker_sites: found.record.kind == FailureKind::LostWakeup,
        ..limits.clone()
    };
    if matches!(found.replay, Replay::Stress { .. }) {
        return found;
    }
    match run_replay(body, &found.replay, &traced)
        .ok()
        .and_then(|(_, run)| pick(run))
    {
        Some(again) if again.record.kind == found.record.kind => Found {
            record: again.record,
            recording: again.recording,
            ..found
        },
        _ => found,
    }
}

/// A lost wakeup's report names the lines behind its wakers' last events, which only a run of
/// its schedule that takes a backtrace at each learns (`Limits::waker_sites`, which
/// [`retrace`] sets for it); other failures as they are.
fn with_waker_sites(body: &Body, found: Found, limits: &Limits) -> Found {
    if found.record.kind != FailureKind::LostWakeup {
        return found;
    }
    retrace(body, found, limits, |r| r.found)
}

fn engine_report(engine: EngineKind, run: EngineRun) -> EngineReport {
    let EngineRun {
        executions,
        elapsed,
        complete,
        found,
        predicted,
        weak_orderings,
        estimate,
    } = run;
    // A real failure outranks a prediction.
    let found = found.or(predicted);
    let (outcome, failure) = match found {
        // Stopped before one execution finished, it saw nothing: not a pass.
        None if executions == 0 && !complete => (
            Outcome::Unsupported {
                reason: format!(
                    "not one execution finished within its budget (it ran {:.2} s): one run of \
                     this program takes this engine longer than that. Raise the budget \
                     (TAPESTRY_BUDGET=10 gives every engine ten times as long; \
                     LOOM_MAX_DURATION under tapestry-loom), or make the run shorter",
                    elapsed.as_secs_f64()
                ),
            },
            None,
        ),
        None => (Outcome::Passed { complete }, None),
        Some(found) if found.record.kind == FailureKind::Unsupported => (
            Outcome::Unsupported {
                reason: found.record.message.clone(),
            },
            None,
        ),
        Some(found) => {
            let failure = failure(engine, found);
            (
                Outcome::Failed {
                    kind: failure.kind(),
                    execution: failure.execution(),
                },
                Some(failure),
            )
        }
    };
    EngineReport {
        engine,
        executions,
        elapsed,
        outcome,
        failure,
        weak_orderings,
        estimate,
    }
}

/// Turns what an engine recorded into a failure to show.
pub(crate) fn failure(engine: EngineKind, found: Found) -> Failure {
    let Found {
        record,
        recording,
        execution,
        replay,
        preemptions,
    } = found;
    let labels = Labels::new(&recording);
    let thread = crate::explain::who(&record, &labels);
    let Explained {
        message,
        outcome,
        mentioned,
        rounds,
    } = explain(&record, &recording, &labels);
    Failure {
        kind: record.kind,
        message,
        thread,
        // Other kinds are raised inside engines; their location is the engine's source.
        location: record
            .location
            .filter(|_| record.kind == FailureKind::Panic),
        engine,
        execution,
        replay,
        preemptions,
        trace: Trace::new(
            recording,
            Some(outcome),
            mentioned,
            matches!(engine, EngineKind::Exhaustive | EngineKind::C11),
            rounds,
        )
        .with_ending(Ending {
            thread: Some(record.thread),
            blocked: record.blocked.clone(),
        }),
    }
}

/// Why a saved failure could not be replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    message: String,
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReplayError {}

impl Explorer {
    /// Runs again the execution that `replay` describes, with this explorer's step limit and
    /// always traced: the same interleaving for the model engines (the random, PCT, SURW,
    /// priority and DPOR engines' schedules step by step; the exhaustive engine's by running its
    /// deterministic search to the same execution). The stress engine's cannot be replayed
    /// step by step: it hunts again with the same seed and budget, which the hardware may or
    /// may not interleave the same way. `Err` says why the program no longer fits: where it
    /// stopped fitting a schedule, or that the exhaustive search no longer reaches the
    /// execution (the code changed).
    pub fn replay<F>(&self, replay: &Replay, body: F) -> Result<Report, ReplayError>
    where
        F: Fn() + Send + Sync + 'static,
    {
        let body: Body = Arc::new(body);
        let limits = self.limits();
        let (engine, mut run) = run_replay(&body, replay, &limits)?;
        run.found = run
            .found
            .map(|found| with_waker_sites(&body, found, &limits));
        let mut report = Report::default();
        report.push(engine_report(engine, run));
        Ok(report)
    }
}

/// Runs the execution `replay` describes; see [`Explorer::replay`].
fn run_replay(
    body: &Body,
    replay: &Replay,
    limits: &Limits,
) -> Result<(EngineKind, EngineRun), ReplayError> {
    let engine = match replay {
        Replay::Exhaustive { .. } => EngineKind::Exhaustive,
        Replay::C11 { .. } => EngineKind::C11,
        Replay::Schedule(_) => EngineKind::Random,
        Replay::Priority { .. } => EngineKind::Priority,
        Replay::Stress { .. } => EngineKind::Stress,
    };
    // One execution costs the same traced: a failure it shows always has its trace.
    let traced = Limits {
        engine: limits.engine.or(Some(engine)),
        tracing: true,
        ..limits.clone()
    };
    let (engine, run) = match replay {
        Replay::Exhaustive {
            preemption_bound,
            execution,
            choices,
        } => {
            let run =
                crate::engine::loom::replay(body, &traced, *preemption_bound, *execution, choices);
            if run.found.is_none() && run.predicted.is_none() && run.executions < *execution {
                let bound = preemption_bound
                    .map_or("no bound".to_owned(), |b| format!("preemption bound {b}"));
                return Err(ReplayError {
                    message: format!(
                        "the exhaustive search with {bound} now ends after {} executions, so execution {execution} no longer exists",
                        run.executions
                    ),
                });
            }
            (EngineKind::Exhaustive, run)
        }
        Replay::C11 { execution, choices } => {
            let run = crate::engine::c11::replay(body, &traced, *execution, choices);
            if run.found.is_none() && run.executions < *execution {
                return Err(ReplayError {
                    message: format!(
                        "the c11 engine's exploration now ends after {} executions, so execution {execution} no longer exists",
                        run.executions
                    ),
                });
            }
            (EngineKind::C11, run)
        }
        Replay::Schedule(schedule) => {
            let run = crate::engine::shuttle::replay(body, schedule, None, &traced)
                .map_err(|message| ReplayError { message })?;
            (EngineKind::Random, run)
        }
        Replay::Priority {
            inversion_bound,
            schedule,
        } => {
            let run =
                crate::engine::shuttle::replay(body, schedule, Some(*inversion_bound), &traced)
                    .map_err(|message| ReplayError { message })?;
            (EngineKind::Priority, run)
        }
        Replay::Stress {
            seed,
            iterations,
            time_ms,
            ..
        } => {
            let config = crate::engine::stress::hunt_again(*seed, *iterations, *time_ms);
            (
                EngineKind::Stress,
                crate::engine::stress::explore(body, &config, limits),
            )
        }
    };
    Ok((engine, run))
}
