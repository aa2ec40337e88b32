//! Threads: std's, with the explore facade's [`Builder`].

use std::fmt;
use std::io;

pub use std::thread::{
    AccessError, JoinHandle, LocalKey, Result, Scope, ScopedJoinHandle, Thread, ThreadId,
    available_parallelism, current, panicking, park, park_timeout, scope, sleep, spawn, yield_now,
};

/// [`std::thread::Builder`] with the explore facade's [`priority`](Builder::priority), which
/// only the priority engine reads: here it is ignored.
#[repr(transparent)]
pub struct Builder(std::thread::Builder);

impl Builder {
    /// A builder with no name and the default stack size.
    #[inline]
    pub fn new() -> Builder {
        Builder(std::thread::Builder::new())
    }

    /// Names the thread.
    #[inline]
    pub fn name(self, name: String) -> Builder {
        Builder(self.0.name(name))
    }

    /// Sets the size of the thread's stack in bytes.
    #[inline]
    pub fn stack_size(self, size: usize) -> Builder {
        Builder(self.0.stack_size(size))
    }

    /// The priority the priority engine would schedule the thread with; std threads have no
    /// such thing, so it is ignored.
    #[inline]
    pub fn priority(self, priority: u8) -> Builder {
        let _ = priority;
        self
    }

    /// Spawns the thread.
    #[inline]
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.0.spawn(f)
    }

    /// Spawns a thread of `scope`, as [`std::thread::Builder::spawn_scoped`].
    #[inline]
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.0.spawn_scoped(scope, f)
    }
}

impl Default for Builder {
    #[inline]
    fn default() -> Builder {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
