//! Tokio's `Notify`: a task waits for a notification; `notify_one` wakes one waiter or, with
//! nobody waiting, stores one permit for the next; `notify_waiters` wakes every waiter that
//! exists when it is called and stores nothing.
//!
//! A [`Notified`] future joins the queue when it is first polled or [`enabled`]
//! (`Notified::enable`). It also counts `notify_waiters` calls: one made after the future was
//! created wakes it even if it had not joined the queue yet, as tokio documents.
//! [`OwnedNotified`] (of [`Notify::notified_owned`]) is the same future holding an `Arc`.
//!
//! [`enabled`]: Notified::enable

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use super::waiters::{Ticket, WaitQueue, Wakeups};
use crate::sync::{Mutex, MutexGuard};

/// Notifies tasks waiting for an event, as `tokio::sync::Notify`.
pub struct Notify {
    state: Mutex<State>,
}

struct State {
    /// Stored by a `notify_one` that found nobody waiting; at most one.
    permit: bool,
    /// How many times `notify_waiters` was called.
    waiters_calls: u64,
    /// Queued `Notified` futures, with the notification each received (if any) and has not
    /// observed yet.
    waiters: WaitQueue<Option<Notification>>,
}

/// Which call notified a waiter: a dropped waiter passes a `One` or `Last` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notification {
    One,
    Last,
    All,
}

impl Notify {
    /// Creates a `Notify` with no permit stored.
    #[track_caller]
    pub fn new() -> Notify {
        Self::const_new()
    }

    /// As [`new`](Self::new), usable in a `static`.
    #[track_caller]
    pub const fn const_new() -> Notify {
        Notify {
            state: Mutex::new(State {
                permit: false,
                waiters_calls: 0,
                waiters: WaitQueue::new(),
            }),
        }
    }

    #[track_caller]
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A future that completes when this `Notify` notifies it. It waits for `notify_one` and
    /// `notify_last` once polled or enabled; for `notify_waiters` from now on.
    #[track_caller]
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            waiter: Waiter::new(self),
        }
    }

    /// As [`notified`](Self::notified), for a future that owns an `Arc` of this `Notify` (one
    /// to move into a task or keep in a struct). The same semantics: it counts the
    /// `notify_waiters` calls made after this call, and takes a stored permit when first polled.
    #[track_caller]
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        let waiter = Waiter::new(&self);
        OwnedNotified {
            notify: self,
            waiter,
        }
    }

    /// Wakes the first waiter (the one queued longest); with nobody waiting, stores a permit
    /// that the next `notified()` consumes at once. At most one permit is stored.
    #[track_caller]
    pub fn notify_one(&self) {
        self.notify(Notification::One);
    }

    /// As [`notify_one`](Self::notify_one), but wakes the waiter queued last.
    #[track_caller]
    pub fn notify_last(&self) {
        self.notify(Notification::Last);
    }

    /// Wakes every waiter queued now, and every `Notified` created before this call even if
    /// not yet polled. Stores no permit.
    #[track_caller]
    pub fn notify_waiters(&self) {
        let mut wakeups = Wakeups::default();
        {
            let mut state = self.state();
            state.waiters_calls += 1;
            for entry in state.waiters.iter_mut() {
                if entry.data.is_none() {
                    entry.data = Some(Notification::All);
                    wakeups.push(entry.take_waker());
                }
            }
        }
        wakeups.wake_all();
    }

    #[track_caller]
    fn notify(&self, notification: Notification) {
        let wakeups = self.state().notify(notification);
        wakeups.wake_all();
    }
}

impl State {
    /// Notifies the first (`One`) or last (`Last`) waiter not yet notified, or stores the permit.
    fn notify(&mut self, notification: Notification) -> Wakeups {
        let mut wakeups = Wakeups::default();
        let mut waiting = self.waiters.iter_mut().filter(|entry| entry.data.is_none());
        let chosen = match notification {
            Notification::Last => waiting.next_back(),
            _ => waiting.next(),
        };
        match chosen {
            Some(entry) => {
                entry.data = Some(notification);
                wakeups.push(entry.take_waker());
            }
            None => self.permit = true,
        }
        wakeups
    }
}

/// The future of [`Notify::notified`] (`tokio::sync::futures::Notified`).
#[must_use = "futures do nothing unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    waiter: Waiter,
}

/// The future of [`Notify::notified_owned`] (`tokio::sync::futures::OwnedNotified`): a
/// [`Notified`] that owns its `Arc<Notify>`, so it can outlive the borrow (be moved into a
/// task, kept in a struct).
#[must_use = "futures do nothing unless awaited"]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    waiter: Waiter,
}

/// What a [`Notified`] and an [`OwnedNotified`] keep, whichever way they hold their `Notify`.
struct Waiter {
    /// `notify_waiters` calls when this was created: a later one notifies it.
    waiters_calls: u64,
    stage: Stage,
    /// Where it was made: where a task waits while it is pending.
    site: &'static std::panic::Location<'static>,
}

enum Stage {
    /// Not polled nor enabled yet.
    Init,
    /// In the queue.
    Waiting(Ticket),
    /// Notified, and has seen it.
    Done,
}

impl Waiter {
    #[track_caller]
    fn new(notify: &Notify) -> Waiter {
        Waiter {
            waiters_calls: notify.state().waiters_calls,
            stage: Stage::Init,
            site: std::panic::Location::caller(),
        }
    }

    /// The poll: `Init` consumes a stored permit, or sees a `notify_waiters` since creation,
    /// or joins the queue; `Waiting` looks for its notification. State and registration are
    /// read and written under one lock, so no notification falls between them.
    fn poll_notified(&mut self, notify: &Notify, waker: Option<&Waker>) -> bool {
        let mut state = notify.state();
        match self.stage {
            Stage::Done => true,
            Stage::Init => {
                if std::mem::take(&mut state.permit) || state.waiters_calls != self.waiters_calls {
                    self.stage = Stage::Done;
                    return true;
                }
                self.stage = Stage::Waiting(state.waiters.push(None, waker));
                false
            }
            Stage::Waiting(ticket) => {
                let entry = state.waiters.get_mut(ticket);
                if entry.data.is_some() {
                    state.waiters.remove(ticket);
                    self.stage = Stage::Done;
                    return true;
                }
                if let Some(waker) = waker {
                    entry.set_waker(waker);
                }
                false
            }
        }
    }

    fn poll(&mut self, notify: &Notify, cx: &Context<'_>) -> Poll<()> {
        if self.poll_notified(notify, Some(cx.waker())) {
            Poll::Ready(())
        } else {
            crate::future::waiting_at(self.site);
            Poll::Pending
        }
    }

    /// The future's drop: leaves the queue, passing on a notification it was chosen for but
    /// never saw, as tokio's.
    fn leave(&mut self, notify: &Notify) {
        let Stage::Waiting(ticket) = self.stage else {
            return;
        };
        let wakeups = {
            let mut state = notify.state();
            match state.waiters.remove(ticket) {
                Some(passed @ (Notification::One | Notification::Last)) => state.notify(passed),
                _ => Wakeups::default(),
            }
        };
        wakeups.wake_all();
    }
}

impl Notified<'_> {
    /// Joins the queue without polling (no waker registered), so that a `notify_one` from now
    /// on picks this future rather than storing a permit. Returns whether it is already
    /// notified; if so every later poll returns `Ready`.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.waiter.poll_notified(this.notify, None)
    }
}

impl OwnedNotified {
    /// As [`Notified::enable`].
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.waiter.poll_notified(&this.notify, None)
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(this.notify, cx)
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(&this.notify, cx)
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        self.waiter.leave(self.notify);
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        self.waiter.leave(&self.notify);
    }
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").finish_non_exhaustive()
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified").finish_non_exhaustive()
    }
}
