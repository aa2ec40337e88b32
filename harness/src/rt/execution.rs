//! The state one exploration shares between its model threads, reset for every execution.

use std::num::NonZeroUsize;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering::*};

use parking_lot::Mutex;

use super::backend::Backend;
use super::clock::Views;
use super::event::{BlockReason, ThreadIdx, WakerNote};
use super::event::{ObjId, Site};
use super::heap::Heap;
use super::lock_order::{LockGraph, Nesting};
use super::priority::{Inversion, InversionWatch, Priority, ThreadView};
use super::race::{SyncClock, ThreadClocks};
use super::threads::{Parker, ThreadTable};
use crate::kinds::EngineKind;

mod async_locks;
mod ending;
mod failure;
mod liveness;
mod prediction;
mod task_panics;
mod thread_ref;

pub(crate) use async_locks::AsyncLocks;
pub(crate) use failure::{Detail, FailureRecord};
pub(crate) use prediction::Prediction;
use task_panics::TaskPanics;
pub(crate) use thread_ref::{LockFrame, ThreadRef};

/// Execution ids are unique in the process, so an object that strays from one execution into
/// another (through a `static`, say) is caught at its first use. 0 means "outside explorations".
/// Each exploration takes them in blocks of `ID_BLOCK`, so that parallel workers do not write
/// one shared counter at every execution.
static NEXT_ID_BLOCK: AtomicU64 = AtomicU64::new(1);
const ID_BLOCK: u64 = 1 << 16;

/// Whether `id` may be an execution's: none at or above it has been handed out (a facade
/// object's memory that says otherwise is no facade object's any more: see `rt::slot`).
pub(crate) fn may_be_execution(id: u64) -> bool {
    id < NEXT_ID_BLOCK.load(Relaxed).saturating_mul(ID_BLOCK)
}

/// The id of the execution each exploration runs (or last ran), for [`is_live`].
static LIVE: Mutex<Vec<Arc<AtomicU64>>> = Mutex::new(Vec::new());

/// Whether execution `id` may still be running: its exploration has not begun another one.
/// A `static` facade object bound to it must not be reset under it (see `rt::slot`).
pub(crate) fn is_live(id: u64) -> bool {
    LIVE.lock()
        .iter()
        .any(|current| current.load(Relaxed) == id)
}

/// The execution an exploration of this process runs (or last ran), if one exists.
pub(crate) fn any_live() -> Option<u64> {
    LIVE.lock()
        .iter()
        .map(|current| current.load(Relaxed))
        .find(|&id| id != 0)
}

/// This process runs one test's explorations and nothing else (the child process of an
/// isolated `#[tapestry::test]`): code outside explorations that touches a facade object while
/// one runs is the test's own std thread.
static SOLE: AtomicBool = AtomicBool::new(false);

/// Says that this process runs one test's explorations and nothing else (see [`SOLE`]).
pub(crate) fn set_sole() {
    SOLE.store(true, Relaxed);
}

pub(crate) fn is_sole() -> bool {
    SOLE.load(Relaxed)
}

pub(crate) struct Execution {
    pub(crate) backend: Box<dyn Backend>,
    /// Model threads are real OS threads (the stress engine): events carry timestamps and
    /// every field here may be touched concurrently.
    ///
    /// Architecture invariant: an execution that is not concurrent is only ever touched by the
    /// OS thread that runs it (a model engine runs every model thread there, one at a time, and
    /// only that thread has a `Local` for it), so its per-thread state needs no lock.
    pub(crate) concurrent: bool,
    /// Facade operations are recorded as events (see `Explorer::tracing`).
    pub(crate) tracing: bool,
    id: AtomicU64,
    /// `id`, as [`is_live`] sees it.
    published: Arc<AtomicU64>,
    executions: AtomicU64,
    /// The name of thread 0, shared by every execution of this exploration only.
    main_name: Arc<str>,
    next_object: AtomicU32,
    threads: ThreadTable,
    unfinished: AtomicU32,
    /// Whether an atomic operation or fence of any execution so far used an ordering weaker
    /// than `SeqCst` (kept across executions: see `weak_orderings`).
    weak_orderings: AtomicBool,
    /// What this execution allocated and has not freed.
    pub(crate) heap: Heap,
    failed: AtomicBool,
    failure: Mutex<Option<FailureRecord>>,
    /// `backend.acts_before_ops()`.
    before_ops: bool,
    /// Facade operations so far, counted under model engines for the watchdog
    /// (`engine::hang`); the stress engine counts its own, per worker.
    heartbeat: AtomicU64,
    /// The engine's own work between executions is under way (a DPOR search's analysis of the
    /// execution that ended, the c11 engine's revisits): no program code runs, so the
    /// watchdog sees no hang however long it takes (`engine::hang::Working`).
    pub(crate) engine_working: AtomicBool,
    /// The execution is over while its threads may still run: it failed, or its engine
    /// abandoned it. Operations made then are counted (`op_after_end`).
    over: AtomicBool,
    ops_after_end: AtomicU64,
    /// The engine exploring, for what a crash or a hang report says.
    pub(crate) engine: Option<EngineKind>,
    /// Set by an engine with real threads to make every blocked facade operation unwind.
    pub(crate) aborting: AtomicBool,
    /// The facade keeps vector clocks and checks cell accesses (engines without a memory model
    /// of their own).
    pub(crate) detects_races: bool,
    /// Lock-order cycles are predicted (`Explorer::lock_order`).
    lock_order: bool,
    /// The [`Views`] vector clocks are kept in now; see [`Execution::keep_clocks`].
    views: AtomicU8,
    /// What every `SeqCst` fence so far released: the next one acquires it.
    pub(crate) sequential: SyncClock,
    lock_graph: Mutex<LockGraph>,
    /// The locks of this execution's lock-order edges, whose handoffs the order view skips.
    nesting: Mutex<Nesting>,
    /// The first lock-order cycle of the exploration (it survives from execution to execution).
    prediction: Mutex<Option<Prediction>>,
    /// The locks that pass waiters' priorities on to their holder (`sync::PiMutex`).
    inheriting: Mutex<Vec<ObjId>>,
    inversions: Mutex<InversionWatch>,
    /// What `thread::available_parallelism` says (`Explorer::available_parallelism`); `None`:
    /// the default (see [`Execution::parallelism`]).
    parallelism: Option<NonZeroUsize>,
    /// The async runtime's workers (`Explorer::workers`); `None`: unlimited.
    workers: Option<NonZeroUsize>,
    /// When timeouts may fire (`Explorer::timeouts`).
    pub(crate) timeouts: crate::kinds::Timeouts,
    /// Note the line of user code behind each waker event (`Limits::waker_sites`).
    pub(crate) waker_sites: bool,
    /// The locks of `tapestry::tokio` tasks wait for and hold, for deadlock reports.
    async_locks: Mutex<AsyncLocks>,
    /// Panics of tasks that their handles will return, until one does.
    task_panics: Mutex<TaskPanics>,
    /// The virtual clock of a model engine's execution: nanoseconds since it began (see
    /// `rt::virtual_now`).
    clock: AtomicU64,
}

impl Drop for Execution {
    fn drop(&mut self) {
        LIVE.lock()
            .retain(|current| !Arc::ptr_eq(current, &self.published));
    }
}
/// What `thread::available_parallelism` says under model engines unless told otherwise: a
/// small machine's count, so that code sizing a pool by it spawns a few threads, not as many as
/// the machine exploring has cores (which would be slower to explore and, above five, too many
/// for loom).
pub(crate) const MODEL_PARALLELISM: NonZeroUsize = NonZeroUsize::new(4).unwrap();

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("id", &self.id())
            .field("concurrent", &self.concurrent)
            .finish_non_exhaustive()
    }
}

impl Execution {
    pub(crate) fn new(backend: Box<dyn Backend>, concurrent: bool) -> Execution {
        let published = Arc::new(AtomicU64::new(0));
        LIVE.lock().push(published.clone());
        Execution {
            published,
            concurrent,
            tracing: true,
            id: AtomicU64::new(0),
            executions: AtomicU64::new(0),
            main_name: Arc::from("main"),
            next_object: AtomicU32::new(0),
            threads: ThreadTable::new(),
            unfinished: AtomicU32::new(0),
            heap: Heap::default(),
            weak_orderings: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            aborting: AtomicBool::new(false),
            detects_races: backend.detects_races(),
            lock_order: true,
            before_ops: backend.acts_before_ops(),
            heartbeat: AtomicU64::new(0),
            engine_working: AtomicBool::new(false),
            over: AtomicBool::new(false),
            ops_after_end: AtomicU64::new(0),
            engine: None,
            views: AtomicU8::new(0),
            sequential: SyncClock::default(),
            lock_graph: Mutex::new(LockGraph::default()),
            nesting: Mutex::new(Nesting::default()),
            prediction: Mutex::new(None),
            inheriting: Mutex::new(Vec::new()),
            inversions: Mutex::new(InversionWatch::default()),
            parallelism: None,
            workers: None,
            timeouts: crate::kinds::Timeouts::Early,
            waker_sites: false,
            async_locks: Mutex::new(AsyncLocks::default()),
            task_panics: Mutex::new(TaskPanics::default()),
            clock: AtomicU64::new(0),
            backend,
        }
    }

    /// Lets the engine act before a facade operation (see `Backend::before_op`).
    #[inline]
    pub(crate) fn before_op(&self) {
        if self.before_ops {
            self.backend.before_op();
        }
        if !self.concurrent {
            // Only the exploration's OS thread writes it: a load and a store, no locked
            // instruction.
            self.heartbeat
                .store(self.heartbeat.load(Relaxed).wrapping_add(1), Relaxed);
        }
        if self.over.load(Relaxed) {
            self.op_after_end();
        }
    }

    /// Facade operations of a model engine so far, and executions begun: the watchdog sees
    /// progress when either moves.
    pub(crate) fn heartbeat(&self) -> (u64, u64) {
        (self.heartbeat.load(Relaxed), self.executions.load(Relaxed))
    }

    /// Names the engine exploring, for crash and hang reports.
    pub(crate) fn engine(mut self, engine: Option<EngineKind>) -> Execution {
        self.engine = engine;
        self
    }

    /// Records facade operations as events, or (`false`) only objects and threads.
    pub(crate) fn tracing(mut self, on: bool) -> Execution {
        self.tracing = on;
        self
    }

    /// Predicts deadlocks from lock orders (the default), or (`false`) not at all.
    pub(crate) fn lock_order(mut self, on: bool) -> Execution {
        self.lock_order = on;
        self
    }

    /// Makes `thread::available_parallelism` say `n` (`None`: the default).
    pub(crate) fn available_parallelism(mut self, n: Option<NonZeroUsize>) -> Execution {
        self.parallelism = n;
        self
    }

    /// Models an async runtime with `n` workers (`None`: unlimited).
    pub(crate) fn workers(mut self, n: Option<NonZeroUsize>) -> Execution {
        self.workers = n;
        self
    }

    /// When timeouts may fire (`Explorer::timeouts`).
    pub(crate) fn timeouts(mut self, timeouts: crate::kinds::Timeouts) -> Execution {
        self.timeouts = timeouts;
        self
    }

    /// Notes the line of user code behind each waker event (`Limits::waker_sites`).
    pub(crate) fn waker_sites(mut self, on: bool) -> Execution {
        self.waker_sites = on;
        self
    }

    /// The async runtime's workers, if limited.
    pub(crate) fn worker_count(&self) -> Option<NonZeroUsize> {
        self.workers
    }

    /// What `thread::available_parallelism` says: the configured count, else
    /// [`MODEL_PARALLELISM`] under model engines, or `None` for the machine's own (real threads).
    pub(crate) fn parallelism(&self) -> Option<NonZeroUsize> {
        match self.parallelism {
            Some(n) => Some(n),
            None if self.concurrent => None,
            None => Some(MODEL_PARALLELISM),
        }
    }

    /// Starts a new execution: fresh id, no objects, one running thread (the test body).
    pub(crate) fn begin(&self) {
        let next = self.id.load(Relaxed) + 1;
        let id = if next == 1 || next.is_multiple_of(ID_BLOCK) {
            NEXT_ID_BLOCK.fetch_add(1, Relaxed) * ID_BLOCK
        } else {
            next
        };
        self.id.store(id, Relaxed);
        self.published.store(id, Relaxed);
        self.executions.fetch_add(1, Relaxed);
        self.next_object.store(0, Relaxed);
        self.threads.reset();
        self.threads.push();
        *self.threads.slot(0).name.lock() = Some(self.main_name.clone());
        self.unfinished.store(1, Relaxed);
        self.heap.reset();
        self.failed.store(false, Relaxed);
        self.over.store(false, Relaxed);
        self.ops_after_end.store(0, Relaxed);
        *self.failure.lock() = None;
        self.aborting.store(false, Relaxed);
        self.sequential.clear();
        self.clock.store(0, Relaxed);
        // Real threads keep the race view from the start (see `keep_clocks`).
        let views = match self.detects_races && self.concurrent {
            true => Views::RACE,
            false => Views::NONE,
        };
        self.views.store(views.bits(), Relaxed);
        self.lock_graph.lock().clear();
        self.nesting.lock().clear();
        self.inheriting.lock().clear();
        self.inversions.lock().clear();
        self.forget_task_panics();
    }

    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.id.load(Relaxed)
    }

    /// How many executions have begun.
    pub(crate) fn executions(&self) -> u64 {
        self.executions.load(Relaxed)
    }

    pub(crate) fn next_object(&self) -> u32 {
        self.next_object.fetch_add(1, Relaxed)
    }

    /// Registers a new thread and returns its number.
    pub(crate) fn new_thread(&self, name: Option<&str>, priority: Priority) -> ThreadIdx {
        self.unfinished.fetch_add(1, Relaxed);
        let idx = self.threads.push();
        let slot = self.threads.slot(idx);
        *slot.name.lock() = name.map(Arc::from);
        slot.priority.store(priority, Relaxed);
        idx
    }

    pub(crate) fn priority(&self, idx: ThreadIdx) -> Priority {
        self.threads.slot(idx).priority.load(Relaxed)
    }

    /// Lock `lock` passes its waiters' priorities on to its holder.
    pub(crate) fn inherit_priority(&self, lock: ObjId) {
        self.inheriting.lock().push(lock);
    }

    /// Every thread's priority, blocked lock and held locks (finished threads hold nothing).
    fn priority_view(&self) -> Vec<ThreadView> {
        (0..self.threads.len())
            .map(|idx| {
                let waits_for = self.threads.slot(idx).blocked().and_then(|b| {
                    matches!(
                        b.reason,
                        BlockReason::Lock | BlockReason::Read | BlockReason::Write
                    )
                    .then_some(b.target)
                });
                ThreadView {
                    own: self.priority(idx),
                    waits_for: waits_for.filter(|_| !self.is_finished(idx)),
                    holds: self.with_state(&self.threads.slot(idx).held, |held| held.locks()),
                }
            })
            .collect()
    }

    /// Every thread's effective priority (with inheritance), indexed by thread.
    pub(crate) fn effective_priorities(&self) -> Vec<Priority> {
        super::priority::effective(&self.priority_view(), &self.inheriting.lock())
    }

    /// Thread `running` takes a step: the inversion it prolongs past `bound` steps, if any.
    pub(crate) fn inversion_step(&self, running: ThreadIdx, bound: u64) -> Option<Inversion> {
        let view = self.priority_view();
        let inheriting = self.inheriting.lock().clone();
        self.inversions
            .lock()
            .step(&view, &inheriting, running, bound)
    }

    pub(crate) fn thread_name(&self, idx: ThreadIdx) -> Option<Arc<str>> {
        if idx >= self.threads.len() {
            return None;
        }
        self.threads.slot(idx).name.lock().clone()
    }

    pub(crate) fn thread_count(&self) -> u32 {
        self.threads.len()
    }

    /// Thread `idx`'s parker, made by `make` if it has none; `None` once it has exited.
    pub(crate) fn parker(&self, idx: ThreadIdx, make: impl FnOnce() -> Parker) -> Option<Parker> {
        let slot = self.threads.slot(idx);
        let mut parker = slot.parker.lock();
        // Checked under the parker's lock, which the exiting thread takes after marking itself
        // finished: no parker is made for a thread that will not drop it.
        if slot.finished.load(Acquire) {
            return None;
        }
        Some(parker.get_or_insert_with(make).clone())
    }

    /// Takes thread `idx`'s parker, as it exits.
    pub(crate) fn take_parker(&self, idx: ThreadIdx) -> Option<Parker> {
        self.threads.slot(idx).parker.lock().take()
    }

    /// Marks a thread finished; returns `true` for the last unfinished thread, which is where
    /// end-of-execution checks run (inside the model, so they can still fail it).
    pub(crate) fn finish_thread(&self, idx: ThreadIdx) -> bool {
        self.threads.slot(idx).finished.store(true, Release);
        self.unfinished.fetch_sub(1, AcqRel) == 1
    }

    #[inline]
    pub(crate) fn is_finished(&self, idx: ThreadIdx) -> bool {
        self.threads.slot(idx).finished.load(Acquire)
    }

    /// Thread `idx`, looked up once for the several updates of one operation.
    #[inline]
    pub(crate) fn thread(&self, idx: ThreadIdx) -> ThreadRef<'_> {
        ThreadRef {
            exec: self,
            slot: self.threads.slot(idx),
            idx,
        }
    }

    /// Whether vector clocks are kept now, in any view.
    #[inline]
    pub(crate) fn clocks_on(&self) -> bool {
        self.views().any()
    }

    /// The views vector clocks are kept in now.
    #[inline]
    pub(crate) fn views(&self) -> Views {
        Views::from_bits(self.views.load(Relaxed))
    }

    /// Starts keeping vector clocks in `view` (`Views::RACE` or `Views::ORDER`), if this
    /// execution wants that view (the engine wants races detected; lock orders are predicted)
    /// and it is not kept yet.
    ///
    /// A model engine starts the race view at the execution's first cell: a happens-before
    /// path between two accesses to a cell only passes through events between them, so no
    /// event before the cell existed matters, and until then every clock stayed empty. It
    /// starts the order view at the first lock-order edge, for the same reason (`lock_order`
    /// compares edges only). Each thread starts an epoch of its own, so that no thread's past
    /// seems to happen before another's present.
    ///
    /// Real threads (the stress engine) keep the race view from the start: there, no single
    /// moment comes before every thread's next step, and a cell access can be racing with one
    /// made before the cell's creation was seen. The order view starts lazily there too: an
    /// edge's own thread starts it before recording the edge, and every later link of a
    /// happens-before path from that edge is an operation that synchronised with a thread
    /// that had seen the view start, so it sees it too (see ARCHITECTURE.md on what an atomic
    /// operation in flight at that moment may miss). The view is marked kept before the
    /// threads' epochs start, and a thread reads which views are kept with its clocks locked:
    /// so a thread whose epoch has started in a view also ticks it, and one that publishes
    /// before its epoch started publishes nothing in that view.
    pub(crate) fn keep_clocks(&self, view: Views) {
        let wanted = match view {
            Views::RACE => self.detects_races,
            _ => self.lock_order,
        };
        if !wanted || self.views().has(view) {
            return;
        }
        self.views.fetch_or(view.bits(), Relaxed);
        for idx in 0..self.threads.len() {
            self.with_clocks(idx, |clocks| clocks.now.tick(idx, view));
        }
    }

    /// Whether `lock` has taken part in a lock-order edge of this execution.
    pub(crate) fn nests(&self, lock: ObjId) -> bool {
        self.with_state(&self.nesting, |nesting| nesting.contains(lock))
    }

    /// Runs `f` on `state`, part of one thread's state. Only a concurrent execution takes its
    /// lock (see [`Execution::concurrent`]).
    #[inline(always)]
    fn with_state<T, R>(&self, state: &Mutex<T>, f: impl FnOnce(&mut T) -> R) -> R {
        if self.concurrent {
            return locked(state, f);
        }
        // SAFETY: this execution is only touched by the OS thread running this call (the
        // invariant on `concurrent`), and `f` does not reach `state` again, so no other
        // reference to it exists while `f` runs.
        f(unsafe { &mut *state.data_ptr() })
    }

    /// Runs `f` on the clocks of thread `idx`.
    #[inline]
    pub(crate) fn with_clocks<R>(
        &self,
        idx: ThreadIdx,
        f: impl FnOnce(&mut ThreadClocks) -> R,
    ) -> R {
        self.with_state(&self.threads.slot(idx).clocks, f)
    }

    /// The virtual clock: nanoseconds since the execution began.
    pub(crate) fn clock(&self) -> u64 {
        self.clock.load(Relaxed)
    }

    /// The locks of `tapestry::tokio` that tasks wait for and hold.
    pub(crate) fn async_locks(&self) -> parking_lot::MutexGuard<'_, AsyncLocks> {
        self.async_locks.lock()
    }

    /// Moves the virtual clock to `nanos`, if it is not past it already: it never goes back.
    pub(crate) fn advance_clock(&self, nanos: u64) {
        self.clock.fetch_max(nanos, Relaxed);
    }

    /// Notes an atomic operation's or fence's ordering.
    #[inline]
    pub(crate) fn note_order(&self, order: std::sync::atomic::Ordering) {
        if order != std::sync::atomic::Ordering::SeqCst && !self.weak_orderings.load(Relaxed) {
            self.weak_orderings.store(true, Relaxed);
        }
    }

    /// Whether any execution of this exploration used an ordering weaker than `SeqCst`.
    pub(crate) fn weak_orderings(&self) -> bool {
        self.weak_orderings.load(Relaxed)
    }

    /// Thread `idx` starts initialising a static (see `rt::initialising_static`).
    pub(crate) fn begin_static_init(&self, idx: ThreadIdx) {
        self.threads.slot(idx).initialising.fetch_add(1, Relaxed);
    }

    pub(crate) fn end_static_init(&self, idx: ThreadIdx) {
        self.threads.slot(idx).initialising.fetch_sub(1, Relaxed);
    }

    /// Whether thread `idx` is initialising a static.
    pub(crate) fn initialising_static(&self, idx: ThreadIdx) -> bool {
        self.threads.slot(idx).initialising.load(Relaxed) > 0
    }

    /// Once a failure is recorded the execution is over: later events (destructors running
    /// while threads unwind) are not part of the interleaving that failed.
    #[inline]
    pub(crate) fn has_failed(&self) -> bool {
        self.failed.load(Relaxed)
    }

    /// Notes `note` as the last thing that happened to the waker of the task on `task`.
    pub(crate) fn note_waker(&self, task: ThreadIdx, note: WakerNote) {
        *self.threads.slot(task).waker.lock() = Some(note);
    }

    /// Notes that the future `task` polls waits at `site`, unless an inner one already did in
    /// this poll (see [`take_pending_at`](Self::take_pending_at)). Only `task` itself writes its
    /// site (others read it for a report), so a load then a store do without a locked
    /// instruction, which every poll would pay.
    pub(crate) fn note_pending_at(&self, task: ThreadIdx, site: Site) {
        let slot = &self.threads.slot(task).pending_at;
        if slot.load(Relaxed).is_null() {
            slot.store(site as *const Location<'static> as *mut _, Relaxed);
        }
    }

    /// Where the future `task` polls waits; `forget`: the next poll starts unknown. Called by
    /// `task` itself when it forgets (see `note_pending_at`).
    pub(crate) fn pending_at(&self, task: ThreadIdx, forget: bool) -> Option<Site> {
        let slot = &self.threads.slot(task).pending_at;
        let site = slot.load(Relaxed);
        if forget && !site.is_null() {
            slot.store(std::ptr::null_mut(), Relaxed);
        }
        // SAFETY: null, or a `&'static Location` stored by `note_pending_at`.
        unsafe { site.as_ref() }
    }

    /// Sets whether thread `idx` is in a call that must not wait (`rt::waiting`); returns
    /// what it was.
    pub(crate) fn forbid_waiting(&self, idx: ThreadIdx, forbid: bool) -> bool {
        self.threads.slot(idx).forbids_waiting.swap(forbid, Relaxed)
    }

    /// Notes whether thread `idx`'s condition-variable wait ended spuriously.
    pub(crate) fn set_woke_spuriously(&self, idx: ThreadIdx, spurious: bool) {
        self.threads
            .slot(idx)
            .woke_spuriously
            .store(spurious, Relaxed);
    }

    /// Whether thread `idx`'s last condition-variable wait ended spuriously.
    pub(crate) fn last_woke_spuriously(&self, idx: ThreadIdx) -> bool {
        self.threads.slot(idx).woke_spuriously.load(Relaxed)
    }

    /// Whether thread `idx` is in a call that must not wait.
    #[inline]
    pub(crate) fn forbids_waiting(&self, idx: ThreadIdx) -> bool {
        self.threads.slot(idx).forbids_waiting.load(Relaxed)
    }
}

/// [`Execution::with_state`] for a concurrent execution: out of line, so that the model
/// engines' inlined code holds no locking.
#[inline(never)]
fn locked<T, R>(state: &Mutex<T>, f: impl FnOnce(&mut T) -> R) -> R {
    f(&mut state.lock())
}
