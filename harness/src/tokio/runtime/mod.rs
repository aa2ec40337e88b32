//! Tokio-shaped runtimes (`tokio::runtime`): [`Builder`], [`Runtime`] and [`Handle`], so that
//! code that builds its own runtime, or reaches the current one, runs under tapestry, and so
//! that a test can say which runtime its tasks run on.
//!
//! Tasks are tapestry's whichever runtime is built. What the builder changes is the model of
//! the runtime's workers under an exploration: [`Builder::new_current_thread`] is one worker,
//! [`Builder::new_multi_thread`] as many as [`worker_threads`](Builder::worker_threads) says
//! (default: `available_parallelism`). At most that many polls run at once, so a task that
//! blocks inside its poll starves the others as it would on that runtime (see
//! `Explorer::workers`). The first runtime of an execution decides; outside explorations the
//! builder changes nothing.

use std::future::Future;

mod handle;

pub use handle::{EnterGuard, Handle, TryCurrentError};

/// Builds a [`Runtime`], as `tokio::runtime::Builder`.
#[derive(Debug)]
pub struct Builder {
    workers: Option<usize>,
    /// Where `start_paused(true)` was asked for.
    paused: Option<&'static std::panic::Location<'static>>,
}

impl Builder {
    /// A runtime whose one worker is the thread that calls `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder {
            workers: Some(1),
            paused: None,
        }
    }

    /// A runtime with several workers.
    pub fn new_multi_thread() -> Builder {
        Builder {
            workers: None,
            paused: None,
        }
    }

    /// How many workers a multi-thread runtime has (at least 1).
    ///
    /// # Panics
    /// If `n` is 0, as tokio's.
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "Worker threads cannot be set to 0");
        self.workers = Some(n);
        self
    }

    /// Accepted for tokio's sake: every driver is always on.
    pub fn enable_all(&mut self) -> &mut Builder {
        self
    }

    /// Accepted for tokio's sake: time is always on (virtual under the model engines).
    pub fn enable_time(&mut self) -> &mut Builder {
        self
    }

    /// Starts the runtime's clock paused, as tokio's: the model engines' clock always is; the
    /// stress engine, on real time, reports a runtime built so as one it cannot run (see
    /// [`time::pause`](crate::tokio::time::pause)).
    #[track_caller]
    pub fn start_paused(&mut self, paused: bool) -> &mut Builder {
        self.paused = paused.then(std::panic::Location::caller);
        self
    }

    /// The runtime.
    pub fn build(&mut self) -> std::io::Result<Runtime> {
        if let Some(site) = self.paused {
            crate::future::timer::pause_clock(site);
        }
        let workers = match self.workers {
            Some(n) => n,
            None => crate::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(Runtime {
            handle: Handle::of(workers),
        })
    }
}

/// A runtime, as `tokio::runtime::Runtime`.
#[derive(Debug)]
pub struct Runtime {
    handle: Handle,
}

impl Runtime {
    /// A multi-thread runtime with the default number of workers.
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    /// Runs `future` to completion on the calling thread, polled by one of this runtime's
    /// workers.
    ///
    /// # Panics
    /// Inside a task's poll or another `block_on`, as tokio's (see [`Handle::block_on`]).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task, as [`crate::tokio::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> crate::tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `f` on a thread of its own, as [`crate::tokio::task::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> crate::tokio::task::JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Enters the runtime's context on the calling thread, as [`Handle::enter`].
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }
}
