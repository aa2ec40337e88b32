//! tapestry hunts concurrency bugs: it runs one test body under every way it knows to shake
//! threads, and shows a failure as a readable interleaving.
//!
//! # Why a harness
//!
//! A concurrency bug needs a particular interleaving, and a plain test run sees one
//! interleaving, usually the same one. tapestry runs the body many times under five engines:
//!
//! - **exhaustive** (on [loom]): every interleaving up to a bound on preemptions, including
//!   the reorderings that `Relaxed`, `Acquire` and `Release` allow;
//! - **random** and **PCT** (on [shuttle]): many random schedules, PCT's aimed at bugs that
//!   need a few preemptions at the right moments;
//! - **priority**: a real-time OS's scheduler, which always runs the most urgent thread
//!   ([`thread::Builder::priority`]), with threads arriving at seeded times; it finds
//!   unbounded priority inversion, and the ordinary bugs random finds;
//! - **stress**: real threads on every core, released together, with random jitter.
//!
//! Besides panics, deadlocks, leaks and step limits, detectors see data races on
//! [`cell::UnsafeCell`] under every engine (vector clocks under random, PCT, priority and
//! stress; loom's own under exhaustive), deadlocks before they happen (a cycle in the order
//! threads take locks: [`FailureKind::PotentialDeadlock`]), and priority inversion
//! ([`FailureKind::PriorityInversion`], fixed by [`sync::PiMutex`]).
//!
//! # The facade
//!
//! Write the code under test against [`sync`], [`thread`] and [`cell`] instead of `std`. The
//! types are shaped like std's and behave exactly like them outside an exploration, so the
//! same code ships; inside one, every operation is a point where the engine may switch threads
//! and is recorded for the trace. No `--cfg loom` rebuild: every engine runs in one binary.
//!
//! # A first test
//!
//! ```
//! use tapestry::sync::atomic::{AtomicUsize, Ordering};
//! use tapestry::sync::Arc;
//! use tapestry::{thread, Engine, Explorer};
//!
//! let report = Explorer::new()
//!     .engine(Engine::exhaustive())
//!     .engine(Engine::pct())
//!     .run(|| {
//!         let hits = Arc::new(AtomicUsize::named("hits", 0));
//!         let h = hits.clone();
//!         let t = thread::spawn(move || h.fetch_add(1, Ordering::SeqCst));
//!         hits.fetch_add(1, Ordering::SeqCst);
//!         t.join().unwrap();
//!         assert_eq!(hits.load(Ordering::SeqCst), 2);
//!     });
//! assert!(report.is_clean(), "{report}");
//! ```
//!
//! [`Explorer::check`] panics with the report and the failing interleaving instead.
//!
//! # Testing with `#[tapestry::test]`
//!
//! Most tests need no explorer: the attribute makes a `#[test]` that runs the function body
//! under every engine, with budgets that keep a small test to a few seconds.
//!
//! ```no_run
//! use tapestry::sync::{Arc, Mutex};
//! use tapestry::thread;
//!
//! #[tapestry::test]
//! fn transfers_keep_the_total() {
//!     let accounts = Arc::new(Mutex::named("accounts", [100, 0]));
//!     let a = accounts.clone();
//!     let t = thread::spawn(move || {
//!         let mut acc = a.lock().unwrap();
//!         acc[0] -= 10;
//!         acc[1] += 10;
//!     });
//!     let total: i32 = accounts.lock().unwrap().iter().sum();
//!     assert_eq!(total, 100);
//!     t.join().unwrap();
//! }
//! ```
//!
//! Arguments, all optional, are `key = literal` pairs:
//!
//! | argument | meaning |
//! |---|---|
//! | `engines = "exhaustive, pct"` | which engines run (default: all five: `exhaustive`, `random`, `pct`, `priority`, `stress`) |
//! | `schedules = 1000` | random, PCT and priority schedules |
//! | `seed = 42` | seed of the random, PCT, priority and stress engines (default 0) |
//! | `preemption_bound = 2` | the exhaustive engine's bound |
//! | `pct_depth = 3` | the bug depth PCT aims at |
//! | `inversion_bound = 20` | steps of intermediate-priority threads after which the priority engine reports a priority inversion |
//! | `stress_iterations = 10000`, `stress_time = "2s"` | the stress engine's budget |
//! | `max_steps = 20000` | an execution longer than this fails with `StepLimit` |
//! | `expect = "deadlock"` | the test passes only if **every** engine that runs finds a failure of this kind; for keeping known bugs as tests |
//! | `snapshot = true` | with `expect`: the minimal failing interleaving is checked against an [insta] snapshot |
//!
//! Mistakes are compile errors on the token that is wrong. `#[ignore]` and other attributes
//! pass through. `#[should_panic]` works: a failure found is a panic whose message holds the
//! report and the trace (and no schedule is saved, as the failure is expected); but prefer
//! `expect`, which also checks the kind of failure and can snapshot its interleaving.
//!
//! ## Knobs
//!
//! Read when the test runs, never when it compiles. An argument in the attribute wins over
//! the environment; an invalid value fails the test with a message naming the variable, the
//! value and the expected form, and an unknown `TAPESTRY_*` variable is warned about.
//!
//! | variable | meaning |
//! |---|---|
//! | `TAPESTRY_ENGINES` | engines, as in `engines = ...` |
//! | `TAPESTRY_SCHEDULES`, `TAPESTRY_SEED`, `TAPESTRY_PREEMPTION_BOUND` (a number or `none`), `TAPESTRY_PCT_DEPTH`, `TAPESTRY_INVERSION_BOUND`, `TAPESTRY_STRESS_ITERATIONS`, `TAPESTRY_STRESS_TIME`, `TAPESTRY_MAX_STEPS` | as the arguments of the same names |
//! | `TAPESTRY_BUDGET` | scales every budget: `0.1` for a quick local run, `10` for a nightly soak |
//! | `TAPESTRY_JOBS` | worker threads for the random, PCT and priority engines' schedules (default 1; see [`Explorer::jobs`]) |
//! | `TAPESTRY_SHARD` | `i/n`: run only this CI machine's share of those schedules, so `n` machines together run `n` times as many (see [`Explorer::shard`]) |
//! | `TAPESTRY_TRACING` | `0`: record nothing while exploring and trace a failure by replaying it (faster; see [`Explorer::tracing`]) |
//! | `TAPESTRY_REPLAY` | a `.schedule` file: replay its schedules for this test, print their traces, and explore nothing |
//! | `TAPESTRY_SCHEDULE_DIR` | where schedules are saved (default: `tapestry-schedules/` in the package) |
//! | `TAPESTRY_SAVE` | `0`: do not save failing schedules |
//! | `TAPESTRY_SVG` | `1`: also draw a saved failure as a swimlane diagram, `<schedule file>.svg` beside it (for a CI artifact) |
//!
//! ## Saved schedules and replay
//!
//! When a test fails, the failing schedule is written to
//! `tapestry-schedules/<module path>/<test>.schedule` in the package, before the test reports
//! the failure. The file is text: what it is, the test, engine, seed, failure kind,
//! preemptions, the schedule itself, and the trace. Commit it: every run of the test replays
//! its saved schedules first (outside every budget), so a fixed bug cannot come back unnoticed.
//! The failure message prints the command that replays it alone:
//!
//! ```text
//! TAPESTRY_REPLAY=tapestry-schedules/my_tests/transfers.schedule cargo test -p my-crate transfers -- --exact
//! ```
//!
//! A schedule of the random and PCT engines replays step by step; one of the exhaustive engine
//! replays by running its deterministic search to the same execution; one of the stress engine
//! cannot replay a hardware interleaving, so it hunts again with the same seed. When the code
//! changed so much that a schedule no longer fits, the replay says at which step it diverged.
//!
//! Before a failure is reported, it is shrunk to the fewest preemptions that still fail, so the
//! trace shows the simplest interleaving that breaks the program.
//!
//! # Reading a failure
//!
//! A [`Failure`] says what went wrong ([`FailureKind`]), in which thread, which engine found it
//! and how to [`Replay`] it, and carries the [`Trace`]: every operation in order, with the
//! thread, the object (by the name given with `named`, or its kind and number) and the line of
//! your code that did it.
//!
//! # Limits
//!
//! - loom (exhaustive) treats `SeqCst` accesses as `AcqRel`, explores no load buffering, and
//!   runs at most five threads (including the test body's).
//! - shuttle (random, PCT) is sequentially consistent: it cannot see a bug that needs a weak
//!   memory ordering.
//! - stress sees what the hardware does: x86 is TSO, so message-passing reorderings that ARM
//!   shows never appear there; and it cannot replay a failure step by step.
//! - Model engines have no clock: `sleep` yields and timed waits never time out.
//!
//! [loom]: https://docs.rs/loom
//! [shuttle]: https://docs.rs/shuttle
//! [insta]: https://docs.rs/insta

#![deny(missing_docs)]

pub mod cell;
pub mod engine;
mod explain;
mod explorer;
mod failure;
pub mod hint;
mod report;
mod rt;
mod runner;
pub mod saved;
mod schedule;
pub mod sync;
pub mod thread;
pub mod trace;

pub use engine::{Engine, EngineKind, ParseShardError, Shard};
pub use explorer::{Explorer, ReplayError};
pub use failure::{Failure, FailureKind, ParseKindError};
pub use report::{EngineReport, Outcome, Report};
pub use schedule::{ParseReplayError, ParseScheduleError, Replay, Schedule, Step};
pub use trace::Trace;

/// Runs a test function under tapestry's engines: see the
/// [crate docs](crate#testing-with-tapestrytest).
pub use tapestry_macros::test;

/// What `#[tapestry::test]` expands to uses these; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::runner::{TestOutput, TestSpec, run_test};
    pub use insta;
}
