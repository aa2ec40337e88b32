//! Wake tokens on shuttle's runtime (`rt::token`): a give and a take are one scheduling step
//! each, which the DPOR engine's backend announces as such.
//!
//! The token is a flag of ours; an owner that finds it unset blocks in shuttle's `park` and a
//! give unparks it. shuttle's park token may be left set by a give the owner took through the
//! flag, so the owner parks again until the flag is set; and shuttle lets a scheduler wake a
//! parked thread spuriously, which our schedulers never do (`record::awake`).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use super::priority::PriorityMode;
use crate::engine::timed::Pace;
use crate::rt::{self, RawToken};

pub(crate) struct ShuttleToken {
    state: RefCell<State>,
    /// A condition variable nobody waits on: notifying it is a scheduling point with no effect.
    gate: shuttle::sync::Condvar,
    pace: Pace,
    /// Under the priority engine a timed take is a sleep (as a timed condvar wait).
    priority: Option<Arc<PriorityMode>>,
}

// SAFETY: shuttle runs every model thread on one OS thread, one at a time, and the state is
// touched only between shuttle calls, never across one.
unsafe impl Send for ShuttleToken {}
// SAFETY: as above.
unsafe impl Sync for ShuttleToken {}

#[derive(Default)]
struct State {
    available: bool,
    /// The owner's shuttle thread, once it has come to take the token: a give unparks it.
    owner: Option<shuttle::thread::Thread>,
    /// Whether the owner is parked in shuttle.
    parked: bool,
}

impl ShuttleToken {
    pub(crate) fn new(priority: Option<Arc<PriorityMode>>) -> ShuttleToken {
        ShuttleToken {
            state: RefCell::default(),
            gate: shuttle::sync::Condvar::new(),
            pace: Pace::default(),
            priority,
        }
    }

    /// A scheduling point with no effect.
    fn pause(&self) {
        rt::engine_call(|| self.gate.notify_one());
    }

    /// Takes the token if it is there.
    fn try_take(&self) -> bool {
        std::mem::replace(&mut self.state.borrow_mut().available, false)
    }
}

impl RawToken for ShuttleToken {
    fn give(&self) {
        if rt::teardown() {
            return;
        }
        let owner = self.state.borrow().owner.clone();
        // One scheduling point, before the token is given: shuttle's unpark switches first.
        if let Some(owner) = owner {
            rt::engine_call(|| owner.unpark());
            self.state.borrow_mut().available = true;
            return;
        }
        // The owner has not waited yet: it has nothing to unpark, unless it came to its first
        // wait and parked during this pause. Only then a second scheduling point.
        self.pause();
        let parked = {
            let mut state = self.state.borrow_mut();
            state.available = true;
            state.owner.clone().filter(|_| state.parked)
        };
        if let Some(owner) = parked {
            rt::engine_call(|| owner.unpark());
        }
    }

    fn take(&self) {
        if rt::teardown() {
            return;
        }
        // Known before the pause, so that a give from now on unparks it.
        if self.state.borrow().owner.is_none() {
            let me = rt::engine_call(shuttle::thread::current);
            self.state.borrow_mut().owner = Some(me);
        }
        self.pause();
        while !self.try_take() {
            self.state.borrow_mut().parked = true;
            rt::engine_call(shuttle::thread::park);
            self.state.borrow_mut().parked = false;
        }
    }

    fn take_timeout(&self, _timeout: Duration) -> bool {
        if rt::teardown() {
            return false;
        }
        if let (Some(mode), Some((_, me))) = (&self.priority, rt::current_thread()) {
            mode.sleep(me);
        }
        // As a timed condvar wait (`engine::timed`): a pause, after which the token is there
        // or the time is up.
        let yields = self.pace.must_yield();
        if yields {
            rt::yield_point(true, |_| rt::engine_call(shuttle::thread::yield_now));
        } else {
            self.pause();
        }
        let timed_out = !self.try_take();
        self.pace.ended(timed_out, yields);
        timed_out
    }
}
