//! The frames every facade operation runs in: each looks up the running execution once,
//! checks that the object belongs to it, lets the engine act (which may switch model threads),
//! restores the running thread, and records a compact [`Op`]. Outside an exploration a frame
//! calls straight through to the native object.
//!
//! Architecture invariant: with tracing off and no vector clocks kept, what a frame inlines
//! into a facade operation is checks only (see ARCHITECTURE.md).

use super::{
    Backend, BlockReason, Blocked, Local, LockFrame, ObjRef, Op, Site, ThreadIdx, ThreadRef, fail,
    local, race,
};
#[cfg(doc)]
use super::{RawAtomic, RawMutex, record_when_waiting};
use crate::kinds::FailureKind;

/// Calls into a model engine, which may run other model threads before it returns, and marks
/// the calling thread running again afterwards.
///
/// Architecture invariant: every call a backend makes into loom or shuttle goes through this,
/// so facade code after any raw operation (a race-detector hook, the rest of a channel's
/// monitor section) sees the right running thread. The one exception is the facade's hottest
/// calls, `RawMutex` and `RawAtomic`, whose callers restore the running thread instead: the
/// `rt` frames ([`lock`], [`unlock`], [`op`], [`atomic`]) do before any other facade code
/// runs, and other callers go through this.
#[inline]
pub(crate) fn engine_call<R>(call: impl FnOnce() -> R) -> R {
    match local() {
        Some(local) => {
            let me = local.running();
            let result = call();
            local.set_running(me);
            result
        }
        None => call(),
    }
}

/// Runs one facade operation on `obj`: `run` is the engine call, `event` what to record.
#[inline]
pub(crate) fn op<R>(
    obj: ObjRef,
    site: Site,
    run: impl FnOnce() -> R,
    event: impl FnOnce(&R) -> Op,
) -> R {
    op_in(obj, site, |_| run(), event)
}

/// [`op`], with `run` given the frame's `Local` and running thread (`None` outside
/// explorations).
#[inline(always)]
fn op_in<R>(
    obj: ObjRef,
    site: Site,
    run: impl FnOnce(Option<(&Local, ThreadIdx)>) -> R,
    event: impl FnOnce(&R) -> Op,
) -> R {
    let Some(local) = local() else {
        check_native(obj, site);
        return run(None);
    };
    check_owner(local, obj, site);
    local.exec.before_op();
    local.settle();
    let me = local.running();
    let result = run(Some((local, me)));
    local.set_running(me);
    local.record(me, obj.id, || event(&result), site);
    result
}

/// Like [`op`] for an operation that may block; what it waits for shows in deadlock reports.
#[inline]
pub(crate) fn blocking<R>(
    obj: ObjRef,
    site: Site,
    blocked: Blocked,
    run: impl FnOnce() -> R,
    event: impl FnOnce(&R) -> Op,
) -> R {
    let no_hook = |_: ThreadRef| {};
    blocking_with(Some(obj), site, blocked, (no_hook, no_hook), run, event)
}

/// [`blocking`] on `obj`, or on no object (`None`: a join), with two hooks given the running
/// thread: one before `run` and one after it, both while the thread is marked blocked (the
/// lock-order bookkeeping of [`lock`]).
#[inline]
fn blocking_with<R>(
    obj: Option<ObjRef>,
    site: Site,
    blocked: Blocked,
    (before, after): (impl FnOnce(ThreadRef), impl FnOnce(ThreadRef)),
    run: impl FnOnce() -> R,
    event: impl FnOnce(&R) -> Op,
) -> R {
    let Some(local) = local() else {
        if let Some(obj) = obj {
            check_native(obj, site);
        }
        return run();
    };
    if let Some(obj) = obj {
        check_owner(local, obj, site);
    }
    local.exec.before_op();
    local.settle();
    let me = local.running();
    let thread = local.exec.thread(me);
    let blocked = Blocked {
        site: Some(site),
        ..blocked
    };
    if local.exec.forbids_waiting(me) {
        super::waiting::check(&local.exec, me, &blocked);
    }
    // Cleared only on return: a thread that never returns (deadlock) stays marked blocked,
    // with the line it waits at.
    thread.set_blocked(Some(blocked));
    before(thread);
    let result = run();
    local.set_running(me);
    after(thread);
    thread.set_blocked(None);
    local.record(me, obj.map_or(0, |obj| obj.id), || event(&result), site);
    result
}

/// Runs an atomic operation on `obj`, as [`op`] runs an operation, with the race detector's
/// update: `run` is the engine call (which leaves restoring the running thread to this frame;
/// see [`RawAtomic`]), `sync` how it synchronised (from its result), `clock` the atomic's
/// clock and `event` what to record.
#[inline]
pub(crate) fn atomic<R>(
    obj: ObjRef,
    site: Site,
    clock: &race::SyncClock,
    run: impl FnOnce() -> R,
    sync: impl FnOnce(&R) -> race::AtomicSync,
    event: impl FnOnce(&R) -> Op,
) -> R {
    let run = |frame: Option<(&Local, ThreadIdx)>| match frame {
        Some((local, me)) => race::atomic(local, me, clock, run, sync),
        None => run(),
    };
    op_in(obj, site, run, event)
}

/// Records an operation before the program performs it (cell accesses, whose engine checks run
/// around the program's own code).
#[inline]
pub(crate) fn announce(obj: ObjRef, site: Site, op: Op) {
    let Some(local) = local() else {
        check_native(obj, site);
        return;
    };
    check_owner(local, obj, site);
    local.exec.before_op();
    local.settle();
    local.record(local.running(), obj.id, || op, site);
}

/// Runs an operation of the running thread's engine that acts on no object (fences, yields).
#[inline]
pub(crate) fn backend_op<R>(
    site: Site,
    run: impl FnOnce(&dyn Backend) -> R,
    event: impl FnOnce(&R) -> Op,
) -> R {
    let Some(local) = local() else {
        return run(super::native::native());
    };
    let (me, result) = engine_step(local, run);
    local.record(me, 0, || event(&result), site);
    result
}

/// An engine operation of the facade's own bookkeeping (see `rt::arc_ops`), which no trace
/// shows: as [`backend_op`], recording nothing.
pub(crate) fn hidden_op<R>(run: impl FnOnce(&dyn Backend) -> R) -> R {
    match local() {
        Some(local) => engine_step(local, run).1,
        None => run(super::native::native()),
    }
}

/// Runs `run` with the running execution's engine, which may switch model threads meanwhile,
/// and marks the thread that called it running again; returns that thread.
#[inline(always)]
fn engine_step<R>(local: &Local, run: impl FnOnce(&dyn Backend) -> R) -> (ThreadIdx, R) {
    local.exec.before_op();
    local.settle();
    let me = local.running();
    let result = run(&*local.exec.backend);
    local.set_running(me);
    (me, result)
}

/// A yield of the running model thread (`thread::yield_now`, a spin-loop hint, a sleep, a timed
/// wait's pause), which `switch` makes; `switch` is told whether the thread must let another
/// run first.
///
/// Under std a yield is a hint: the thread may go on at once. So may a model thread's, once; a
/// thread that yields again with no switch between threads since its last yield steps aside
/// while another can run (and `force_aside` makes it), or a spin loop could spin forever while
/// nobody else moves. Engines whose schedulers are ours learn which with [`stepping_aside`];
/// the loom backend yields to loom only when stepping aside, and otherwise passes a plain
/// branch point.
pub(crate) fn yield_point(force_aside: bool, switch: impl FnOnce(bool)) {
    let Some(local) = local() else {
        return switch(true);
    };
    let me = local.running();
    let aside = force_aside || local.yielded_alone(me);
    local.set_aside(aside);
    switch(aside);
    local.set_aside(false);
    local.set_running(me);
    local.note_yield(me);
}

/// Whether the yield being scheduled must let another thread run first (see [`yield_point`]).
pub(crate) fn stepping_aside() -> bool {
    local().is_some_and(Local::aside)
}

/// Like [`blocking`] for an operation on a thread rather than an object (joins).
#[inline]
pub(crate) fn blocking_on_thread<R>(
    site: Site,
    blocked: Blocked,
    run: impl FnOnce() -> R,
    event: impl FnOnce(&R) -> Op,
) -> R {
    let no_hook = |_: ThreadRef| {};
    blocking_with(None, site, blocked, (no_hook, no_hook), run, event)
}

#[cold]
#[track_caller]
fn check_native(obj: ObjRef, site: Site) {
    if !obj.is_native() {
        let message = format!(
            "a tapestry object created inside an exploration was used at {site} on a thread \
             tapestry did not start, where no engine can see it. Start the test's threads with \
             `tapestry::thread::spawn` or `tapestry::thread::scope` (or \
             `tapestry::thread::Builder`), not `std::thread::spawn` or `std::thread::scope`; and \
             keep objects made in the test body inside it"
        );
        super::hook::foreign_use(obj.exec, message.clone());
        panic!("{message}");
    }
}

#[inline]
fn check_owner(local: &Local, obj: ObjRef, site: Site) {
    if obj.exec != local.exec.id() {
        wrong_execution(obj, site);
    }
}

#[cold]
fn wrong_execution(obj: ObjRef, site: Site) -> ! {
    let message = if obj.is_native() {
        format!(
            "an object created outside the exploration was used inside it (at {site}). Engines \
             only see objects created by the test body: create shared state inside the closure \
             given to Explorer::run (or the #[tapestry::test] function), not before it or in a \
             static"
        )
    } else {
        format!(
            "an object created in an earlier execution was used again (at {site}). Each \
             execution runs the test body afresh; keep its objects out of statics, \
             thread-locals and OnceLocks"
        )
    };
    fail(FailureKind::Misuse, message)
}

/// Takes lock `obj`, as [`blocking`] runs an operation, with the lock-order bookkeeping: `op`
/// is `Lock` or `Write` (exclusive, so it may close a lock-order cycle) or `Read`, `take` the
/// engine call, and `acquired` what the thread learns (`race::acquire_by`, in the
/// [`LockFrame`] of `obj`) once it holds the lock and this frame has restored it as the running
/// thread (see [`RawMutex`]).
#[inline]
pub(crate) fn lock(
    obj: ObjRef,
    site: Site,
    op: Op,
    take: impl FnOnce(),
    acquired: impl FnOnce(LockFrame),
) {
    let reason = match op {
        Op::Read => BlockReason::Read,
        Op::Write => BlockReason::Write,
        _ => BlockReason::Lock,
    };
    let blocked = Blocked::new(reason, obj.id);
    let acquiring = |thread: ThreadRef| {
        if reason != BlockReason::Read {
            thread.lock_acquiring(obj.id, site);
        }
    };
    let acquired = |thread: ThreadRef| {
        thread.lock_acquired(obj.id, site);
        acquired(LockFrame {
            thread,
            lock: obj.id,
        });
    };
    blocking_with(
        Some(obj),
        site,
        blocked,
        (acquiring, acquired),
        take,
        |_| op,
    );
}

/// Releases lock `obj`: records `op` (an unlock) and lets the thread release what it knows
/// (`releasing`, `race::release_by`, in the [`LockFrame`] of `obj`) before `release`, the
/// engine call: once released, another
/// thread may act on the lock before this one runs again. Restores the running thread after
/// `release` (see [`RawMutex`]). (A condition variable's wait, which also releases, is
/// recorded with [`record_when_waiting`].)
#[inline]
pub(crate) fn unlock(
    obj: ObjRef,
    site: Site,
    op: Op,
    releasing: impl FnOnce(LockFrame),
    release: impl FnOnce(),
) {
    let Some(local) = local() else {
        return release();
    };
    local.settle();
    let me = local.running();
    let ours = local.exec.id() == obj.exec;
    if ours {
        local.record(me, obj.id, || op, site);
        releasing(LockFrame {
            thread: local.exec.thread(me),
            lock: obj.id,
        });
    }
    release();
    local.set_running(me);
    // Held until the engine has let it go: an engine may switch threads inside `release`
    // before it does (shuttle's and the dpor engine's unlock is a scheduling point), and a
    // thread that runs then and asks for the lock waits for this one (`rt::waiting`).
    if ours {
        local.exec.thread(me).lock_released(obj.id);
    }
}

/// Lock-order bookkeeping of the running thread (see `lock_order`).
pub(crate) fn lock_acquiring(obj: ObjRef, site: Site) {
    if let Some(local) = local() {
        local
            .exec
            .thread(local.running())
            .lock_acquiring(obj.id, site);
    }
}

pub(crate) fn lock_acquired(obj: ObjRef, site: Site) {
    if let Some(local) = local() {
        local
            .exec
            .thread(local.running())
            .lock_acquired(obj.id, site);
    }
}

/// The running thread took an async lock (one of `tapestry::tokio`'s) whose state `obj`
/// guards, asked for at `site`: held, for lock orders, until [`async_lock_released`].
pub(crate) fn async_lock_taken(obj: ObjRef, site: Site) {
    lock_acquiring(obj, site);
    lock_acquired(obj, site);
}

/// The async lock whose state `obj` guards was released, by any thread.
pub(crate) fn async_lock_released(obj: ObjRef) {
    if let Some(local) = local() {
        local.exec.lock_released_anywhere(local.running(), obj.id);
    }
}

pub(crate) fn lock_released(obj: ObjRef) {
    if let Some(local) = local() {
        local.exec.thread(local.running()).lock_released(obj.id);
    }
}
