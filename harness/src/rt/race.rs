//! Happens-before race detection for engines without a memory model of their own (random, PCT,
//! stress); loom checks `UnsafeCell` accesses itself.
//!
//! Every thread has a vector clock, and every synchronisation object a clock of what a thread
//! acquiring it learns: a mutex unlock releases into the mutex's clock and a lock acquires it;
//! a `Release` store releases into the atomic's clock and an `Acquire` load that reads it
//! acquires; fences follow the C++ model (a relaxed load remembers the clock it read, for a
//! later acquire fence; a release fence lets later relaxed stores release). Spawn, join,
//! channels, barriers and `Once` carry clocks the same way. Each `cell::UnsafeCell` keeps the
//! epoch and site of its last write and of each thread's last read (FastTrack: Flanagan and
//! Freund, PLDI 2009); an access that does not happen after a conflicting one is a race.
//!
//! Only cells can race, so under a model engine an execution keeps no clocks until it creates
//! its first cell (`Execution::keep_clocks` says why that loses nothing). A program without
//! cells pays nothing for the detector.
//!
//! The same operations keep a second view of happens-before for the lock-order predictor
//! (`lock_order`): [`Clocks`] holds both, `race` with every edge and `order` without the
//! handoffs of locks that nest. A lock's `rt` frame tells the clock which lock it belongs to
//! ([`LockFrame`]), and the order view skips its handoffs once that lock has taken
//! part in a lock-order edge. Each view starts on its own (the order view at an execution's
//! first lock-order edge); one not kept stays empty in every clock.
//!
//! Real threads (the stress engine) touch the detector's state concurrently, so it sits behind
//! short locks. Those locks order accesses in real time but never enter a vector clock, so they
//! cannot hide a race: a race is two accesses that no *program* synchronisation orders,
//! whatever the hardware did. The one cost is at atomic operations, whose value and clock must
//! change together: under the stress engine an atomic operation runs inside its clock's lock,
//! a barrier that can hide hardware reorderings around it (`Stress::race_detection(false)`
//! removes it).

use std::sync::atomic::Ordering;

use parking_lot::Mutex;

pub(crate) use super::clock::Clocks;
use super::clock::{Epoch, Views};
use super::event::{ObjId, Site, ThreadIdx};
use super::execution::{Execution, LockFrame, ThreadRef};
use super::local::{Local, local};

/// What a message carries from its sender: the sender's clocks, in every view (named for the
/// facade's channels, which only pass it from [`send`] to [`receive`]).
pub(crate) type VectorClock = Clocks;

/// What a thread acquiring a synchronisation object learns.
#[derive(Debug, Default)]
pub(crate) struct SyncClock(Mutex<SyncState>);

#[derive(Debug, Default)]
struct SyncState {
    clocks: Clocks,
    /// The lock whose handoffs this clock carries, once a lock's frame has used it while the
    /// order view was kept.
    lock: Option<ObjId>,
}

impl SyncState {
    /// Whether the order view is kept and passes through this clock, for `thread` (in a
    /// lock's frame, `lock` says which lock this clock belongs to, and the clock remembers it
    /// for the operations that do not say: a condition variable's wait and wake, `try_lock`).
    /// Not through the handoffs of a lock that nests: see `lock_order`.
    #[inline]
    fn order_passes(&mut self, thread: ThreadRef, lock: Option<ObjId>, views: Views) -> bool {
        if !views.has(Views::ORDER) {
            return false;
        }
        if lock.is_some() {
            self.lock = lock;
        }
        self.lock.is_none_or(|lock| !thread.nests(lock))
    }
}

impl SyncClock {
    /// A clock that holds nothing (a `const`, for `static` facade objects).
    pub(crate) const fn new() -> SyncClock {
        SyncClock(Mutex::new(SyncState {
            clocks: Clocks::EMPTY,
            lock: None,
        }))
    }

    pub(crate) fn clear(&self) {
        let mut state = self.0.lock();
        state.clocks.clear();
        state.lock = None;
    }

    /// Moves what this clock holds into `to` (a completed barrier round into its departures).
    pub(crate) fn move_into(&self, to: &SyncClock) {
        to.0.lock().clocks = std::mem::take(&mut self.0.lock().clocks);
    }
}

/// A thread's clocks.
#[derive(Debug, Default)]
pub(crate) struct ThreadClocks {
    pub now: Clocks,
    /// Joined clocks of stores that relaxed loads read: an acquire fence acquires them.
    pending: Clocks,
    /// The clock at the last release fence: relaxed stores after it release it.
    fenced: Option<Clocks>,
}

impl ThreadClocks {
    pub(crate) fn reset(&mut self) {
        self.now.clear();
        self.pending.clear();
        self.fenced = None;
    }
}

/// The running thread, when its execution keeps vector clocks now.
#[inline(always)]
fn detector() -> Option<(&'static Local, ThreadIdx)> {
    let local = local()?;
    local.exec.clocks_on().then(|| (local, local.running()))
}

/// A cell is being created in the running execution: from now on accesses can race.
pub(crate) fn cell_created() {
    if let Some(local) = local() {
        local.exec.keep_clocks(Views::RACE);
    }
}

/// Runs `f` on the running thread's clocks (with its number and the views kept), if its
/// execution keeps clocks now. Only the check is inlined into the facade's operations, whose
/// code stays small while no clocks are kept.
#[inline(always)]
fn with_thread<R>(f: impl FnOnce(&mut ThreadClocks, ThreadIdx, Views) -> R) -> Option<R> {
    let (local, me) = detector()?;
    Some(with_clocks_of(local, me, f))
}

#[inline(never)]
fn with_clocks_of<R>(
    local: &Local,
    me: ThreadIdx,
    f: impl FnOnce(&mut ThreadClocks, ThreadIdx, Views) -> R,
) -> R {
    // The views are read with the thread's clocks locked: see `Execution::keep_clocks`.
    local
        .exec
        .with_clocks(me, |clocks| f(clocks, me, local.exec.views()))
}

/// Releases into `object`, replacing what it held (a mutex unlock, a write unlock).
#[inline]
pub(crate) fn release(object: &SyncClock) {
    if let Some((local, me)) = detector() {
        release_into(&local.exec, me, None, object, false);
    }
}

/// Releases into `object`, adding to what it held (read unlocks, barrier arrivals).
#[inline]
pub(crate) fn release_join(object: &SyncClock) {
    if let Some((local, me)) = detector() {
        release_into(&local.exec, me, None, object, true);
    }
}

/// [`release`] (or with `join`, [`release_join`]) of the lock of `frame`, an `rt` frame that
/// has looked its running thread up already; `object` is the lock's clock.
#[inline(always)]
pub(crate) fn release_by(frame: LockFrame, object: &SyncClock, join: bool) {
    let thread = frame.thread;
    if thread.clocks_on() {
        release_into(thread.exec(), thread.idx(), Some(frame.lock), object, join);
    }
}

/// Releases what thread `me` knows into `object`, the clock of `lock` if it is a lock's.
/// (Given scalars, not a [`ThreadRef`]: the frames' inlined code then builds no struct for a
/// call it does not make.)
#[inline(never)]
fn release_into(
    exec: &Execution,
    me: ThreadIdx,
    lock: Option<ObjId>,
    object: &SyncClock,
    join: bool,
) {
    let thread = exec.thread(me);
    thread.with_clocks(|clocks| {
        let views = thread.views();
        let mut object = object.0.lock();
        let order = object.order_passes(thread, lock, views);
        let (object, now) = (&mut object.clocks, &clocks.now);
        if join {
            object.race.join(&now.race);
        } else {
            object.race.clone_from(&now.race);
        }
        if order && join {
            object.order.join(&now.order);
        } else if order {
            object.order.clone_from(&now.order);
        } else if views.has(Views::ORDER) {
            // A lock that nests hands nothing over in the order view, from now on (so no
            // epoch of the view ends here).
            object.order.clear();
        }
        let ended = if order {
            views
        } else {
            views.without(Views::ORDER)
        };
        clocks.now.tick(me, ended);
    });
}

/// Acquires what `object` holds (a lock, a barrier departure).
#[inline]
pub(crate) fn acquire(object: &SyncClock) {
    if let Some((local, me)) = detector() {
        acquire_into(&local.exec, me, None, object);
    }
}

/// [`acquire`] of `object`, the clock of the lock of `frame`, an `rt` frame.
#[inline(always)]
pub(crate) fn acquire_by(frame: LockFrame, object: &SyncClock) {
    let thread = frame.thread;
    if thread.clocks_on() {
        acquire_into(thread.exec(), thread.idx(), Some(frame.lock), object);
    }
}

/// Thread `me` learns what `object`, the clock of `lock` if it is a lock's, holds.
#[inline(never)]
fn acquire_into(exec: &Execution, me: ThreadIdx, lock: Option<ObjId>, object: &SyncClock) {
    let thread = exec.thread(me);
    thread.with_clocks(|clocks| {
        let views = thread.views();
        let mut object = object.0.lock();
        let order = object.order_passes(thread, lock, views);
        clocks.now.race.join(&object.clocks.race);
        if order {
            clocks.now.order.join(&object.clocks.order);
        }
    });
}

/// The clock a message carries from its sender; the sender starts a new epoch.
pub(crate) fn send() -> Option<VectorClock> {
    with_thread(|thread, me, views| {
        let clock = thread.now.clone();
        thread.now.tick(me, views);
        clock
    })
}

/// The receiver of a message learns what its sender knew.
pub(crate) fn receive(message: Option<&VectorClock>) {
    if let Some(message) = message {
        with_thread(|thread, _, _| thread.now.join(message));
    }
}

/// A new thread starts knowing what its parent knew at the spawn.
pub(crate) fn spawned(child: ThreadIdx) {
    let Some((local, parent)) = detector() else {
        return;
    };
    let views = || local.exec.views();
    let start = local.exec.with_clocks(parent, |clocks| {
        let start = clocks.now.clone();
        clocks.now.tick(parent, views());
        start
    });
    local.exec.with_clocks(child, |clocks| {
        clocks.reset();
        clocks.now = start;
        clocks.now.tick(child, views());
    });
}

/// A thread that joined `child` knows everything `child` did.
pub(crate) fn joined(child: ThreadIdx) {
    let Some((local, me)) = detector() else {
        return;
    };
    let finished = local.exec.with_clocks(child, |clocks| clocks.now.clone());
    local
        .exec
        .with_clocks(me, |clocks| clocks.now.join(&finished));
}

/// How an atomic operation synchronises.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AtomicSync {
    Load(Ordering),
    Store(Ordering),
    /// A read-modify-write (including a successful compare-exchange).
    Rmw(Ordering),
}

impl AtomicSync {
    fn order(&self) -> Ordering {
        match *self {
            AtomicSync::Load(order) | AtomicSync::Store(order) | AtomicSync::Rmw(order) => order,
        }
    }
}

fn acquires(order: Ordering) -> bool {
    matches!(
        order,
        Ordering::Acquire | Ordering::AcqRel | Ordering::SeqCst
    )
}

fn releases(order: Ordering) -> bool {
    matches!(
        order,
        Ordering::Release | Ordering::AcqRel | Ordering::SeqCst
    )
}

/// Runs atomic operation `run` on the atomic whose clock is `object`, then applies how it
/// synchronised (`sync`, from its result). With real threads the operation runs inside the
/// clock's lock, so that the value read and the clock acquired belong together.
/// Called by `rt::atomic`, whose frame has `local` and knows `me`, the running thread (which
/// `local` may not say right after `run`: the frame restores it).
#[inline(always)]
pub(crate) fn atomic<R>(
    local: &Local,
    me: ThreadIdx,
    object: &SyncClock,
    run: impl FnOnce() -> R,
    sync: impl FnOnce(&R) -> AtomicSync,
) -> R {
    if local.exec.concurrent && local.exec.clocks_on() {
        return atomic_on_real_threads(local, me, object, run, sync);
    }
    // Model engines switch threads only inside `run`; nothing else runs until we are done.
    // Asked only afterwards: another thread may have created the first cell.
    let result = run();
    let sync = sync(&result);
    local.exec.note_order(sync.order());
    if local.exec.clocks_on() {
        apply_to(local, me, object, sync);
    }
    result
}

#[inline(never)]
fn atomic_on_real_threads<R>(
    local: &Local,
    me: ThreadIdx,
    object: &SyncClock,
    run: impl FnOnce() -> R,
    sync: impl FnOnce(&R) -> AtomicSync,
) -> R {
    let mut object = object.0.lock();
    let result = run();
    let sync = sync(&result);
    local.exec.note_order(sync.order());
    apply_held(local, me, &mut object.clocks, sync);
    result
}

#[inline(never)]
fn apply_to(local: &Local, me: ThreadIdx, object: &SyncClock, sync: AtomicSync) {
    apply_held(local, me, &mut object.0.lock().clocks, sync);
}

/// Applies `sync` to thread `me`'s clocks and `object`, the atomic's clock, held locked.
fn apply_held(local: &Local, me: ThreadIdx, object: &mut Clocks, sync: AtomicSync) {
    local.exec.with_clocks(me, |thread| {
        apply(sync, object, thread, (me, local.exec.views()));
    });
}

fn apply(
    sync: AtomicSync,
    object: &mut Clocks,
    thread: &mut ThreadClocks,
    (me, views): (ThreadIdx, Views),
) {
    let read = |order, thread: &mut ThreadClocks, object: &Clocks| {
        if acquires(order) {
            thread.now.join(object);
        } else {
            thread.pending.join(object);
        }
    };
    match sync {
        AtomicSync::Load(order) => read(order, thread, object),
        AtomicSync::Store(order) => {
            if releases(order) {
                object.clone_from(&thread.now);
                thread.now.tick(me, views);
            } else if let Some(fenced) = &thread.fenced {
                object.clone_from(fenced);
            } else {
                // A relaxed store ends the release sequence: it synchronises with nobody.
                object.clear();
            }
        }
        AtomicSync::Rmw(order) => {
            read(order, thread, object);
            // A read-modify-write continues the release sequence it read from.
            if releases(order) {
                object.join(&thread.now);
                thread.now.tick(me, views);
            } else if let Some(fenced) = &thread.fenced {
                object.join(fenced);
            }
        }
    }
}

/// A fence of `order`. SeqCst fences also order themselves through one global clock.
pub(crate) fn fence(order: Ordering) {
    let Some((local, _)) = detector() else { return };
    let sequential = &local.exec.sequential;
    with_thread(|thread, me, views| {
        if acquires(order) {
            let pending = std::mem::take(&mut thread.pending);
            thread.now.join(&pending);
        }
        if order == Ordering::SeqCst {
            let global = &mut sequential.0.lock().clocks;
            thread.now.join(global);
            global.join(&thread.now);
        }
        if releases(order) {
            match &mut thread.fenced {
                Some(fenced) => fenced.clone_from(&thread.now),
                None => thread.fenced = Some(thread.now.clone()),
            }
            thread.now.tick(me, views);
        }
    });
}

/// The accesses to one `cell::UnsafeCell` that later accesses must happen after.
#[derive(Debug, Default)]
pub(crate) struct CellShadow(Mutex<Shadow>);

#[derive(Debug, Default)]
struct Shadow {
    write: Option<CellAccess>,
    /// The latest read of each thread whose read does not happen before another one's.
    reads: Vec<CellAccess>,
}

/// One access to a cell: who, when, where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CellAccess {
    pub epoch: Epoch,
    pub write: bool,
    pub site: Site,
}

/// Two accesses to a cell, at least one a write, neither happening before the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Race {
    pub cell: ObjId,
    pub earlier: CellAccess,
    pub later: CellAccess,
}

/// Checks an access of the running thread to cell `cell`; returns the race it makes, if any.
pub(crate) fn cell_access(
    shadow: &CellShadow,
    cell: ObjId,
    write: bool,
    site: Site,
) -> Option<Race> {
    let (local, me) = detector()?;
    if !local.exec.views().has(Views::RACE) {
        return None;
    }
    let mut shadow = shadow.0.lock();
    local.exec.with_clocks(me, |thread| {
        let now = &thread.now.race;
        let access = CellAccess {
            epoch: now.epoch(me),
            write,
            site,
        };
        let racing =
            |earlier: &CellAccess| (!earlier.epoch.happens_before(now)).then_some(*earlier);
        let conflict = shadow.write.as_ref().and_then(racing).or_else(|| {
            if write {
                shadow.reads.iter().find_map(racing)
            } else {
                None
            }
        });
        if let Some(earlier) = conflict {
            return Some(Race {
                cell,
                earlier,
                later: access,
            });
        }
        if write {
            shadow.write = Some(access);
            shadow.reads.clear();
        } else {
            // A read that happens before this one is covered by it: a write racing with the
            // old read also races with this one.
            shadow.reads.retain(|r| !r.epoch.happens_before(now));
            shadow.reads.push(access);
        }
        None
    })
}
