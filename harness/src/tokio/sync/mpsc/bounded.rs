//! The bounded channel's handles: [`Sender`], [`Receiver`], [`Permit`], [`WeakSender`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::chan::{Chan, NoPermit};
use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::tokio::time::{Duration, timeout_made_at};

/// Creates a channel holding at most `buffer` messages; a send waits for room. Panics if
/// `buffer` is 0, as tokio's does.
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let chan = Arc::new(Chan::new(Some(buffer)));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// A bounded channel's sending half; clone it for more senders. When every sender is
/// dropped, the receiver gets `None` after the queued messages.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// A bounded channel's receiving half. Dropping it closes the channel and drops the queued
/// messages.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

/// One reserved slot of a bounded channel: [`send`](Permit::send) fills it without waiting;
/// dropping the permit frees it.
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

/// A sender that does not keep the channel open; [`upgrade`](WeakSender::upgrade) it to send.
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// A sender's wait for a slot: it takes a place in the line at its first `Pending`, and gives
/// it up (with any slot already granted to it) when dropped.
struct Reserve<'a, T> {
    chan: &'a Chan<T>,
    waiter: Option<u64>,
}

impl<T> Future for Reserve<'_, T> {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.chan.poll_reserve(&mut this.waiter, cx)
    }
}

/// A send: a [`Reserve`] whose slot is filled with `value` as soon as it is granted, under
/// the same lock.
struct Sending<'a, T> {
    reserve: Reserve<'a, T>,
    /// `None` once sent or given back.
    value: Option<T>,
}

// The value is moved, never pinned.
impl<T> Unpin for Sending<'_, T> {}

impl<T> Future for Sending<'_, T> {
    type Output = Result<(), T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Sending { reserve, value } = &mut *self;
        reserve.chan.poll_send(&mut reserve.waiter, value, cx)
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.waiter {
            self.chan.cancel_reserve(id);
        }
    }
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room; senders waiting for room are served in the order they
    /// began to wait. Returns the value back as `Err` if the receiver closed or was dropped.
    /// Cancel-safe: dropping the future gives up its place in line and sends nothing.
    #[track_caller]
    pub fn send(&self, value: T) -> impl std::future::Future<Output = Result<(), SendError<T>>> {
        crate::future::await_point(async move {
            let sending = Sending {
                reserve: Reserve {
                    chan: &self.chan,
                    waiter: None,
                },
                value: Some(value),
            };
            sending.await.map_err(SendError)
        })
    }

    /// Sends `value`, waiting for room at most `timeout`: [`SendTimeoutError::Timeout`] if the
    /// channel stayed full that long, [`SendTimeoutError::Closed`] if the receiver closed or
    /// was dropped; either holds the value back. It waits in line as [`send`](Sender::send)
    /// does, and its time limit is a [`tokio::time::timeout`](crate::tokio::time::timeout)'s:
    /// under the model engines, the virtual clock's, which may run out at any point the send
    /// waits.
    #[track_caller]
    pub fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> impl std::future::Future<Output = Result<(), SendTimeoutError<T>>> {
        let site = std::panic::Location::caller();
        crate::future::await_point(async move {
            let mut sending = Sending {
                reserve: Reserve {
                    chan: &self.chan,
                    waiter: None,
                },
                value: Some(value),
            };
            // The send is polled first at every poll: a slot granted is taken, never lost to
            // the time limit.
            let result = timeout_made_at(site, timeout, &mut sending).await;
            match result {
                Ok(sent) => sent.map_err(SendTimeoutError::Closed),
                Err(_elapsed) => {
                    let value = sending
                        .value
                        .take()
                        .expect("a send that timed out sent nothing");
                    Err(SendTimeoutError::Timeout(value))
                }
            }
        })
    }

    /// Sends `value` if there is room now: [`TrySendError::Full`] if not,
    /// [`TrySendError::Closed`] if the receiver closed or was dropped.
    #[track_caller]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.try_reserve() {
            Ok(()) => {
                self.chan.push(value, true);
                Ok(())
            }
            Err(NoPermit::Full) => Err(TrySendError::Full(value)),
            Err(NoPermit::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Sends `value` from synchronous code, blocking the calling thread until there is room.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::future::block_on(self.send(value))
    }

    /// Waits for a slot and reserves it: the returned [`Permit`] sends without waiting.
    #[track_caller]
    pub fn reserve(
        &self,
    ) -> impl std::future::Future<Output = Result<Permit<'_, T>, SendError<()>>> {
        crate::future::await_point(async move {
            let reserve = Reserve {
                chan: &self.chan,
                waiter: None,
            };
            match reserve.await {
                Ok(()) => Ok(Permit { chan: &self.chan }),
                Err(()) => Err(SendError(())),
            }
        })
    }

    /// Reserves a slot if one is free now.
    #[track_caller]
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.try_reserve() {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(NoPermit::Full) => Err(TrySendError::Full(())),
            Err(NoPermit::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// As [`reserve`](Self::reserve), consuming the sender: the [`OwnedPermit`] holds it, and
    /// gives it back when it sends.
    #[track_caller]
    pub fn reserve_owned(
        self,
    ) -> impl std::future::Future<Output = Result<OwnedPermit<T>, SendError<()>>> {
        crate::future::await_point(async move {
            let reserve = Reserve {
                chan: &self.chan,
                waiter: None,
            };
            match reserve.await {
                Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
                Err(()) => Err(SendError(())),
            }
        })
    }

    /// As [`try_reserve`](Self::try_reserve), consuming the sender; the error gives it back.
    #[track_caller]
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.chan.try_reserve() {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(NoPermit::Full) => Err(TrySendError::Full(self)),
            Err(NoPermit::Closed) => Err(TrySendError::Closed(self)),
        }
    }

    /// Free slots now: the bound minus the messages queued and the slots reserved.
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The channel's bound, as given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.chan.max_capacity()
    }
}

senders!(Sender, WeakSender);

impl<T> Permit<'_, T> {
    /// Sends `value` in the reserved slot. If the receiver was dropped meanwhile, the value
    /// is dropped with the channel.
    #[track_caller]
    pub fn send(self, value: T) {
        let chan = self.chan;
        // The slot is filled, not freed: the permit's drop must not run.
        std::mem::forget(self);
        chan.push(value, true);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release();
    }
}

/// One reserved slot of a bounded channel, holding the sender that reserved it
/// (`Sender::reserve_owned`): [`send`](OwnedPermit::send) fills the slot and gives the sender
/// back; dropping the permit frees the slot and drops the sender.
pub struct OwnedPermit<T> {
    /// `None` once sent or released.
    sender: Option<Sender<T>>,
}

impl<T> OwnedPermit<T> {
    /// Sends `value` in the reserved slot, and gives the sender back. If the receiver was
    /// dropped meanwhile, the value is dropped with the channel.
    #[track_caller]
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.sender.take().expect("a permit sends once");
        sender.chan.push(value, true);
        sender
    }

    /// Frees the slot unused, and gives the sender back.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("a permit is released once");
        sender.chan.release();
        sender
    }

    /// Whether the two permits' senders send to the same channel.
    pub fn same_channel(&self, other: &OwnedPermit<T>) -> bool {
        match (&self.sender, &other.sender) {
            (Some(a), Some(b)) => Arc::ptr_eq(&a.chan, &b.chan),
            _ => false,
        }
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.chan.release();
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}

receivers!(Receiver);

impl<T> Receiver<T> {
    /// Free slots now, as [`Sender::capacity`].
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The channel's bound.
    pub fn max_capacity(&self) -> usize {
        self.chan.max_capacity()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_receiver();
    }
}

macro_rules! opaque_debug {
    ($($name:ident $(<$lt:lifetime>)?),*) => {$(
        impl<T> fmt::Debug for $name<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}

opaque_debug!(Sender, Receiver, WeakSender, Permit<'_>);
