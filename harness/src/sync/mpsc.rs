//! Channels, as [`std::sync::mpsc`]: many senders, one receiver.
//!
//! `channel` is unbounded (`named_channel` gives it a name for traces); `sync_channel(n)`
//! holds at most `n` messages and `sync_channel(0)` is a rendezvous, where `send` returns once
//! the message is received. Every engine supports both. A message carries what its sender did
//! to its receiver (race detection). Under the model engines `recv_timeout` may time out at
//! any point while it waits, and the engines explore both endings (the crate docs'
//! "Verdicts"); one that times out moves the execution's virtual clock to its deadline
//! ([`time`](crate::time)). The stress engine waits in real time.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};

use crate::rt::monitor::{Held, Monitor};
use crate::rt::race::{self, VectorClock};
use crate::rt::{self, BlockReason, Blocked, ObjKind, ObjRef, Op, Site};
use crate::time::Instant;

/// Conditions of a channel's monitor.
const RECEIVER: usize = 0;
const SENDERS: usize = 1;

struct Channel<T> {
    obj: ObjRef,
    bound: Option<usize>,
    monitor: Monitor<Queue<T>>,
}

struct Queue<T> {
    /// Each message with its number and the clock its sender released (race detection).
    messages: VecDeque<(u64, T, Option<VectorClock>)>,
    /// Number the next message sent gets; trace events name messages by number.
    next: u64,
    /// Messages received so far (a rendezvous sender waits for its own).
    received: u64,
    senders: usize,
    receiver: bool,
    /// The receiver is blocked in `recv` (or `recv_timeout`) now: a rendezvous `try_send` can
    /// hand it a message, as std's does.
    receiving: bool,
}

/// Creates an unbounded channel.
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let channel = Channel::new(None, None, Location::caller());
    (Sender(Arc::clone(&channel)), Receiver(channel))
}

/// Creates an unbounded channel that traces call `name`.
#[track_caller]
pub fn named_channel<T>(name: impl Into<Cow<'static, str>>) -> (Sender<T>, Receiver<T>) {
    let channel = Channel::new(Some(name.into()), None, Location::caller());
    (Sender(Arc::clone(&channel)), Receiver(channel))
}

/// Creates a channel holding at most `bound` messages; with 0, `send` waits for `recv`.
#[track_caller]
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let channel = Channel::new(None, Some(bound), Location::caller());
    (SyncSender(Arc::clone(&channel)), Receiver(channel))
}

/// Creates a bounded channel that traces call `name`.
#[track_caller]
pub fn named_sync_channel<T>(
    name: impl Into<Cow<'static, str>>,
    bound: usize,
) -> (SyncSender<T>, Receiver<T>) {
    let channel = Channel::new(Some(name.into()), Some(bound), Location::caller());
    (SyncSender(Arc::clone(&channel)), Receiver(channel))
}

impl<T> Channel<T> {
    fn new(name: Option<Cow<'static, str>>, bound: Option<usize>, site: Site) -> Arc<Channel<T>> {
        let queue = Queue {
            messages: VecDeque::new(),
            next: 0,
            received: 0,
            senders: 1,
            receiver: true,
            receiving: false,
        };
        let (obj, monitor) = rt::create(ObjKind::Channel, name, site, |b| Monitor::new(b, queue));
        Arc::new(Channel {
            obj,
            bound,
            monitor,
        })
    }

    fn has_room(&self, queue: &Queue<T>) -> bool {
        match self.bound {
            None => true,
            // A rendezvous takes one message at a time: the next waits for it to be received.
            Some(0) => queue.messages.is_empty(),
            Some(bound) => queue.messages.len() < bound,
        }
    }

    fn send(&self, message: T, site: Site) -> Result<(), SendError<T>> {
        let blocked = Blocked::new(BlockReason::Send, self.obj.id);
        rt::blocking(
            self.obj,
            site,
            blocked,
            || {
                self.monitor.with(|held| {
                    while held.state().receiver && !self.has_room(held.state()) {
                        held.wait(SENDERS);
                    }
                    self.push(held, message)
                })
            },
            |sent| {
                sent.as_ref()
                    .map_or(Op::SendFailed, |&msg| Op::Send { msg })
            },
        )
        .map(drop)
    }

    fn try_send(&self, message: T, site: Site) -> Result<(), TrySendError<T>> {
        let mut full = false;
        rt::op(
            self.obj,
            site,
            || {
                self.monitor.with(|held| {
                    let queue = held.state();
                    // A rendezvous has room only for a receiver waiting now, which takes the
                    // message: the sender does not wait for it.
                    let room = match self.bound {
                        Some(0) => queue.receiving && queue.messages.is_empty(),
                        _ => self.has_room(queue),
                    };
                    if queue.receiver && !room {
                        full = true;
                        return Err(SendError(message));
                    }
                    self.enqueue(held, message)
                })
            },
            |sent| {
                sent.as_ref()
                    .map_or(Op::SendFailed, |&msg| Op::Send { msg })
            },
        )
        .map(drop)
        .map_err(|SendError(message)| {
            if full {
                TrySendError::Full(message)
            } else {
                TrySendError::Disconnected(message)
            }
        })
    }

    /// Queues `message` (the lock held, room made) and, for a rendezvous, waits until it is
    /// received. Returns the message's number.
    fn push(&self, held: &mut Held<'_, Queue<T>>, message: T) -> Result<u64, SendError<T>> {
        let number = self.enqueue(held, message)?;
        if self.bound == Some(0) {
            while held.state().received <= number {
                if !held.state().receiver {
                    let queue = held.state();
                    let i = queue.messages.iter().position(|(n, ..)| *n == number);
                    if let Some((_, message, _)) = i.and_then(|i| queue.messages.remove(i)) {
                        return Err(SendError(message));
                    }
                    break;
                }
                held.wait(SENDERS);
            }
        }
        Ok(number)
    }

    /// Queues `message` (the lock held, room made) and wakes the receiver; returns the
    /// message's number.
    fn enqueue(&self, held: &mut Held<'_, Queue<T>>, message: T) -> Result<u64, SendError<T>> {
        let queue = held.state();
        if !queue.receiver {
            return Err(SendError(message));
        }
        let number = queue.next;
        queue.next += 1;
        queue.messages.push_back((number, message, race::send()));
        held.notify_one(RECEIVER);
        Ok(number)
    }

    fn recv(&self, deadline: Option<Instant>, site: Site) -> Result<T, RecvTimeoutError> {
        let blocked = Blocked::new(BlockReason::Recv, self.obj.id);
        let received = rt::blocking(
            self.obj,
            site,
            blocked,
            || {
                self.monitor.with(|held| {
                    loop {
                        if let Some(message) = self.pop(held) {
                            return Ok(message);
                        }
                        if held.state().senders == 0 {
                            return Err(RecvTimeoutError::Disconnected);
                        }
                        held.state().receiving = true;
                        let timed_out = match deadline {
                            None => {
                                held.wait(RECEIVER);
                                false
                            }
                            Some(deadline) => {
                                let left = deadline.saturating_duration_since(Instant::now());
                                let start = rt::virtual_now();
                                let timed_out = held.wait_timeout(RECEIVER, left);
                                if let (true, Some(start)) = (timed_out, start) {
                                    rt::advance_to(start, left);
                                }
                                timed_out
                            }
                        };
                        held.state().receiving = false;
                        if timed_out {
                            return self.pop(held).ok_or(RecvTimeoutError::Timeout);
                        }
                    }
                })
            },
            |received| match received {
                Ok((msg, _)) => Op::Recv { msg: *msg },
                Err(RecvTimeoutError::Disconnected) => Op::RecvDisconnected,
                Err(RecvTimeoutError::Timeout) => Op::RecvTimedOut,
            },
        );
        received.map(|(_, message)| message)
    }

    fn try_recv(&self, site: Site) -> Result<T, TryRecvError> {
        let received = rt::op(
            self.obj,
            site,
            || {
                self.monitor.with(|held| match self.pop(held) {
                    Some(message) => Ok(message),
                    None if held.state().senders == 0 => Err(TryRecvError::Disconnected),
                    None => Err(TryRecvError::Empty),
                })
            },
            |received| match received {
                Ok((msg, _)) => Op::Recv { msg: *msg },
                Err(TryRecvError::Disconnected) => Op::RecvDisconnected,
                Err(TryRecvError::Empty) => Op::RecvEmpty,
            },
        );
        received.map(|(_, message)| message)
    }

    fn pop(&self, held: &mut Held<'_, Queue<T>>) -> Option<(u64, T)> {
        let queue = held.state();
        let (number, message, clock) = queue.messages.pop_front()?;
        race::receive(clock.as_ref());
        let message = (number, message);
        queue.received += 1;
        held.notify_all(SENDERS);
        Some(message)
    }

    fn add_sender(&self) {
        self.monitor.with(|held| held.state().senders += 1);
    }

    fn drop_sender(&self) {
        // A failed execution is over: its bookkeeping no longer matters (see `rt::teardown`).
        if rt::teardown() {
            return;
        }
        self.monitor.with(|held| {
            held.state().senders -= 1;
            if held.state().senders == 0 {
                held.notify_all(RECEIVER);
            }
        });
    }
}

/// The sending half of a [`channel`].
pub struct Sender<T>(Arc<Channel<T>>);

impl<T> Sender<T> {
    /// Sends `message`; `Err` gives it back if the receiver is gone.
    #[track_caller]
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        self.0.send(message, Location::caller())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.0.add_sender();
        Sender(Arc::clone(&self.0))
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.0.drop_sender();
    }
}

/// The sending half of a [`sync_channel`].
pub struct SyncSender<T>(Arc<Channel<T>>);

impl<T> SyncSender<T> {
    /// Sends `message`, waiting for room (for a rendezvous, until it is received).
    #[track_caller]
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        self.0.send(message, Location::caller())
    }

    /// Sends `message` if there is room now; on a rendezvous (`sync_channel(0)`), only if the
    /// receiver waits in `recv` now and takes it, as std's.
    #[track_caller]
    pub fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        self.0.try_send(message, Location::caller())
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
        self.0.add_sender();
        SyncSender(Arc::clone(&self.0))
    }
}

impl<T> Drop for SyncSender<T> {
    fn drop(&mut self) {
        self.0.drop_sender();
    }
}

/// The receiving half of a channel.
pub struct Receiver<T>(Arc<Channel<T>>);

impl<T> Receiver<T> {
    /// Waits for a message; `Err` once every sender is gone and the channel is empty.
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.0.recv(None, Location::caller()).map_err(|_| RecvError)
    }

    /// Takes a message if one is waiting.
    #[track_caller]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.0.try_recv(Location::caller())
    }

    /// Waits for a message for at most `timeout` (a timeout past what the clock can hold
    /// waits without one, as in std).
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        let deadline = Instant::now().checked_add(timeout);
        self.0.recv(deadline, Location::caller())
    }

    /// Messages until every sender is gone.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter(self)
    }

    /// Messages waiting now.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter(self)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if rt::teardown() {
            return;
        }
        self.0.monitor.with(|held| {
            held.state().receiver = false;
            held.notify_all(SENDERS);
        });
    }
}

/// Iterator of [`Receiver::iter`].
#[derive(Debug)]
pub struct Iter<'a, T>(&'a Receiver<T>);

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.0.recv().ok()
    }
}

/// Iterator of [`Receiver::try_iter`].
#[derive(Debug)]
pub struct TryIter<'a, T>(&'a Receiver<T>);

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.0.try_recv().ok()
    }
}

/// Iterator of a consumed [`Receiver`].
#[derive(Debug)]
pub struct IntoIter<T>(Receiver<T>);

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.0.recv().ok()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter(self)
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

macro_rules! opaque_debug {
    ($($name:ident),*) => {$(
        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}

opaque_debug!(Sender, SyncSender, Receiver);
