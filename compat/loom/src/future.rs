//! `loom::future`: [`block_on`] and [`AtomicWaker`], over `tapestry::future`.

use std::task::Waker;

use tapestry::sync::{Mutex, PoisonError};

/// Runs a future to completion on the calling thread (`tapestry::future::block_on`): it is
/// polled again only when woken. loom's may also poll it spuriously, which tapestry does not
/// explore (see the crate docs).
pub use tapestry::future::block_on;

/// A waker slot that one task registers in and others wake, as loom's (and `futures`'s):
/// registering replaces the waker kept; waking takes it and wakes it.
#[derive(Debug, Default)]
pub struct AtomicWaker {
    waker: Mutex<Option<Waker>>,
}

impl AtomicWaker {
    pub fn new() -> AtomicWaker {
        AtomicWaker::default()
    }

    /// Keeps `waker` for the next [`wake`](Self::wake).
    #[track_caller]
    pub fn register(&self, waker: Waker) {
        *self.slot() = Some(waker);
    }

    /// As [`register`](Self::register), cloning `waker` unless the one kept wakes the same
    /// task.
    #[track_caller]
    pub fn register_by_ref(&self, waker: &Waker) {
        let mut slot = self.slot();
        if !slot.as_ref().is_some_and(|kept| kept.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }

    /// Wakes the waker kept, if any, and forgets it.
    #[track_caller]
    pub fn wake(&self) {
        if let Some(waker) = self.take_waker() {
            waker.wake();
        }
    }

    /// Takes the waker kept, if any.
    #[track_caller]
    pub fn take_waker(&self) -> Option<Waker> {
        self.slot().take()
    }

    fn slot(&self) -> tapestry::sync::MutexGuard<'_, Option<Waker>> {
        self.waker.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
