//! Hunting: running entries under engines and judging each result against what the entry
//! claims. Shared by the `tapestry` CLI and the benchmarks.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tapestry::saved::{self, SavedFailure};
use tapestry::{Engine, EngineKind, Explorer, Failure, FailureKind, Outcome, Report, Shard};

use crate::Entry;

/// The buggy or the fixed program of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// The program with the bug.
    Buggy,
    /// The program with the fix.
    Fixed,
}

impl Variant {
    /// `buggy` or `fixed`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Buggy => "buggy",
            Variant::Fixed => "fixed",
        }
    }

    /// The program of `entry`.
    pub fn program(self, entry: &Entry) -> fn() {
        match self {
            Variant::Buggy => entry.buggy,
            Variant::Fixed => entry.fixed,
        }
    }
}

/// The name under which a failure of an entry's program is saved: `catalogue::<entry>::<variant>`.
pub fn test_name(entry: &Entry, variant: Variant) -> String {
    format!("catalogue::{}::{}", entry.name, variant.name())
}

/// How to hunt.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Engines to run.
    pub engines: Vec<EngineKind>,
    /// Seed of the random, PCT, priority and stress engines.
    pub seed: u64,
    /// Scales every budget (1.0: the catalogue's budgets).
    pub budget: f64,
    /// Where to save failing schedules of buggy programs, one file per entry.
    pub save: Option<PathBuf>,
    /// This machine's share of the seeded engines' schedules.
    pub shard: Shard,
    /// Worker threads for each random, PCT and priority run.
    pub workers: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            engines: EngineKind::ALL.to_vec(),
            seed: 0,
            budget: 1.0,
            save: None,
            shard: Shard::ALL,
            workers: 1,
        }
    }
}

/// The catalogue's step limit: its programs are short, so an execution this long is a
/// livelock, found in milliseconds instead of the second that tapestry's default limit
/// ([`Explorer::DEFAULT_MAX_STEPS`], for programs of any length) takes; and it is within what
/// the exhaustive engine can run (loom counts a thread's operations in 16 bits).
pub const MAX_STEPS: u64 = 20_000;

impl Settings {
    /// An explorer with the catalogue's step limit and `kind` with its budgets.
    pub fn explorer(&self, kind: EngineKind) -> Explorer {
        Explorer::new()
            .engine(self.engine(kind))
            .max_steps(MAX_STEPS)
    }

    /// The engine with the catalogue's budgets (those its tests use), scaled.
    pub fn engine(&self, kind: EngineKind) -> Engine {
        let scale = |n: u64| ((n as f64 * self.budget) as u64).max(1);
        match kind {
            EngineKind::Exhaustive => Engine::exhaustive().preemption_bound(2).into(),
            EngineKind::Dpor => Engine::dpor().max_executions(scale(10_000)).into(),
            EngineKind::C11 => Engine::c11().max_executions(scale(10_000)).into(),
            EngineKind::Random => Engine::random()
                .schedules(scale(1_000))
                .seed(self.seed)
                .into(),
            EngineKind::Pct => Engine::pct().schedules(scale(1_000)).seed(self.seed).into(),
            EngineKind::Surw => Engine::surw()
                .schedules(scale(1_000))
                .seed(self.seed)
                .into(),
            EngineKind::Priority => Engine::priority()
                .schedules(scale(1_000))
                .seed(self.seed)
                .into(),
            // The engine's default budget: 100,000 iterations or 1 s.
            _ => Engine::stress()
                .iterations(scale(100_000))
                .time(Duration::from_secs_f64(self.budget))
                .watchdog(Duration::from_millis(300))
                .seed(self.seed)
                .into(),
        }
    }
}

/// What one engine did with one program, judged against the entry's claims.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The entry.
    pub entry: &'static str,
    /// Which program.
    pub variant: Variant,
    /// Which engine.
    pub engine: EngineKind,
    /// Executions run, including a failing one.
    pub executions: u64,
    /// How long the engine ran.
    pub elapsed: Duration,
    /// What happened.
    pub verdict: Verdict,
}

/// A result judged against what the entry says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The buggy program failed as the entry says, in this execution.
    Found {
        /// The failure's kind.
        kind: FailureKind,
        /// The execution that failed, counting from 1.
        execution: u64,
    },
    /// The buggy program failed under an engine the entry does not claim.
    FoundUnexpectedly {
        /// The failure's kind.
        kind: FailureKind,
        /// The execution that failed.
        execution: u64,
    },
    /// The buggy program failed, but not with the kind the entry says.
    WrongKind {
        /// What it failed with.
        kind: FailureKind,
    },
    /// An engine the entry claims did not find the bug within its budget.
    Missed,
    /// An engine the entry says cannot see the bug did not see it.
    NotExpected,
    /// The fixed program passed.
    Clean {
        /// Whether the engine got through its whole budget.
        complete: bool,
    },
    /// The fixed program failed: a false alarm, or a fix that is not one.
    FalseAlarm {
        /// The failure's kind.
        kind: FailureKind,
    },
    /// The engine cannot run the program.
    Unsupported,
}

impl Verdict {
    /// Whether the entry's claims held.
    pub fn as_claimed(&self) -> bool {
        matches!(
            self,
            Verdict::Found { .. }
                | Verdict::NotExpected
                | Verdict::Clean { .. }
                | Verdict::FoundUnexpectedly { .. }
        )
    }
}

/// Runs one program of `entry` under one engine and judges the result; saves the failing
/// schedule of a buggy program when `settings.save` says where.
pub fn hunt(
    entry: &'static Entry,
    variant: Variant,
    engine: EngineKind,
    settings: &Settings,
) -> Cell {
    let start = Instant::now();
    let report = settings
        .explorer(engine)
        .shard(settings.shard)
        .jobs(settings.workers)
        .run(variant.program(entry));
    let elapsed = start.elapsed();
    let run = &report.engines()[0];
    let verdict = judge(entry, variant, engine, &report);
    if let (Some(dir), Variant::Buggy, Some(failure)) = (&settings.save, variant, report.failure())
    {
        save(entry, failure, dir, settings.seed);
    }
    Cell {
        entry: entry.name,
        variant,
        engine,
        executions: run.executions(),
        elapsed,
        verdict,
    }
}

fn judge(entry: &Entry, variant: Variant, engine: EngineKind, report: &Report) -> Verdict {
    let claimed = entry.found_by.contains(&engine);
    let run = &report.engines()[0];
    match (variant, run.outcome(), run.failure()) {
        (_, Outcome::Unsupported { .. }, _) => Verdict::Unsupported,
        (Variant::Fixed, Outcome::Failed { kind, .. }, _) => Verdict::FalseAlarm { kind: *kind },
        (Variant::Fixed, _, _) => Verdict::Clean {
            complete: matches!(run.outcome(), Outcome::Passed { complete: true }),
        },
        (Variant::Buggy, Outcome::Failed { kind, execution }, _)
            if !entry.is_its_bug(engine, *kind) =>
        {
            if claimed {
                Verdict::WrongKind { kind: *kind }
            } else {
                Verdict::FoundUnexpectedly {
                    kind: *kind,
                    execution: *execution,
                }
            }
        }
        (Variant::Buggy, Outcome::Failed { kind, execution }, _) if claimed => Verdict::Found {
            kind: *kind,
            execution: *execution,
        },
        (Variant::Buggy, Outcome::Failed { kind, execution }, _) => Verdict::FoundUnexpectedly {
            kind: *kind,
            execution: *execution,
        },
        (Variant::Buggy, _, _) if claimed => Verdict::Missed,
        (Variant::Buggy, _, _) => Verdict::NotExpected,
    }
}

fn save(entry: &Entry, failure: &Failure, dir: &std::path::Path, seed: u64) {
    let path = dir.join(format!("{}.schedule", entry.name));
    let seed = failure.engine().is_seeded().then_some(seed);
    let command = format!("tapestry replay {}", path.display());
    let saved = SavedFailure::new(&test_name(entry, Variant::Buggy), failure, seed);
    if let Err(error) = saved::save(&path, saved, &command) {
        eprintln!("tapestry: {error}");
    }
}

/// Hunts every (entry, variant, engine) of `work` on `jobs` threads, calling `done` as each
/// finishes; returns the cells in the order of `work`.
pub fn hunt_all(
    work: &[(&'static Entry, Variant, EngineKind)],
    settings: &Settings,
    jobs: usize,
    done: &(dyn Fn(&Cell) + Sync),
) -> Vec<Cell> {
    let next = Mutex::new(0..work.len());
    let results = Mutex::new(vec![None; work.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                while let Some(i) = next.lock().unwrap().next() {
                    let (entry, variant, engine) = work[i];
                    let cell = hunt(entry, variant, engine, settings);
                    done(&cell);
                    results.lock().unwrap()[i] = Some(cell);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|c| c.expect("every cell was hunted"))
        .collect()
}
