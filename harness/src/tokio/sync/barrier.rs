//! Tokio's `Barrier` (see [`Barrier`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll};

use super::waiters::{Ticket, WaitQueue, Wakeups};
use crate::sync::{Mutex, MutexGuard};

/// A barrier for `n` tasks, reusable once they have met, as `tokio::sync::Barrier`.
///
/// `n` tasks wait for each other; the `n`th to arrive releases them all and is the
/// generation's leader.
///
/// ```
/// use std::sync::Arc;
/// use tapestry::tokio::{self, sync::Barrier};
///
/// tapestry::future::block_on(async {
///     let barrier = Arc::new(Barrier::new(2));
///     let other = {
///         let barrier = barrier.clone();
///         tokio::spawn(async move { barrier.wait().await.is_leader() })
///     };
///     let me = barrier.wait().await.is_leader();
///     // Exactly one of the two leads; which one is up to the schedule.
///     assert!(me != other.await.unwrap());
/// });
/// ```
///
/// A waiter counts from its first poll (a `wait()` not yet polled has not arrived), and a
/// `wait()` dropped after that still counts for its generation, as tokio's, whose `wait` is not
/// cancel-safe. The count, the generation and the waiters' wakers sit behind one facade
/// [`Mutex`], so which task arrives last, and so leads, is explored.
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

struct State {
    /// Waiters of this generation so far.
    arrived: usize,
    /// Bumped each time `n` waiters have met.
    generation: u64,
    /// The waiters of this generation, and any of an earlier one not yet polled since it was
    /// released (each with the generation it waits for the end of).
    waiters: WaitQueue<u64>,
}

/// What [`Barrier::wait`] returns once every task has arrived.
#[derive(Debug, Clone)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this waiter was its generation's leader (the last to arrive): exactly one per
    /// generation is.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier that releases its waiters each time `n` of them have arrived. An `n` of 0
    /// behaves as 1 (every `wait` returns at once, as leader), as tokio's and std's.
    #[track_caller]
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
                waiters: WaitQueue::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `n` tasks (this one included) have called `wait` in this generation. The
    /// last to arrive returns at once as the leader and wakes the others.
    ///
    /// Not cancel-safe, as tokio's: a `wait` dropped after its first poll still counts.
    #[track_caller]
    pub fn wait(&self) -> impl Future<Output = BarrierWaitResult> {
        crate::future::await_point(Wait {
            barrier: self,
            stage: Stage::Init,
        })
    }
}

/// The future of [`Barrier::wait`].
struct Wait<'a> {
    barrier: &'a Barrier,
    stage: Stage,
}

enum Stage {
    /// Not arrived yet: its first poll arrives.
    Init,
    /// Arrived in a generation, waiting for its end.
    Waiting { ticket: Ticket, generation: u64 },
    /// Returned.
    Done,
}

impl Future for Wait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self.get_mut();
        let mut wakeups = Wakeups::default();
        let result = {
            let mut state = this.barrier.state();
            match this.stage {
                Stage::Done => panic!("a barrier's `wait` polled after it returned"),
                Stage::Init => {
                    state.arrived += 1;
                    if state.arrived == this.barrier.n {
                        state.arrived = 0;
                        state.generation += 1;
                        for entry in state.waiters.iter_mut() {
                            wakeups.push(entry.take_waker());
                        }
                        this.stage = Stage::Done;
                        Poll::Ready(BarrierWaitResult(true))
                    } else {
                        let generation = state.generation;
                        let ticket = state.waiters.push(generation, Some(cx.waker()));
                        this.stage = Stage::Waiting { ticket, generation };
                        Poll::Pending
                    }
                }
                Stage::Waiting { ticket, generation } => {
                    if state.generation != generation {
                        state.waiters.remove(ticket);
                        this.stage = Stage::Done;
                        Poll::Ready(BarrierWaitResult(false))
                    } else {
                        state.waiters.get_mut(ticket).set_waker(cx.waker());
                        Poll::Pending
                    }
                }
            }
        };
        wakeups.wake_all();
        result
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        // Its arrival still counts; only its waker leaves.
        if let Stage::Waiting { ticket, .. } = self.stage {
            self.barrier.state().waiters.remove(ticket);
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &state.arrived)
            .field("generation", &state.generation)
            .finish()
    }
}
