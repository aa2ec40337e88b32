//! tokio's API over tapestry, for a crate that wants its tokio code tested by tapestry's
//! engines without changing a line of it: rename this crate to `tokio` in `Cargo.toml`,
//!
//! ```toml
//! [dependencies]
//! tokio = { package = "tapestry-tokio", git = "https://github.com/tapestry-rs/tapestry" }
//! ```
//!
//! keeping its `features` list if it has one (`sync`, `rt`, `rt-multi-thread`, `macros`,
//! `time`, `test-util` and `full` are accepted and change nothing; the features of what is not
//! provided, below, are errors that name them), and `tokio::spawn`, `tokio::select!`,
//! `tokio::join!`, `tokio::try_join!`, `tokio::pin!`, `tokio::task_local!`, `tokio::sync::*`,
//! `tokio::task::*` (`spawn`, `JoinHandle`, `AbortHandle`, `JoinSet`, `Id`, `id`, `try_id`,
//! `spawn_blocking`, `block_in_place`, `yield_now`, `LocalKey`), `tokio::time::*`, `tokio::runtime::{Builder, Runtime, Handle}` and
//! `#[tokio::test]` are tapestry's (see `tapestry::tokio` for each one's semantics).
//! `tokio::sync` has `Mutex`, `RwLock`, `Semaphore`, `Notify`, `Barrier`, `OnceCell`,
//! `oneshot`, `mpsc`, `watch` and `broadcast`. `#[tokio::test]` is `#[tapestry::test]` on tokio's runtime: the default
//! `flavor = "current_thread"` is one worker, `flavor = "multi_thread", worker_threads = N`
//! is `N` (see `Explorer::workers`), `start_paused = true` pauses the clock first (the model
//! engines' clock always is; the stress engine, on real time, says it cannot run such a test),
//! and tapestry's own arguments (`engines`, `expect`, ...) work too.
//!
//! Not provided: `#[tokio::main]`, `tokio::io`, `tokio::net`, `tokio::fs`, `tokio::signal`,
//! `tokio::process` (I/O is outside what tapestry explores); a crate that uses them keeps the
//! real tokio and imports `tapestry::tokio` in its tests instead.

pub use tapestry::tokio::{
    join, pin, runtime, select, spawn, sync, task, task_local, time, try_join,
};

/// `#[tokio::test]`, as `#[tapestry::test]` on tokio's runtime (see the crate docs).
pub use tapestry_macros::tokio_test as test;

#[doc(hidden)]
pub use tapestry as __tapestry;
