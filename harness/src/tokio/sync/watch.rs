//! A single-producer, multi-consumer channel that keeps only the latest value
//! (`tokio::sync::watch`).
//!
//! Each receiver remembers the version it last saw: a new receiver sees the current value as
//! seen, and [`Receiver::changed`] returns once a newer one is sent (or at once if one was
//! sent since the last look).
//!
//! The value sits in a facade [`RwLock`], and a [`Ref`] holds its read lock, as tokio's does:
//! a long-lived borrow makes the sender's next send wait, and a borrow held across a send in
//! the same thread deadlocks (every engine finds that). The versions, counts and wakers sit in
//! a facade [`Mutex`], taken after the value's lock when both are needed.

use std::fmt;
use std::future::poll_fn;
use std::ops::Deref;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard};

pub mod error;

use error::{RecvError, SendError};

/// Creates a watch channel holding `init`, which the receiver sees as already seen.
#[track_caller]
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let sender = Sender::new(init);
    let receiver = sender.subscribe();
    (sender, receiver)
}

/// The sending half: replaces the value and notifies the receivers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half: reads the latest value and waits for newer ones. Clones share nothing
/// but the channel; each remembers what it saw.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Names this receiver's waker among the others.
    id: u64,
    /// The version last marked seen; 0, below every version, after `mark_changed`.
    seen: u64,
}

/// A borrow of the value: holds the channel's read lock until dropped.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

struct Shared<T> {
    value: RwLock<T>,
    meta: Mutex<Meta>,
}

struct Meta {
    /// Bumped by every send; the first value is version 1.
    version: u64,
    sender_alive: bool,
    receivers: usize,
    next_receiver: u64,
    /// Receivers waiting in `changed`, by id.
    changed_wakers: Vec<(u64, Waker)>,
    /// Tasks awaiting [`Sender::closed`].
    closed_wakers: Vec<Waker>,
}

fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

impl<T> Shared<T> {
    #[track_caller]
    fn meta(&self) -> MutexGuard<'_, Meta> {
        self.meta.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The read lock (a panic in a `send_modify` closure does not poison the channel).
    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the value with the version it has.
    fn read_versioned(&self) -> (RwLockReadGuard<'_, T>, u64) {
        let guard = self.read();
        let version = self.meta().version;
        (guard, version)
    }
}

impl<T> Sender<T> {
    /// Creates a sender holding `init`, with no receiver yet ([`subscribe`](Sender::subscribe)
    /// makes them).
    #[track_caller]
    pub fn new(init: T) -> Sender<T> {
        Sender {
            shared: Arc::new(Shared {
                value: RwLock::new(init),
                meta: Mutex::new(Meta {
                    version: 1,
                    sender_alive: true,
                    receivers: 0,
                    next_receiver: 0,
                    changed_wakers: Vec::new(),
                    closed_wakers: Vec::new(),
                }),
            }),
        }
    }

    /// Replaces the value and notifies the receivers; returns it back as `Err`, storing
    /// nothing, if no receiver is left.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.meta().receivers == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value and notifies the receivers, even if there are none; returns the old
    /// value.
    #[track_caller]
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|old| std::mem::swap(old, &mut value));
        value
    }

    /// Modifies the value in place and notifies the receivers, even if there are none.
    #[track_caller]
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Modifies the value in place; notifies the receivers only if `modify` returns `true`
    /// (which it returns). If `modify` panics, nothing is notified.
    #[track_caller]
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let wakers = {
            let mut value = self
                .shared
                .value
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if !modify(&mut value) {
                return false;
            }
            // Bumped while the value is locked: a reader sees a value with its own version.
            let mut meta = self.shared.meta();
            meta.version += 1;
            std::mem::take(&mut meta.changed_wakers)
        };
        wake_all(wakers.into_iter().map(|(_, waker)| waker));
        true
    }

    /// Borrows the current value (holding the read lock); its
    /// [`has_changed`](Ref::has_changed) is `false`.
    #[track_caller]
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// A new receiver, which sees the current value as seen.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut meta = self.shared.meta();
        let version = meta.version;
        new_receiver(&self.shared, &mut meta, version)
    }

    /// The number of receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.meta().receivers
    }

    /// Whether no receiver is left.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until no receiver is left.
    #[track_caller]
    pub fn closed(&self) -> impl std::future::Future<Output = ()> {
        crate::future::await_point(async move {
            poll_fn(|cx| {
                let mut meta = self.shared.meta();
                if meta.receivers == 0 {
                    return Poll::Ready(());
                }
                if !meta.closed_wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    meta.closed_wakers.push(cx.waker().clone());
                }
                Poll::Pending
            })
            .await;
        })
    }
}

/// Registers a receiver that last saw `seen` (under the lock of `meta`).
fn new_receiver<T>(shared: &Arc<Shared<T>>, meta: &mut Meta, seen: u64) -> Receiver<T> {
    meta.receivers += 1;
    let id = meta.next_receiver;
    meta.next_receiver += 1;
    Receiver {
        shared: shared.clone(),
        id,
        seen,
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let wakers = {
            let mut meta = self.shared.meta();
            meta.sender_alive = false;
            std::mem::take(&mut meta.changed_wakers)
        };
        wake_all(wakers.into_iter().map(|(_, waker)| waker));
    }
}

/// `changed`'s poll, on the receiver's parts (so that `wait_for` can return a borrow of
/// `shared` while it waits on `seen`).
fn poll_changed<T>(
    shared: &Shared<T>,
    id: u64,
    seen: &mut u64,
    cx: &Context<'_>,
) -> Poll<Result<(), RecvError>> {
    let mut meta = shared.meta();
    if meta.version != *seen {
        *seen = meta.version;
        return Poll::Ready(Ok(()));
    }
    if !meta.sender_alive {
        return Poll::Ready(Err(RecvError(())));
    }
    // Checked and registered under one lock: the sender's next bump takes this waker.
    match meta.changed_wakers.iter_mut().find(|(of, _)| *of == id) {
        Some((_, waker)) if waker.will_wake(cx.waker()) => {}
        Some((_, waker)) => *waker = cx.waker().clone(),
        None => meta.changed_wakers.push((id, cx.waker().clone())),
    }
    Poll::Pending
}

impl<T> Receiver<T> {
    /// Borrows the latest value (holding the read lock) without marking it seen.
    #[track_caller]
    pub fn borrow(&self) -> Ref<'_, T> {
        let (guard, version) = self.shared.read_versioned();
        Ref {
            guard,
            has_changed: version != self.seen,
        }
    }

    /// Borrows the latest value (holding the read lock) and marks it seen.
    #[track_caller]
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let (guard, version) = self.shared.read_versioned();
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether a value newer than the last seen one was sent; [`RecvError`] once the sender
    /// is dropped.
    #[track_caller]
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let meta = self.shared.meta();
        if !meta.sender_alive {
            return Err(RecvError(()));
        }
        Ok(meta.version != self.seen)
    }

    /// Makes the next [`changed`](Receiver::changed) return at once.
    pub fn mark_changed(&mut self) {
        self.seen = 0;
    }

    /// Marks the latest value seen.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.meta().version;
    }

    /// Waits for a value newer than the last seen one and marks it seen: at once if one was
    /// sent since; [`RecvError`] if the sender is dropped and there is none.
    #[track_caller]
    pub fn changed(&mut self) -> impl std::future::Future<Output = Result<(), RecvError>> {
        crate::future::await_point(async move {
            let Receiver { shared, id, seen } = self;
            poll_fn(|cx| poll_changed(shared, *id, seen, cx)).await
        })
    }

    /// Waits until the value satisfies `predicate` (the current one is tried first, seen or
    /// not) and returns a borrow of it, marked seen; [`RecvError`] if the sender is dropped
    /// and the last value did not satisfy it.
    #[track_caller]
    pub fn wait_for(
        &mut self,
        mut predicate: impl FnMut(&T) -> bool,
    ) -> impl std::future::Future<Output = Result<Ref<'_, T>, RecvError>> {
        crate::future::await_point(async move {
            let Receiver { shared, id, seen } = self;
            let shared: &Shared<T> = shared;
            loop {
                let (guard, version) = shared.read_versioned();
                let has_changed = version != *seen;
                *seen = version;
                if predicate(&guard) {
                    return Ok(Ref { guard, has_changed });
                }
                drop(guard);
                poll_fn(|cx| poll_changed(shared, *id, seen, cx)).await?;
            }
        })
    }

    /// Whether `other` receives from the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    /// A receiver that has seen what this one has.
    fn clone(&self) -> Receiver<T> {
        new_receiver(&self.shared, &mut self.shared.meta(), self.seen)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let wakers = {
            let mut meta = self.shared.meta();
            meta.receivers -= 1;
            meta.changed_wakers.retain(|(of, _)| *of != self.id);
            if meta.receivers > 0 {
                return;
            }
            std::mem::take(&mut meta.closed_wakers)
        };
        wake_all(wakers);
    }
}

impl<T> Ref<'_, T> {
    /// Whether the borrowed value was new to the receiver when borrowed (always `false` for
    /// the sender's borrow).
    #[track_caller]
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}
