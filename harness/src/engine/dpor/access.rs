//! What each scheduling step of an execution touched, as the DPOR engine's backend announces it.
//!
//! shuttle switches threads *before* an operation takes effect. So a wrapper announces the
//! operation it is about to run ([`Tracker::begin`]); the thread then waits at the switch with
//! that operation pending, and the step in which the scheduler next runs it is the step in which
//! it takes effect. A step's footprint is the chosen thread's pending operation, plus anything
//! it begins and finishes, or does at once ([`Tracker::instant`]), before its next switch.

use rustc_hash::FxHashMap;

use crate::engine::choices::Choices;
use std::cell::{RefCell, RefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A facade object's number in the DPOR engine: the same in every execution of an exploration
/// (see [`Tracker::object`]).
pub(crate) type Obj = u32;
/// A model thread: shuttle's task number, which is also tapestry's thread number.
pub(crate) type Tid = usize;

/// One operation's effect on shared state, as far as ordering goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// An atomic load, or a compare-exchange that failed (it only read).
    Read(Obj),
    /// An atomic store or read-modify-write; a condvar wait's entry among the waiters.
    Write(Obj),
    /// Acquiring a lock exclusively: a mutex, a write lock, a condvar wait's relock.
    Lock(Obj),
    /// Acquiring a read lock.
    Share(Obj),
    /// An attempt that may fail (`try_lock`, `try_write`); its outcome replaces it once known.
    TryLock(Obj),
    /// `try_read`, likewise.
    TryShare(Obj),
    /// Releasing an exclusive lock.
    Unlock(Obj),
    /// Releasing a read lock.
    Unshare(Obj),
    /// A condvar wait, pending: expanded into its steps' accesses when they run (see
    /// `search::WaitPhase`).
    Wait { cv: Obj, mutex: Obj },
    /// The wait's notification: orders the waiter after the notifier, never reversed.
    Woken(Obj),
    /// `notify_one` / `notify_all`.
    Notify(Obj),
    /// Starting thread `.0`: its first step happens after this one.
    Spawn(Tid),
    /// Joining thread `.0`: this step happens after its last.
    Join(Tid),
    /// Giving a wake token (`rt::token`): a waker's wake.
    Give(Obj),
    /// Taking a wake token, waiting for it: runs only once it is given, so its races are with
    /// gives it could have run before, which another give left the token for (`races`).
    Take(Obj),
    /// A take that may time out: runs at once, and takes the token if it is there.
    TakeTimed(Obj),
}

/// How an access is ordered against other accesses to its object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Commutes with other reads.
    Read,
    /// Conflicts with every access of its object.
    Write,
}

impl Access {
    /// The object and class of the access, or `None` for accesses ordered by thread edges
    /// only (spawn and join) and for pending waits (expanded when they run).
    pub(crate) fn on(self) -> Option<(Obj, Class)> {
        match self {
            Access::Read(o) | Access::Share(o) | Access::TryShare(o) | Access::Unshare(o) => {
                Some((o, Class::Read))
            }
            Access::Write(o)
            | Access::Lock(o)
            | Access::TryLock(o)
            | Access::Unlock(o)
            | Access::Notify(o)
            | Access::Give(o)
            | Access::Take(o)
            | Access::TakeTimed(o) => Some((o, Class::Write)),
            Access::Woken(o) => Some((o, Class::Read)),
            Access::Wait { .. } | Access::Spawn(_) | Access::Join(_) => None,
        }
    }

    /// Whether this takes a lock: its races are with earlier acquisitions of the lock only.
    /// (An acquisition after a release cannot be moved before it: that race is not reversible.)
    pub(crate) fn acquires(self) -> bool {
        matches!(self, Access::Lock(_) | Access::Share(_))
    }

    /// Whether this access only orders (happens-before), and is never a race to reverse.
    pub(crate) fn orders_only(self) -> bool {
        matches!(self, Access::Woken(_) | Access::Spawn(_) | Access::Join(_))
    }
}

/// The accesses of one step (most steps have one).
pub(crate) type Footprint = smallvec::SmallVec<[Access; 2]>;

/// What a step's atomic operation found: enough to tell what a compare-exchange does when a
/// reversed race runs it earlier, where another value may be there (`races::reversed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub obj: Obj,
    /// The value the atomic held when the step ran.
    pub value: u64,
    /// The value a compare-exchange expected.
    pub expected: Option<u64>,
}

/// Whether two steps' footprints conflict: some object both touch, one of them writing.
pub(crate) fn conflict(a: &[Access], b: &[Access]) -> bool {
    a.iter().filter_map(|x| x.on()).any(|(o, c)| {
        b.iter()
            .filter_map(|y| y.on())
            .any(|(p, d)| o == p && (c == Class::Write || d == Class::Write))
    })
}

/// Announcements of the running execution, shared by the backend (model threads) and the
/// scheduler (see [`SharedTracker`]).
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    /// Each object's number, by the line that made it and how many that line had made before
    /// in the execution: facade objects bind at their first use (`rt::slot`), in an order
    /// that depends on the schedule, so a counter would give one object different numbers
    /// in different executions, and the search compares steps across executions.
    numbers: FxHashMap<(usize, u32), Obj>,
    /// How many objects each line has made in this execution.
    made: FxHashMap<usize, u32>,
    /// Each thread's announced operation that has not returned yet.
    pending: Vec<Option<Access>>,
    /// Whether it was announced during the current step (so no step has run it yet).
    fresh: Vec<bool>,
    /// The footprint of the step in progress.
    step: Footprint,
    /// What its atomic operation found, if it ran one.
    found: Option<Found>,
}

/// The tracker as the backend and the scheduler share it.
///
/// Every model thread of a search runs on one OS thread, the only one that touches the
/// tracker (a second one panics), so it takes no lock: the atomic instructions of a lock taken
/// at every step and operation cost a twentieth of a search's time. The round's choices,
/// which the search's caller reads and writes from its own thread, are behind a lock.
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedTracker(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    /// The OS thread that uses the tracker (`thread_number`); 0 before its first use.
    owner: AtomicU64,
    tracker: RefCell<Tracker>,
    choices: Mutex<Choices>,
}

// SAFETY: `tracker`, the one part that is not `Sync`, is reached only through
// `SharedTracker::lock`, which lets a single OS thread reach it for the shared value's life.
unsafe impl Sync for Shared {}

/// A number for the running OS thread, unique in the process (never reused, unlike the
/// address of a thread-local).
fn thread_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static NUMBER: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

impl SharedTracker {
    pub(crate) fn lock(&self) -> RefMut<'_, Tracker> {
        let here = thread_number();
        if self.0.owner.load(Ordering::Relaxed) != here {
            self.claim(here);
        }
        self.0.tracker.borrow_mut()
    }

    #[cold]
    fn claim(&self, here: u64) {
        let claimed = self
            .0
            .owner
            .compare_exchange(0, here, Ordering::Relaxed, Ordering::Relaxed);
        assert!(
            claimed.is_ok(),
            "tapestry's DPOR engine used its tracker from two OS threads; a search runs on one"
        );
    }

    /// The round's data choices.
    pub(crate) fn choices(&self) -> MutexGuard<'_, Choices> {
        self.0
            .choices
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Tracker {
    /// Forgets the last execution.
    pub(crate) fn reset(&mut self) {
        self.made.clear();
        self.pending.clear();
        self.fresh.clear();
        self.step.clear();
        self.found = None;
    }

    /// The number of an object made now at line `site` (0: a line unknown): the same in
    /// every execution for an object that is the only one its line makes, or whose line's
    /// objects are first used in the same order (made and used by one thread, or used once by
    /// the body's thread before the others start).
    ///
    /// Known limit: objects of one line that different threads use first, in an order that
    /// depends on the schedule, take their numbers in that order, so one object may have
    /// different numbers in executions the search compares. That costs executions (a step
    /// seems to conflict with one it does not), and could in principle hide a conflict; the
    /// property tests (`tests/dpor_complete.rs`) have found no behaviour missed. Numbering
    /// them by the order they were made would need an observable construction, which `const`
    /// constructors do not have.
    pub(crate) fn object(&mut self, site: usize) -> Obj {
        let made = self.made.entry(site).or_default();
        let key = (site, *made);
        *made += 1;
        self.number(key)
    }

    /// The number of model thread `owner`'s wake token: by its owner, as the thread that
    /// makes it (its first give or take) depends on the schedule.
    pub(crate) fn token(&mut self, owner: Tid) -> Obj {
        self.number((usize::MAX, owner as u32))
    }

    /// The number of what model thread `t`'s last step writes and `JoinHandle::is_finished`
    /// reads: whether `t` has finished.
    pub(crate) fn finished(&mut self, t: Tid) -> Obj {
        self.number((usize::MAX - 1, t as u32))
    }

    fn number(&mut self, key: (usize, u32)) -> Obj {
        let next = self.numbers.len() as Obj + 1;
        *self.numbers.entry(key).or_insert(next)
    }

    fn slot(&mut self, t: Tid) -> &mut Option<Access> {
        if t >= self.pending.len() {
            self.pending.resize(t + 1, None);
            self.fresh.resize(t + 1, false);
        }
        &mut self.pending[t]
    }

    /// Thread `t` is about to run `access`, which starts with a switch.
    pub(crate) fn begin(&mut self, t: Tid, access: Access) {
        *self.slot(t) = Some(access);
        self.fresh[t] = true;
    }

    /// Thread `t`'s pending operation returned; `outcome` is what it turned out to be (a
    /// `try_lock` that got the lock is a `Lock`).
    pub(crate) fn end(&mut self, t: Tid, outcome: Access) {
        let Some(pending) = self.slot(t).take() else {
            return;
        };
        if self.fresh[t] {
            // It never switched: this step ran it.
            self.step.push(outcome);
        } else if let Some(slot) = self.step.iter_mut().find(|a| **a == pending) {
            *slot = outcome;
        }
    }

    /// Thread `t` did `access` without a switch (spawning).
    pub(crate) fn instant(&mut self, _t: Tid, access: Access) {
        self.step.push(access);
    }

    /// The step in progress ran an atomic operation, which found `found`. (An atomic operation
    /// always starts with a switch, so a step runs at most one.)
    pub(crate) fn found(&mut self, found: Found) {
        self.found = Some(found);
    }

    /// What thread `t` is waiting to run, if anything.
    pub(crate) fn pending(&self, t: Tid) -> Option<Access> {
        self.pending.get(t).copied().flatten()
    }

    /// The scheduler runs thread `t` next, its pending operation taking effect as `now`.
    pub(crate) fn start_step(&mut self, t: Tid, now: &[Access]) {
        self.slot(t);
        self.fresh[t] = false;
        self.step.clear();
        self.step.extend_from_slice(now);
        self.found = None;
    }

    /// The footprint of the step that just ended, and what its atomic operation found.
    pub(crate) fn take_step(&mut self) -> (Footprint, Option<Found>) {
        (std::mem::take(&mut self.step), self.found.take())
    }
}
