//! The workers of a modelled async runtime (`Explorer::workers`, `#[tapestry::test(workers =
//! N)]`): a poll of a task or of `block_on` runs only while it holds one of `N` workers, as on
//! a runtime whose `N` threads poll every task. Without the setting polls are not limited.
//!
//! A task that blocks inside its poll (on a std lock another task holds across `.await`, or in
//! a blocking call) keeps its worker. With every worker held that way, the task that would
//! free them is never polled again: the execution deadlocks, as the real runtime hangs, and
//! the report shows the polls waiting for a worker here.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

use super::per_execution::PerExecution;
use crate::rt;
use crate::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The free workers of an execution, and the condition their release signals.
struct Pool {
    free: Mutex<usize>,
    released: Condvar,
}

static POOLS: PerExecution<Pool> = PerExecution::new();

/// Whether any runtime of this process limited its workers: until one does, a poll without
/// `Explorer::workers` looks no further (every poll asks).
static LIMITED: AtomicBool = AtomicBool::new(false);

/// A worker, held for one poll.
pub(super) struct Worker(Option<std::sync::Arc<Pool>>);

fn pool(workers: usize) -> Pool {
    Pool {
        free: Mutex::new(workers),
        released: Condvar::new(),
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

/// Takes a worker for a poll, waiting for one if all are busy; holds nothing when the
/// runtime's workers are not limited.
pub(super) fn claim() -> Worker {
    if rt::current_thread().is_none() {
        return Worker(None);
    }
    let configured = rt::workers();
    if configured.is_none() && !LIMITED.load(Relaxed) {
        return Worker(None);
    }
    let Some(pool) = POOLS.get_or(|| configured.map(|n| pool(n.get()))) else {
        return Worker(None);
    };
    let mut free = lock(&pool.free);
    // `rt::is_worker_wait` knows this wait by its file, for the words of a deadlock report.
    while *free == 0 {
        free = pool
            .released
            .wait(free)
            .unwrap_or_else(PoisonError::into_inner);
    }
    *free -= 1;
    drop(free);
    Worker(Some(pool))
}

fn lock(free: &Mutex<usize>) -> MutexGuard<'_, usize> {
    free.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(pool) = &self.0 {
            *lock(&pool.free) += 1;
            pool.released.notify_one();
        }
    }
}
