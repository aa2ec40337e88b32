//! A bounded channel's capacity as permits: a slot is reserved before a message fills it,
//! and senders that find no free slot wait in line, each freed slot granted to the first of
//! them (so a sender arriving later cannot take it first).

use std::task::{Context, Poll, Waker};

use super::{Chan, State, Wakers, wake_all};
use crate::tokio::sync::waker_slot::register;

/// A sender waiting for a slot.
pub(super) struct Waiter {
    pub(super) id: u64,
    pub(super) waker: Waker,
    /// A slot was granted to it (counted in `reserved`); its next poll takes it.
    pub(super) granted: bool,
}

/// Why no permit was given at once.
pub(in super::super) enum NoPermit {
    Full,
    Closed,
}

impl<T> Chan<T> {
    /// Grants free slots to the waiting senders in order; returns their wakers.
    pub(super) fn grant(&self, state: &mut State<T>) -> Wakers {
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

    /// Reserves a slot if one is free and no sender waits for one.
    pub(in super::super) fn try_reserve(&self) -> Result<(), NoPermit> {
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
    pub(in super::super) fn poll_reserve(
        &self,
        waiter: &mut Option<u64>,
        cx: &Context<'_>,
    ) -> Poll<Result<(), ()>> {
        self.poll_reserve_locked(&mut self.lock(), waiter, cx)
    }

    /// A send's poll: waits for a slot as [`poll_reserve`](Chan::poll_reserve), and fills it
    /// with `value` under the same lock. `Ready(Err)` gives the value back.
    pub(in super::super) fn poll_send(
        &self,
        waiter: &mut Option<u64>,
        value: &mut Option<T>,
        cx: &Context<'_>,
    ) -> Poll<Result<(), T>> {
        let mut state = self.lock();
        match self.poll_reserve_locked(&mut state, waiter, cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(reserved) => {
                let value = value.take().expect("a send polled after it returned");
                if reserved.is_err() {
                    return Poll::Ready(Err(value));
                }
                state.reserved -= 1;
                state.queue.push_back(value);
                let waker = state.receiver_waker.take();
                drop(state);
                if let Some(waker) = waker {
                    waker.wake();
                }
                Poll::Ready(Ok(()))
            }
        }
    }

    fn poll_reserve_locked(
        &self,
        state: &mut State<T>,
        waiter: &mut Option<u64>,
        cx: &Context<'_>,
    ) -> Poll<Result<(), ()>> {
        if state.closed {
            return Poll::Ready(Err(()));
        }
        let Some(id) = *waiter else {
            if state.waiters.is_empty() && self.available(state) > 0 {
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
    pub(in super::super) fn cancel_reserve(&self, id: u64) {
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

    /// A reserved slot is given back unfilled (a permit dropped).
    pub(in super::super) fn release(&self) {
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
}
