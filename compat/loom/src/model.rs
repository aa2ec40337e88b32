//! `loom::model` and `loom::model::Builder`: what a model runs, and with which budgets.
//!
//! A model runs under tapestry's DPOR engine (every interleaving, one per class of equivalent
//! ones, sequentially consistent, no thread limit) and then, if any of its atomic operations or
//! fences used an ordering weaker than `SeqCst` (or the DPOR search did not finish), its
//! exhaustive engine (loom's own search, for `Relaxed`/`Acquire`/`Release` behaviours),
//! stopping at the first failure. A model whose atomics are all `SeqCst` is thus checked
//! exactly, without loom's `SeqCst`-as-`AcqRel` false alarms. An engine that cannot run the
//! model (loom's, past its five threads) is skipped with a note on standard error; the
//! other's verdict stands. `TAPESTRY_LOOM_ENGINES` (a comma-separated list of tapestry's
//! engine names) runs others instead, in its order.
//!
//! A failing model is treated as a failing `#[tapestry::test]`: its schedule is saved in
//! `tapestry-schedules/<crate>/<test path>.schedule` in the package before the test fails,
//! every later run replays it first, and the failure's message ends with the command that
//! replays it alone (`TAPESTRY_REPLAY=<file> cargo test -p <package> <test> -- --exact`).
//! tapestry's `TAPESTRY_SAVE`, `TAPESTRY_SVG` and `TAPESTRY_SCHEDULE_DIR` apply. A
//! `#[should_panic]` test's model saves its failure too (tapestry cannot see the attribute);
//! replayed first, it fails again, as the test expects.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tapestry::{Engine, EngineKind, Explorer};

/// loom's default `max_branches`.
const DEFAULT_MAX_BRANCHES: usize = 1_000;
/// How long each engine searches a model, unless `max_duration` says otherwise.
const DEFAULT_TIME: Duration = Duration::from_secs(60);

/// A model's settings, as loom 0.7's `Builder`: every field is read, and those tapestry has no
/// use for are said so once on standard error when set.
#[derive(Debug)]
#[non_exhaustive]
pub struct Builder {
    /// loom's limit on threads. tapestry's DPOR engine has none; its exhaustive engine keeps
    /// loom's (five, the test body's thread included). Read by nothing.
    pub max_threads: usize,
    /// Scheduling steps an execution may take before it fails as a livelock (loom: thread
    /// switches per execution); tapestry's step limit when set (`LOOM_MAX_BRANCHES`).
    pub max_branches: usize,
    /// Executions each engine may run (`LOOM_MAX_PERMUTATIONS`).
    pub max_permutations: Option<usize>,
    /// Time each engine may search (`LOOM_MAX_DURATION`, in seconds); one minute if unset.
    pub max_duration: Option<Duration>,
    /// Preemptions each engine explores at most (`LOOM_MAX_PREEMPTIONS`); unbounded if unset,
    /// as in loom.
    pub preemption_bound: Option<usize>,
    /// Not used: tapestry saves no progress, and reports a failing interleaving with its
    /// trace instead (`LOOM_CHECKPOINT_FILE`).
    pub checkpoint_file: Option<PathBuf>,
    /// Not used (`LOOM_CHECKPOINT_INTERVAL`).
    pub checkpoint_interval: usize,
    /// Not used: tapestry explores from the start (see [`crate::explore`]).
    pub expect_explicit_explore: bool,
    /// Not needed: tapestry records every operation's line (`LOOM_LOCATION`).
    pub location: bool,
    /// Prints each model's report (engines, executions, time) to standard error
    /// (`LOOM_LOG`).
    pub log: bool,
}

impl Builder {
    /// Settings from loom's environment variables, or loom's defaults.
    pub fn new() -> Builder {
        Builder {
            max_threads: crate::MAX_THREADS,
            max_branches: env("LOOM_MAX_BRANCHES").unwrap_or(DEFAULT_MAX_BRANCHES),
            max_permutations: env("LOOM_MAX_PERMUTATIONS"),
            max_duration: env("LOOM_MAX_DURATION").map(Duration::from_secs),
            preemption_bound: env("LOOM_MAX_PREEMPTIONS"),
            checkpoint_file: std::env::var_os("LOOM_CHECKPOINT_FILE").map(PathBuf::from),
            checkpoint_interval: env("LOOM_CHECKPOINT_INTERVAL").unwrap_or(20_000),
            expect_explicit_explore: false,
            location: std::env::var_os("LOOM_LOCATION").is_some(),
            log: std::env::var_os("LOOM_LOG").is_some(),
        }
    }

    /// Sets the checkpoint file (not used; see the field).
    pub fn checkpoint_file(&mut self, file: &str) -> &mut Self {
        self.checkpoint_file = Some(file.into());
        self
    }

    /// Runs `f` under the engines (see the module docs); panics with tapestry's report and the
    /// failing interleaving if one fails, as loom's panics with the failure, once the failing
    /// schedule is saved.
    #[track_caller]
    pub fn check<F>(&self, f: F)
    where
        F: Fn() + Sync + Send + 'static,
    {
        self.note_unused();
        let mut explorer = Explorer::new()
            .engines(self.engines())
            .exhaustive_after_sc(false);
        if self.max_branches != DEFAULT_MAX_BRANCHES {
            explorer = explorer.max_steps(self.max_branches as u64);
        }
        let log = self.log;
        let result = tapestry::__private::run_model(&explorer, f, &mut |report| {
            record_stats(report);
            if log {
                say(&format!("{report}"));
            }
        });
        if let Err(message) = result {
            panic!("{message}");
        }
    }

    fn engines(&self) -> Vec<Engine> {
        let time = self.max_duration.unwrap_or(DEFAULT_TIME);
        let executions = self.max_permutations.map(|n| n as u64);
        // The exhaustive engines' settings have the same methods, on two types.
        macro_rules! exhaustive {
            ($engine:expr) => {{
                let mut engine = $engine.unbounded().max_time(time);
                if let Some(bound) = self.preemption_bound {
                    engine = engine.preemption_bound(bound).iterative(true);
                }
                if let Some(n) = executions {
                    engine = engine.max_executions(n);
                }
                Engine::from(engine)
            }};
        }
        chosen_engines()
            .into_iter()
            .map(|kind| match kind {
                EngineKind::Dpor => exhaustive!(Engine::dpor()),
                EngineKind::Exhaustive => exhaustive!(Engine::exhaustive()),
                // No preemption bound: it explores execution graphs, not interleavings.
                EngineKind::C11 => {
                    let mut engine = Engine::c11().unbounded().max_time(time);
                    if let Some(n) = executions {
                        engine = engine.max_executions(n);
                    }
                    Engine::from(engine)
                }
                EngineKind::Stress => panic!(
                    "tapestry-loom: TAPESTRY_LOOM_ENGINES names the stress engine, whose \
                     threads are real: loom's threads need not be `Send`, so loom models \
                     cannot run on it. Choose among the model engines (dpor, exhaustive, \
                     random, pct, surw, priority)"
                ),
                other => Engine::from(other),
            })
            .collect()
    }

    /// Says once per process which of loom's settings in use tapestry does not use.
    fn note_unused(&self) {
        static SAID: OnceLock<()> = OnceLock::new();
        let mut unused = Vec::new();
        if self.checkpoint_file.is_some() {
            unused.push(
                "a checkpoint file (a failure prints its interleaving and the command that \
                 replays it instead)",
            );
        }
        if self.expect_explicit_explore {
            unused.push("`expect_explicit_explore` (tapestry explores from the start)");
        }
        if !unused.is_empty() {
            SAID.get_or_init(|| {
                say(&format!("tapestry-loom: not used: {}", unused.join("; ")));
            });
        }
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `f` under tapestry's engines with the settings of [`Builder::new`]; panics if an
/// engine finds a failure.
#[track_caller]
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    Builder::new().check(f);
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(parsed) => Some(parsed),
        Err(_) => panic!("tapestry-loom: {name}={value:?} is not a number"),
    }
}

/// The engines of `TAPESTRY_LOOM_ENGINES`, or DPOR and exhaustive.
fn chosen_engines() -> Vec<EngineKind> {
    let Ok(list) = std::env::var("TAPESTRY_LOOM_ENGINES") else {
        return vec![EngineKind::Dpor, EngineKind::Exhaustive];
    };
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            name.parse()
                .unwrap_or_else(|e| panic!("tapestry-loom: TAPESTRY_LOOM_ENGINES={list:?}: {e}"))
        })
        .collect()
}

/// Writes to standard error directly, which `cargo test` shows for passing tests too.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Appends each model's executions and time per engine to the file `TAPESTRY_LOOM_STATS`
/// names, one line each: `engine executions micros` (for `cargo xtask loom-suite`).
fn record_stats(report: &tapestry::Report) {
    static FILE: Mutex<()> = Mutex::new(());
    let Some(path) = std::env::var_os("TAPESTRY_LOOM_STATS") else {
        return;
    };
    let _one_at_a_time = FILE.lock();
    let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    else {
        return;
    };
    for engine in report.engines() {
        let _ = writeln!(
            file,
            "{} {} {}",
            engine.engine(),
            engine.executions(),
            engine.elapsed().as_micros()
        );
    }
}
