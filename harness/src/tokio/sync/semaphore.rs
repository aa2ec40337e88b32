//! Tokio's fair (FIFO) counting semaphore, on which the async [`Mutex`](super::Mutex) and
//! [`RwLock`](super::RwLock) are built, as in tokio.
//!
//! The state (free permits, the closed flag, the queue of waiters) sits behind one facade lock,
//! so every acquire, release and poll is an operation the engines explore, and a waiter checks
//! the state and registers its waker in one critical section: no wakeup can fall in between.
//!
//! Fairness as tokio's: a queued waiter takes the free permits as they come (its *assigned*
//! permits) until it has all it asked for, and a later waiter gets none before it, even one
//! asking for fewer. So while anyone waits, no permit is free.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll};

use super::Site;
use super::waiters::{Ticket, WaitQueue, Wakeups};
use crate::future::locks;
use crate::sync::{Mutex, MutexGuard};

pub use super::permit::{OwnedSemaphorePermit, SemaphorePermit};
pub use super::semaphore_error::{AcquireError, TryAcquireError};

/// A counting semaphore whose waiters are served in the order they came, as
/// `tokio::sync::Semaphore`. Acquiring returns a permit that gives its permits back when dropped.
pub struct Semaphore {
    state: Mutex<State>,
}

struct State {
    /// Free permits; zero while anyone waits.
    permits: usize,
    closed: bool,
    waiters: WaitQueue<Want>,
}

/// What a queued acquire asked for and has been given so far; served when they are equal.
struct Want {
    needed: usize,
    assigned: usize,
}

impl Semaphore {
    /// The most permits a semaphore can hold (tokio's value).
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// Creates a semaphore with `permits` free permits. Panics above [`Self::MAX_PERMITS`].
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        Self::const_new(permits)
    }

    /// As [`new`](Self::new), usable in a `static`.
    #[track_caller]
    pub const fn const_new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits"
        );
        Semaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                waiters: WaitQueue::new(),
            }),
        }
    }

    #[track_caller]
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The permits free now (none while anyone waits).
    pub fn available_permits(&self) -> usize {
        self.state().permits
    }

    /// Adds `n` permits; they go to the waiters first, in order. Panics if the free permits
    /// would exceed [`Self::MAX_PERMITS`].
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.give(n);
    }

    /// Removes up to `n` free permits; returns how many it removed.
    pub fn forget_permits(&self, n: usize) -> usize {
        let mut state = self.state();
        let forgotten = n.min(state.permits);
        state.permits -= forgotten;
        forgotten
    }

    /// Waits for a permit. `Err` if the semaphore is closed (before or while waiting).
    #[track_caller]
    pub fn acquire(
        &self,
    ) -> impl std::future::Future<Output = Result<SemaphorePermit<'_>, AcquireError>> {
        crate::future::await_point(async move { self.acquire_many(1).await })
    }

    /// Waits for `n` permits, taken at once; later waiters wait behind this one.
    #[track_caller]
    pub fn acquire_many(
        &self,
        n: u32,
    ) -> impl std::future::Future<Output = Result<SemaphorePermit<'_>, AcquireError>> {
        crate::future::await_point(async move {
            self.acquire_raw(n as usize).await?;
            Ok(SemaphorePermit::new(self, n))
        })
    }

    /// Takes a permit if one is free.
    #[track_caller]
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if that many are free.
    #[track_caller]
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_raw(n as usize)?;
        Ok(SemaphorePermit::new(self, n))
    }

    /// As [`acquire`](Self::acquire), with a permit that owns a reference to the semaphore.
    #[track_caller]
    pub fn acquire_owned(
        self: std::sync::Arc<Self>,
    ) -> impl std::future::Future<Output = Result<OwnedSemaphorePermit, AcquireError>> {
        crate::future::await_point(async move { self.acquire_many_owned(1).await })
    }

    /// As [`acquire_many`](Self::acquire_many), with an owned permit.
    #[track_caller]
    pub fn acquire_many_owned(
        self: std::sync::Arc<Self>,
        n: u32,
    ) -> impl std::future::Future<Output = Result<OwnedSemaphorePermit, AcquireError>> {
        crate::future::await_point(async move {
            self.acquire_raw(n as usize).await?;
            Ok(OwnedSemaphorePermit::new(self, n))
        })
    }

    /// As [`try_acquire`](Self::try_acquire), with an owned permit.
    pub fn try_acquire_owned(
        self: std::sync::Arc<Self>,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// As [`try_acquire_many`](Self::try_acquire_many), with an owned permit.
    pub fn try_acquire_many_owned(
        self: std::sync::Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_raw(n as usize)?;
        Ok(OwnedSemaphorePermit::new(self, n))
    }

    /// Closes the semaphore: every waiter not yet served and every later acquire fails with
    /// [`AcquireError`]. Permits held stay valid.
    #[track_caller]
    pub fn close(&self) {
        let mut wakeups = Wakeups::default();
        {
            let mut state = self.state();
            state.closed = true;
            for entry in state.waiters.iter_mut() {
                if entry.data.assigned < entry.data.needed {
                    wakeups.push(entry.take_waker());
                }
            }
        }
        wakeups.wake_all();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.state().closed
    }

    /// The future of an acquire of `n` permits, not yet queued.
    /// How the runtime knows it (`future::locks`).
    fn key(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    pub(super) fn acquire_raw(&self, n: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            needed: n,
            ticket: None,
            lock_site: None,
        }
    }

    /// The one permit of a mutex's semaphore, asked for at `site`: a lock, in lock orders.
    pub(super) fn acquire_lock(&self, site: Site) -> Acquire<'_> {
        Acquire {
            lock_site: Some(site),
            ..self.acquire_raw(1)
        }
    }

    #[track_caller]
    pub(super) fn try_acquire_raw(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut state = self.state();
        if state.closed {
            Err(TryAcquireError::Closed)
        } else if state.permits >= n {
            state.permits -= n;
            locks::holding(self.key());
            Ok(())
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// As [`acquire_lock`](Self::acquire_lock), if the permit is free.
    pub(super) fn try_acquire_lock(&self, site: Site) -> Result<(), TryAcquireError> {
        self.try_acquire_raw(1)?;
        locks::took(&self.state, site);
        Ok(())
    }

    /// Gives `n` permits back, ending a hold (a permit's drop, a lock's release).
    #[track_caller]
    pub(super) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        locks::released(self.key());
        self.give(n);
    }

    /// Gives back the permit [`acquire_lock`](Self::acquire_lock) or
    /// [`try_acquire_lock`](Self::try_acquire_lock) took: the mutex is no longer held, for
    /// lock orders too.
    pub(super) fn release_lock(&self) {
        locks::gave_back(&self.state);
        self.release(1);
    }

    fn give(&self, n: usize) {
        let wakeups = self.state().give(n);
        wakeups.wake_all();
    }
}

impl State {
    /// Hands `n` permits to the waiters in order, stopping at the first one still short; the
    /// rest become free.
    fn give(&mut self, mut n: usize) -> Wakeups {
        let mut wakeups = Wakeups::default();
        if !self.closed {
            for entry in self.waiters.iter_mut() {
                let want = &mut entry.data;
                if want.assigned == want.needed {
                    continue; // served, not yet polled
                }
                let given = n.min(want.needed - want.assigned);
                want.assigned += given;
                n -= given;
                if want.assigned < want.needed {
                    break; // FIFO: nobody behind it gets a permit first
                }
                wakeups.push(entry.take_waker());
            }
        }
        assert!(
            n <= Semaphore::MAX_PERMITS - self.permits,
            "number of added permits ({n}) would overflow MAX_PERMITS"
        );
        self.permits += n;
        wakeups
    }
}

/// The future of an acquire: queued at its first poll unless the permits are free; dropped
/// while queued, it leaves the queue and gives back what it was assigned.
pub(super) struct Acquire<'a> {
    semaphore: &'a Semaphore,
    needed: usize,
    ticket: Option<Ticket>,
    /// A mutex's lock, asked for here (see [`Semaphore::acquire_lock`]).
    lock_site: Option<Site>,
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = this.poll_state(cx);
        // Once the state's lock is released: a mutex's lock is held from here.
        if let (Poll::Ready(Ok(())), Some(site)) = (&result, this.lock_site) {
            locks::took(&this.semaphore.state, site);
        }
        result
    }
}

impl Acquire<'_> {
    /// The poll, under the semaphore's state lock.
    fn poll_state(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let mut state = self.semaphore.state();
        let Some(ticket) = self.ticket else {
            if state.closed {
                return Poll::Ready(Err(AcquireError::closed()));
            }
            if state.permits >= self.needed {
                state.permits -= self.needed;
                locks::holding(self.semaphore.key());
                return Poll::Ready(Ok(()));
            }
            // Not enough: take what is free and queue for the rest.
            let assigned = std::mem::take(&mut state.permits);
            let want = Want {
                needed: self.needed,
                assigned,
            };
            self.ticket = Some(state.waiters.push(want, Some(cx.waker())));
            locks::waiting(self.semaphore.key());
            return Poll::Pending;
        };
        let closed = state.closed;
        let entry = state.waiters.get_mut(ticket);
        if entry.data.assigned == entry.data.needed {
            state.waiters.remove(ticket);
            self.ticket = None;
            locks::done_waiting(self.semaphore.key());
            locks::holding(self.semaphore.key());
            return Poll::Ready(Ok(()));
        }
        if closed {
            let want = state.waiters.remove(ticket);
            self.ticket = None;
            locks::done_waiting(self.semaphore.key());
            let _closed = state.give(want.assigned);
            return Poll::Ready(Err(AcquireError::closed()));
        }
        entry.set_waker(cx.waker());
        // The future may have moved to another task since it queued.
        locks::waiting(self.semaphore.key());
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            locks::done_waiting(self.semaphore.key());
            let wakeups = {
                let mut state = self.semaphore.state();
                let want = state.waiters.remove(ticket);
                state.give(want.assigned)
            };
            wakeups.wake_all();
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Semaphore")
            .field("permits", &state.permits)
            .field("closed", &state.closed)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}
