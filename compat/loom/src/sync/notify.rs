//! loom's `Notify`: one waiter parks until notified.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;

use tapestry::sync::{Condvar, Mutex, PoisonError};

/// A notification one thread waits for, as loom's: [`notify`](Self::notify) leaves a permit
/// (at most one) that [`wait`](Self::wait) takes, waiting for it if need be, and orders the
/// notifier's earlier operations before the waiter's later ones. Unlike loom's, a wait never
/// returns without a permit.
#[derive(Debug, Default)]
pub struct Notify {
    permit: Mutex<bool>,
    given: Condvar,
    /// Enforces loom's single-waiter rule.
    waiting: AtomicBool,
}

impl Notify {
    pub fn new() -> Notify {
        Notify::default()
    }

    /// Leaves the permit, waking the waiter.
    #[track_caller]
    pub fn notify(&self) {
        *self.permit.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.given.notify_one();
    }

    /// Waits for the permit and takes it.
    ///
    /// # Panics
    /// If another thread waits on this `Notify` at the same time.
    #[track_caller]
    pub fn wait(&self) {
        self.waiting
            .compare_exchange(false, true, SeqCst, SeqCst)
            .expect("only a single thread may wait on `Notify`");
        let mut permit = self.permit.lock().unwrap_or_else(PoisonError::into_inner);
        while !*permit {
            permit = self
                .given
                .wait(permit)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *permit = false;
        drop(permit);
        self.waiting.store(false, SeqCst);
    }
}
