//! What a failing execution found.

use std::fmt;

use crate::kinds::{EngineKind, FailureKind};
use crate::schedule::Replay;
use crate::trace::Trace;

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
        write!(f, "\n  replay: ")?;
        write_abbreviated(f, &self.replay.to_string())?;
        write!(f, "\n\n{}", self.trace)
    }
}

/// Characters of a replay shown in a report; a longer one (a schedule of a long execution,
/// such as a livelock's million steps) is cut, so that the report stays readable.
const REPLAY_SHOWN: usize = 240;

fn write_abbreviated(f: &mut fmt::Formatter<'_>, replay: &str) -> fmt::Result {
    if replay.len() <= REPLAY_SHOWN {
        return f.write_str(replay);
    }
    let mut end = REPLAY_SHOWN;
    while !replay.is_char_boundary(end) {
        end -= 1;
    }
    // Cut after a whole token: a shown number is never a prefix of the real one.
    let cut = replay[..end].rfind(' ').unwrap_or(end);
    write!(
        f,
        "{} ... ({} characters in all: `Failure::replay` has it whole, and `#[tapestry::test]` \
         saves it in the test's schedule file)",
        &replay[..cut],
        replay.len()
    )
}
