//! loom 0.7's API over [tapestry]: rename this crate to `loom` in `Cargo.toml` and a crate's
//! existing loom tests run under tapestry's engines, unchanged.
//!
//! ```toml
//! [target.'cfg(loom)'.dev-dependencies]
//! loom = { package = "tapestry-loom", version = "0.1" }
//! ```
//!
//! Everything loom 0.7 offers is here under the same paths: [`model()`] and
//! [`model::Builder`], [`thread`], [`sync`] (with [`sync::Notify`] and every atomic, with
//! `with_mut` and `unsync_load`), [`cell`] (`UnsafeCell` with `with`, `with_mut`, `get` and
//! `get_mut`, [`cell::ConstPtr`], [`cell::MutPtr`], [`cell::Cell`]), [`lazy_static!`],
//! [`thread_local!`], [`hint`], [`alloc`], [`future`] (`block_on`, `AtomicWaker`),
//! [`explore`], [`stop_exploring`], [`skip_branch`] and loom's environment variables.
//!
//! # What a model runs
//!
//! [`model()`] runs the closure under tapestry's DPOR engine, then its exhaustive engine (see
//! [`model`]), and panics with tapestry's report if either finds a failure: which engine,
//! which execution, and the failing interleaving step by step with source lines. A deadlock
//! is a failure like any other, never a process abort.
//!
//! # Where it differs from loom
//!
//! - **More exact.** The DPOR engine runs every sequentially consistent interleaving once per
//!   class of equivalent ones, with no thread limit; code with more than loom's five threads
//!   is checked by it (the exhaustive engine, loom's own search, is then skipped with a note).
//!   A model whose atomic operations and fences are all `SeqCst` is checked by the DPOR engine
//!   alone: exactly, without loom's `SeqCst`-as-`AcqRel` false alarms (loom#180).
//! - **The same weak memory model.** `Relaxed`, `Acquire` and `Release` behaviours come from
//!   the exhaustive engine, loom's, with loom's limits.
//! - **Searches differently.** Each engine stops after a minute unless `max_duration` says
//!   otherwise; a model that loom explores for longer passes here with its budget spent.
//!   [`explore`], [`stop_exploring`] and [`skip_branch`] do nothing: every execution is
//!   explored. [`sync::Notify::wait`] never returns without a notification, and
//!   [`future::block_on`] polls only when woken (loom's may do either spuriously).
//! - **Statics.** A value a `lazy_static!` or `thread_local!` initialiser made is not a leak.
//! - **Failures are kept.** A failing model's schedule is saved beside the tests and replayed
//!   first by every later run, as a `#[tapestry::test]`'s (see [`model`]); loom's checkpoint
//!   files are not used.
//! - **Crashes are described.** A model runs in the test's process, as loom's: a thread that
//!   overflows its stack ends the test binary, but a line on standard error says which thread,
//!   in which execution of which engine. ([`thread::Builder::stack_size`] counts words, as
//!   loom's does.)
//! - **Not emulated.** `unsync_load` is a `Relaxed` load, not a check that no store is
//!   concurrent with it; `cell::ConstPtr` and `cell::MutPtr` record their access when they are
//!   made, not for as long as they live.
//!
//! # loom's own tests
//!
//! `cargo xtask loom-suite` compiles loom 0.7.3's test suite unchanged against this crate
//! (LOOM-SUITE.md). The tests that do not end with loom's verdict, and
//! why:
//!
//! - `atomic::invalid_unsync_load_relaxed` expects loom to reject an `unsync_load` concurrent
//!   with a store; `unsync_load` is not emulated (above).
//! - `atomic::lazy_static_arc_shutdown` expects a thread that outlives the model's body to
//!   panic when it reads a `lazy_static!`, which loom tears down when the body returns; under
//!   std, and here, a static outlives every thread, and reading it is correct.
//! - `futures::spurious_poll` expects some execution in which `block_on` polls a future three
//!   times, one of them without a wake; tapestry's `block_on` polls only when woken.
//! - `thread_api::initial_thread` expects the model's first thread to have no name; tapestry
//!   names it `main`, as std names a program's main thread (and its traces show it so).

pub mod alloc;
pub mod cell;
pub mod future;
pub mod hint;
pub mod model;
pub mod sync;
pub mod thread;

pub use model::model;

/// loom's limit on threads, the test body's included: kept for code that sizes its models by
/// it. tapestry's DPOR engine has no limit; its exhaustive engine is loom's and keeps it.
pub const MAX_THREADS: usize = 5;

/// Starts exploring, after `expect_explicit_explore`: tapestry explores every execution from
/// the start, so this does nothing.
pub fn explore() {}

/// Stops exploring new branches in loom: tapestry explores every execution, so this does
/// nothing.
pub fn stop_exploring() {}

/// Skips the current branch in loom: tapestry explores every execution, so this does nothing.
pub fn skip_branch() {}

/// Declares model-thread-local values, as `std::thread_local!`: each model thread has its own.
pub use tapestry::thread_local;

/// Declares a lazily initialised static, as `lazy_static::lazy_static!`: under a model it is
/// initialised again in every execution.
#[macro_export]
macro_rules! lazy_static {
    ($(#[$attr:meta])* $vis:vis static ref $name:ident : $t:ty = $init:expr; $($rest:tt)*) => {
        $(#[$attr])*
        $vis static $name: $crate::__private::LazyLock<$t> =
            $crate::__private::LazyLock::new(|| $init);
        $crate::lazy_static!($($rest)*);
    };
    () => {};
}

#[doc(hidden)]
pub mod __private {
    pub use tapestry::sync::LazyLock;
}
