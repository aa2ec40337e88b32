//! How model engines, which have no clock, run a wait that can time out.
//!
//! A timed wait (`Condvar::wait_timeout`, `Receiver::recv_timeout`, and what builds on them)
//! ends by notification or by timeout, and under std either can win: the timeout can fire the
//! moment the waiter starts waiting, or after any number of steps of the other threads. Model
//! engines explore both. The waiter joins the waiters and releases the mutex as an untimed
//! wait does, then comes to a scheduling point instead of blocking; whenever it runs again, it
//! was notified by then or its time is up. With nothing else left to run it times out, as it
//! would under std, so a timed wait never deadlocks.
//!
//! The scheduling point is a plain one, where the waiter may go on at once (the timeout fires
//! before anyone else moves) or the others run first (it keeps waiting). A waiter that times
//! out in a loop (polling a flag) would then be able to time out again and again while nobody
//! else moves, an execution that std's clock makes impossible and that would end at the step
//! limit. So a thread's timed wait that follows its own timeout at a plain point on the same
//! condition variable *yields* instead: the others run first, as after `thread::yield_now`.
//! Plain and yielding waits alternate while a thread keeps timing out, so among any two of its
//! timeouts in a row, another thread has taken a step. A notified untimed wait in between
//! (another thread's step) clears the debt: the next timed wait may time out at once again,
//! as under std.

use std::cell::RefCell;

use crate::rt::{self, ThreadIdx};

/// Which threads' last timed wait on one condition variable timed out at a plain scheduling
/// point (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Pace {
    timed_out: RefCell<Vec<ThreadIdx>>,
}

impl Pace {
    /// Whether the running thread's timed wait must yield rather than pause at a plain
    /// scheduling point.
    pub(crate) fn must_yield(&self) -> bool {
        let me = running();
        self.timed_out.borrow().contains(&me)
    }

    /// The running thread's timed wait ended, by timeout or by notification, after pausing
    /// at a plain point or yielding.
    pub(crate) fn ended(&self, timed_out: bool, yielded: bool) {
        let me = running();
        let mut threads = self.timed_out.borrow_mut();
        let was = threads.iter().position(|&t| t == me);
        match (timed_out && !yielded, was) {
            (true, None) => threads.push(me),
            (false, Some(i)) => {
                threads.swap_remove(i);
            }
            _ => {}
        }
    }
}

fn running() -> ThreadIdx {
    rt::current_thread().map_or(0, |(_, t)| t)
}
