//! The queue both channel kinds share: messages, the count of senders, the receiver's close,
//! and, for a bounded channel, its capacity as permits handed to senders in FIFO order.
//!
//! A bounded send first reserves a permit (one slot of capacity), then queues its message with
//! it; the receiver's `recv` frees the slot. A slot freed while senders wait is granted to the
//! first of them directly, so a sender arriving later cannot take it first; a waiter that gives
//! up (its future dropped) hands its grant on. Everything is behind one facade mutex, so every
//! engine explores each step, and every check and waker registration is atomic.

use std::collections::VecDeque;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

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

struct Waiter {
    id: u64,
    waker: Waker,
    /// A slot was granted to it (counted in `reserved`); its next poll takes it.
    granted: bool,
}

/// Why no permit was given at once.
pub(super) enum NoPermit {
    Full,
    Closed,
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

    /// Grants free slots to the waiting senders in order; returns their wakers.
    fn grant(&self, state: &mut State<T>) -> Wakers {
        let mut wakers = Wakers::new();
        if state.closed {
            return wakers;
        }
        let mut free = self.available(state);
        for waiter in state.waiters.iter_mut().filter(|w| !w.granted) {
            if free == 0 {
                break;
            }
            free -= 1;
            waiter.granted = true;
            wakers.push(waiter.waker.clone());
        }
        state.reserved += wakers.len();
        wakers
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

    /// Reserves a slot if one is free and no sender waits for one.
    pub(super) fn try_reserve(&self) -> Result<(), NoPermit> {
        let mut state = self.lock();
        if state.closed {
            return Err(NoPermit::Closed);
        }
        // Free slots are granted to waiters as soon as they free, so a free slot means that
        // no sender waits.
        if self.available(&state) == 0 {
            return Err(NoPermit::Full);
        }
        state.reserved += 1;
        Ok(())
    }

    /// Polls a sender's wait for a slot; `waiter` is its place in the line once it waits.
    /// `Ready(Ok)` means a slot is reserved for it; `Ready(Err)` that the receiver closed.
    pub(super) fn poll_reserve(
        &self,
        waiter: &mut Option<u64>,
        cx: &Context<'_>,
    ) -> Poll<Result<(), ()>> {
        let mut state = self.lock();
        if state.closed {
            return Poll::Ready(Err(()));
        }
        let Some(id) = *waiter else {
            if state.waiters.is_empty() && self.available(&state) > 0 {
                state.reserved += 1;
                return Poll::Ready(Ok(()));
            }
            let id = state.next_waiter;
            state.next_waiter += 1;
            let waker = cx.waker().clone();
            state.waiters.push_back(Waiter {
                id,
                waker,
                granted: false,
            });
            *waiter = Some(id);
            return Poll::Pending;
        };
        let at = state
            .waiters
            .iter()
            .position(|w| w.id == id)
            .expect("a waiting sender keeps its place until it is served or closed");
        if state.waiters[at].granted {
            state.waiters.remove(at);
            *waiter = None;
            return Poll::Ready(Ok(()));
        }
        let mut slot = Some(state.waiters[at].waker.clone());
        register(&mut slot, cx);
        state.waiters[at].waker = slot.expect("just registered");
        Poll::Pending
    }

    /// A waiting sender gives up (its future dropped): it leaves the line, and a slot granted
    /// to it goes to the next one.
    pub(super) fn cancel_reserve(&self, id: u64) {
        let wakers = {
            let mut state = self.lock();
            let Some(at) = state.waiters.iter().position(|w| w.id == id) else {
                return;
            };
            let waiter = state.waiters.remove(at).expect("found above");
            if !waiter.granted {
                return;
            }
            state.reserved -= 1;
            self.grant(&mut state)
        };
        wake_all(wakers);
    }

    /// Queues `value` in a reserved slot (or, unbounded, with no slot) and wakes the receiver.
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

    /// A reserved slot is given back unfilled (a permit dropped).
    pub(super) fn release(&self) {
        let wakers = {
            let mut state = self.lock();
            state.reserved -= 1;
            let mut wakers = self.grant(&mut state);
            // After a close the receiver waits for the last permit before it ends.
            if state.closed && state.reserved == 0 {
                wakers.extend(state.receiver_waker.take());
            }
            wakers
        };
        wake_all(wakers);
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
            if taken.is_empty() && !ended {
                if let Some(cx) = cx {
                    register(&mut state.receiver_waker, cx);
                }
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

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.take(1, None) {
            (taken, _) if !taken.is_empty() => Ok(taken.into_iter().next().expect("one")),
            (_, true) => Err(TryRecvError::Disconnected),
            (_, false) => Err(TryRecvError::Empty),
        }
    }

    /// The receiver closes: waiting senders fail, `closed()` returns, queued messages stay.
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
