//! What a `#[tapestry::test]` function runs.
//!
//! The attribute passes what the test wrote (a [`TestSpec`]); everything else is decided here,
//! when the test runs: the `TAPESTRY_*` knobs, the saved schedules to replay first, the engines
//! and budgets, where a failing schedule is saved, and what the failure message says.
//!
//! Architecture invariant: a failing schedule is on disk before the test reports the failure.

mod crash;
mod isolate;
mod knobs;
mod model;
mod schedules;

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Once};
use std::time::Duration;

use self::knobs::{Knobs, parse_duration, parse_engines};
use crate::Explorer;
use crate::engine::{Engine, EngineKind, Stress, hang};
use crate::failure::Failure;
use crate::kinds::FailureKind;
use crate::notice::notice;
use crate::report::{Outcome, Report};
use crate::saved::{self, SavedFailure};

pub use self::model::{InputTest, run_model};

/// A test's body, shared by its replays and its search.
pub type Body = Arc<dyn Fn() + Send + Sync>;

/// The body that replays a saved entry, built from the entry (its `input`), or why none can.
type Bodies<'b> = &'b dyn Fn(&SavedFailure) -> Result<Body, String>;

/// What a `#[tapestry::test]` attribute says, as the macro passes it.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct TestSpec {
    pub module_path: &'static str,
    pub name: &'static str,
    pub manifest_dir: &'static str,
    pub package: &'static str,
    pub engines: Option<&'static str>,
    pub schedules: Option<u64>,
    pub seed: Option<u64>,
    pub preemption_bound: Option<u64>,
    pub pct_depth: Option<u64>,
    pub inversion_bound: Option<u64>,
    pub stress_iterations: Option<u64>,
    pub stress_time: Option<&'static str>,
    pub max_steps: Option<u64>,
    /// The modelled async runtime's workers (`Explorer::workers`).
    pub workers: Option<u64>,
    pub lock_order: Option<bool>,
    /// When timeouts may fire (`Explorer::timeouts`), as written: `early` or `when_idle`.
    pub timeouts: Option<&'static str>,
    pub expect: Option<&'static str>,
    pub snapshot: bool,
    pub should_panic: bool,
    /// The name `cargo test` selects the test by, when it is not the test's path without the
    /// crate (a model's of a test that runs several: see `run_model`).
    pub filter: Option<&'static str>,
}

/// What a test function may return: `()` or `Result<(), E>`.
#[doc(hidden)]
pub trait TestOutput {
    fn check(self);
}

impl TestOutput for () {
    fn check(self) {}
}

impl<E: Debug> TestOutput for Result<(), E> {
    #[track_caller]
    fn check(self) {
        if let Err(error) = self {
            panic!("the test returned Err({error:?})");
        }
    }
}

/// Runs a `#[tapestry::test]`: panics (failing the test) with a message if it fails.
/// `snapshot` is given the minimal failing interleaving when the test asks for one.
#[doc(hidden)]
#[track_caller]
pub fn run_test<F>(spec: &TestSpec, body: F, snapshot: &dyn Fn(&str))
where
    F: Fn() + Send + Sync + 'static,
{
    // Not `unwrap_or_else`: a closure would not pass on the test's location to the panic.
    let knobs = match Knobs::from_env() {
        Ok(knobs) => knobs,
        Err(e) => panic!("tapestry: {e}"),
    };
    static UNOPTIMISED: Once = Once::new();
    if cfg!(tapestry_unoptimised) && !isolate::is_child_process() {
        UNOPTIMISED.call_once(|| notice(UNOPTIMISED_NOTICE));
    }
    // In a child process unless `TAPESTRY_ISOLATE=0`, so that a crash fails this test alone.
    let here = match isolate::start(spec, &knobs) {
        isolate::Start::Parent(Ok(())) => return,
        isolate::Start::Parent(Err(message)) => panic!("{message}"),
        isolate::Start::Here(here) => here,
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let run = TestRun::new(spec, knobs);
        run.run(&run.explorer()?, body, snapshot, &mut |_| {})
    }));
    if let Err(message) = here.finish(result) {
        panic!("{message}");
    }
}

/// Unoptimised, an exploration runs several times slower (a medium test: 7.8 s against 1.7 s).
const UNOPTIMISED_NOTICE: &str = "tapestry: built without optimisation, so explorations run several times slower. \
     In your Cargo.toml:\n    [profile.dev.package.\"*\"]\n    opt-level = 2";

/// One run of one test.
struct TestRun<'a> {
    spec: &'a TestSpec,
    knobs: Knobs,
    /// `module::path::name`, as saved in schedule files.
    test: String,
    schedules: PathBuf,
}

/// Default budgets of a `#[tapestry::test]`, before `TAPESTRY_BUDGET` scales them (the stress
/// engine's are its own: `Stress::DEFAULT_ITERATIONS`, `Stress::DEFAULT_TIME`).
const SCHEDULES: u64 = 1_000;
const PREEMPTION_BOUND: usize = 2;
const PCT_DEPTH: usize = 3;
const EXHAUSTIVE_TIME: Duration = Duration::from_secs(30);
const DPOR_EXECUTIONS: u64 = 10_000;

impl<'a> TestRun<'a> {
    fn new(spec: &'a TestSpec, knobs: Knobs) -> Self {
        let test = format!("{}::{}", spec.module_path, spec.name);
        let dir = Self::schedule_dir(spec, &knobs);
        let schedules = saved::path_for(&dir, spec.module_path, spec.name);
        TestRun {
            spec,
            knobs,
            test,
            schedules,
        }
    }

    /// Runs the test under `explorer`, after its saved schedules; `observe` sees the report of
    /// the exploration before it is judged.
    fn run<F>(
        &self,
        explorer: &Explorer,
        body: F,
        snapshot: &dyn Fn(&str),
        observe: &mut dyn FnMut(&Report),
    ) -> Result<(), String>
    where
        F: Fn() + Send + Sync + 'static,
    {
        let body: Body = Arc::new(body);
        let bodies = |entry: &SavedFailure| match &entry.input {
            None => Ok(body.clone()),
            Some(input) => Err(format!(
                "it was saved with an input (`{input}`), and this test takes none"
            )),
        };
        let run_body = {
            let body = body.clone();
            move || body()
        };
        if let Some(file) = &self.knobs.replay {
            return self.replay_file(explorer, &self.resolve(file), &bodies);
        }
        if let Some(expected) = self.spec.expect {
            let expected = FailureKind::from_str(expected).map_err(|e| e.to_string())?;
            self.not_replayed(&format!("expects a {expected}"))?;
            return self.expect(explorer, expected, run_body, snapshot);
        }
        if self.spec.should_panic {
            self.not_replayed("is `#[should_panic]`")?;
        } else {
            self.replay_saved(explorer, &bodies)?;
        }
        let report = explorer.run(run_body);
        observe(&report);
        let Some(failure) = report.failure() else {
            // A test's output, as libtest shows it: with `--nocapture` or `--show-output`,
            // what each engine ran (how many executions, whether a search was complete).
            // Not before an engine that could not run the program fails the test.
            self.check_supported(&report)?;
            println!("tapestry: `{}` passed\n{report}", self.test);
            return Ok(());
        };
        if self.spec.should_panic {
            return Err(format!("{report}\n{failure}"));
        }
        let saved = self.save(failure, None);
        Err(self.failure_message(&report, failure, saved))
    }

    /// The explorer for this test: attribute settings, else knobs, else defaults.
    fn explorer(&self) -> Result<Explorer, String> {
        let (spec, knobs) = (self.spec, &self.knobs);
        let scale = |n: u64| ((n as f64 * knobs.budget).round() as u64).max(1);
        let scale_time = |d: Duration| d.mul_f64(knobs.budget);
        let seed = spec.seed.or(knobs.seed).unwrap_or(0);
        let schedules = scale(spec.schedules.or(knobs.schedules).unwrap_or(SCHEDULES));
        let bound = match spec.preemption_bound {
            Some(bound) => Some(bound as usize),
            None => knobs.preemption_bound.unwrap_or(Some(PREEMPTION_BOUND)),
        };
        let stress_time = match spec.stress_time {
            Some(text) => parse_duration(text)?,
            None => knobs.stress_time.unwrap_or(Stress::DEFAULT_TIME),
        };
        let mut explorer = Explorer::new()
            .max_steps(
                spec.max_steps
                    .or(knobs.max_steps)
                    .unwrap_or(Explorer::DEFAULT_MAX_STEPS),
            )
            .jobs(knobs.jobs.unwrap_or(1))
            .shard(knobs.shard.unwrap_or_default())
            .tracing(knobs.tracing)
            .lock_order(spec.lock_order.or(knobs.lock_order).unwrap_or(true))
            .watchdog(knobs.watchdog.unwrap_or(Some(hang::DEFAULT_BOUND)));
        if let Some(n) = spec.workers {
            explorer = explorer.workers(n as usize);
        }
        let timeouts = match spec.timeouts {
            Some(text) => text.parse().map_err(|e| format!("{e}"))?,
            None => knobs.timeouts.unwrap_or_default(),
        };
        explorer = explorer.timeouts(timeouts);
        if let Some(n) = knobs.parallelism {
            explorer = explorer.available_parallelism(n);
        }
        for kind in self.engines()? {
            let engine: Engine = match kind {
                EngineKind::Exhaustive => {
                    let e = Engine::exhaustive().max_time(scale_time(EXHAUSTIVE_TIME));
                    match bound {
                        Some(bound) => e.preemption_bound(bound).into(),
                        None => e.unbounded().into(),
                    }
                }
                EngineKind::Dpor => {
                    let e = Engine::dpor()
                        .max_executions(scale(DPOR_EXECUTIONS))
                        .max_time(scale_time(EXHAUSTIVE_TIME));
                    // Deepened from bound 0 unless a bound was asked for.
                    let asked = spec.preemption_bound.map(|b| Some(b as usize));
                    match asked.or(knobs.preemption_bound) {
                        Some(Some(bound)) => e.preemption_bound(bound).into(),
                        Some(None) => e.iterative(false).into(),
                        None => e.into(),
                    }
                }
                EngineKind::C11 => Engine::c11()
                    .max_executions(scale(DPOR_EXECUTIONS))
                    .max_time(scale_time(EXHAUSTIVE_TIME))
                    .into(),
                EngineKind::Random => Engine::random().schedules(schedules).seed(seed).into(),
                EngineKind::Pct => {
                    let depth = spec
                        .pct_depth
                        .map(|d| d as usize)
                        .or(knobs.pct_depth)
                        .unwrap_or(PCT_DEPTH);
                    Engine::pct()
                        .depth(depth)
                        .schedules(schedules)
                        .seed(seed)
                        .into()
                }
                EngineKind::Surw => Engine::surw().schedules(schedules).seed(seed).into(),
                EngineKind::Priority => {
                    let bound = spec.inversion_bound.or(knobs.inversion_bound);
                    let e = Engine::priority().schedules(schedules).seed(seed);
                    match bound {
                        Some(bound) => e.inversion_bound(bound).into(),
                        None => e.into(),
                    }
                }
                EngineKind::Stress => {
                    let e = match knobs.watchdog {
                        Some(Some(bound)) => Engine::stress().watchdog(bound),
                        _ => Engine::stress(),
                    };
                    e.iterations(scale(
                        spec.stress_iterations
                            .or(knobs.stress_iterations)
                            .unwrap_or(Stress::DEFAULT_ITERATIONS),
                    ))
                    .time(scale_time(stress_time))
                    .seed(seed)
                    .into()
                }
            };
            explorer = explorer.engine(engine);
        }
        // Every engine must show an expected failure, so none stops the others.
        Ok(explorer.keep_going(self.spec.expect.is_some()))
    }

    fn engines(&self) -> Result<Vec<EngineKind>, String> {
        match (self.spec.engines, &self.knobs.engines) {
            (Some(text), _) => parse_engines(text),
            (None, Some(engines)) => Ok(engines.clone()),
            (None, None) => Ok(EngineKind::ALL.to_vec()),
        }
    }

    /// An engine that cannot run the program: the test fails if no engine ran it or if the
    /// attribute chose that engine; otherwise the others' verdict stands and a notice says what
    /// was not explored.
    fn check_supported(&self, report: &Report) -> Result<(), String> {
        let Some(note) = report.skipped_note() else {
            return Ok(());
        };
        if !report.ran_any() {
            return Err(format!(
                "{report}\nno engine could run `{}`, so nothing was tested:\n{note}\nChoose engines that can run it (`engines = \"...\"`), or make the program smaller.",
                self.test
            ));
        }
        if self.spec.engines.is_some() {
            return Err(format!(
                "{report}\n{note}\n`{}` chose this engine with `engines = \"...\"`; drop it from the list to run the test without it.",
                self.test
            ));
        }
        notice(&format!(
            "tapestry: `{}` passed under the other engines, but {note}",
            self.test
        ));
        Ok(())
    }

    /// `expect = "<kind>"`: every engine that runs must find a failure of that kind.
    fn expect<F>(
        &self,
        explorer: &Explorer,
        expected: FailureKind,
        body: F,
        snapshot: &dyn Fn(&str),
    ) -> Result<(), String>
    where
        F: Fn() + Send + Sync + 'static,
    {
        let report = explorer.run(body);
        let mut found: Vec<&Failure> = Vec::new();
        for engine in report.engines() {
            match (engine.outcome(), engine.failure()) {
                (Outcome::Failed { kind, .. }, Some(failure)) if *kind == expected => {
                    found.push(failure)
                }
                (Outcome::Failed { kind, .. }, Some(failure)) => {
                    return Err(format!(
                        "`{}` expects a {expected}, but the {} engine found a {kind}:\n\n{report}\n{failure}",
                        self.test,
                        engine.engine()
                    ));
                }
                (Outcome::Unsupported { reason }, _) if self.spec.engines.is_none() => {
                    notice(&format!(
                        "tapestry: the {} engine cannot run `{}`: {reason}\n  not explored: {}",
                        engine.engine(),
                        self.test,
                        engine.engine().alone_sees()
                    ));
                }
                _ => {
                    return Err(format!(
                        "`{}` expects a {expected}, but the {} engine found none ({}):\n\n{report}\nRestrict `engines` to the engines that can see this bug, or raise the budget.",
                        self.test,
                        engine.engine(),
                        engine.outcome()
                    ));
                }
            }
        }
        if found.is_empty() {
            return Err(format!(
                "`{}` expects a {expected}, but no engine could run it:\n\n{report}",
                self.test
            ));
        }
        if self.spec.snapshot {
            // The interleaving with the fewest preemptions, from a model engine (stress traces
            // depend on the hardware and would not snapshot the same twice), preferring the
            // sequentially consistent ones: the exhaustive engine can also fail through a
            // weak-memory read, which is the trace to show only when it alone finds the bug.
            let minimal = found
                .iter()
                .filter(|f| f.engine() != EngineKind::Stress)
                .min_by_key(|f| (f.engine() == EngineKind::Exhaustive, f.preemptions().unwrap_or(usize::MAX)))
                .ok_or_else(|| format!("`{}`: `snapshot` needs a model engine (exhaustive, random or pct) among the engines", self.test))?;
            snapshot(&minimal.trace().to_string());
        }
        Ok(())
    }
}
