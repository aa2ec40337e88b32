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
//! Real threads (the stress engine) touch the detector's state concurrently, so it sits behind
//! short locks. Those locks order accesses in real time but never enter a vector clock, so they
//! cannot hide a race: a race is two accesses that no *program* synchronisation orders,
//! whatever the hardware did. The one cost is at atomic operations, whose value and clock must
//! change together: under the stress engine an atomic operation runs inside its clock's lock,
//! a barrier that can hide hardware reorderings around it (`Stress::race_detection(false)`
//! removes it).

use std::sync::atomic::Ordering;

use parking_lot::Mutex;

use super::clock::Epoch;
pub(crate) use super::clock::VectorClock;
use super::event::{ObjId, Site, ThreadIdx};
use super::execution::ThreadRef;
use super::local::{Local, local};

/// What a thread acquiring a synchronisation object learns.
#[derive(Debug, Default)]
pub(crate) struct SyncClock(Mutex<VectorClock>);

impl SyncClock {
    pub(crate) fn clear(&self) {
        self.0.lock().clear();
    }

    /// Moves what this clock holds into `to` (a completed barrier round into its departures).
    pub(crate) fn move_into(&self, to: &SyncClock) {
        *to.0.lock() = std::mem::take(&mut *self.0.lock());
    }
}

/// A thread's clocks.
#[derive(Debug, Default)]
pub(crate) struct ThreadClocks {
    pub now: VectorClock,
    /// Joined clocks of stores that relaxed loads read: an acquire fence acquires them.
    pending: VectorClock,
    /// The clock at the last release fence: relaxed stores after it release it.
    fenced: Option<VectorClock>,
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
        local.exec.keep_clocks();
    }
}

/// Runs `f` on the running thread's clocks, if its execution keeps clocks now. Only the check
/// is inlined into the facade's operations, whose code stays small while no clocks are kept.
#[inline(always)]
fn with_thread<R>(f: impl FnOnce(&mut ThreadClocks, ThreadIdx) -> R) -> Option<R> {
    let (local, me) = detector()?;
    Some(with_clocks_of(local, me, f))
}

#[inline(never)]
fn with_clocks_of<R>(
    local: &Local,
    me: ThreadIdx,
    f: impl FnOnce(&mut ThreadClocks, ThreadIdx) -> R,
) -> R {
    local.exec.with_clocks(me, |clocks| f(clocks, me))
}

/// Releases into `object`, replacing what it held (a mutex unlock, a write unlock).
#[inline]
pub(crate) fn release(object: &SyncClock) {
    if let Some((local, me)) = detector() {
        release_into(local.exec.thread(me), object, false);
    }
}

/// Releases into `object`, adding to what it held (read unlocks, barrier arrivals).
#[inline]
pub(crate) fn release_join(object: &SyncClock) {
    if let Some((local, me)) = detector() {
        release_into(local.exec.thread(me), object, true);
    }
}

/// [`release`] (or with `join`, [`release_join`]) by `thread`, the running thread of an `rt`
/// frame, which has looked it up already.
#[inline(always)]
pub(crate) fn release_by(thread: ThreadRef, object: &SyncClock, join: bool) {
    if thread.clocks_on() {
        release_into(thread, object, join);
    }
}

#[inline(never)]
fn release_into(thread: ThreadRef, object: &SyncClock, join: bool) {
    let me = thread.idx();
    thread.with_clocks(|clocks| {
        let mut object = object.0.lock();
        if join {
            object.join(&clocks.now);
        } else {
            object.clone_from(&clocks.now);
        }
        clocks.now.tick(me);
    });
}

/// Acquires what `object` holds (a lock, a barrier departure).
#[inline]
pub(crate) fn acquire(object: &SyncClock) {
    if let Some((local, me)) = detector() {
        acquire_into(local.exec.thread(me), object);
    }
}

/// [`acquire`] by `thread`, the running thread of an `rt` frame.
#[inline(always)]
pub(crate) fn acquire_by(thread: ThreadRef, object: &SyncClock) {
    if thread.clocks_on() {
        acquire_into(thread, object);
    }
}

#[inline(never)]
fn acquire_into(thread: ThreadRef, object: &SyncClock) {
    thread.with_clocks(|clocks| clocks.now.join(&object.0.lock()));
}

/// The clock a message carries from its sender; the sender starts a new epoch.
pub(crate) fn send() -> Option<VectorClock> {
    with_thread(|thread, me| {
        let clock = thread.now.clone();
        thread.now.tick(me);
        clock
    })
}

/// The receiver of a message learns what its sender knew.
pub(crate) fn receive(message: Option<&VectorClock>) {
    if let Some(message) = message {
        with_thread(|thread, _| thread.now.join(message));
    }
}

/// A new thread starts knowing what its parent knew at the spawn.
pub(crate) fn spawned(child: ThreadIdx) {
    let Some((local, parent)) = detector() else {
        return;
    };
    let start = local.exec.with_clocks(parent, |clocks| {
        let start = clocks.now.clone();
        clocks.now.tick(parent);
        start
    });
    local.exec.with_clocks(child, |clocks| {
        clocks.reset();
        clocks.now = start;
        clocks.now.tick(child);
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
    if local.exec.clocks_on() {
        apply_to(local, me, object, sync(&result));
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
    apply_held(local, me, &mut object, sync(&result));
    result
}

#[inline(never)]
fn apply_to(local: &Local, me: ThreadIdx, object: &SyncClock, sync: AtomicSync) {
    apply_held(local, me, &mut object.0.lock(), sync);
}

/// Applies `sync` to thread `me`'s clocks and `object`, the atomic's clock, held locked.
fn apply_held(local: &Local, me: ThreadIdx, object: &mut VectorClock, sync: AtomicSync) {
    local
        .exec
        .with_clocks(me, |thread| apply(sync, object, thread, me));
}

fn apply(sync: AtomicSync, object: &mut VectorClock, thread: &mut ThreadClocks, me: ThreadIdx) {
    let read = |order, thread: &mut ThreadClocks, object: &VectorClock| {
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
                thread.now.tick(me);
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
                thread.now.tick(me);
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
    with_thread(|thread, me| {
        if acquires(order) {
            let pending = std::mem::take(&mut thread.pending);
            thread.now.join(&pending);
        }
        if order == Ordering::SeqCst {
            let mut global = sequential.0.lock();
            thread.now.join(&global);
            global.join(&thread.now);
        }
        if releases(order) {
            match &mut thread.fenced {
                Some(fenced) => fenced.clone_from(&thread.now),
                None => thread.fenced = Some(thread.now.clone()),
            }
            thread.now.tick(me);
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
    let mut shadow = shadow.0.lock();
    local.exec.with_clocks(me, |thread| {
        let now = &thread.now;
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
