//! The model runtime: what every facade operation goes through.
//!
//! A facade call asks [`local`] whether an exploration is running on this OS thread. If not,
//! the object is a plain std-like one and the call goes straight to it. If so, [`op`] checks
//! that the object belongs to the running execution, lets the engine act (which may switch
//! model threads), and records a compact [`Op`].
//!
//! Architecture invariant: nothing in `rt` formats text or knows about reports, files or
//! particular engines; engines plug in through [`Backend`].

mod backend;
mod clock;
mod event;
mod execution;
pub(crate) mod hook;
mod local;
pub(crate) mod lock_order;
pub(crate) mod priority;
pub(crate) mod race;
mod threads;

use std::borrow::Cow;
use std::fmt;

pub(crate) use backend::{
    AtomicRepr, Backend, Bits, RawAtomic, RawCell, RawCondvar, RawJoin, RawMutex, RawRwLock, RmwOp,
    atomic_enum, each_int,
};
pub(crate) use event::{
    BlockReason, Blocked, Event, ObjId, ObjKind, ObjectInfo, Op, Recording, Site, ThreadIdx,
    ThreadInfo,
};
pub(crate) use execution::{Detail, Execution, FailureRecord, ThreadRef};
pub(crate) use local::{Local, local};

use crate::failure::FailureKind;

/// A facade object's identity: the execution it belongs to (0: none) and its number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ObjRef {
    exec: u64,
    pub(crate) id: ObjId,
}

impl ObjRef {
    pub(crate) fn is_native(self) -> bool {
        self.exec == 0
    }
}

/// The payload of a panic that tapestry raises itself to fail an execution.
#[derive(Debug)]
pub(crate) struct TapestryPanic {
    pub kind: FailureKind,
    pub message: String,
    pub detail: Option<Detail>,
}

impl fmt::Display for TapestryPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Fails the running execution with a failure of `kind`.
pub(crate) fn fail(kind: FailureKind, message: String) -> ! {
    std::panic::panic_any(TapestryPanic {
        kind,
        message,
        detail: None,
    })
}

/// Fails the running execution with a data race.
pub(crate) fn fail_race(race: race::Race) -> ! {
    let message =
        "two accesses to a cell, at least one a write, with no happens-before order between them"
            .to_owned();
    std::panic::panic_any(TapestryPanic {
        kind: FailureKind::DataRace,
        message,
        detail: Some(Detail::Race(race)),
    })
}

/// Fails the running execution if its step prolongs an unbounded priority inversion: a thread
/// waiting for a lock held by a less urgent one while threads of priority between theirs have
/// run more than `bound` steps.
pub(crate) fn check_priority_inversion(bound: u64) {
    let Some(local) = local() else { return };
    if local.exec.has_failed() {
        return;
    }
    if let Some(inversion) = local.exec.inversion_step(local.running(), bound) {
        std::panic::panic_any(TapestryPanic {
            kind: FailureKind::PriorityInversion,
            message: "a thread waits for a lock held by a less urgent thread while threads of \
                      priority between theirs run"
                .to_owned(),
            detail: Some(Detail::Inversion(inversion)),
        });
    }
}

/// Creates the engine object of a new facade object: a native one outside explorations.
pub(crate) fn create<R>(
    kind: ObjKind,
    name: Option<Cow<'static, str>>,
    site: Site,
    make: impl FnOnce(&dyn Backend) -> R,
) -> (ObjRef, R) {
    match local() {
        None => (ObjRef { exec: 0, id: 0 }, make(crate::engine::native())),
        Some(local) => {
            let id = local.exec.next_object();
            local.record_object(ObjectInfo {
                id,
                kind,
                name,
                site,
            });
            (
                ObjRef {
                    exec: local.exec.id(),
                    id,
                },
                make(&*local.exec.backend),
            )
        }
    }
}

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
    let me = local.running();
    let thread = local.exec.thread(me);
    // Cleared only on return: a thread that never returns (deadlock) stays marked blocked.
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
        return run(crate::engine::native());
    };
    local.exec.before_op();
    let me = local.running();
    let result = run(&*local.exec.backend);
    local.set_running(me);
    local.record(me, 0, || event(&result), site);
    result
}

/// Counts an allocation of `sync::Arc` made in the running execution, until the returned token
/// is dropped; an execution whose threads all finish with allocations left fails with `Leak`.
pub(crate) fn track_allocation() -> Option<Allocation> {
    let local = local()?;
    local.exec.arc_created();
    Some(Allocation {
        id: local.exec.id(),
        exec: local.exec.clone(),
    })
}

/// One live allocation of an execution; see [`track_allocation`].
#[derive(Debug)]
pub(crate) struct Allocation {
    exec: std::sync::Arc<Execution>,
    id: u64,
}

impl Drop for Allocation {
    fn drop(&mut self) {
        // Only the execution that made it counts it; a later one starts from zero.
        if self.exec.id() == self.id {
            self.exec.arc_dropped();
        }
    }
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

/// Records `op`, a condition variable's wait, when the running thread has joined the waiters,
/// which only its engine knows; the engine says so with [`now_waiting`] or [`scheduled`].
///
/// Recorded before the engine call, the wait would come too early: loom and shuttle switch
/// threads at the start of their wait, while the waiter still holds the mutex and waits for
/// nothing, so a notification another thread sent then (and the waiter missed) would follow
/// the wait in the trace.
#[inline]
pub(crate) fn record_when_waiting(obj: ObjRef, site: Site, op: Op) {
    if let Some(local) = local()
        && local.exec.id() == obj.exec
    {
        local.defer(local.running(), obj.id, op, site);
    }
}

/// The running thread has joined a condition variable's waiters and released the mutex (a
/// notification from now on reaches it): records its wait (see [`record_when_waiting`]).
/// Backends whose wait runs on the waiting thread call it (loom, stress); the facade calls it
/// again when the wait returns, which records nothing unless the engine never said.
#[inline]
pub(crate) fn now_waiting() {
    if let Some(local) = local() {
        local.commit(local.running());
    }
}

/// Model thread `thread` is about to run: shuttle's schedulers call this at every decision. A
/// thread that starts a wait in shuttle joins the waiters, unobserved, as soon as it runs again
/// after the switch its wait starts with, and then blocks; so its wait is recorded here (see
/// [`record_when_waiting`]).
#[inline]
pub(crate) fn scheduled(thread: ThreadIdx) {
    if let Some(local) = local() {
        local.commit(thread);
    }
}

/// Whether this thread is unwinding out of an execution that has already failed. Engine calls
/// are unsafe then (loom has no running thread after it reports a deadlock, and any call panics
/// inside a destructor, which aborts the process), and nothing done then matters: the
/// execution is over. Destructors in the facade skip their bookkeeping; the loom backend stops
/// calling loom.
pub(crate) fn teardown() -> bool {
    std::thread::panicking() && local().is_some_and(|l| l.exec.has_failed())
}

/// The running model thread and the execution it belongs to, when an exploration runs on this
/// OS thread.
pub(crate) fn current_thread() -> Option<(u64, ThreadIdx)> {
    local().map(|l| (l.exec.id(), l.running()))
}

/// The name a model thread was spawned with.
pub(crate) fn thread_name(idx: ThreadIdx) -> Option<std::sync::Arc<str>> {
    local()?.exec.thread_name(idx)
}

/// Whether model thread `idx` of the running execution has finished.
pub(crate) fn is_finished(idx: ThreadIdx) -> bool {
    local().is_some_and(|l| l.exec.is_finished(idx))
}

#[cold]
#[track_caller]
fn check_native(obj: ObjRef, site: Site) {
    if !obj.is_native() {
        panic!(
            "a tapestry object created inside an exploration was used outside it (at {site}); \
             keep objects made in the test body inside the test body"
        );
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

/// Starts a model thread. Returns `None` outside explorations (the caller uses std).
pub(crate) fn spawn(
    name: Option<String>,
    priority: priority::Priority,
    site: Site,
    body: Box<dyn FnOnce() + Send + 'static>,
) -> Option<(ThreadIdx, Box<dyn RawJoin>)> {
    let local = local()?;
    let exec = &local.exec;
    if let Some(max) = exec.backend.max_threads()
        && exec.thread_count() >= max
    {
        fail(
            FailureKind::Unsupported,
            format!(
                "this engine runs at most {max} threads per execution, including the test \
                     body; the program started more at {site}"
            ),
        );
    }
    let parent = local.running();
    let child = exec.new_thread(name.as_deref(), priority);
    race::spawned(child);
    local.record_thread(ThreadInfo {
        idx: child,
        name: name.clone(),
    });
    local.record(parent, 0, || Op::Spawn { child }, site);
    let raw = exec.backend.spawn(
        exec,
        child,
        Box::new(move || {
            let local = crate::rt::local().expect("an engine runs model threads with a Local");
            local.set_running(child);
            body();
            exit_thread(local, child);
        }),
        name.as_deref(),
    );
    local.set_running(parent);
    Some((child, raw))
}

/// Runs the test body as thread 0 of a new execution of the `Local` installed here.
pub(crate) fn run_main(body: &dyn Fn()) {
    let local = local().expect("an engine runs the test body with a Local installed");
    keep_prediction_trace(local);
    local.exec.begin();
    local.clear_recording();
    local.set_running(0);
    body();
    exit_thread(local, 0);
}

/// If the execution that just ended predicted a deadlock, keeps its recording (model engines
/// record on one `Local`; the stress engine merges its threads' recordings itself).
pub(crate) fn keep_prediction_trace(local: &Local) {
    if local.exec.prediction_without_trace() == Some(local.exec.executions()) {
        local.exec.attach_prediction_trace(local.recording());
    }
}

/// Lock `obj` passes its waiters' priorities on to its holder (`sync::PiMutex`).
pub(crate) fn inherit_priority(obj: ObjRef) {
    if let Some(local) = local()
        && local.exec.id() == obj.exec
    {
        local.exec.inherit_priority(obj.id);
    }
}

/// Takes lock `obj`, as [`blocking`] runs an operation, with the lock-order bookkeeping: `op`
/// is `Lock` or `Write` (exclusive, so it may close a lock-order cycle) or `Read`, `take` the
/// engine call, and `acquired` what the thread learns (`race::acquire_by`) once it holds the
/// lock and this frame has restored it as the running thread (see [`RawMutex`]).
#[inline]
pub(crate) fn lock(
    obj: ObjRef,
    site: Site,
    op: Op,
    take: impl FnOnce(),
    acquired: impl FnOnce(ThreadRef),
) {
    let reason = match op {
        Op::Read => BlockReason::Read,
        Op::Write => BlockReason::Write,
        _ => BlockReason::Lock,
    };
    let blocked = Blocked {
        reason,
        target: obj.id,
    };
    let acquiring = |thread: ThreadRef| {
        if reason != BlockReason::Read {
            thread.lock_acquiring(obj.id, site);
        }
    };
    let acquired = |thread: ThreadRef| {
        thread.lock_acquired(obj.id, site);
        acquired(thread);
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
/// (`releasing`, `race::release_by`) before `release`, the engine call: once released, another
/// thread may act on the lock before this one runs again. Restores the running thread after
/// `release` (see [`RawMutex`]). (A condition variable's wait, which also releases, is
/// recorded with [`record_when_waiting`].)
#[inline]
pub(crate) fn unlock(
    obj: ObjRef,
    site: Site,
    op: Op,
    releasing: impl FnOnce(ThreadRef),
    release: impl FnOnce(),
) {
    let Some(local) = local() else {
        return release();
    };
    let me = local.running();
    if local.exec.id() == obj.exec {
        local.record(me, obj.id, || op, site);
        let thread = local.exec.thread(me);
        thread.lock_released(obj.id);
        releasing(thread);
    }
    release();
    local.set_running(me);
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

pub(crate) fn lock_released(obj: ObjRef) {
    if let Some(local) = local() {
        local.exec.thread(local.running()).lock_released(obj.id);
    }
}

fn exit_thread(local: &Local, idx: ThreadIdx) {
    local.record(idx, 0, || Op::Exit, std::panic::Location::caller());
    if local.exec.finish_thread(idx) && !local.exec.has_failed() {
        let live = local.exec.live_arcs();
        if live > 0 {
            fail(
                FailureKind::Leak,
                format!(
                    "{live} Arc allocation(s) made in this execution were never freed after \
                     every thread finished (a reference cycle, or an Arc kept in a static?)"
                ),
            );
        }
    }
}
