//! What a failing execution found.

use std::fmt;
use std::str::FromStr;

use crate::engine::EngineKind;
use crate::schedule::Replay;
use crate::trace::Trace;

/// What kind of bug a [`Failure`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FailureKind {
    /// A thread panicked: an assertion failed, an `unwrap` met an `Err`, ...
    Panic,
    /// Every unfinished thread was blocked, so none could make progress.
    Deadlock,
    /// Two threads accessed a [`cell::UnsafeCell`](crate::cell::UnsafeCell) with no
    /// happens-before order between them, at least one of them writing.
    DataRace,
    /// Memory the execution allocated with [`sync::Arc`](crate::sync::Arc) was never freed.
    Leak,
    /// An execution ran past the step limit: a livelock, or a spin loop without a yield.
    StepLimit,
    /// Threads take locks in a cycle of orders (one `a` then `b`, another `b` then `a`) in
    /// sections that nothing but those locks orders (no join, message, condition variable or
    /// atomic flag between them): they deadlock when they interleave the wrong way, though no
    /// execution explored did. Reported only when the engine found no real failure;
    /// `lock_order = false` (or `TAPESTRY_LOCK_ORDER=0`) turns the prediction off.
    PotentialDeadlock,
    /// A thread waited for a lock held by a less urgent thread while threads of priority
    /// between theirs ran longer than the priority engine's bound: the inversion is unbounded
    /// (the Mars Pathfinder's bug). Only the priority engine, which schedules by priority,
    /// reports it; `sync::PiMutex` is the usual fix.
    PriorityInversion,
    /// The program used tapestry in a way that cannot be explored, such as sharing an object
    /// between executions. The message says how to fix it.
    Misuse,
    /// The engine cannot run this program (loom's limit of five threads, say). Not a bug in the
    /// program; the explorer reports it as the engine's outcome rather than as a failure, and
    /// the other engines still run.
    Unsupported,
}

impl FailureKind {
    /// Every kind, in declaration order.
    pub const ALL: [FailureKind; 9] = [
        FailureKind::Panic,
        FailureKind::Deadlock,
        FailureKind::DataRace,
        FailureKind::Leak,
        FailureKind::StepLimit,
        FailureKind::PotentialDeadlock,
        FailureKind::PriorityInversion,
        FailureKind::Misuse,
        FailureKind::Unsupported,
    ];

    /// The kind's name in `snake_case`, as `FromStr` accepts it.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Panic => "panic",
            FailureKind::Deadlock => "deadlock",
            FailureKind::DataRace => "data_race",
            FailureKind::Leak => "leak",
            FailureKind::StepLimit => "step_limit",
            FailureKind::PotentialDeadlock => "potential_deadlock",
            FailureKind::PriorityInversion => "priority_inversion",
            FailureKind::Misuse => "misuse",
            FailureKind::Unsupported => "unsupported",
        }
    }
}

/// In words: "data race", "step limit" (`name` gives the `snake_case` form).
impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name().replace('_', " "))
    }
}

/// The error of parsing a [`FailureKind`] or an [`EngineKind`] from text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseKindError {
    pub(crate) what: &'static str,
    pub(crate) input: String,
    pub(crate) valid: Vec<&'static str>,
}

impl fmt::Display for ParseKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}`; expected one of: {}",
            self.what,
            self.input,
            self.valid.join(", ")
        )
    }
}

impl std::error::Error for ParseKindError {}

impl FromStr for FailureKind {
    type Err = ParseKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        FailureKind::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| ParseKindError {
                what: "failure kind",
                input: s.to_owned(),
                valid: FailureKind::ALL.iter().map(|k| k.name()).collect(),
            })
    }
}

/// The first failing execution an engine found.
#[derive(Clone, Debug)]
pub struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
    pub(crate) thread: String,
    pub(crate) location: Option<String>,
    pub(crate) engine: EngineKind,
    pub(crate) execution: u64,
    pub(crate) replay: Replay,
    pub(crate) preemptions: Option<usize>,
    pub(crate) trace: Trace,
}

impl Failure {
    /// What kind of bug this is.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// What went wrong, in words: the panic message, or which threads wait for what.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The name of the thread that failed (`main` for the test body, `T1`, ... or the name
    /// given with `thread::Builder::name`).
    pub fn thread(&self) -> &str {
        &self.thread
    }

    /// `file:line:column` of the panic, when the failure was a panic.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The engine that found it.
    pub fn engine(&self) -> EngineKind {
        self.engine
    }

    /// Which execution of that engine failed, counting from 1.
    pub fn execution(&self) -> u64 {
        self.execution
    }

    /// What reproduces the failure: a schedule, a seed, or a path through the search.
    pub fn replay(&self) -> &Replay {
        &self.replay
    }

    /// How many preemptions (switches away from a thread that could have gone on) the failing
    /// schedule has, where the engine knows: random and PCT schedules.
    pub fn preemptions(&self) -> Option<usize> {
        self.preemptions
    }

    /// The interleaving that failed.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} found by the {} engine in execution {}",
            self.kind, self.engine, self.execution
        )?;
        write!(f, "  thread `{}`: {}", self.thread, self.message)?;
        if let Some(location) = &self.location {
            write!(f, "\n  at {location}")?;
        }
        if let Some(preemptions) = self.preemptions {
            write!(f, "\n  preemptions: {preemptions}")?;
        }
        write!(f, "\n  replay: {}\n\n{}", self.replay, self.trace)
    }
}
