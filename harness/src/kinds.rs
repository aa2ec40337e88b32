//! The names of things every layer uses: what kind of failure an execution found, and which
//! engine found it. They sit below the runtime, the engines and the reports, so that each of
//! those takes them from here and none reaches up for them.

use std::fmt;
use std::str::FromStr;

/// What kind of bug a [`Failure`](crate::Failure) is.
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
    /// A task ([`future`](crate::future)) returned `Pending` and nothing can wake it any more:
    /// every thread and task that is left waits, and the task's waker was never woken after
    /// its last poll (a condition checked before the waker was registered, a waker dropped or
    /// stored where nobody looks). Without tasks this would be a deadlock. The message says
    /// what last happened to each waiting task's waker, by which thread and after which step
    /// of the trace: registered (cloned) and never woken since, or its last clone dropped.
    LostWakeup,
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
    /// A thread ran past the end of its stack: unbounded recursion, or a frame larger than the
    /// stack (see `thread::Builder::stack_size`). The process that explored it crashed; the
    /// test that runs it fails, and the test binary's other tests still run (see the crate
    /// docs, "Crashes, stacks and hangs").
    StackOverflow,
    /// The process exploring the test died of a signal other than a stack overflow (a
    /// segmentation fault, an abort); the message names the signal.
    Crash,
    /// A thread ran for longer than the watchdog's bound (`TAPESTRY_WATCHDOG`) without reaching
    /// a facade operation: it spins on plain memory (a std atomic, a plain flag) or waits on a
    /// std lock or channel, which no engine can see or preempt.
    Hang,
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
    pub const ALL: [FailureKind; 13] = [
        FailureKind::Panic,
        FailureKind::Deadlock,
        FailureKind::DataRace,
        FailureKind::Leak,
        FailureKind::LostWakeup,
        FailureKind::StepLimit,
        FailureKind::PotentialDeadlock,
        FailureKind::PriorityInversion,
        FailureKind::StackOverflow,
        FailureKind::Crash,
        FailureKind::Hang,
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
            FailureKind::LostWakeup => "lost_wakeup",
            FailureKind::StepLimit => "step_limit",
            FailureKind::PotentialDeadlock => "potential_deadlock",
            FailureKind::PriorityInversion => "priority_inversion",
            FailureKind::StackOverflow => "stack_overflow",
            FailureKind::Crash => "crash",
            FailureKind::Hang => "hang",
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

/// Which engine, without settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EngineKind {
    /// See [`Engine::Exhaustive`](crate::Engine::Exhaustive).
    Exhaustive,
    /// See [`Engine::Dpor`](crate::Engine::Dpor).
    Dpor,
    /// See [`Engine::Random`](crate::Engine::Random).
    Random,
    /// See [`Engine::Pct`](crate::Engine::Pct).
    Pct,
    /// See [`Engine::Surw`](crate::Engine::Surw).
    Surw,
    /// See [`Engine::Priority`](crate::Engine::Priority).
    Priority,
    /// See [`Engine::Stress`](crate::Engine::Stress).
    Stress,
    /// See [`Engine::C11`](crate::Engine::C11).
    C11,
}

impl EngineKind {
    /// Every engine, in the order the explorer runs them: those of [`NAMED`](Self::NAMED)
    /// but the opt-in c11 engine, its last.
    pub const ALL: [EngineKind; 7] = {
        let mut all = [EngineKind::Exhaustive; 7];
        let mut i = 0;
        while i < all.len() {
            all[i] = EngineKind::NAMED[i];
            i += 1;
        }
        all
    };

    /// Every engine a name chooses: [`ALL`](Self::ALL), and the opt-in c11 engine.
    pub const NAMED: [EngineKind; 8] = [
        EngineKind::Exhaustive,
        EngineKind::Dpor,
        EngineKind::Random,
        EngineKind::Pct,
        EngineKind::Surw,
        EngineKind::Priority,
        EngineKind::Stress,
        EngineKind::C11,
    ];

    /// [`NAMED`](Self::NAMED), one by one.
    pub fn named() -> impl Iterator<Item = EngineKind> {
        EngineKind::NAMED.into_iter()
    }

    /// What a test loses when this engine cannot run it: what it explores that the others do
    /// not, in a phrase that completes "not explored: ...".
    pub(crate) fn alone_sees(self) -> &'static str {
        match self {
            EngineKind::Exhaustive => {
                "the reorderings that weak memory orderings (`Relaxed`, `Acquire`, `Release`) \
                 allow, which only the exhaustive engine models; the other engines are \
                 sequentially consistent or see only what this machine's hardware does"
            }
            EngineKind::Dpor => {
                "every class of interleavings, exhaustively; the sampling engines still ran"
            }
            EngineKind::Random | EngineKind::Pct | EngineKind::Surw => {
                "this engine's sample of schedules; the other engines still ran"
            }
            EngineKind::Priority => "priority inversion, which only the priority engine checks",
            EngineKind::Stress => "what real threads on this machine's cores do",
            EngineKind::C11 => {
                "every execution the C/C++/Rust memory model allows, `SeqCst` exactly; the \
                 other engines still ran"
            }
        }
    }

    /// Whether a seed decides what the engine explores (every engine but the exhaustive ones).
    pub fn is_seeded(self) -> bool {
        !matches!(
            self,
            EngineKind::Exhaustive | EngineKind::Dpor | EngineKind::C11
        )
    }

    /// The engine's name, as `FromStr` accepts it.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Exhaustive => "exhaustive",
            EngineKind::Dpor => "dpor",
            EngineKind::Random => "random",
            EngineKind::Pct => "pct",
            EngineKind::Surw => "surw",
            EngineKind::Priority => "priority",
            EngineKind::Stress => "stress",
            EngineKind::C11 => "c11",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EngineKind {
    type Err = ParseKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        EngineKind::named()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| ParseKindError {
                what: "engine",
                input: s.to_owned(),
                valid: EngineKind::named().map(|k| k.name()).collect(),
            })
    }
}

/// When a `timeout` of `tapestry::tokio::time` may fire under the model engines, whose clock
/// is virtual (`Explorer::timeouts`, `#[tapestry::test(timeouts = "...")]`,
/// `TAPESTRY_TIMEOUTS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timeouts {
    /// At any await point of the work it guards, while that work could still go on (the
    /// engines explore where): on a loaded machine any timeout can fire before quick work is
    /// done, and code that handles the expiry (a retry, say) is tested against it.
    #[default]
    Early,
    /// Only when nothing else can run, as a sleep fires: for timeouts that guard against a
    /// hang, which the work they guard never comes near.
    WhenIdle,
}

impl Timeouts {
    /// Its name in the attribute and `TAPESTRY_TIMEOUTS`.
    pub fn name(self) -> &'static str {
        match self {
            Timeouts::Early => "early",
            Timeouts::WhenIdle => "when_idle",
        }
    }
}

impl fmt::Display for Timeouts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Timeouts {
    type Err = ParseKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        [Timeouts::Early, Timeouts::WhenIdle]
            .into_iter()
            .find(|t| t.name() == wanted)
            .ok_or_else(|| ParseKindError {
                what: "timeouts setting",
                input: s.to_owned(),
                valid: vec![Timeouts::Early.name(), Timeouts::WhenIdle.name()],
            })
    }
}
