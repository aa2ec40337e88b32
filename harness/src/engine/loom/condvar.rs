//! A condition variable over loom's threads that tells the runtime when a waiter has joined the
//! waiters.
//!
//! Loom's own `Condvar::wait` is one call: a branch point (where loom may run other threads
//! while the waiter still holds the mutex), then, unobserved, it joins the waiters, releases the
//! mutex and parks. A wait recorded before that call would come before what other threads did at
//! the branch point, such as a notification the waiter missed. This one takes the same steps
//! with the same branch points, and calls `rt::now_waiting` between joining and parking, so loom
//! explores the same interleavings and the trace shows the wait where it took effect.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::engine::timed::Pace;
use crate::rt::{self, RawCondvar, RawMutex, teardown};

pub(super) struct LoomCondvar {
    /// Only for its branch points: a notification with nobody waiting is an opaque branch point
    /// on the condition variable and nothing else, which is how each operation of loom's
    /// `Condvar` begins.
    branch: loom::sync::Condvar,
    waiters: RefCell<Waiters>,
    pace: Pace,
}

// SAFETY: loom runs every model thread on one OS thread, one at a time, and the waiter lists are
// touched only between loom calls, never across one.
unsafe impl Send for LoomCondvar {}
// SAFETY: as above.
unsafe impl Sync for LoomCondvar {}

/// Waiters by ticket, as loom's `Condvar` keeps them: `notify_one` wakes the oldest.
#[derive(Default)]
struct Waiters {
    next: u64,
    waiting: VecDeque<(u64, loom::thread::Thread)>,
    woken: Vec<u64>,
}

impl LoomCondvar {
    pub(super) fn new() -> LoomCondvar {
        LoomCondvar {
            branch: loom::sync::Condvar::new(),
            waiters: RefCell::default(),
            pace: Pace::default(),
        }
    }

    /// Puts the running thread at the end of the waiters; returns its ticket.
    fn join_waiters(&self) -> u64 {
        let me = rt::engine_call(loom::thread::current);
        let mut waiters = self.waiters.borrow_mut();
        let ticket = waiters.next;
        waiters.next += 1;
        waiters.waiting.push_back((ticket, me));
        ticket
    }

    /// Whether `ticket` was woken; forgets it if so.
    fn take_woken(&self, ticket: u64) -> bool {
        let mut waiters = self.waiters.borrow_mut();
        let found = waiters.woken.iter().position(|&t| t == ticket);
        found.map(|i| waiters.woken.swap_remove(i)).is_some()
    }

    /// Wakes the waiters `pick` takes from the queue, oldest first.
    fn wake(
        &self,
        pick: impl FnOnce(
            &mut VecDeque<(u64, loom::thread::Thread)>,
        ) -> Vec<(u64, loom::thread::Thread)>,
    ) {
        if teardown() {
            return;
        }
        rt::engine_call(|| self.branch.notify_one());
        let picked = {
            let mut waiters = self.waiters.borrow_mut();
            let picked = pick(&mut waiters.waiting);
            waiters
                .woken
                .extend(picked.iter().map(|(ticket, _)| ticket));
            picked
        };
        for (_, thread) in picked {
            // An unpark is no branch point (as in loom's `notify_*`).
            rt::engine_call(|| thread.unpark());
        }
    }
}

impl RawCondvar for LoomCondvar {
    fn wait(&self, mutex: &dyn RawMutex) {
        if teardown() {
            return;
        }
        rt::engine_call(|| self.branch.notify_one());
        // From here to `park`, no branch point: to the other threads, joining the waiters and
        // releasing the mutex happen at once (loom releases a lock without one).
        let ticket = self.join_waiters();
        // Raw mutex calls leave restoring the running thread to their caller (see `RawMutex`).
        rt::engine_call(|| mutex.unlock());
        rt::now_waiting();
        while !self.take_woken(ticket) {
            rt::engine_call(loom::thread::park);
        }
        // Notified: another thread has moved since any timeout of the waiter's, so its next
        // timed wait may time out at once (see `engine::timed`).
        self.pace.ended(false, false);
        rt::engine_call(|| mutex.lock());
    }

    /// Loom has no clock: the waiter joins the waiters and releases the mutex as `wait` does,
    /// then pauses at a branch point (or yields) instead of parking; whenever it runs again it
    /// was notified by then, or its time is up (the model: `engine::timed`).
    fn wait_timeout(&self, mutex: &dyn RawMutex, _timeout: std::time::Duration) -> bool {
        if teardown() {
            return false;
        }
        rt::engine_call(|| self.branch.notify_one());
        let ticket = self.join_waiters();
        rt::engine_call(|| mutex.unlock());
        rt::now_waiting();
        let yields = self.pace.must_yield();
        if yields {
            rt::yield_point(true, |_| rt::engine_call(loom::thread::yield_now));
        } else {
            rt::engine_call(|| self.branch.notify_one());
        }
        let timed_out = !self.take_woken(ticket);
        if timed_out {
            let mut waiters = self.waiters.borrow_mut();
            waiters.waiting.retain(|&(t, _)| t != ticket);
        }
        self.pace.ended(timed_out, yields);
        rt::engine_call(|| mutex.lock());
        timed_out
    }

    fn notify_one(&self) {
        self.wake(|waiting| waiting.pop_front().into_iter().collect());
    }

    fn notify_all(&self) {
        self.wake(|waiting| waiting.drain(..).collect());
    }
}
