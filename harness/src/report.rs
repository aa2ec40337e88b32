//! What an exploration did and found.

use std::fmt;
use std::time::Duration;

use crate::engine::EngineKind;
use crate::failure::Failure;
use crate::kinds::FailureKind;

/// What every engine of an exploration did, and the failures found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    engines: Vec<EngineReport>,
}

impl Report {
    pub(crate) fn push(&mut self, engine: EngineReport) {
        self.engines.push(engine);
    }

    /// The first failure found, if any.
    pub fn failure(&self) -> Option<&Failure> {
        self.failures().next()
    }

    /// Every failure found, one per engine at most, in the order the engines ran.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.engines.iter().filter_map(|e| e.failure.as_ref())
    }

    /// What each engine that ran did.
    pub fn engines(&self) -> &[EngineReport] {
        &self.engines
    }

    /// Whether every engine ran and none found a failure.
    pub fn is_clean(&self) -> bool {
        self.engines
            .iter()
            .all(|e| matches!(e.outcome, Outcome::Passed { .. }))
    }

    /// The engines that could not run the program, with why.
    pub fn skipped(&self) -> impl Iterator<Item = (EngineKind, &str)> {
        self.engines.iter().filter_map(|e| match &e.outcome {
            Outcome::Unsupported { reason } => Some((e.engine, reason.as_str())),
            _ => None,
        })
    }

    /// Whether at least one engine ran the program (none may have, if every engine chosen
    /// refused it: then nothing was tested).
    pub fn ran_any(&self) -> bool {
        self.engines
            .iter()
            .any(|e| !matches!(e.outcome, Outcome::Unsupported { .. }))
    }

    /// Why an engine could not run the program, for the first engine that could not.
    pub fn unsupported(&self) -> Option<String> {
        self.engines.iter().find_map(|e| match &e.outcome {
            Outcome::Unsupported { reason } => Some(format!(
                "the {} engine cannot run this program: {reason}",
                e.engine
            )),
            _ => None,
        })
    }

    /// What the engines that could not run the program mean for it, a paragraph per engine;
    /// `None` when every engine ran.
    pub fn skipped_note(&self) -> Option<String> {
        let notes: Vec<String> = self
            .skipped()
            .map(|(engine, reason)| {
                format!(
                    "the {engine} engine cannot run this program: {reason}\n  not explored: {}",
                    engine.alone_sees()
                )
            })
            .collect();
        (!notes.is_empty()).then(|| notes.join("\n"))
    }

    /// Executions run by all engines together.
    pub fn executions(&self) -> u64 {
        self.engines.iter().map(|e| e.executions).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10}  {:>10}  {:>9}  result",
            "engine", "executions", "time"
        )?;
        for e in &self.engines {
            writeln!(
                f,
                "{:<10}  {:>10}  {:>8.2}s  {}",
                e.engine.name(),
                e.executions,
                e.elapsed.as_secs_f64(),
                e.outcome
            )?;
            if let Some(estimate) = &e.estimate {
                writeln!(f, "{:<10}  {estimate}", "")?;
            }
        }
        Ok(())
    }
}

/// What one engine did.
#[derive(Clone, Debug)]
pub struct EngineReport {
    pub(crate) engine: EngineKind,
    pub(crate) executions: u64,
    pub(crate) elapsed: Duration,
    pub(crate) outcome: Outcome,
    pub(crate) failure: Option<Failure>,
    pub(crate) weak_orderings: Option<bool>,
    pub(crate) estimate: Option<String>,
}

impl EngineReport {
    /// When the engine's budget stopped an exhaustive search: how many executions a complete
    /// one would run, estimated (the c11 engine).
    pub fn estimate(&self) -> Option<&str> {
        self.estimate.as_deref()
    }

    /// Which engine.
    pub fn engine(&self) -> EngineKind {
        self.engine
    }

    /// How many executions (schedules, iterations) it ran, including a failing one.
    pub fn executions(&self) -> u64 {
        self.executions
    }

    /// How long it ran.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// How it ended.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The failure it found, if any.
    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    /// Whether an execution it ran used an atomic operation or fence with an ordering weaker
    /// than `SeqCst` (`Relaxed`, `Acquire`, `Release`, `AcqRel`): if not, the program's
    /// executions are all sequentially consistent ones, which the DPOR engine explores
    /// exactly, and a weak-memory engine could add nothing but its own imprecision. `None` if
    /// the engine did not say.
    pub fn weak_orderings(&self) -> Option<bool> {
        self.weak_orderings
    }
}

/// How an engine's run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// No failure. `complete`: the engine did all it set out to do (ran all its schedules or
    /// iterations; the exhaustive engines finished their search) rather than being stopped by
    /// its time limit (or, for the DPOR engine, its execution budget).
    Passed {
        /// Whether the engine got through its whole budget.
        complete: bool,
    },
    /// A failure of `kind` in the `execution`-th execution.
    Failed {
        /// What kind of failure.
        kind: FailureKind,
        /// Which execution, counting from 1.
        execution: u64,
    },
    /// The engine cannot run this program, for `reason`.
    Unsupported {
        /// Why.
        reason: String,
    },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Passed { complete: true } => f.write_str("passed"),
            Outcome::Passed { complete: false } => f.write_str("passed (stopped by its budget)"),
            Outcome::Failed { kind, execution } => {
                write!(f, "FAILED: {kind} in execution {execution}")
            }
            Outcome::Unsupported { reason } => write!(f, "unsupported: {reason}"),
        }
    }
}
