//! The workers of a modelled async runtime (`Explorer::workers`, `#[tapestry::test(workers =
//! N)]`): a poll of a task or of `block_on` runs only while it holds one of `N` workers, as on
//! a runtime whose `N` threads poll every task. Without the setting polls are not limited.
//!
//! A task that blocks inside its poll (on a std lock another task holds across `.await`, or in
//! a blocking call) keeps its worker. With every worker held that way, the task that would
//! free them is never polled again: the execution deadlocks, as the real runtime hangs, and
//! the report shows the polls waiting for a worker here. A poll that calls `block_in_place`
//! gives its worker back for the rest of the poll (`release_held`); a `spawn_blocking` closure
//! never holds one.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};

use super::per_execution::PerExecution;
use crate::rt::{self, BlockReason, ThreadStack};
use crate::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The free workers of an execution (a bit each, set while free), the polls queued for a
/// one-worker runtime, and the condition their release signals.
struct Pool {
    slots: Mutex<Slots>,
    released: Condvar,
    /// How many polls wait for a worker, and whether one is free, as of the last change of
    /// `slots`: read by the timers (`waiting_for_a_free_worker`) without taking its lock.
    waiting: AtomicUsize,
    any_free: AtomicBool,
    /// How many workers.
    #[cfg_attr(loom, allow(dead_code))]
    count: usize,
}

/// What a pool's lock guards.
struct Slots {
    /// The free workers, a bit each.
    free: u64,
    /// On a one-worker runtime, the poll loops tokio would have in its run queue, in the order
    /// they joined it: spawned, or woken (by another task, a timer's wake, or themselves, as a
    /// `yield_now` does), and not yet polling. A poll goes only when every loop queued before
    /// it has had the worker, so a task that yields runs again after the tasks already
    /// queued, as on tokio's `current_thread` runtime. (A many-worker runtime promises no
    /// order: its polls take any free worker.)
    queued: Vec<rt::ThreadIdx>,
    /// Poll loops that ended: a later wake of one queues nothing.
    ended: Vec<rt::ThreadIdx>,
}

/// At most this many workers: one bit each.
const MAX_WORKERS: usize = 64;

static POOLS: PerExecution<Pool> = PerExecution::new();

/// Whether any runtime of this process limited its workers: until one does, a poll without
/// `Explorer::workers` looks no further (every poll asks).
static LIMITED: AtomicBool = AtomicBool::new(false);

/// A worker, held for one poll by the model thread it names (`None`: none held). Which one is
/// in `HELD`, from where `block_in_place` may give it back before the poll ends.
pub(super) struct Worker(Option<Option<(u64, rt::ThreadIdx)>>);

/// The pool of a worker a model thread holds, and which one.
type Held = (Arc<Pool>, usize);

std::thread_local! {
    /// The workers held by the polls running on this OS thread, innermost last, each found by
    /// its model thread (see `ThreadStack`).
    static HELD: ThreadStack<Held> = const { ThreadStack::new() };
}

fn pool(workers: usize) -> Pool {
    let workers = workers.clamp(1, MAX_WORKERS);
    Pool {
        slots: Mutex::new(Slots {
            free: u64::MAX >> (MAX_WORKERS - workers),
            queued: Vec::new(),
            ended: Vec::new(),
        }),
        released: Condvar::new(),
        waiting: AtomicUsize::new(0),
        any_free: AtomicBool::new(true),
        count: workers,
    }
}

/// Makes the running execution's runtime `workers` strong, unless its polls were limited
/// already (the first runtime of an execution decides). Does nothing outside explorations.
pub(crate) fn limit(workers: usize) {
    if rt::current_thread().is_some() {
        LIMITED.store(true, Relaxed);
        POOLS.get(|| pool(workers.max(1)));
    }
}

#[cfg_attr(loom, allow(dead_code))]
/// How many workers the running execution's runtime has, if limited: by `Explorer::workers`,
/// or by its first tokio-shaped runtime.
pub(super) fn count() -> Option<usize> {
    let configured = rt::workers().map(|n| n.get().min(MAX_WORKERS));
    configured.or_else(|| {
        LIMITED
            .load(Relaxed)
            .then(|| POOLS.get_or(|| None).map(|pool| pool.count))
            .flatten()
    })
}

/// The running execution's pool, if its polls are limited; `thread` is the running one.
fn limited_pool(thread: Option<(u64, rt::ThreadIdx)>) -> Option<Arc<Pool>> {
    thread?;
    let configured = rt::workers();
    if configured.is_none() && !LIMITED.load(Relaxed) {
        return None;
    }
    POOLS.get_or(|| configured.map(|n| pool(n.get())))
}

/// The running execution's pool if it keeps a run queue: one worker, under a model engine
/// (the stress engine's real threads keep no order to model).
fn queued_pool(thread: Option<(u64, rt::ThreadIdx)>) -> Option<Arc<Pool>> {
    limited_pool(thread).filter(|pool| pool.count == 1 && !rt::real_threads())
}

/// The poll loop of model thread `loop_thread` will poll again (its task was just spawned, or
/// woken): on a one-worker runtime it joins the run queue ([`Slots::queued`]).
pub(super) fn queue(loop_thread: rt::ThreadIdx) {
    let Some(pool) = queued_pool(rt::current_thread()) else {
        return;
    };
    let mut slots = lock(&pool.slots);
    if !slots.ended.contains(&loop_thread) && !slots.queued.contains(&loop_thread) {
        slots.queued.push(loop_thread);
    }
}

/// The poll loop of the running thread ended: it leaves the run queue for good.
pub(super) fn ended(thread: Option<(u64, rt::ThreadIdx)>) {
    let Some((_, me)) = thread else { return };
    let Some(pool) = queued_pool(thread) else {
        return;
    };
    let mut slots = lock(&pool.slots);
    slots.queued.retain(|&t| t != me);
    slots.ended.push(me);
    drop(slots);
    pool.released.notify_all();
}

/// Takes a worker for a poll whose loop runs at `site` (the lowest free one, waiting for one
/// if all are busy), and notes it in the trace; holds nothing when the runtime's workers are
/// not limited.
/// `thread` is the running one (`rt::current_thread`), known to the caller.
pub(super) fn claim(
    thread: Option<(u64, rt::ThreadIdx)>,
    site: &'static std::panic::Location<'static>,
) -> Worker {
    let Some(pool) = limited_pool(thread) else {
        return Worker(None);
    };
    let me = thread.map(|(_, t)| t);
    let mut slots = lock(&pool.slots);
    // On one worker, a queued loop goes once the loops queued before it have; one not queued
    // (a `block_on`'s first poll, which tokio's `current_thread` runtime polls before its
    // queue; a loop whose timer fired) goes if the worker is free. On more, polls
    // already waiting go first, as on tokio's queue: one that released its worker and claims
    // it again at once (after a `yield_now`) waits behind them, or a task spinning on a
    // one-worker runtime would keep the worker from the task it waits for.
    let one = pool.count == 1 && !rt::real_threads();
    // One not queued that finds the worker busy joins the back, as tokio's timer wakes its
    // task into the queue: a task that yields again and again must not keep it from the worker.
    if one && slots.free == 0 && me.is_some_and(|me| !slots.queued.contains(&me)) {
        slots.queued.extend(me);
    }
    let ahead = |slots: &Slots| {
        one && me.is_some_and(|me| slots.queued.contains(&me))
            && slots.queued.first().copied() != me
    };
    let mut behind = !one && pool.waiting.load(Relaxed) > 0;
    if slots.free == 0 || behind || ahead(&slots) {
        pool.waiting.fetch_add(1, Relaxed);
        while slots.free == 0 || behind || ahead(&slots) {
            behind = false;
            slots = pool
                .released
                .wait_notified(slots, BlockReason::Worker)
                .unwrap_or_else(PoisonError::into_inner);
        }
        pool.waiting.fetch_sub(1, Relaxed);
    }
    if one {
        slots.queued.retain(|&t| Some(t) != me);
    }
    let worker = slots.free.trailing_zeros() as usize;
    slots.free &= !(1 << worker);
    pool.any_free.store(slots.free != 0, Relaxed);
    drop(slots);
    rt::polled_by(worker, site);
    HELD.with(|held| held.push(thread, (pool, worker)));
    Worker(Some(thread))
}

/// Gives back the worker that the running thread's poll holds, if it holds one, before the
/// poll ends (`block_in_place`): the rest of the poll runs without one, and another poll may
/// take it meanwhile, as tokio hands the worker's core to another thread.
pub(crate) fn release_held() {
    release(rt::current_thread());
}

/// Gives back the innermost worker that `thread`'s polls hold, if any.
fn release(thread: Option<(u64, rt::ThreadIdx)>) {
    let held = HELD.try_with(|held| held.pop(thread)).ok().flatten();
    if let Some((pool, worker)) = held {
        lock(&pool.slots).free |= 1 << worker;
        pool.any_free.store(true, Relaxed);
        // Every waiter: on one worker only the head of the queue may take it.
        pool.released.notify_all();
    }
}

/// Whether a poll of the running execution waits for a worker while one is free: it is on
/// its way to run (tokio's runtime would have it queued), so time must not pass yet.
pub(super) fn waiting_for_a_free_worker() -> bool {
    let limited = LIMITED.load(Relaxed) || rt::workers().is_some();
    limited
        && POOLS
            .get_or(|| None)
            .is_some_and(|pool| pool.waiting.load(Relaxed) > 0 && pool.any_free.load(Relaxed))
}

fn lock(slots: &Mutex<Slots>) -> MutexGuard<'_, Slots> {
    slots.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(thread) = self.0 {
            release(thread);
        }
    }
}
