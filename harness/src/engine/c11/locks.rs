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
//! A condition variable is one location that counts its waiters and the wakeups it owes them
//! ([`Waiters`]). A wait registers (a read-modify-write while it holds the lock), releases the
//! lock, and waits to take a wakeup: `notify_one` owes one wakeup to the threads waiting when
//! it runs, `notify_all` one to each. Which waiter takes a `notify_one`'s wakeup is explored
//! (each waiter's taking read may read the notification's write; atomicity lets one take it),
//! so a bug that needs `notify_one` to leave a particular waiter asleep is found. A waiter
//! that registered after a notification cannot take its wakeup, as under std. A timed wait that
//! is owed no wakeup either times out at once or waits as an untimed one does and times out
//! once no other thread can run (`waits`: both are explored), taking a wakeup owed to it by
//! then if there is one; with no time limit (the facade's spurious wakeups of untimed waits),
//! it times out at once or not at all ([`Timeout::Unlimited`]).

use std::any::Any;
use std::time::Duration;

use tapestry_c11::{Ordering as C11Ordering, Val};

use super::SharedState;
use super::backend::{Place, gone};
use super::waits::{times_out_early, wait_for_ever, wait_patiently};
use crate::rt::{RawCondvar, RawMutex, RawRwLock};

/// A read-modify-write of `place` that writes `change(old)`, or waits for ever (see the
/// module docs) if `change` refuses `old`. Returns `old`.
fn take(place: &Place, change: impl Fn(Val) -> Option<Val> + Send + Sync + Clone + 'static) -> Val {
    let (acquire, refuses) = (C11Ordering::Acquire, change.clone());
    let old = place.event(|run, me, loc| run.await_rmw(me, loc, acquire, change));
    if refuses(old).is_none() {
        wait_for_ever(place.shared());
    }
    old
}

/// A read-modify-write of `place` that writes `change(old)` if it accepts it; returns `old`.
fn try_take(place: &Place, change: impl Fn(Val) -> Option<Val> + Send + Sync + 'static) -> Val {
    let acquire = C11Ordering::Acquire;
    place.event(|run, me, loc| run.rmw(me, loc, acquire, Some(acquire), change))
}

/// A release of `place` by a read-modify-write (a reader leaving an `RwLock`, a
/// notification).
fn give_back(place: &Place, change: impl Fn(Val) -> Option<Val> + Send + Sync + 'static) {
    let release = C11Ordering::Release;
    place.event(|run, me, loc| run.rmw(me, loc, release, None, change));
}

/// A release of `place` by a store of `val`.
fn release(place: &Place, val: Val) {
    let release = C11Ordering::Release;
    place.event(|run, me, loc| run.store(me, loc, val, release));
}

/// A mutex: 0 free, 1 held.
pub(super) struct C11Mutex {
    place: Place,
}

impl C11Mutex {
    pub(super) fn new(shared: &SharedState) -> C11Mutex {
        C11Mutex {
            place: Place::new(0, shared),
        }
    }
}

fn free(v: Val) -> Option<Val> {
    (v == 0).then_some(1)
}

impl RawMutex for C11Mutex {
    fn lock(&self) {
        if !gone() {
            take(&self.place, free);
        }
    }

    fn try_lock(&self) -> bool {
        gone() || try_take(&self.place, free) == 0
    }

    fn unlock(&self) {
        if !gone() {
            release(&self.place, 0);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A reader-writer lock: the number of readers, or `WRITER`.
pub(super) struct C11RwLock {
    place: Place,
}

const WRITER: Val = 1 << 63;

impl C11RwLock {
    pub(super) fn new(shared: &SharedState) -> C11RwLock {
        C11RwLock {
            place: Place::new(0, shared),
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
            take(&self.place, one_more_reader);
        }
    }

    fn try_read(&self) -> bool {
        gone() || one_more_reader(try_take(&self.place, one_more_reader)).is_some()
    }

    fn unlock_read(&self) {
        if !gone() {
            give_back(&self.place, |v| Some(v.saturating_sub(1)));
        }
    }

    fn write(&self) {
        if !gone() {
            take(&self.place, no_one);
        }
    }

    fn try_write(&self) -> bool {
        gone() || try_take(&self.place, no_one) == 0
    }

    fn unlock_write(&self) {
        if !gone() {
            release(&self.place, 0);
        }
    }
}

/// A condition variable's location, packed into one value: `notified`, how many notifications
/// made someone eligible (28 bits); `waiting`, the waiters registered since the last of them
/// (12 bits); `eligible`, the waiters registered before it, not yet woken (12); `owed`, the
/// wakeups owed to the eligible (12). A waiter knows which it is by the `notified` it
/// registered at: eligible once that has grown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiters {
    notified: u64,
    waiting: u64,
    eligible: u64,
    owed: u64,
}

impl Waiters {
    const FIELD: u64 = (1 << 12) - 1;

    fn of(v: Val) -> Waiters {
        Waiters {
            notified: v >> 36,
            waiting: (v >> 24) & Self::FIELD,
            eligible: (v >> 12) & Self::FIELD,
            owed: v & Self::FIELD,
        }
    }

    fn val(self) -> Val {
        assert!(
            self.waiting.max(self.eligible) <= Self::FIELD,
            "more than {} threads wait on one condition variable under the c11 engine",
            Self::FIELD
        );
        (self.notified << 36) | (self.waiting << 24) | (self.eligible << 12) | self.owed
    }

    /// A thread starts waiting.
    fn register(v: Val) -> Option<Val> {
        let mut w = Waiters::of(v);
        w.waiting += 1;
        Some(w.val())
    }

    /// A notification: the waiting become eligible; `all` owes each of them a wakeup, else one
    /// more is owed if someone eligible is still owed none.
    fn notify(v: Val, all: bool) -> Option<Val> {
        let mut w = Waiters::of(v);
        if w.waiting > 0 {
            w.notified += 1;
            w.eligible += std::mem::take(&mut w.waiting);
        }
        let owed = if all {
            w.eligible
        } else {
            (w.owed + 1).min(w.eligible)
        };
        (owed != w.owed || w.val() != v).then(|| {
            w.owed = owed;
            w.val()
        })
    }

    /// The waiter that registered at `at` takes a wakeup, if one is owed to it.
    fn take(v: Val, at: u64) -> Option<Val> {
        let mut w = Waiters::of(v);
        (w.notified > at && w.owed > 0).then(|| {
            w.eligible -= 1;
            w.owed -= 1;
            w.val()
        })
    }

    /// The waiter that registered at `at` stops waiting (a timeout), taking a wakeup owed to it
    /// if there is one; else it leaves, and is owed nothing.
    fn leave(v: Val, at: u64) -> Option<Val> {
        Waiters::take(v, at).or_else(|| {
            let mut w = Waiters::of(v);
            // Saturating: a graph whose read-modify-writes break atomicity, which the
            // exploration adds on the way to revisiting one, may hand this a value that never
            // counted the waiter.
            if w.notified > at {
                w.eligible = w.eligible.saturating_sub(1);
                w.owed = w.owed.min(w.eligible);
            } else {
                w.waiting = w.waiting.saturating_sub(1);
            }
            Some(w.val())
        })
    }
}

/// How a condition variable's wait may end without a wakeup.
#[derive(Clone, Copy)]
enum Timeout {
    /// It cannot: `wait`.
    Never,
    /// At once (a choice), else never: a timed wait with no time limit, which is how the
    /// facade lets std's untimed waits wake spuriously. Waking at once is every spurious
    /// wakeup this engine needs, since the graphs explore the other threads' steps on either
    /// side of it; one that came only once no other thread could run would be a wakeup no
    /// program can count on, and would hide a lost notification, which is a deadlock.
    Unlimited,
    /// At once (a choice), else once no other thread can run (time passes when every thread
    /// waits).
    Limited,
}

/// A condition variable: its waiters and the wakeups owed to them ([`Waiters`]).
pub(super) struct C11Condvar {
    place: Place,
}

impl C11Condvar {
    pub(super) fn new(shared: &SharedState) -> C11Condvar {
        C11Condvar {
            place: Place::new(0, shared),
        }
    }

    /// Registers, releases `mutex` and waits to take a wakeup; takes `mutex` again once it has
    /// one, or once `timeout` ends it (see [`Timeout`]). Whether it was woken.
    fn wait_once(&self, mutex: &dyn RawMutex, timeout: Timeout) -> bool {
        if gone() {
            return true;
        }
        let Some(mutex) = mutex.as_any().downcast_ref::<C11Mutex>() else {
            unreachable!("a condition variable of the c11 engine waits with one of its mutexes")
        };
        let (shared, place) = (self.place.shared(), &self.place);
        let at = Waiters::of(try_take(place, Waiters::register)).notified;
        mutex.unlock();
        let wait_for_wakeup = || {
            take(place, move |v| Waiters::take(v, at));
            true
        };
        let took = |old: Val| Waiters::take(old, at).is_some();
        let leave = || took(try_take(place, move |v| Waiters::leave(v, at)));
        let woken = match timeout {
            Timeout::Never => wait_for_wakeup(),
            _ if took(try_take(place, move |v| Waiters::take(v, at))) => true,
            _ if times_out_early(shared) => leave(),
            Timeout::Unlimited => wait_for_wakeup(),
            Timeout::Limited => {
                wait_patiently(shared);
                leave()
            }
        };
        mutex.lock();
        woken
    }

    fn notify(&self, all: bool) {
        if !gone() {
            give_back(&self.place, move |v| Waiters::notify(v, all));
        }
    }
}

impl RawCondvar for C11Condvar {
    fn wait(&self, mutex: &dyn RawMutex) {
        self.wait_once(mutex, Timeout::Never);
    }

    fn wait_timeout(&self, mutex: &dyn RawMutex, timeout: Duration) -> bool {
        let timeout = match timeout {
            Duration::MAX => Timeout::Unlimited,
            _ => Timeout::Limited,
        };
        !self.wait_once(mutex, timeout)
    }

    fn notify_one(&self) {
        self.notify(false);
    }

    fn notify_all(&self) {
        self.notify(true);
    }
}
