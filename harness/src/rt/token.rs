//! A task thread's wake token: what a waker's `wake` gives and the task's wait for its next
//! poll takes (`future`, through `thread::park`'s parker).
//!
//! A token is at most one: giving it twice before it is taken gives it once. An engine may make
//! its own ([`Backend::new_token`]) so that a give and a take are one scheduling step each and
//! its search knows what they are (the DPOR engine: two takes never race, a take comes after the
//! give it waited for, and only the order of gives and takes matters). The others use
//! [`MonitorToken`], built from the engine's lock and condition variable.

use std::time::Duration;

use super::Backend;
use super::monitor::Monitor;

/// A wake token with one owner, the only thread that takes it.
pub(crate) trait RawToken: Send + Sync {
    /// Makes the token available, and wakes the owner if it waits for it.
    fn give(&self);
    /// The owner waits until the token is available, with no spurious wakeups, and takes it.
    fn take(&self);
    /// As [`take`](Self::take), giving up after `timeout` (model engines: at any point, as
    /// every timed wait; see `engine::timed`). Returns whether it timed out.
    fn take_timeout(&self, timeout: Duration) -> bool;
}

/// The token of engines that make none: a flag behind the engine's lock, and a condition
/// variable the owner waits on.
pub(crate) struct MonitorToken(Monitor<bool, 1>);

impl MonitorToken {
    pub(crate) fn new(backend: &dyn Backend) -> MonitorToken {
        MonitorToken(Monitor::new(backend, false))
    }
}

impl RawToken for MonitorToken {
    fn give(&self) {
        self.0.with(|held| {
            *held.state() = true;
            held.notify_all(0);
        });
    }

    fn take(&self) {
        self.0.with(|held| {
            while !*held.state() {
                held.wait(0);
            }
            *held.state() = false;
        });
    }

    fn take_timeout(&self, timeout: Duration) -> bool {
        self.0.with(|held| {
            if !*held.state() {
                held.wait_timeout(0, timeout);
            }
            !std::mem::replace(held.state(), false)
        })
    }
}
