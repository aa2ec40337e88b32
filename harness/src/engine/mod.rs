//! The engines that explore a test body, and their settings.
//!
//! | engine | runs on | explores | sees |
//! |---|---|---|---|
//! | [`Exhaustive`] | loom | every interleaving up to a preemption bound, depth-first | the C++ memory model: `Relaxed`/`Acquire`/`Release` reorderings, data races on [`UnsafeCell`](crate::cell::UnsafeCell) |
//! | [`Dpor`] | shuttle, with a scheduler of ours | one execution per class of equivalent interleavings (source-DPOR with sleep sets); iterative preemption bounds within a budget | sequentially consistent interleavings |
//! | [`Random`] | shuttle | random schedules | sequentially consistent interleavings |
//! | [`Pct`] | shuttle | schedules with few random priority changes (PCT), good at bugs that need a few preemptions at the right moments | sequentially consistent interleavings |
//! | [`Surw`] | shuttle, with a scheduler of ours | random schedules uniform over the interleavings of the accesses to one contended object at a time (selectively uniform random walk), good at bugs that need one thread among many at one moment | sequentially consistent interleavings |
//! | [`Priority`] | shuttle | like a real-time OS: the most urgent runnable thread (see [`thread::Builder::priority`](crate::thread::Builder::priority)) always runs; seeded release times and choices among equals | sequentially consistent interleavings, and unbounded priority inversion |
//! | [`Stress`] | real OS threads on every core | whatever the hardware does, with seeded random yields to widen race windows | the hardware's memory model (x86 is TSO) |
//! | [`C11`] (opt-in) | shuttle, answered by `tapestry-c11`'s execution graphs | every execution RC11 allows, each once (TruSt) | the C/C++/Rust memory model, `SeqCst` exactly, data races on `UnsafeCell`; atomics, fences, spawn, join and cells only |
//!
//! Every engine has a budget of executions and of time; running out of it is not a failure, and
//! the report says whether an engine got through its whole budget.

// Architecture invariant: an engine is one module here. It runs the body through
// `rt::run_main` with a `rt::Local` installed and returns an `EngineRun`; the explorer knows
// nothing else about it.

pub(crate) mod c11;
mod choices;
mod config;
pub(crate) mod dpor;
mod guarded;
pub(crate) mod hang;
pub(crate) mod loom;
mod rng;
pub(crate) mod shuttle;
mod split;
pub(crate) mod stack;
pub(crate) mod stress;
pub(crate) mod timed;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::time::Duration;

pub use config::{C11, Dpor, Exhaustive, Pct, Priority, Random, Stress, Surw};
pub use split::{ParseShardError, Shard};

pub use crate::kinds::EngineKind;
use crate::kinds::FailureKind;
use crate::rt::{FailureRecord, Recording};
use crate::schedule::Replay;

/// An engine and its settings, as given to [`Explorer::engine`](crate::Explorer::engine).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Engine {
    /// Every interleaving up to a preemption bound, on loom.
    Exhaustive(Exhaustive),
    /// One execution per equivalence class of interleavings (dynamic partial-order reduction).
    Dpor(Dpor),
    /// Random schedules, on shuttle.
    Random(Random),
    /// Probabilistic concurrency testing (priority-based random schedules), on shuttle.
    Pct(Pct),
    /// Selectively uniform random walk, on shuttle.
    Surw(Surw),
    /// Strict priority scheduling (a real-time OS), on shuttle.
    Priority(Priority),
    /// Real threads on every core.
    Stress(Stress),
    /// Every execution the C/C++/Rust memory model allows, each once (opt-in).
    C11(C11),
}

impl Engine {
    /// Settings for the exhaustive engine, to adjust and pass to `Explorer::engine`.
    pub fn exhaustive() -> Exhaustive {
        Exhaustive::default()
    }

    /// Settings for the DPOR engine.
    pub fn dpor() -> Dpor {
        Dpor::default()
    }

    /// Settings for the random engine.
    pub fn random() -> Random {
        Random::default()
    }

    /// Settings for the PCT engine.
    pub fn pct() -> Pct {
        Pct::default()
    }

    /// Settings for the SURW engine.
    pub fn surw() -> Surw {
        Surw::default()
    }

    /// Settings for the priority engine.
    pub fn priority() -> Priority {
        Priority::default()
    }

    /// Settings for the stress engine.
    pub fn stress() -> Stress {
        Stress::default()
    }

    /// Settings for the c11 engine: every execution RC11 allows (the model Rust's atomics
    /// follow, `SeqCst` exactly), each once. Opt-in: not among [`Engine::defaults`].
    pub fn c11() -> C11 {
        C11::default()
    }

    /// Every engine with its default settings: what runs when none is chosen.
    pub fn defaults() -> Vec<Engine> {
        EngineKind::ALL.into_iter().map(Engine::from).collect()
    }

    /// Which engine this is.
    pub fn kind(&self) -> EngineKind {
        match self {
            Engine::Exhaustive(_) => EngineKind::Exhaustive,
            Engine::Dpor(_) => EngineKind::Dpor,
            Engine::Random(_) => EngineKind::Random,
            Engine::Pct(_) => EngineKind::Pct,
            Engine::Surw(_) => EngineKind::Surw,
            Engine::Priority(_) => EngineKind::Priority,
            Engine::Stress(_) => EngineKind::Stress,
            Engine::C11(_) => EngineKind::C11,
        }
    }

    pub(crate) fn explore(&self, body: &Body, limits: &Limits) -> EngineRun {
        match self {
            Engine::Exhaustive(config) => loom::explore(body, config, limits),
            Engine::Dpor(config) => dpor::explore(body, config, limits),
            Engine::Random(config) => shuttle::explore_random(body, config, limits),
            Engine::Pct(config) => shuttle::explore_pct(body, config, limits),
            Engine::Surw(config) => shuttle::explore_surw(body, config, limits),
            Engine::Priority(config) => shuttle::explore_priority(body, config, limits),
            Engine::Stress(config) => stress::explore(body, config, limits),
            Engine::C11(config) => c11::explore(body, config, limits),
        }
    }
}

impl From<Exhaustive> for Engine {
    fn from(config: Exhaustive) -> Self {
        Engine::Exhaustive(config)
    }
}

impl From<Dpor> for Engine {
    fn from(config: Dpor) -> Self {
        Engine::Dpor(config)
    }
}

impl From<Random> for Engine {
    fn from(config: Random) -> Self {
        Engine::Random(config)
    }
}

impl From<Pct> for Engine {
    fn from(config: Pct) -> Self {
        Engine::Pct(config)
    }
}

impl From<Surw> for Engine {
    fn from(config: Surw) -> Self {
        Engine::Surw(config)
    }
}

impl From<Priority> for Engine {
    fn from(config: Priority) -> Self {
        Engine::Priority(config)
    }
}

impl From<Stress> for Engine {
    fn from(config: Stress) -> Self {
        Engine::Stress(config)
    }
}

impl From<C11> for Engine {
    fn from(config: C11) -> Self {
        Engine::C11(config)
    }
}

impl From<EngineKind> for Engine {
    fn from(kind: EngineKind) -> Self {
        match kind {
            EngineKind::Exhaustive => Exhaustive::default().into(),
            EngineKind::Dpor => Dpor::default().into(),
            EngineKind::Random => Random::default().into(),
            EngineKind::Pct => Pct::default().into(),
            EngineKind::Surw => Surw::default().into(),
            EngineKind::Priority => Priority::default().into(),
            EngineKind::Stress => Stress::default().into(),
            EngineKind::C11 => C11::default().into(),
        }
    }
}

/// The test body as every engine runs it.
pub(crate) type Body = Arc<dyn Fn() + Send + Sync + 'static>;

/// Settings shared by every engine of one exploration.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// Steps (scheduling decisions; facade operations per thread under stress) after which an
    /// execution fails with `StepLimit`.
    pub max_steps: u64,
    /// Record facade operations as events (the trace of a failure).
    pub tracing: bool,
    /// Worker threads for the schedules of the random, PCT, SURW and priority engines.
    pub jobs: u64,
    /// This machine's share of the seeded engines' schedules.
    pub shard: Shard,
    /// Predict deadlocks from lock orders (`Explorer::lock_order`).
    pub lock_order: bool,
    /// The engine exploring, for crash and hang reports.
    pub engine: Option<EngineKind>,
    /// A model exploration whose running thread reaches no facade operation for this long is
    /// stuck (see `hang`); `None`: never.
    pub watchdog: Option<Duration>,
    /// What `thread::available_parallelism` says (`Explorer::available_parallelism`); `None`:
    /// the default.
    pub parallelism: Option<std::num::NonZeroUsize>,
    /// The async runtime's worker threads (`Explorer::workers`); `None`: unlimited.
    pub workers: Option<std::num::NonZeroUsize>,
    /// When timeouts may fire (`Explorer::timeouts`).
    pub timeouts: crate::kinds::Timeouts,
    /// Note the line of user code behind each waker event (a backtrace per event: only when
    /// a lost wakeup's execution is run again for its report).
    pub waker_sites: bool,
}

/// What one engine did.
#[derive(Debug)]
pub(crate) struct EngineRun {
    pub executions: u64,
    pub elapsed: Duration,
    /// It ran its whole budget (exhaustive: finished the bounded search) before its time ran out.
    pub complete: bool,
    pub found: Option<Found>,
    /// A deadlock predicted from lock orders, for when nothing real was found.
    pub predicted: Option<Found>,
    /// Whether an execution used an atomic ordering weaker than `SeqCst`; `None` from engines
    /// that do not say (`EngineReport::weak_orderings`).
    pub weak_orderings: Option<bool>,
    /// How many executions a complete search would run, estimated when the engine's budget
    /// stopped it (the c11 engine): a sentence for the report.
    pub estimate: Option<String>,
}

impl EngineRun {
    /// Adds `other`'s word on weak orderings to this run's, as one run of both: unknown if
    /// either does not say.
    pub(crate) fn add_weak_orderings(&mut self, other: Option<bool>) {
        self.weak_orderings = self.weak_orderings.zip(other).map(|(a, b)| a || b);
    }
}

/// The first failing execution of an engine, as the runtime recorded it.
#[derive(Debug)]
pub(crate) struct Found {
    pub record: FailureRecord,
    pub recording: Recording,
    pub execution: u64,
    pub replay: Replay,
    /// Preemptions in the failing schedule, where the engine knows them.
    pub preemptions: Option<usize>,
}

/// The exploration's predicted deadlock, replayed by `replay(execution)`.
pub(crate) fn predicted(
    exec: &crate::rt::Execution,
    replay: impl FnOnce(u64) -> Replay,
) -> Option<Found> {
    let prediction = exec.take_prediction()?;
    Some(Found {
        record: prediction.record,
        recording: prediction.recording.unwrap_or_default(),
        execution: prediction.execution,
        replay: replay(prediction.execution),
        preemptions: None,
    })
}

/// The failure an execution recorded, or one made from the payload of a panic that escaped
/// without passing the hook (which should not happen, but must not be lost).
pub(crate) fn failure_of(
    exec: &crate::rt::Execution,
    payload: &(dyn std::any::Any + Send),
) -> FailureRecord {
    exec.failure().unwrap_or_else(|| {
        FailureRecord::new(
            FailureKind::Panic,
            crate::rt::hook::payload_message(payload),
            0,
        )
    })
}

/// Runs `f` on a new OS thread. Engines leave per-thread state behind them (shuttle can leave
/// `std::thread::panicking()` set on its thread after a failure), so each exploration gets a
/// thread of its own.
pub(crate) fn on_fresh_thread<R: Send>(name: &str, f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn_scoped(scope, move || catch_unwind(AssertUnwindSafe(f)))
            .expect("failed to start an exploration thread");
        match handle.join() {
            Ok(Ok(result)) => result,
            Ok(Err(payload)) | Err(payload) => resume_unwind(payload),
        }
    })
}
