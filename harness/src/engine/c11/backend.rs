//! The c11 engine's raw objects but its atomics (`atomic.rs`) and locks (`locks.rs`): places of
//! the graph, threads run by shuttle and recorded as spawns and joins, cells, `Arc` handovers.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{self, Relaxed};
use std::sync::{Arc, OnceLock};

use tapestry_c11::{EventId, Execution as Run, Loc, Ordering as C11Ordering, Tid, Val};

use parking_lot::Mutex;

use super::atomic::C11Atomic;
use super::locks::{C11Condvar, C11Mutex, C11RwLock};
use super::{Shared, SharedState};
use crate::engine::shuttle::ShuttleBackend;
use crate::engine::{hang, stack};
use crate::kinds::FailureKind;
use crate::rt::{
    self, ArcOperations, AtomicRepr, Backend, Execution, RawAtomic, RawCell, RawCondvar,
    RawHandover, RawJoin, RawMutex, RawRwLock, ThreadIdx,
};

pub(crate) struct C11Backend {
    shared: SharedState,
    inner: ShuttleBackend,
}

impl C11Backend {
    pub(crate) fn new(shared: SharedState) -> C11Backend {
        C11Backend {
            shared,
            inner: ShuttleBackend::default(),
        }
    }
}

/// Whether the running thread's operations no longer belong to the graph: the execution is
/// torn down, or the thread unwinds (its execution has failed, or its run was abandoned), and
/// a destructor that locks or stores must not fail again while it panics. The thread itself:
/// while one thread unwinds out of an abandoned run, another may run (`LowestFirst::unwinding`)
/// and see `std::thread::panicking()` too, which every model thread shares; it must go on to
/// its next step and unwind there, not take the first for gone and return from a join whose
/// thread left no result.
pub(super) fn gone() -> bool {
    rt::teardown() || rt::unwinding()
}

/// Lets the scheduler choose who runs before the running thread's next event: it runs the
/// graph's events in an order that has each read after the write it reads from.
fn step() {
    if !gone() {
        rt::engine_call(shuttle::thread::yield_now);
    }
}

/// Runs `op` on the run under way, as the graph's thread of the running model thread; if the
/// run is abandoned, unwinds the thread instead (`waits::RunWaits::abandoned`).
pub(super) fn with_run<R>(shared: &SharedState, op: impl FnOnce(&mut Run<'_>, Tid) -> R) -> R {
    with_run_unless_dropped(shared, None, op)
}

/// As [`with_run`]; first, if the object of place `id` was dropped in this run, fails the
/// execution (see [`Place::event`]).
fn with_run_unless_dropped<R>(
    shared: &Mutex<Shared>,
    id: Option<u64>,
    op: impl FnOnce(&mut Run<'_>, Tid) -> R,
) -> R {
    let me = rt::current_thread().map_or(0, |(_, t)| t);
    let mut shared = shared.lock();
    if shared.waits.abandoned {
        drop(shared);
        rt::abandon_thread();
    }
    if let Some(id) = id
        && shared.dropped.contains(&id)
    {
        drop(shared);
        rt::used_after_free();
    }
    let tid = shared
        .tid_of(me)
        .expect("every model thread is spawned through the backend");
    let mut run = shared.explorer.execution().expect("a run under way");
    let _at_work = hang::at_work();
    op(&mut run, tid)
}

/// A location of the graph, named at the object's first operation in the run
/// (`Execution::location_for`): objects are made lazily, by whichever thread uses one first.
pub(super) struct Place {
    init: Val,
    loc: OnceLock<Loc>,
    /// Unique in the process (see [`Place::event`]).
    id: u64,
    shared: SharedState,
}

/// The next [`Place::id`].
static NEXT_PLACE: AtomicU64 = AtomicU64::new(0);

impl Place {
    pub(super) fn new(init: Val, shared: &SharedState) -> Place {
        Place {
            init,
            loc: OnceLock::new(),
            id: NEXT_PLACE.fetch_add(1, Relaxed),
            shared: shared.clone(),
        }
    }

    /// The exploration's state.
    pub(super) fn shared(&self) -> &SharedState {
        &self.shared
    }

    /// The running thread's next event on this place: a scheduling point, then `op` on the
    /// run under way; an operation with no consistent choice left stops the run (`blocked`).
    ///
    /// Another thread may free the object while this one waits at the scheduling point (a
    /// program's use after free: oneshot 0.1.13's sender swaps the state of a channel its
    /// receiver has just freed), so nothing of it is touched after the step until the run
    /// says it still exists (a place's drop records it for the run); if not, the execution fails.
    pub(super) fn event<R>(&self, op: impl FnOnce(&mut Run<'_>, Tid, Loc) -> Option<R>) -> R {
        let (state, id) = (Arc::as_ptr(&self.shared), self.id);
        step();
        // SAFETY: the backend holds this state for as long as the exploration runs.
        let state = unsafe { &*state };
        // `self` is read only once the run says the object still exists.
        let result = with_run_unless_dropped(state, Some(id), |run, me| {
            let loc = *self.loc.get_or_init(|| run.location_for(me, self.init));
            op(run, me, loc)
        });
        result.unwrap_or_else(|| blocked(&self.shared))
    }

    /// The value of the `co`-latest write, for an engine's own bookkeeping.
    pub(super) fn latest(&self) -> Val {
        let mut shared = self.shared.lock();
        let (Some(run), Some(&loc)) = (shared.explorer.execution(), self.loc.get()) else {
            return self.init;
        };
        let graph = run.graph();
        graph
            .co(loc)
            .last()
            .map_or(self.init, |&last| graph.value(last))
    }
}

/// The object of this place is being dropped: a thread inside one of its operations, at the
/// scheduling point, finds that out when it resumes (see [`Place::event`]).
impl Drop for Place {
    fn drop(&mut self) {
        self.shared.lock().dropped.push(self.id);
    }
}

pub(super) fn ordering(order: Ordering) -> C11Ordering {
    match order {
        Ordering::Relaxed => C11Ordering::Relaxed,
        Ordering::Release => C11Ordering::Release,
        Ordering::Acquire => C11Ordering::Acquire,
        Ordering::AcqRel => C11Ordering::AcqRel,
        _ => C11Ordering::SeqCst,
    }
}

/// What a step with no consistent choice left means here. While sampling (an estimate), the
/// path stops at it (it turns at a backward revisit, or ends without an execution): the run
/// is abandoned, and every thread unwinds out of it (`waits::RunWaits::abandoned`).
/// Otherwise the exploration never starts such a run (`tapestry_c11::Explorer`), so it is
/// this engine's error.
fn blocked(shared: &SharedState) -> ! {
    if shared.lock().explorer.is_sampling() {
        shared.lock().waits.abandoned = true;
        rt::abandon_thread();
    }
    rt::fail(
        FailureKind::Unsupported,
        "the c11 engine found no consistent value for an atomic operation (an error of the \
         engine's: please report it)"
            .to_owned(),
    )
}

impl Backend for C11Backend {
    fn spawn(
        &self,
        exec: &Arc<Execution>,
        child: ThreadIdx,
        body: Box<dyn FnOnce() + Send + 'static>,
        name: Option<&str>,
        stack_size: Option<usize>,
    ) -> Box<dyn RawJoin> {
        let tid = with_run(&self.shared, |run, me| run.spawn(me));
        self.shared.lock().threads.push((child, tid));
        // On a stack of ours whatever its size, not shuttle's: a thread whose destructor
        // spins as it unwinds out of an abandoned run is stranded there (`rt::stranded`).
        let body = stack::wrap(stack::for_spawned(stack_size), body);
        Box::new(C11Join {
            tid,
            shared: self.shared.clone(),
            inner: self.inner.spawn(exec, child, body, name, None),
        })
    }

    fn abandons_runs(&self) -> bool {
        true
    }

    /// Its graph leaves out what threads do while a panic unwinds (see `gone`), and a
    /// task's panic that its handle returns would leave the execution going on without them
    /// (see `Backend::survives_task_panics`).
    fn survives_task_panics(&self) -> bool {
        false
    }

    fn step_aside(&self) {
        rt::engine_call(shuttle::thread::yield_now);
    }

    fn yield_now(&self) {
        if !gone() {
            return super::waits::after_yield(&self.shared);
        }
        if rt::teardown() {
            return;
        }
        // A destructor that spins as its thread unwinds out of an abandoned run may wait for
        // another thread's destructor: the scheduler lets the others run then
        // (`LowestFirst::unwinding`), and what they write is seen (`C11Atomic`).
        let yields = {
            let mut shared = self.shared.lock();
            shared.waits.unwinding_yield = shared.may_yield_unwinding();
            shared.waits.unwinding_yield
        };
        if yields {
            rt::engine_call(shuttle::thread::yield_now);
        }
    }

    fn new_mutex(&self) -> Box<dyn RawMutex> {
        Box::new(C11Mutex::new(&self.shared))
    }

    fn new_rwlock(&self) -> Box<dyn RawRwLock> {
        Box::new(C11RwLock::new(&self.shared))
    }

    fn new_condvar(&self) -> Box<dyn RawCondvar> {
        Box::new(C11Condvar::new(&self.shared))
    }

    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic> {
        Box::new(C11Atomic::new(Place::new(bits, &self.shared), repr))
    }

    fn new_cell(&self) -> Option<Box<dyn RawCell>> {
        Some(Box::new(C11Cell {
            cell: OnceLock::new(),
            shared: self.shared.clone(),
        }))
    }

    fn arc_operations(&self) -> ArcOperations {
        ArcOperations::Handover
    }

    fn new_handover(&self) -> Option<Box<dyn RawHandover>> {
        Some(Box::new(C11Handover {
            obj: parking_lot::Mutex::new(None),
            shared: self.shared.clone(),
        }))
    }

    fn fence(&self, order: Ordering) {
        if gone() {
            return;
        }
        step();
        with_run(&self.shared, |run, me| run.fence(me, ordering(order)))
            .unwrap_or_else(|| blocked(&self.shared));
    }

    /// The round's value for this choice: the exploration of graphs has no data choices, so
    /// the engine explores once per combination of their values (`engine::choices`).
    fn choose(&self, n: usize) -> Option<usize> {
        let (_, me) = rt::current_thread()?;
        Some(self.shared.lock().choices.choose(me as usize, n))
    }
}

struct C11Join {
    tid: Tid,
    shared: SharedState,
    inner: Box<dyn RawJoin>,
}

impl RawJoin for C11Join {
    fn join(self: Box<Self>) -> std::thread::Result<()> {
        let result = self.inner.join();
        if !gone() {
            with_run(&self.shared, |run, me| run.join(me, self.tid));
        }
        result
    }
}

/// An `Arc` allocation's references: each given up is a give-up event of the graph, and the
/// last one (or a `get_mut`) a take-over that they all happen before, as std's `Arc` orders
/// its drops with a release decrement each and an acquire by the last.
struct C11Handover {
    /// The graph's object of the give-ups since the last take-over, named at the first
    /// (`Execution::object_for`); `None` before it, so that a take-over with nothing given up
    /// since the last adds no event.
    obj: parking_lot::Mutex<Option<u32>>,
    shared: SharedState,
}

impl RawHandover for C11Handover {
    fn give_up(&self, last: &dyn Fn() -> bool) {
        if gone() {
            return;
        }
        // A scheduling point, so that a run that replays the graph's take-over runs it once
        // the give-ups have (`Execution::replay_ready`): the program's own count, asked next,
        // then says the same as when the graph was made.
        step();
        with_run(&self.shared, |run, me| {
            let mut obj = self.obj.lock();
            if last() {
                if let Some(obj) = obj.take() {
                    run.take_over(me, obj);
                }
            } else {
                let obj = *obj.get_or_insert_with(|| run.object_for(me));
                run.give_up(me, obj);
            }
        });
    }

    fn take_over(&self) {
        if gone() {
            return;
        }
        step();
        with_run(&self.shared, |run, me| {
            if let Some(obj) = self.obj.lock().take() {
                run.take_over(me, obj);
            }
        });
    }
}

/// Fails the execution with a data race `what` (this thread's access), against `other`,
/// which `that` (the other thread's access).
pub(super) fn data_race(shared: &SharedState, other: EventId, what: &str, that: &str) -> ! {
    let other_idx = shared.lock().idx_of(other.thread);
    let thread = other_idx.map_or_else(|| "another thread".to_owned(), rt::thread_label);
    rt::fail(
        FailureKind::DataRace,
        format!(
            "data race {what}, and {thread} {that}, and nothing orders the two accesses (under \
             the C/C++ memory model, in this execution)"
        ),
    )
}

/// An `UnsafeCell`: its accesses are plain events of the graph, and one that neither happens
/// before nor after another thread's conflicting one is a data race.
struct C11Cell {
    /// Named at its first access in the run (`Execution::cell_for`), as a [`Place`] is.
    cell: OnceLock<u32>,
    shared: SharedState,
}

impl C11Cell {
    fn access(&self, write: bool, access: &mut dyn FnMut()) {
        if !gone() {
            step();
            let raced = with_run(&self.shared, |run, me| {
                let cell = *self.cell.get_or_init(|| run.cell_for(me));
                run.plain(me, cell, write)
            });
            if let Some(other) = raced {
                let this = if write { "writes" } else { "reads" };
                let that = if write { "accesses it" } else { "writes it" };
                data_race(
                    &self.shared,
                    other,
                    &format!("on an `UnsafeCell`: this thread {this} it"),
                    that,
                );
            }
        }
        access();
    }
}

impl RawCell for C11Cell {
    fn read(&self, access: &mut dyn FnMut()) {
        self.access(false, access);
    }

    fn write(&self, access: &mut dyn FnMut()) {
        self.access(true, access);
    }
}
