//! The model runtime: what every facade operation goes through.
//!
//! A facade call asks [`local()`] whether an exploration is running on this OS thread. If not,
//! the object is a plain std-like one and the call goes straight to it. If so, [`op`] checks
//! that the object belongs to the running execution, lets the engine act (which may switch
//! model threads), and records a compact [`Op`].
//!
//! Architecture invariant: nothing in `rt` formats text or knows about reports, files or
//! particular engines; engines plug in through [`Backend`].

mod arc_ops;
mod atomic_bits;
mod backend;
mod clock;
pub(crate) mod crumbs;
mod event;
mod execution;
mod frame;
mod heap;
pub(crate) use heap::{
    Allocation, WeakOps, block_allocated, block_freed, block_moved, track_allocation,
};
pub(crate) mod hook;
mod lent;
mod local;
pub(crate) mod locals;
pub(crate) mod lock_order;
pub(crate) mod monitor;
pub(crate) mod native;
pub(crate) mod priority;
pub(crate) mod race;
mod slot;
pub(crate) use slot::used_after_free;
mod statics;
pub(crate) mod stranded;
mod tasks;
pub(crate) use tasks::{
    TaskPanic, async_locks, cancelled, catch_task_panic, peek_pending_at, pending_at, polled_by,
    polling, select_start, take_pending_at, task_panic_seen, task_panicked, waker_note, workers,
};
mod thread_stack;
mod threads;
pub(crate) mod token;
pub(crate) mod waiting;
mod wakeups;
pub(crate) use wakeups::{
    condvar_woke, early_timeouts, may_still_wake_spuriously, may_wake_spuriously,
    may_wake_spuriously_releasing, note_waiting, note_yield, operations_begun, samples_schedules,
    time_may_pass,
};

use std::borrow::Cow;
use std::fmt;

pub(crate) use atomic_bits::{AtomicRepr, Bits, RmwOp, atomic_enum, each_int, load_part};
pub(crate) use backend::{
    ArcOperations, Backend, RawAtomic, RawCell, RawCondvar, RawHandover, RawJoin, RawMutex,
    RawRwLock,
};
pub(crate) use event::{
    BlockReason, Blocked, Cancel, Event, ObjId, ObjKind, ObjectInfo, Op, Recording, Site,
    ThreadIdx, ThreadInfo, WakerEvent, WakerNote, Woke,
};
pub(crate) use execution::{
    Detail, Execution, FailureRecord, LockFrame, ThreadRef, is_live, set_sole,
};
pub(crate) use frame::{
    announce, async_lock_released, async_lock_taken, atomic, backend_op, blocking,
    blocking_on_thread, engine_call, lock, lock_acquired, lock_acquiring, lock_released, op,
    stepping_aside, unlock, yield_point,
};
pub(crate) use lent::{Lent, WriteBack};
pub(crate) use local::{Local, local};
pub(crate) use slot::{Bound, Fresh, Slot};
pub(crate) use thread_stack::ThreadStack;
pub(crate) use threads::Parker;
pub(crate) use token::RawToken;

use crate::kinds::FailureKind;

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

/// The payload a model thread unwinds with when its engine abandons the execution under way
/// (a run that is no execution of the program; see `Backend::abandons_runs`): caught where
/// the thread's body started, so the thread ends quietly, and the engine ends the run once
/// every thread has. Its stack is unwound rather than left behind (an engine that stopped the
/// run at once would leak every stopped thread's stack, one run after another).
pub(crate) struct Abandoned;

/// Unwinds the running model thread out of an abandoned execution (see [`Abandoned`]). No
/// panic hook runs; destructors on the way see `std::thread::panicking()`.
pub(crate) fn abandon_thread() -> ! {
    if let Some(local) = local() {
        local.exec.set_over();
        local.exec.set_abandoning(local.running());
    }
    std::panic::resume_unwind(Box::new(Abandoned))
}

/// Whether `payload` is a thread's unwinding out of an abandoned execution.
pub(crate) fn is_abandoned(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<Abandoned>()
}

/// In an abandoned execution, lets the other threads run (and unwind) until `done`: for a
/// thread that must not unwind before others have (a scope, before its threads end: they
/// borrow from its frame).
pub(crate) fn wait_out_abandoned(done: impl Fn() -> bool) {
    let Some(local) = local() else { return };
    while !done() {
        local.exec.backend.step_aside();
    }
}

/// Runs a model thread's body: whether it ran to its end, not out of an abandoned execution.
/// Caught only for an engine that abandons runs: the other engines' panics unwind as they
/// always did, with no catch and resumed unwind on the way.
fn run_body(exec: &Execution, body: impl FnOnce()) -> bool {
    use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
    if !exec.backend.abandons_runs() {
        body();
        return true;
    }
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(()) => true,
        Err(payload) if is_abandoned(&*payload) => false,
        Err(payload) => resume_unwind(payload),
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

/// Fails the running execution with a [`FailureKind::Misuse`]: the program used tapestry in a
/// way no engine can model (for facade modules, which know no failure kinds).
pub(crate) fn misuse(message: String) -> ! {
    fail(FailureKind::Misuse, message)
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
        None => (ObjRef { exec: 0, id: 0 }, make(native::native())),
        Some(local) => {
            let id = local.exec.next_object();
            local.record_object(ObjectInfo {
                id,
                kind,
                name,
                site,
            });
            let backend = &*local.exec.backend;
            backend.creating(Some(site));
            let raw = make(backend);
            backend.creating(None);
            let exec = local.exec.id();
            (ObjRef { exec, id }, raw)
        }
    }
}

/// The time on the running execution's virtual clock, since the execution began, under a
/// model engine; `None` outside explorations and under the stress engine, whose threads are
/// real and read the real clock.
///
/// Model engines run no thread for any real length of time, so their executions keep a clock
/// of their own: it starts at 0 when the execution begins and moves only when a thread comes
/// back from a sleep or from a timed wait that timed out, to the moment that sleep or wait was
/// due to end ([`advance_to`]). It is a function of the schedule alone, so a replay reads the
/// same times, and it never goes back.
pub(crate) fn virtual_now() -> Option<std::time::Duration> {
    let local = local()?;
    if local.exec.concurrent {
        return None;
    }
    Some(std::time::Duration::from_nanos(local.exec.clock()))
}

/// A sleep or a timed wait that started at `start` on the virtual clock (see [`virtual_now`])
/// and lasted `duration` has ended: the clock moves on to its end, unless it is there already.
pub(crate) fn advance_to(start: std::time::Duration, duration: std::time::Duration) {
    if let Some(local) = local()
        && !local.exec.concurrent
    {
        let end = start.saturating_add(duration);
        local
            .exec
            .advance_clock(u64::try_from(end.as_nanos()).unwrap_or(u64::MAX));
    }
}

/// The running thread now holds `value` `&mut` (see [`WriteBack`]).
pub(crate) fn park(value: *const dyn WriteBack) {
    if let Some(local) = local() {
        local.park(value);
    }
}

/// `value` is no longer held, or is being dropped (see [`WriteBack`]).
pub(crate) fn unpark(value: *const dyn WriteBack) {
    if let Some(local) = local() {
        local.unpark(value);
    }
}

/// Runs `init`, the initialiser of the facade object at `addr` (a `LazyLock`'s, a
/// `OnceLock`'s): if that object is a `static`, what `init` allocates belongs to it, and the
/// execution's leak check does not count it (a static's value is not freed when an execution
/// ends, under std or here).
pub(crate) fn initialising_static<R>(addr: usize, init: impl FnOnce() -> R) -> R {
    let Some(local) = local().filter(|_| statics::contains(addr)) else {
        return init();
    };
    struct Done<'a>(&'a Execution, ThreadIdx);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.end_static_init(self.1);
        }
    }
    let me = local.running();
    local.exec.begin_static_init(me);
    let _done = Done(&local.exec, me);
    init()
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

/// Whether `site` is a line of tapestry's own source (an operation tapestry does for a task,
/// such as a waker's wake or a join handle's lock): it says nothing to a reader and moves with
/// every edit of tapestry, so a trace shows no line for it.
pub(crate) fn is_ours(site: &std::panic::Location<'_>) -> bool {
    // This file's path ends in `rt/mod.rs`; what comes before is the crate's source folder,
    // written as every `Location` of the crate writes it.
    let this = file!();
    let ours = &this[..this.len() - "rt/mod.rs".len()];
    site.file().starts_with(ours)
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
///
/// On an engine that cannot go on after a task's panic (`Backend::survives_task_panics`), the
/// first operation made while one unwinds fails the execution here, as one the engine cannot
/// run: the unwinding goes on without engine calls, as after any failure. A task panic whose
/// unwinding makes no operation is returned by its handle as on the other engines.
pub(crate) fn teardown() -> bool {
    if !std::thread::panicking() {
        return false;
    }
    let Some(local) = local() else {
        return false;
    };
    if local.exec.has_failed() {
        return true;
    }
    if local.exec.backend.survives_task_panics() || !tasks::task_panic_unwinding() {
        return false;
    }
    let panic = local.exec.last_task_panic().unwrap_or_default();
    let panic = panic.lines().next().unwrap_or_default();
    local.exec.record_failure(FailureRecord::new(
        FailureKind::Unsupported,
        format!(
            "a task's panic (`{panic}`), which its `JoinHandle` returns, unwound through an \
             operation, and this engine cannot go on after that (while the panic unwinds, \
             other threads run on the one OS thread whose panic state they share)"
        ),
        local.running(),
    ));
    true
}

/// Whether the running thread is panicking, for what std decides by `thread::panicking`
/// (poisoning a lock whose guard drops while it unwinds). The model engines run every model
/// thread on one OS thread, whose panic state they share: while one thread's panic unwinds
/// through an operation that lets another run (a guard's drop), std would call that other
/// thread panicking too. Under an exploration a model thread is panicking from the moment the
/// hook sees its panic until a task's poll catches it (`catch_task_panic`), or its thread
/// ends; a `catch_unwind` of the program's own is not seen, so its thread counts as
/// panicking while another thread's panic unwinds.
pub(crate) fn panicking() -> bool {
    if !std::thread::panicking() {
        return false;
    }
    local().is_none_or(|l| l.exec.is_unwinding(l.running()))
}

/// Whether the running model thread unwinds: its own panic, as [`panicking`] says, or out of
/// an abandoned execution ([`abandon_thread`]), not merely while another thread does (every
/// model thread shares the OS thread's `std::thread::panicking()`).
pub(crate) fn unwinding() -> bool {
    if !std::thread::panicking() {
        return false;
    }
    local().is_none_or(|l| l.exec.is_unwinding(l.running()) || l.exec.is_abandoning(l.running()))
}

/// The running model thread and the execution it belongs to, when an exploration runs on this
/// OS thread.
pub(crate) fn current_thread() -> Option<(u64, ThreadIdx)> {
    local().map(|l| (l.exec.id(), l.running()))
}

/// The running execution's threads that have not finished and are not blocked in a facade
/// operation (some of those marked blocked may be about to return).
pub(crate) fn unblocked_threads() -> Vec<ThreadIdx> {
    local().map_or_else(Vec::new, |l| l.exec.unblocked_threads())
}

/// How many model threads the running execution has started, the test body's included.
pub(crate) fn thread_count() -> u32 {
    local().map_or(0, |l| l.exec.thread_count())
}

/// The name a model thread was spawned with.
pub(crate) fn thread_name(idx: ThreadIdx) -> Option<std::sync::Arc<str>> {
    local()?.exec.thread_name(idx)
}

/// Model thread `idx` of the running execution as traces name it: its name, else `main` or
/// `T<idx>`.
pub(crate) fn thread_label(idx: ThreadIdx) -> String {
    match thread_name(idx) {
        Some(name) => name.to_string(),
        None if idx == 0 => "main".to_owned(),
        None => format!("T{idx}"),
    }
}

/// Whether model thread `idx` of the running execution has finished.
pub(crate) fn is_finished(idx: ThreadIdx) -> bool {
    local().is_some_and(|l| l.exec.is_finished(idx))
}

/// Runs `make` with the running execution's backend, to make raw objects that the facade keeps
/// for itself and that are no object of the program (a thread's parker, how a scoped thread's
/// end is waited for): nothing is recorded. `None` outside explorations.
pub(crate) fn with_backend<R>(make: impl FnOnce(&dyn Backend) -> R) -> Option<R> {
    local().map(|local| make(&*local.exec.backend))
}

/// Model thread `idx`'s parker in the running execution, made by `make` on first use; `None`
/// outside explorations and once the thread has exited (an unpark then has nothing to wake).
pub(crate) fn parker(idx: ThreadIdx, make: impl FnOnce(&dyn Backend) -> Parker) -> Option<Parker> {
    let local = local()?;
    local.exec.parker(idx, || make(&*local.exec.backend))
}

/// Notes an ordering a fence used (atomic operations note theirs in `race::atomic`): see
/// `EngineReport::weak_orderings`.
pub(crate) fn note_order(order: std::sync::atomic::Ordering) {
    if let Some(local) = local() {
        local.exec.note_order(order);
    }
}

/// The index in the running execution's recording of the event the running thread records
/// next, if it records events: an engine that knows which store a read reads names stores by
/// it ([`note_read_from`]).
pub(crate) fn next_step() -> Option<u32> {
    local()?.next_step()
}

/// The event the running thread records at index `step` (the next: [`next_step`]), a read,
/// read the store recorded at index `from` (`None`: the initial value), so that its trace need
/// not guess by value.
pub(crate) fn note_read_from(step: u32, from: Option<u32>) {
    if let Some(local) = local() {
        local.note_read_from(step, from);
    }
}

/// Whether the running execution's threads are real OS threads (the stress engine), which run
/// on while this one waits outside the engine.
pub(crate) fn real_threads() -> bool {
    local().is_some_and(|l| l.exec.concurrent)
}

/// What `thread::available_parallelism` says in the running execution: `None` outside
/// explorations, `Some(None)` for the machine's own count (see `Execution::parallelism`).
pub(crate) fn available_parallelism() -> Option<Option<std::num::NonZeroUsize>> {
    local().map(|l| l.exec.parallelism())
}

/// Starts a model thread. Returns `None` outside explorations (the caller uses std).
/// `registered` learns the thread's number before the thread can run (a scope notes which
/// thread each of its slots is).
pub(crate) fn spawn(
    name: Option<String>,
    stack_size: Option<usize>,
    priority: priority::Priority,
    site: Site,
    body: Box<dyn FnOnce() + Send + 'static>,
    registered: impl FnOnce(ThreadIdx),
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
    local.settle();
    let parent = local.running();
    let child = exec.new_thread(name.as_deref(), priority);
    registered(child);
    race::spawned(child);
    local.record_thread(ThreadInfo {
        idx: child,
        name: name.clone(),
    });
    local.record(parent, 0, || Op::Spawn { child }, site);
    let body = Unstarted::new(body);
    let raw = exec.backend.spawn(
        exec,
        child,
        Box::new(move || {
            let local = crate::rt::local().expect("an engine runs model threads with a Local");
            local.set_running(child);
            if run_body(&local.exec, || body.start()) {
                exit_thread(local, child);
            }
        }),
        name.as_deref(),
        stack_size,
    );
    local.set_running(parent);
    Some((child, raw))
}

/// A spawned thread's body until the thread starts. An engine that abandons an execution may
/// drop the body of a thread that never started, and when it pleases: shuttle drops it when
/// its stack is reused in a later execution, inside a call of its own. The body's captures
/// may hold the abandoned execution's objects, whose destructors would run facade operations
/// there; so an unstarted body is leaked, never dropped, as the values of threads that never
/// exit are (`locals`).
struct Unstarted(std::mem::ManuallyDrop<Box<dyn FnOnce() + Send + 'static>>);

impl Unstarted {
    fn new(body: Box<dyn FnOnce() + Send + 'static>) -> Unstarted {
        Unstarted(std::mem::ManuallyDrop::new(body))
    }

    fn start(mut self) {
        // SAFETY: taken once, from a wrapper that is dropped (with no `Drop`) right after.
        let body = unsafe { std::mem::ManuallyDrop::take(&mut self.0) };
        body();
    }
}

/// Runs the test body as thread 0 of a new execution of the `Local` installed here.
pub(crate) fn run_main(body: &dyn Fn()) {
    let local = local().expect("an engine runs the test body with a Local installed");
    keep_prediction_trace(local);
    local.exec.begin();
    local.exec.backend.begin();
    local.clear_recording();
    local.forget_yields();
    local.forget_parked();
    local.set_running(0);
    if !run_body(&local.exec, body) {
        return;
    }
    // A std thread of the body's used an object of this execution; the body may not have
    // noticed its panic.
    if let Some(message) = hook::take_foreign_use(local.exec.id()) {
        fail(FailureKind::Misuse, message);
    }
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

fn exit_thread(local: &Local, idx: ThreadIdx) {
    // Before the thread counts as finished, as std runs them before its join returns; their
    // destructors are the thread's last operations.
    locals::drop_values(local.exec.id(), idx);
    local.settle();
    if !teardown() {
        local.exec.backend.thread_finishing();
    }
    local.record(idx, 0, || Op::Exit, std::panic::Location::caller());
    let last = local.exec.finish_thread(idx);
    drop(local.exec.take_parker(idx));
    if last && !local.exec.has_failed() {
        if let Some(record) = local.exec.take_unseen_task_panic() {
            let message = record.message.clone();
            local.exec.record_failure(record);
            fail(FailureKind::Panic, message);
        }
        if let Some(leaks) = local.exec.heap.leaks() {
            fail(FailureKind::Leak, leaks.to_string());
        }
    }
}
