//! The FIFO queue of waiting futures that the semaphore (and so the locks) and `Notify` keep
//! inside their state, behind their facade lock.
//!
//! A waiter is known by a [`Ticket`] and stays queued until its own future removes it (when it
//! returns `Ready`, or when it is dropped), so that a grant or a notification made while it was
//! not polled is never lost: the primitive marks the entry and wakes its waker; the future
//! finds the mark at its next poll, or hands it on from its `Drop`.

use std::collections::VecDeque;
use std::task::Waker;

/// Names one waiter of a [`WaitQueue`]; tickets are never reused within a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ticket(u64);

/// Waiters in arrival order, each with what the primitive records about it (`T`) and the waker
/// of its last poll.
#[derive(Debug)]
pub(super) struct WaitQueue<T> {
    entries: VecDeque<Entry<T>>,
    next: u64,
}

/// One waiter of a [`WaitQueue`].
#[derive(Debug)]
pub(super) struct Entry<T> {
    ticket: Ticket,
    /// What the primitive records about the waiter (permits wanted and assigned, a
    /// notification).
    pub(super) data: T,
    /// `None` for a `Notified` enabled but not yet polled.
    waker: Option<Waker>,
}

impl<T> WaitQueue<T> {
    pub(super) const fn new() -> Self {
        WaitQueue {
            entries: VecDeque::new(),
            next: 0,
        }
    }

    /// Queues a waiter at the back.
    pub(super) fn push(&mut self, data: T, waker: Option<&Waker>) -> Ticket {
        let ticket = Ticket(self.next);
        self.next += 1;
        self.entries.push_back(Entry {
            ticket,
            data,
            waker: waker.cloned(),
        });
        ticket
    }

    /// The waiter with `ticket`. Panics if it is gone: only its own future removes it.
    pub(super) fn get_mut(&mut self, ticket: Ticket) -> &mut Entry<T> {
        self.entries
            .iter_mut()
            .find(|entry| entry.ticket == ticket)
            .expect("a waiter left the queue while its future still held its ticket")
    }

    /// Removes the waiter with `ticket` and returns its data.
    pub(super) fn remove(&mut self, ticket: Ticket) -> T {
        let at = self
            .entries
            .iter()
            .position(|entry| entry.ticket == ticket)
            .expect("a waiter left the queue while its future still held its ticket");
        self.entries
            .remove(at)
            .expect("the position was found")
            .data
    }

    /// The waiters, first come first.
    pub(super) fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Entry<T>> {
        self.entries.iter_mut()
    }

    /// How many waiters are queued (served or not).
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl<T> Entry<T> {
    /// Replaces the waker with the one of the latest poll (a task may move between polls).
    pub(super) fn set_waker(&mut self, waker: &Waker) {
        match &mut self.waker {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }

    /// Takes the waker, to wake it once the primitive's lock is released.
    pub(super) fn take_waker(&mut self) -> Option<Waker> {
        self.waker.take()
    }
}

/// Wakers collected under a primitive's lock, to be woken after it is released: a woken task
/// then never finds the lock still held by the one that woke it.
#[derive(Debug, Default)]
#[must_use = "wakers collected must be woken once the lock is released"]
pub(super) struct Wakeups(Vec<Waker>);

impl Wakeups {
    pub(super) fn push(&mut self, waker: Option<Waker>) {
        self.0.extend(waker);
    }

    pub(super) fn wake_all(self) {
        for waker in self.0 {
            waker.wake();
        }
    }
}
