//! Condition variables on shuttle's runtime, with waits that time out.
//!
//! An untimed wait is shuttle's own: its `wait` switches threads while the waiter still holds
//! the mutex, then, when the waiter runs again, releases the mutex, joins the waiters and
//! blocks, with no call the facade could observe in between; so the wait is recorded when
//! shuttle's scheduler next picks the waiting thread (`rt::scheduled`, from `record.rs`).
//!
//! Shuttle has no clock, and its `wait_timeout` never times out. Here a timed wait joins a
//! queue of our own, releases the mutex and pauses at a scheduling point instead of blocking;
//! whenever the waiter runs again it was notified by then, or its time is up (the model:
//! `engine::timed`).
//!
//! `notify_one` wakes the oldest waiter, timed or not (shuttle chooses among its own waiters),
//! so which one a notification reaches depends on the order they came in, which the
//! schedulers explore.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;

use super::backend::ShuttleMutex;
use super::priority::PriorityMode;
use crate::engine::timed::Pace;
use crate::rt::{self, RawCondvar, RawMutex};

pub(crate) struct ShuttleCondvar {
    inner: shuttle::sync::Condvar,
    /// A condition variable nobody waits on: notifying it is a scheduling point with no effect,
    /// where a timed waiter pauses and before a notification that may go to a timed waiter
    /// (see `notify_one`).
    gate: shuttle::sync::Condvar,
    waiters: RefCell<Waiters>,
    pace: Pace,
    /// Under the priority engine a timed wait is a sleep: the waiter arrives again at a seeded
    /// step, as a real-time OS's sleeping thread does.
    priority: Option<Arc<PriorityMode>>,
}

// SAFETY: shuttle runs every model thread on one OS thread, one at a time, and the queue is
// touched only between shuttle calls, never across one.
unsafe impl Send for ShuttleCondvar {}
// SAFETY: as above.
unsafe impl Sync for ShuttleCondvar {}

/// The waiters in the order they came, as far as `notify_one` needs it.
#[derive(Default)]
struct Waiters {
    next: u64,
    queue: VecDeque<Waiter>,
    /// Timed waiters notified since they came.
    woken: Vec<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiter {
    /// A waiter in shuttle's condition variable (shuttle picks which one a notification wakes).
    Untimed,
    /// A timed waiter, by ticket.
    Timed(u64),
}

impl Waiters {
    fn has_timed(&self) -> bool {
        self.queue.iter().any(|w| matches!(w, Waiter::Timed(_)))
    }

    /// Drops the oldest untimed waiter: shuttle woke one.
    fn untimed_woken(&mut self) {
        if let Some(i) = self.queue.iter().position(|&w| w == Waiter::Untimed) {
            self.queue.remove(i);
        }
    }
}

/// How a timed wait releases and retakes its mutex, and what it does around its pause, so
/// that the DPOR engine's backend can announce each part.
pub(crate) struct TimedWait<'a> {
    /// Releases the mutex (a scheduling point before it, as in shuttle's own wait).
    pub unlock: &'a dyn Fn(),
    /// Called once the waiter has joined the waiters and released the mutex.
    pub joined: &'a dyn Fn(),
    /// Runs the pause it is given: the scheduling point after which the waiter learns whether
    /// it was notified.
    pub pause: &'a dyn Fn(&dyn Fn()),
    /// Takes the mutex back.
    pub lock: &'a dyn Fn(),
}

impl ShuttleCondvar {
    pub(crate) fn new(priority: Option<Arc<PriorityMode>>) -> ShuttleCondvar {
        ShuttleCondvar {
            inner: shuttle::sync::Condvar::new(),
            gate: shuttle::sync::Condvar::new(),
            waiters: RefCell::default(),
            pace: Pace::default(),
            priority,
        }
    }

    /// A timed wait, its parts done by `parts`; returns whether it timed out.
    pub(crate) fn timed_wait(&self, parts: TimedWait<'_>) -> bool {
        if rt::teardown() {
            return false;
        }
        (parts.unlock)();
        let ticket = {
            let mut waiters = self.waiters.borrow_mut();
            let ticket = waiters.next;
            waiters.next += 1;
            waiters.queue.push_back(Waiter::Timed(ticket));
            ticket
        };
        rt::now_waiting();
        (parts.joined)();
        if let (Some(mode), Some((_, me))) = (&self.priority, rt::current_thread()) {
            mode.sleep(me);
        }
        let yields = self.pace.must_yield();
        (parts.pause)(&|| {
            if yields {
                rt::yield_point(true, |_| rt::engine_call(shuttle::thread::yield_now));
            } else {
                // A scheduling point with no effect: nobody waits on the gate.
                rt::engine_call(|| self.gate.notify_one());
            }
        });
        let timed_out = {
            let mut waiters = self.waiters.borrow_mut();
            match waiters.woken.iter().position(|&t| t == ticket) {
                Some(i) => {
                    waiters.woken.swap_remove(i);
                    false
                }
                None => {
                    waiters.queue.retain(|&w| w != Waiter::Timed(ticket));
                    true
                }
            }
        };
        self.pace.ended(timed_out, yields);
        (parts.lock)();
        timed_out
    }
}

impl RawCondvar for ShuttleCondvar {
    fn wait(&self, mutex: &dyn RawMutex) {
        if rt::teardown() {
            return;
        }
        let mutex = mutex
            .as_any()
            .downcast_ref::<ShuttleMutex>()
            .expect("a condition variable and its mutex come from the same backend");
        let guard = mutex.take().expect("the waiting thread holds the mutex");
        self.waiters.borrow_mut().queue.push_back(Waiter::Untimed);
        let guard = rt::engine_call(|| self.inner.wait(guard))
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Notified: another thread has moved since any timeout of the waiter's, so its next
        // timed wait may time out at once (see `engine::timed`).
        self.pace.ended(false, false);
        mutex.keep(guard);
    }

    fn wait_timeout(&self, mutex: &dyn RawMutex, _timeout: std::time::Duration) -> bool {
        // Raw mutex calls leave restoring the running thread to their caller (see `RawMutex`).
        self.timed_wait(TimedWait {
            unlock: &|| rt::engine_call(|| mutex.unlock()),
            joined: &|| {},
            pause: &|pause| pause(),
            lock: &|| rt::engine_call(|| mutex.lock()),
        })
    }

    fn notify_one(&self) {
        if rt::teardown() {
            return;
        }
        if !self.waiters.borrow().has_timed() {
            // Only shuttle's waiters (a timed one coming in meanwhile is younger).
            rt::engine_call(|| self.inner.notify_one());
            self.waiters.borrow_mut().untimed_woken();
            return;
        }
        // Which waiter is oldest is decided after the scheduling point, as the notification
        // takes effect then.
        rt::engine_call(|| self.gate.notify_one());
        let oldest = self.waiters.borrow_mut().queue.pop_front();
        match oldest {
            Some(Waiter::Timed(ticket)) => self.waiters.borrow_mut().woken.push(ticket),
            // Shuttle's notification has a scheduling point of its own: a second one here.
            Some(Waiter::Untimed) | None => rt::engine_call(|| self.inner.notify_one()),
        }
    }

    fn notify_all(&self) {
        if rt::teardown() {
            return;
        }
        rt::engine_call(|| self.inner.notify_all());
        let mut waiters = self.waiters.borrow_mut();
        let Waiters { queue, woken, .. } = &mut *waiters;
        for waiter in queue.drain(..) {
            if let Waiter::Timed(ticket) = waiter {
                woken.push(ticket);
            }
        }
    }
}
