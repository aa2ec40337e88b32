//! tapestry hunts concurrency bugs: it runs one test body under every way it knows to shake
//! threads, and shows a failure as a readable interleaving.
//!
//! # Why a harness
//!
//! A concurrency bug needs a particular interleaving, and a plain test run sees one
//! interleaving, usually the same one. tapestry runs the body many times under four engines:
//!
//! - **exhaustive** (on [loom]): every interleaving up to a bound on preemptions, including
//!   the reorderings that `Relaxed`, `Acquire` and `Release` allow;
//! - **random** and **PCT** (on [shuttle]): many random schedules, PCT's aimed at bugs that
//!   need a few preemptions at the right moments;
//! - **stress**: real threads on every core, released together, with random jitter.
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
//! [`Explorer::check`] panics with the report and the failing interleaving instead, which is
//! what a `#[test]` wants.
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

#![deny(missing_docs)]

pub mod cell;
pub mod engine;
mod explorer;
mod failure;
pub mod hint;
mod report;
mod rt;
mod schedule;
pub mod sync;
pub mod thread;
mod trace;

pub use engine::{Engine, EngineKind};
pub use explorer::{Explorer, ReplayError};
pub use failure::{Failure, FailureKind, ParseKindError};
pub use report::{EngineReport, Outcome, Report};
pub use schedule::{ParseReplayError, ParseScheduleError, Replay, Schedule, Step};
pub use trace::Trace;
