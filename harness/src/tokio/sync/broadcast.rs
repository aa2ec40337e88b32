//! A multi-producer, multi-consumer channel in which every receiver gets every value
//! (`tokio::sync::broadcast`).
//!
//! The channel holds the last `capacity` values sent (rounded up to a power of two, as tokio
//! rounds it). Each receiver keeps its own position: it receives, cloned, every value sent
//! after it subscribed, in order. A value is dropped once every receiver that was alive when it
//! was sent has seen it (or was dropped), or when a newer send overwrites it. A receiver that
//! falls more than the capacity behind is told so, once, with `Lagged(n)` (`n` values it will
//! never see), and then goes on from the oldest value still held. Once every sender is gone,
//! receivers get what is left, then `Closed`.
//!
//! ```
//! use tapestry::tokio::sync::broadcast::{self, error::RecvError};
//!
//! tapestry::future::block_on(async {
//!     let (tx, mut rx) = broadcast::channel(2);
//!     for value in 1..=3 {
//!         tx.send(value).unwrap();
//!     }
//!     // The channel holds two values: 1 was overwritten before `rx` saw it.
//!     assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
//!     assert_eq!(rx.recv().await, Ok(2));
//!     drop(tx);
//!     assert_eq!(rx.recv().await, Ok(3));
//!     assert_eq!(rx.recv().await, Err(RecvError::Closed));
//! });
//! ```
//!
//! The values, positions and wakers sit behind one facade [`Mutex`] per channel, so every
//! engine explores each send, receive and drop; a waiting receiver is woken with its task's
//! [`Waker`]. A subscription is an operation too: whether a receiver subscribed before or after
//! a send, and so whether it gets that value, is explored.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::sync::{Mutex, MutexGuard};

pub mod error;

use error::{RecvError, SendError, TryRecvError};

/// Creates a broadcast channel holding at most `capacity` values (rounded up to a power of
/// two), with one receiver; [`Sender::subscribe`] makes more.
///
/// # Panics
/// If `capacity` is 0, or above `usize::MAX / 2`, as tokio's.
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let sender = Sender::new(capacity);
    let receiver = sender.subscribe();
    (sender, receiver)
}

/// The sending half; clone it for more senders. When every sender is dropped, receivers get
/// the values left, then [`RecvError::Closed`].
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half: receives every value sent after it subscribed. Make more with
/// [`Sender::subscribe`] or [`Receiver::resubscribe`].
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Names this receiver's waker among the others.
    id: u64,
    /// The position of the next value it receives.
    next: u64,
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// The values held, oldest first: positions `tail - slots.len()` to `tail - 1`.
    slots: VecDeque<Slot<T>>,
    /// The most values held (the asked capacity, rounded up to a power of two).
    capacity: usize,
    /// The position of the next value sent.
    tail: u64,
    senders: usize,
    receivers: usize,
    next_receiver: u64,
    /// Receivers waiting in `recv`, by id.
    waiting: Vec<(u64, Waker)>,
}

/// A value sent, with how many receivers alive at its send have not seen it yet; `None` once
/// they all have.
struct Slot<T> {
    value: Option<T>,
    unseen: usize,
}

impl<T> Shared<T> {
    #[track_caller]
    fn state(&self) -> MutexGuard<'_, State<T>> {
        // A value's `Clone` runs under this lock (its `Drop` never does), before any change:
        // a panic there leaves the state whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

impl<T> State<T> {
    /// The position of the oldest value held.
    fn oldest(&self) -> u64 {
        self.tail - self.slots.len() as u64
    }

    /// Receives at `next` for a receiver: a clone of the value (with the value itself when
    /// this receiver was the last to see it, to be dropped once the lock is released),
    /// `Lagged` (moving `next` to the oldest value held), or `Empty`/`Closed`.
    fn take(&mut self, next: &mut u64) -> Result<(T, Option<T>), TryRecvError>
    where
        T: Clone,
    {
        let oldest = self.oldest();
        if *next < oldest {
            let missed = oldest - *next;
            *next = oldest;
            return Err(TryRecvError::Lagged(missed));
        }
        if *next == self.tail {
            return Err(if self.senders == 0 {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let slot = &mut self.slots[(*next - oldest) as usize];
        let value = slot.value.as_ref();
        // Every receiver gets a clone, as tokio documents, even the last. Cloned first: a
        // `Clone` that panics leaves the receiver where it was.
        let clone = value
            .expect("a receiver that has not seen a value finds it held")
            .clone();
        *next += 1;
        slot.unseen -= 1;
        let seen_by_all = if slot.unseen == 0 {
            slot.value.take()
        } else {
            None
        };
        Ok((clone, seen_by_all))
    }

    /// Takes the values that a receiver at `next`, leaving, had not seen, and that nobody else
    /// waits for: to be dropped once the lock is released.
    fn leave(&mut self, next: u64) -> Vec<T> {
        let from = next.saturating_sub(self.oldest()) as usize;
        self.slots
            .iter_mut()
            .skip(from)
            .filter_map(|slot| {
                slot.unseen -= 1;
                if slot.unseen == 0 {
                    slot.value.take()
                } else {
                    None
                }
            })
            .collect()
    }

    /// Registers a new receiver, which receives from `tail` on.
    fn subscribe(&mut self, shared: &Arc<Shared<T>>) -> Receiver<T> {
        self.receivers += 1;
        let id = self.next_receiver;
        self.next_receiver += 1;
        Receiver {
            shared: shared.clone(),
            id,
            next: self.tail,
        }
    }
}

impl<T> Sender<T> {
    /// Creates a sender of a channel holding at most `capacity` values (rounded up to a power
    /// of two), with no receiver yet: [`subscribe`](Sender::subscribe) makes them.
    ///
    /// # Panics
    /// If `capacity` is 0, or above `usize::MAX / 2`, as tokio's.
    #[track_caller]
    pub fn new(capacity: usize) -> Sender<T> {
        assert!(capacity > 0, "broadcast channel capacity cannot be zero");
        assert!(
            capacity <= usize::MAX >> 1,
            "broadcast channel capacity exceeded `usize::MAX / 2`"
        );
        let capacity = capacity.next_power_of_two();
        let state = State {
            slots: VecDeque::new(),
            capacity,
            tail: 0,
            senders: 1,
            receivers: 0,
            next_receiver: 0,
            waiting: Vec::new(),
        };
        Sender {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
            }),
        }
    }

    /// Sends `value` to every receiver alive now; returns how many, or the value back as `Err`
    /// if there is none (it is not kept for later receivers). Never waits: with the channel
    /// full, the oldest value is overwritten, and receivers that had not seen it will lag.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let (receivers, waiting, overwritten) = {
            let mut state = self.shared.state();
            if state.receivers == 0 {
                return Err(SendError(value));
            }
            let overwritten = if state.slots.len() == state.capacity {
                state.slots.pop_front()
            } else {
                None
            };
            let unseen = state.receivers;
            state.slots.push_back(Slot {
                value: Some(value),
                unseen,
            });
            state.tail += 1;
            (unseen, std::mem::take(&mut state.waiting), overwritten)
        };
        drop(overwritten);
        wake_all(waiting.into_iter().map(|(_, waker)| waker));
        Ok(receivers)
    }

    /// A new receiver, which receives the values sent after this call (not those held now).
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.state().subscribe(&self.shared)
    }

    /// The number of values held that some receiver alive at their send has not seen yet
    /// (counted from the oldest such value). Values overwritten before every receiver saw them
    /// are not counted, unlike [`Receiver::len`].
    pub fn len(&self) -> usize {
        let state = self.shared.state();
        let seen = state.slots.iter().take_while(|slot| slot.unseen == 0);
        state.slots.len() - seen.count()
    }

    /// Whether every value held has been seen by every receiver alive at its send.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of receivers alive.
    pub fn receiver_count(&self) -> usize {
        self.shared.state().receivers
    }

    /// Whether `other` sends on the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.state().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waiting = {
            let mut state = self.shared.state();
            state.senders -= 1;
            if state.senders > 0 {
                return;
            }
            std::mem::take(&mut state.waiting)
        };
        wake_all(waiting.into_iter().map(|(_, waker)| waker));
    }
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, waiting for one: `Ok(value)`, [`RecvError::Lagged`] if values
    /// were overwritten before this receiver saw them (the next call returns the oldest value
    /// held), or [`RecvError::Closed`] once every sender is gone and every value seen.
    ///
    /// Cancel-safe: a `recv` dropped before it returned has received nothing.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Result<T, RecvError>> {
        crate::future::await_point(Recv {
            receiver: self,
            waiting: false,
        })
    }

    /// Receives the next value if there is one: [`TryRecvError::Empty`] if not yet, else as
    /// [`recv`](Receiver::recv).
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let taken = self.shared.state().take(&mut self.next);
        taken.map(|(value, _seen_by_all)| value)
    }

    /// Receives from synchronous code, blocking the calling thread until a value comes.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        crate::future::block_on(self.recv())
    }

    /// A new receiver of the same channel, which receives the values sent after this call
    /// (not those this one has yet to receive).
    pub fn resubscribe(&self) -> Receiver<T> {
        self.shared.state().subscribe(&self.shared)
    }
}

impl<T> Receiver<T> {
    /// The number of values sent that this receiver has not received yet, overwritten ones
    /// included: above the capacity, the next receive is `Lagged`.
    pub fn len(&self) -> usize {
        (self.shared.state().tail - self.next) as usize
    }

    /// Whether this receiver has received every value sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `other` receives from the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Whether every sender is gone (values may still be left to receive).
    pub fn is_closed(&self) -> bool {
        self.shared.state().senders == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let unseen = {
            let mut state = self.shared.state();
            state.receivers -= 1;
            state.waiting.retain(|(id, _)| *id != self.id);
            state.leave(self.next)
        };
        drop(unseen);
    }
}

/// The future of [`Receiver::recv`]: checks for a value and registers its waker under one
/// lock, so no send falls in between; dropped while waiting, it takes its waker back.
struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    waiting: bool,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let receiver = &mut *this.receiver;
        let mut state = receiver.shared.state();
        let mut seen_by_all = None;
        let received = match state.take(&mut receiver.next) {
            Ok((value, last)) => {
                seen_by_all = last;
                Ok(value)
            }
            Err(TryRecvError::Lagged(missed)) => Err(RecvError::Lagged(missed)),
            Err(TryRecvError::Closed) => Err(RecvError::Closed),
            Err(TryRecvError::Empty) => {
                let id = receiver.id;
                match state.waiting.iter_mut().find(|(of, _)| *of == id) {
                    Some((_, waker)) if waker.will_wake(cx.waker()) => {}
                    Some((_, waker)) => *waker = cx.waker().clone(),
                    None => state.waiting.push((id, cx.waker().clone())),
                }
                this.waiting = true;
                return Poll::Pending;
            }
        };
        if this.waiting {
            state.waiting.retain(|(of, _)| *of != receiver.id);
            this.waiting = false;
        }
        drop(state);
        drop(seen_by_all);
        Poll::Ready(received)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if self.waiting {
            let id = self.receiver.id;
            self.receiver
                .shared
                .state()
                .waiting
                .retain(|(of, _)| *of != id);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .finish_non_exhaustive()
    }
}
