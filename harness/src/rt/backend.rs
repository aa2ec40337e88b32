//! The interface between the facade and an engine.
//!
//! A facade object (`sync::Mutex`, `sync::atomic::AtomicUsize`, ...) owns one *raw* object made
//! by the backend of the execution it was created in. Raw objects carry no values and know
//! nothing about traces: the facade keeps the data, records events and implements everything
//! std promises on top (poisoning, guards, channels, barriers, `Once`). An engine only says how
//! threads run, block and wake.
//!
//! Architecture invariant: adding an engine means implementing these traits in one module under
//! `engine/`; no facade module changes.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::atomic_bits::{AtomicRepr, RmwOp};
use super::event::{Site, ThreadIdx};
use super::execution::Execution;
use super::token::RawToken;

/// How the model threads of an execution are run.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Starts model thread `child` of `exec`, running `body`, on a stack of `stack_size` bytes
    /// if the program asked for one (`thread::Builder::stack_size`), else of the engine's
    /// default.
    fn spawn(
        &self,
        exec: &Arc<Execution>,
        child: ThreadIdx,
        body: Box<dyn FnOnce() + Send + 'static>,
        name: Option<&str>,
        stack_size: Option<usize>,
    ) -> Box<dyn RawJoin>;
    /// Whether the facade should keep vector clocks and check cell accesses for races: engines
    /// that check nothing themselves (loom has its own memory model and checks).
    fn detects_races(&self) -> bool {
        false
    }
    /// The most threads (including the test body's) an execution may run, if limited.
    fn max_threads(&self) -> Option<u32> {
        None
    }
    /// Whether an execution goes on after a task's panic, which the task's `JoinHandle`
    /// returns (as tokio's). While that panic unwinds, other threads may run (a guard's drop
    /// is an operation), and on an engine that runs every thread on one OS thread they share
    /// its panic state: an engine whose own objects act on it (loom's locks keep a std lock,
    /// which its release then poisons for every thread) cannot go on, and such a panic fails
    /// the execution as one the engine cannot run.
    fn survives_task_panics(&self) -> bool {
        true
    }
    /// What a facade `Arc`'s reference counting must be to the engine (see `rt::arc_ops`).
    fn arc_operations(&self) -> ArcOperations {
        ArcOperations::None
    }
    /// Whether the engine abandons runs by unwinding their threads with `rt::Abandoned`,
    /// which `rt` then catches where each thread's body started (for no other engine).
    fn abandons_runs(&self) -> bool {
        false
    }
    /// Lets the scheduler run another thread.
    fn yield_now(&self);
    /// Lets the scheduler run another thread, with none of the engine's bookkeeping of a
    /// yield: a thread that waits, in a run its engine abandons, for others to unwind first.
    fn step_aside(&self) {
        self.yield_now();
    }
    /// Sleeps: model engines have no clock, so by default a sleep is a yield.
    fn sleep(&self, duration: Duration) {
        let _ = duration;
        self.yield_now();
    }
    /// `JoinHandle::is_finished` of model thread `child`: a step where the scheduler may run
    /// other threads first (the child to its end, say), then `finished` reads the answer. An
    /// engine that tracks dependencies says that the step reads what the child's last step
    /// writes ([`thread_finishing`](Self::thread_finishing)).
    fn is_finished(&self, child: ThreadIdx, finished: &dyn Fn() -> bool) -> bool {
        let _ = child;
        self.yield_now();
        finished()
    }
    /// The running model thread is about to finish: its current step is its last.
    fn thread_finishing(&self) {}
    /// A spin-loop iteration: model engines must switch threads here, or a spinning thread
    /// would never let the thread it waits for run.
    fn spin_loop(&self) {
        self.yield_now();
    }
    /// The running thread makes the raw objects of a facade object made (or first used) at
    /// `site` now; `None` once they are made. Engines that compare objects across executions
    /// name them by it (`engine::dpor`).
    fn creating(&self, site: Option<Site>) {
        let _ = site;
    }
    /// A new execution begins, on the test body's thread, before the body runs.
    fn begin(&self) {}
    /// Whether the failure of the execution that just ended may be the engine's artefact rather
    /// than the program's: the engine's search is then started over (see `engine::loom::pool`).
    fn unsure_failure(&self) -> bool {
        false
    }
    /// Called before every facade operation except spawning, if `acts_before_ops`; the stress
    /// engine releases the threads this one spawned and widens race windows here.
    fn before_op(&self) {}
    /// Whether `before_op` does anything. Asked once per exploration, so that the other
    /// engines pay no call per operation.
    fn acts_before_ops(&self) -> bool {
        false
    }
    fn new_mutex(&self) -> Box<dyn RawMutex>;
    fn new_rwlock(&self) -> Box<dyn RawRwLock>;
    fn new_condvar(&self) -> Box<dyn RawCondvar>;
    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic>;
    /// A tracker for `cell::UnsafeCell` accesses, or `None` when the engine checks nothing.
    fn new_cell(&self) -> Option<Box<dyn RawCell>>;
    /// A facade `Arc` allocation's handover, from an engine whose [`Backend::arc_operations`]
    /// is [`ArcOperations::Handover`].
    fn new_handover(&self) -> Option<Box<dyn RawHandover>> {
        None
    }
    /// Model thread `owner`'s wake token, if the engine makes its own (see `rt::token`);
    /// `None`: one built from its lock and condition variable.
    fn new_token(&self, owner: ThreadIdx) -> Option<Box<dyn RawToken>> {
        let _ = owner;
        None
    }
    /// A choice among `n > 0` values (`0..n`) of the running thread (which ready branch of a `select!`
    /// wins): one the engine explores or samples, and a schedule replays; `None` from an engine
    /// that makes none, whose caller then chooses by itself.
    fn choose(&self, n: usize) -> Option<usize> {
        let _ = n;
        None
    }
    fn fence(&self, order: Ordering);
}

/// What a facade `Arc`'s reference counting is to an engine (see `rt::arc_ops`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArcOperations {
    /// Nothing: the engine does not choose where threads switch (stress).
    None,
    /// Scheduling points whose dependencies the engine sees (a drop against the last drop, an
    /// upgrade of a `Weak` against it): which thread drops last, whether an upgrade or an
    /// `into_inner` wins, is explored. The facade's clocks (`rt::race`) order the drops.
    Scheduled,
    /// As `Scheduled`, and the engine's own clocks learn that every drop happens before the
    /// value's destruction (loom, whose clocks check cells and `get_mut`).
    Clocked,
    /// The engine's model learns only that every drop happens before the value's destruction
    /// ([`RawHandover`]): which thread drops last is not explored (c11, which explores
    /// execution graphs, not interleavings).
    Handover,
}

/// An `Arc` allocation's references as an engine's model sees them (`ArcOperations::Handover`):
/// what each thread did before giving its reference up happens before what the thread that
/// takes the value over (the last drop, `get_mut`) does next.
pub(crate) trait RawHandover: Send + Sync {
    /// The running thread gives a reference up; `last`, asked at the operation, says whether
    /// it is the last one, whose thread then takes the value over.
    fn give_up(&self, last: &dyn Fn() -> bool);
    /// The running thread, which holds the only reference, takes the value over.
    fn take_over(&self);
}

/// A started model thread.
pub(crate) trait RawJoin: Send + Sync {
    /// Blocks until the thread has finished. `Err` carries the payload of a panic that the
    /// engine let the thread die of (engines that fail the execution on a panic never return it).
    fn join(self: Box<Self>) -> std::thread::Result<()>;
}

/// A lock with no data and no guard: the facade pairs every `lock` with one `unlock`.
///
/// Architecture invariant: whoever calls `lock`, `try_lock` or `unlock` restores the running
/// thread right after: the `rt` frames (`rt::lock`, `rt::op`, `rt::unlock`) do, and other
/// callers (`rt::monitor::Monitor`) wrap the call in `rt::engine_call`. So model engines make these
/// calls without `engine_call`, which would restore it twice on the facade's hottest path.
pub(crate) trait RawMutex: Send + Sync {
    fn lock(&self);
    fn try_lock(&self) -> bool;
    fn unlock(&self);
    /// For condition variables of the same backend, which need the concrete type back.
    fn as_any(&self) -> &dyn Any;
}

pub(crate) trait RawRwLock: Send + Sync {
    fn read(&self);
    fn try_read(&self) -> bool;
    fn unlock_read(&self);
    fn write(&self);
    fn try_write(&self) -> bool;
    fn unlock_write(&self);
}

pub(crate) trait RawCondvar: Send + Sync {
    /// Atomically releases `mutex`, waits for a notification, and takes `mutex` again.
    fn wait(&self, mutex: &dyn RawMutex);
    /// Like `wait`, but may give up after `timeout`; returns `true` when it timed out. Model
    /// engines have no clock: a timed wait may time out at any point (`engine::timed`).
    fn wait_timeout(&self, mutex: &dyn RawMutex, timeout: Duration) -> bool;
    fn notify_one(&self);
    fn notify_all(&self);
}

/// Architecture invariant: called only from `rt::atomic`, which restores the running thread
/// right after the call (see [`RawMutex`]); `get_mut`, `peek` and `as_ptr` are no operations
/// of the program's threads on shared memory and run outside any frame.
pub(crate) trait RawAtomic: Send + Sync {
    fn load(&self, order: Ordering) -> u64;
    fn store(&self, bits: u64, order: Ordering);
    fn swap(&self, bits: u64, order: Ordering) -> u64;
    #[allow(clippy::too_many_arguments)]
    fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
        weak: bool,
    ) -> Result<u64, u64>;
    fn fetch(&self, op: RmwOp, bits: u64, order: Ordering) -> u64;
    /// Exclusive access (the facade atomic is borrowed `&mut`): where the value lives, as a
    /// value of the atomic's type at the pointer (`u8`, `bool`, `*mut ()`, ...). The pointer is
    /// valid, and nothing else reads or writes the value, until the next call on this object.
    /// Writes through it take effect as std's `get_mut` (engines that cannot hand out their
    /// own storage write them back themselves: see `LoomAtomic`).
    fn get_mut(&mut self) -> *mut u8;
    /// The value, read without synchronising and without a scheduling point: only for an
    /// engine's own bookkeeping, never for a program's load.
    fn peek(&self) -> u64;
    /// Where the value lives in memory, if it lives in plain memory that a program may reach
    /// through a pointer (std's atomics: outside explorations, the stress engine); `None` when
    /// an engine keeps it (std's `as_ptr` cannot be honoured there).
    fn as_ptr(&self) -> Option<*mut u8> {
        None
    }
}

/// Checks `cell::UnsafeCell` accesses for data races (loom's causality tracking).
pub(crate) trait RawCell: Send + Sync {
    /// Runs `access` as a read of the cell.
    fn read(&self, access: &mut dyn FnMut());
    /// Runs `access` as a write of the cell.
    fn write(&self, access: &mut dyn FnMut());
}
