//! A one-shot channel (`tokio::sync::oneshot`): one value, sent once, from one [`Sender`] to
//! one [`Receiver`], which is a future of it.
//!
//! The state lives behind a facade [`Mutex`], so under an exploration
//! each send, poll and drop is an explored operation; a waiting side is woken with its
//! [`Waker`], which the engines see too.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use super::waker_slot::register;
use crate::sync::{Mutex, MutexGuard};

/// The errors of a one-shot channel.
pub mod error {
    use std::fmt;

    /// What awaiting a [`Receiver`](super::Receiver) gives when its sender was dropped
    /// without sending.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) gave no value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value yet, and the sender may still send one.
        Empty,
        /// The sender was dropped without sending, or the value was already taken.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

/// Creates a one-shot channel.
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            value: None,
            sender_gone: false,
            receiver_closed: false,
            receiver_waker: None,
            closed_waker: None,
        }),
    });
    (
        Sender {
            shared: Some(shared.clone()),
        },
        Receiver {
            shared: Some(shared),
        },
    )
}

/// The sending half: [`send`](Sender::send) consumes it. Dropping it unsent makes the
/// receiver's await return [`RecvError`].
pub struct Sender<T> {
    /// `None` once the value was sent.
    shared: Option<Arc<Shared<T>>>,
}

/// The receiving half, a future of the value: `Ok(value)`, or [`RecvError`] if the sender was
/// dropped without sending. Polling it again after it returned panics, as tokio's does.
pub struct Receiver<T> {
    /// `None` once the value (or the error) was returned.
    shared: Option<Arc<Shared<T>>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// Sent, not yet received.
    value: Option<T>,
    /// The sender sent or was dropped: no value will come after `value`.
    sender_gone: bool,
    /// The receiver was dropped or [`Receiver::close`]d: a send fails.
    receiver_closed: bool,
    /// The task awaiting the receiver, woken by a send or the sender's drop.
    receiver_waker: Option<Waker>,
    /// The task awaiting [`Sender::closed`], woken when the receiver closes.
    closed_waker: Option<Waker>,
}

impl<T> Shared<T> {
    #[track_caller]
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing user-written runs under this lock, so a poison is a panic elsewhere.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Sender<T> {
    /// Sends `value`; returns it back as `Err` if the receiver was dropped or closed.
    #[track_caller]
    pub fn send(mut self, value: T) -> Result<(), T> {
        let shared = self.shared.take().expect("a `Sender` sends once");
        let waker = {
            let mut state = shared.lock();
            if state.receiver_closed {
                state.sender_gone = true;
                return Err(value);
            }
            state.value = Some(value);
            state.sender_gone = true;
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver was dropped or [closed](Receiver::close): a send would fail.
    pub fn is_closed(&self) -> bool {
        self.shared().lock().receiver_closed
    }

    /// Waits until the receiver is dropped or [closed](Receiver::close).
    #[track_caller]
    pub fn closed(&mut self) -> impl std::future::Future<Output = ()> {
        crate::future::await_point(async move {
            poll_fn(|cx| self.poll_closed(cx)).await;
        })
    }

    /// Polls for the receiver's close: `Ready` once it is dropped or closed, else registers
    /// `cx`'s waker for it.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.shared().lock();
        if state.receiver_closed {
            return Poll::Ready(());
        }
        register(&mut state.closed_waker, cx);
        Poll::Pending
    }

    fn shared(&self) -> &Shared<T> {
        self.shared
            .as_ref()
            .expect("a `Sender` is used before it sends")
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let waker = {
            let mut state = shared.lock();
            state.sender_gone = true;
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent: [`TryRecvError::Empty`] if not yet,
    /// [`TryRecvError::Closed`] if the sender was dropped without sending or the value was
    /// already taken.
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(shared) = &self.shared else {
            return Err(TryRecvError::Closed);
        };
        let taken = {
            let mut state = shared.lock();
            match state.value.take() {
                Some(value) => Ok(value),
                None if state.sender_gone => Err(TryRecvError::Closed),
                None => return Err(TryRecvError::Empty),
            }
        };
        self.shared = None;
        taken
    }

    /// Refuses the value: later sends fail and [`Sender::closed`] returns. A value sent before
    /// the close can still be received.
    #[track_caller]
    pub fn close(&mut self) {
        if let Some(shared) = &self.shared {
            let waker = shared.lock().close();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Waits for the value on the calling thread (a task's thread is blocked meanwhile), as
    /// tokio's, for synchronous code.
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::future::block_on(self)
    }
}

impl<T> State<T> {
    /// Marks the receiver closed; returns the waker of the task awaiting [`Sender::closed`].
    fn close(&mut self) -> Option<Waker> {
        self.receiver_closed = true;
        self.closed_waker.take()
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let shared = self
            .shared
            .as_ref()
            .expect("a `oneshot::Receiver` polled after it returned");
        let output = {
            let mut state = shared.lock();
            match state.value.take() {
                Some(value) => Ok(value),
                None if state.sender_gone => Err(RecvError(())),
                None => {
                    // Checked and registered under one lock: a send after this sees the waker.
                    register(&mut state.receiver_waker, cx);
                    return Poll::Pending;
                }
            }
        };
        self.shared = None;
        Poll::Ready(output)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            // The value, if sent and not received, drops after the lock is released.
            let (waker, _value) = {
                let mut state = shared.lock();
                (state.close(), state.value.take())
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}
