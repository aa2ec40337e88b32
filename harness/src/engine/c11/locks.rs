//! Locks and condition variables under the c11 engine: each is a location of the graph, taken
//! and released by read-modify-writes and stores that synchronise as acquire and release, as
//! GenMC models them.
//!
//! A thread that must wait (a lock held, no notification yet) stops at the read that showed
//! it: the read stays in the graph, and the write it waits for, once another thread adds it,
//! revisits that read (TruSt's backward revisit), which is how every order of the critical
//! sections is explored. The thread itself waits here for ever; once only waiting threads
//! can run, the scheduler ends the run (`LowestFirst::next_task`): a deadlock if every
//! waiting read reads the latest write of its location (nothing will ever release it), else a
//! run that is no execution of the program, dropped without a verdict (another graph has the
//! waiting read read the later write).
//!
//! A condition variable is a counter of notifications: a wait reads it while holding the lock
//! (a read-modify-write that changes nothing, so that it has a place in coherence order),
//! releases the lock, and waits until it reads a notification made after that place. A
//! `notify_one` wakes every waiter (a spurious wakeup for all but one, which std allows): the
//! engine never leaves a waiter asleep that `notify_one` would have, so a bug that needs it
//! is left to the other engines. A timed wait waits as an untimed one does, and times out
//! once no other thread can run (`waits`).

use std::any::Any;
use std::time::Duration;

use tapestry_c11::{Ordering as C11Ordering, Val};

use super::SharedState;
use super::backend::{Place, gone};
use super::waits::{wait_for_ever, wait_patiently};
use crate::rt::{RawCondvar, RawMutex, RawRwLock};

/// A read-modify-write of `place` that writes `change(old)`, or waits for ever (see the
/// module docs) if `change` refuses `old`. Returns `old`.
fn take(
    shared: &SharedState,
    place: &Place,
    change: impl Fn(Val) -> Option<Val> + Send + Sync + Clone + 'static,
) -> Val {
    let (acquire, refuses) = (C11Ordering::Acquire, change.clone());
    let old = place.event(shared, |run, me, loc| {
        run.await_rmw(me, loc, acquire, change)
    });
    if refuses(old).is_none() {
        wait_for_ever(shared);
    }
    old
}

/// A read-modify-write of `place` that writes `change(old)` if it accepts it; returns `old`.
fn try_take(
    shared: &SharedState,
    place: &Place,
    change: impl Fn(Val) -> Option<Val> + Send + Sync + 'static,
) -> Val {
    let acquire = C11Ordering::Acquire;
    place.event(shared, |run, me, loc| {
        run.rmw(me, loc, acquire, Some(acquire), change)
    })
}

/// A release of `place` by a read-modify-write (a reader leaving an `RwLock`, a
/// notification).
fn give_back(
    shared: &SharedState,
    place: &Place,
    change: impl Fn(Val) -> Option<Val> + Send + Sync + 'static,
) {
    let release = C11Ordering::Release;
    place.event(shared, |run, me, loc| {
        run.rmw(me, loc, release, None, change)
    });
}

/// A release of `place` by a store of `val`.
fn release(shared: &SharedState, place: &Place, val: Val) {
    let release = C11Ordering::Release;
    place.event(shared, |run, me, loc| run.store(me, loc, val, release));
}

/// A mutex: 0 free, 1 held.
pub(super) struct C11Mutex {
    place: Place,
    shared: SharedState,
}

impl C11Mutex {
    pub(super) fn new(shared: &SharedState) -> C11Mutex {
        C11Mutex {
            place: Place::new(0),
            shared: shared.clone(),
        }
    }
}

fn free(v: Val) -> Option<Val> {
    (v == 0).then_some(1)
}

impl RawMutex for C11Mutex {
    fn lock(&self) {
        if !gone() {
            take(&self.shared, &self.place, free);
        }
    }

    fn try_lock(&self) -> bool {
        gone() || try_take(&self.shared, &self.place, free) == 0
    }

    fn unlock(&self) {
        if !gone() {
            release(&self.shared, &self.place, 0);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A reader-writer lock: the number of readers, or `WRITER`.
pub(super) struct C11RwLock {
    place: Place,
    shared: SharedState,
}

const WRITER: Val = 1 << 63;

impl C11RwLock {
    pub(super) fn new(shared: &SharedState) -> C11RwLock {
        C11RwLock {
            place: Place::new(0),
            shared: shared.clone(),
        }
    }
}

fn one_more_reader(v: Val) -> Option<Val> {
    (v & WRITER == 0).then_some(v + 1)
}

fn no_one(v: Val) -> Option<Val> {
    (v == 0).then_some(WRITER)
}

impl RawRwLock for C11RwLock {
    fn read(&self) {
        if !gone() {
            take(&self.shared, &self.place, one_more_reader);
        }
    }

    fn try_read(&self) -> bool {
        gone() || one_more_reader(try_take(&self.shared, &self.place, one_more_reader)).is_some()
    }

    fn unlock_read(&self) {
        if !gone() {
            give_back(&self.shared, &self.place, |v| Some(v.saturating_sub(1)));
        }
    }

    fn write(&self) {
        if !gone() {
            take(&self.shared, &self.place, no_one);
        }
    }

    fn try_write(&self) -> bool {
        gone() || try_take(&self.shared, &self.place, no_one) == 0
    }

    fn unlock_write(&self) {
        if !gone() {
            release(&self.shared, &self.place, 0);
        }
    }
}

/// A condition variable: its number of notifications.
pub(super) struct C11Condvar {
    place: Place,
    shared: SharedState,
}

impl C11Condvar {
    pub(super) fn new(shared: &SharedState) -> C11Condvar {
        C11Condvar {
            place: Place::new(0),
            shared: shared.clone(),
        }
    }

    /// Releases `mutex` and reads whether a notification came after this wait began; takes
    /// `mutex` again if one did (or if `for_ever` is false: a timeout).
    fn wait_once(&self, mutex: &dyn RawMutex, for_ever: bool) -> bool {
        if gone() {
            return true;
        }
        let Some(mutex) = mutex.as_any().downcast_ref::<C11Mutex>() else {
            unreachable!("a condition variable of the c11 engine waits with one of its mutexes")
        };
        let (shared, place) = (&self.shared, &self.place);
        let seen = try_take(shared, place, Some);
        mutex.unlock();
        let relaxed = C11Ordering::Relaxed;
        let now = place.event(shared, |run, me, loc| {
            run.await_load(me, loc, relaxed, move |now| now > seen)
        });
        let notified = now > seen;
        if !notified {
            if for_ever {
                wait_for_ever(shared);
            }
            wait_patiently(shared);
        }
        mutex.lock();
        notified
    }

    fn notify(&self) {
        if !gone() {
            give_back(&self.shared, &self.place, |v| Some(v + 1));
        }
    }
}

impl RawCondvar for C11Condvar {
    fn wait(&self, mutex: &dyn RawMutex) {
        self.wait_once(mutex, true);
    }

    fn wait_timeout(&self, mutex: &dyn RawMutex, _timeout: Duration) -> bool {
        !self.wait_once(mutex, false)
    }

    fn notify_one(&self) {
        self.notify();
    }

    fn notify_all(&self) {
        self.notify();
    }
}
