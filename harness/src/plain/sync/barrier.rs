//! [`Barrier`]: std's barrier.

use std::borrow::Cow;
use std::fmt;
use std::sync::BarrierWaitResult;

/// A barrier: [`std::sync::Barrier`], with the explore facade's `named`.
#[repr(transparent)]
pub struct Barrier(std::sync::Barrier);

impl Barrier {
    /// A barrier that releases its waiters `n` at a time.
    #[inline]
    pub const fn new(n: usize) -> Barrier {
        Barrier(std::sync::Barrier::new(n))
    }

    /// A barrier that releases its waiters `n` at a time; the name is for traces, which this
    /// build has none of.
    #[inline]
    pub fn named(name: impl Into<Cow<'static, str>>, n: usize) -> Barrier {
        drop(name);
        Barrier::new(n)
    }

    /// Waits until `n` threads wait; one of them is told it is the leader.
    #[inline]
    pub fn wait(&self) -> BarrierWaitResult {
        self.0.wait()
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
