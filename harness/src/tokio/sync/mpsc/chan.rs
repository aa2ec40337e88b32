//! The queue both channel kinds share: messages, the count of senders, the receiver's close,
//! and, for a bounded channel, its capacity as permits handed to senders in FIFO order.
//!
//! A bounded send first reserves a permit (one slot of capacity), then queues its message with
//! it; the receiver's `recv` frees the slot. A slot freed while senders wait is granted to the
//! first of them directly, so a sender arriving later cannot take it first; a waiter that gives
//! up (its future dropped) hands its grant on. Everything is behind one facade mutex, so every
//! engine explores each step, and every check and waker registration is atomic. The permits
//! and the line of waiting senders are in `permits`.

use std::collections::VecDeque;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

mod permits;

pub(super) use permits::NoPermit;
use permits::Waiter;

use super::error::TryRecvError;
use crate::sync::{Mutex, MutexGuard};
use crate::tokio::sync::waker_slot::register;

pub(super) struct Chan<T> {
    /// `None` for an unbounded channel.
    bound: Option<usize>,
    state: Mutex<State<T>>,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Slots reserved and not yet filled: held permits, and grants to waiting senders.
    reserved: usize,
    /// Live senders (weak ones are not counted).
    senders: usize,
    /// The receiver closed or was dropped: no new permit is given, no unbounded send queued.
    closed: bool,
    receiver_waker: Option<Waker>,
    /// Senders waiting for a slot, first come first served.
    waiters: VecDeque<Waiter>,
    next_waiter: u64,
    /// Tasks awaiting `closed()`.
    closed_wakers: Vec<Waker>,
}

/// Wakers collected under the lock, woken after it is released.
type Wakers = Vec<Waker>;

fn wake_all(wakers: Wakers) {
    for waker in wakers {
        waker.wake();
    }
}

impl<T> Chan<T> {
    #[track_caller]
    pub(super) fn new(bound: Option<usize>) -> Chan<T> {
        Chan {
            bound,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                reserved: 0,
                senders: 1,
                closed: false,
                receiver_waker: None,
                waiters: VecDeque::new(),
                next_waiter: 0,
                closed_wakers: Vec::new(),
            }),
        }
    }

    #[track_caller]
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing user-written runs under this lock, so a poison is a panic elsewhere.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn max_capacity(&self) -> usize {
        self.bound.unwrap_or(usize::MAX)
    }

    /// Slots neither filled nor reserved.
    fn available(&self, state: &State<T>) -> usize {
        match self.bound {
            Some(bound) => bound.saturating_sub(state.queue.len() + state.reserved),
            None => usize::MAX,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.available(&self.lock())
    }

    pub(super) fn len(&self) -> usize {
        self.lock().queue.len()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Queues `value` in a reserved slot (or, unbounded, with no slot) and wakes the receiver.
    #[track_caller]
    pub(super) fn push(&self, value: T, reserved: bool) {
        let waker = {
            let mut state = self.lock();
            if reserved {
                state.reserved -= 1;
            }
            state.queue.push_back(value);
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// An unbounded send: queues `value` unless the receiver closed.
    #[track_caller]
    pub(super) fn push_unbounded(&self, value: T) -> Result<(), T> {
        let waker = {
            let mut state = self.lock();
            if state.closed {
                return Err(value);
            }
            state.queue.push_back(value);
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver has seen the end: nothing queued, and nothing can be (no sender,
    /// or closed with no permit out).
    fn ended(state: &State<T>) -> bool {
        state.queue.is_empty() && (state.senders == 0 || (state.closed && state.reserved == 0))
    }

    /// Takes up to `limit` messages; an empty result means not yet, or (see [`Chan::ended`])
    /// never, told apart by the `bool`. Registers `cx`'s waker when there are none yet.
    fn take(&self, limit: usize, cx: Option<&Context<'_>>) -> (Vec<T>, bool) {
        let (taken, ended, wakers) = {
            let mut state = self.lock();
            let n = limit.min(state.queue.len());
            let taken: Vec<T> = state.queue.drain(..n).collect();
            let ended = taken.is_empty() && Self::ended(&state);
            if let Some(cx) = cx.filter(|_| taken.is_empty() && !ended) {
                register(&mut state.receiver_waker, cx);
            }
            (taken, ended, self.grant(&mut state))
        };
        wake_all(wakers);
        (taken, ended)
    }

    pub(super) fn poll_recv(&self, cx: &Context<'_>) -> Poll<Option<T>> {
        match self.take(1, Some(cx)) {
            (taken, _) if !taken.is_empty() => Poll::Ready(taken.into_iter().next()),
            (_, true) => Poll::Ready(None),
            (_, false) => Poll::Pending,
        }
    }

    pub(super) fn poll_recv_many(
        &self,
        cx: &Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        match self.take(limit, Some(cx)) {
            (taken, _) if !taken.is_empty() => {
                let n = taken.len();
                buffer.extend(taken);
                Poll::Ready(n)
            }
            (_, true) => Poll::Ready(0),
            (_, false) => Poll::Pending,
        }
    }

    #[track_caller]
    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.take(1, None) {
            (taken, _) if !taken.is_empty() => Ok(taken.into_iter().next().expect("one")),
            (_, true) => Err(TryRecvError::Disconnected),
            (_, false) => Err(TryRecvError::Empty),
        }
    }

    /// The receiver closes: waiting senders fail, `closed()` returns, queued messages stay.
    #[track_caller]
    pub(super) fn close(&self) {
        let wakers = {
            let mut state = self.lock();
            self.close_locked(&mut state)
        };
        wake_all(wakers);
    }

    fn close_locked(&self, state: &mut State<T>) -> Wakers {
        state.closed = true;
        let granted = state.waiters.iter().filter(|w| w.granted).count();
        state.reserved -= granted;
        let mut wakers: Wakers = state.waiters.drain(..).map(|w| w.waker).collect();
        wakers.append(&mut state.closed_wakers);
        wakers
    }

    /// The receiver is dropped: a close, and the queued messages are dropped (after the lock
    /// is released, as their drops are user code).
    pub(super) fn drop_receiver(&self) {
        let (wakers, _queue) = {
            let mut state = self.lock();
            let wakers = self.close_locked(&mut state);
            (wakers, std::mem::take(&mut state.queue))
        };
        wake_all(wakers);
    }

    pub(super) fn poll_closed(&self, cx: &Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        if state.closed {
            return Poll::Ready(());
        }
        if !state.closed_wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.closed_wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    pub(super) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    /// A weak sender's upgrade: a new sender if one is still alive.
    pub(super) fn upgrade(&self) -> bool {
        let mut state = self.lock();
        if state.senders == 0 {
            return false;
        }
        state.senders += 1;
        true
    }

    pub(super) fn sender_count(&self) -> usize {
        self.lock().senders
    }

    /// A sender is dropped; the last one wakes the receiver, which then sees the end.
    pub(super) fn drop_sender(&self) {
        let waker = {
            let mut state = self.lock();
            state.senders -= 1;
            if state.senders > 0 {
                return;
            }
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
