//! [`Once`]: std's one-time initialisation.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceState;

/// Runs an initialisation once: [`std::sync::Once`], with the explore facade's `named`.
#[repr(transparent)]
pub struct Once(std::sync::Once);

impl Once {
    /// A `Once` that has not run.
    #[inline]
    pub const fn new() -> Once {
        Once(std::sync::Once::new())
    }

    /// A `Once` that has not run; the name is for traces, which this build has none of.
    #[inline]
    pub fn named(name: impl Into<Cow<'static, str>>) -> Once {
        drop(name);
        Once::new()
    }

    /// Runs `f` if no call has completed; waits for one that is running.
    #[inline]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        self.0.call_once(f)
    }

    /// Like [`call_once`](Self::call_once), but runs `f` even if an earlier call panicked.
    #[inline]
    pub fn call_once_force<F: FnOnce(&OnceState)>(&self, f: F) {
        self.0.call_once_force(f)
    }

    /// Whether a call has completed.
    #[inline]
    pub fn is_completed(&self) -> bool {
        self.0.is_completed()
    }

    /// Blocks until a call has completed; panics if one panicked.
    #[inline]
    pub fn wait(&self) {
        self.0.wait()
    }

    /// Blocks until a call has completed, even if an earlier one panicked.
    #[inline]
    pub fn wait_force(&self) {
        self.0.wait_force()
    }
}

impl Default for Once {
    #[inline]
    fn default() -> Once {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
