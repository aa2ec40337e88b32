//! Facade objects on real threads. Locks and waits poll for an abort so that the watchdog can
//! free threads of a deadlocked iteration; nothing here adds synchronisation between threads
//! beyond what the program's own operations imply.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::pool::{
    Job, Link, POLL, Pool, Task, ThreadState, Verdict, WORKER_STACK, abort_if_requested,
};
use crate::engine::stack;
use crate::kinds::FailureKind;
use crate::rt::native::StdAtomic;
use crate::rt::{
    self, AtomicRepr, Backend, Execution, RawAtomic, RawCell, RawCondvar, RawJoin, RawMutex,
    RawRwLock, ThreadIdx,
};

/// What the stress backend shares with its exploration loop and its worker threads.
pub(crate) struct Shared {
    pub(crate) pool: Pool,
    pub(crate) seed: u64,
    pub(crate) jitter: bool,
    pub(crate) race_detection: bool,
    pub(crate) max_steps: u64,
    pub(crate) iteration: AtomicU64,
    /// Spawned threads of the current iteration that have not finished.
    pub(crate) outstanding: AtomicUsize,
    /// An iteration is running (the watchdog ignores silence between iterations).
    pub(crate) watching: AtomicBool,
    /// Choices drawn so far (`Backend::choose`): each draw is seeded by the engine's seed and
    /// its number, so a run draws the same sequence; which thread gets which draw is the
    /// hardware's doing, as is every interleaving here.
    pub(crate) choices: AtomicU64,
}

pub(crate) struct StressBackend(pub(crate) Arc<Shared>);

fn exec() -> &'static Execution {
    &rt::local()
        .expect("stress objects are used by threads of their exploration")
        .exec
}

impl Backend for StressBackend {
    fn spawn(
        &self,
        exec: &Arc<Execution>,
        child: ThreadIdx,
        body: Box<dyn FnOnce() + Send + 'static>,
        _name: Option<&str>,
        stack_size: Option<usize>,
    ) -> Box<dyn RawJoin> {
        let shared = &self.0;
        // Workers have `pool::WORKER_STACK`; a thread that asks for more gets a stack of its own.
        let body = match stack_size {
            Some(size) if size > WORKER_STACK => stack::wrap(size, body),
            _ => body,
        };
        let link = Arc::new(Link::default());
        shared.outstanding.fetch_add(1, Ordering::AcqRel);
        let job = Job {
            iteration: shared.iteration.load(Ordering::Relaxed),
            thread: child,
            link: link.clone(),
            body,
        };
        shared.pool.run(shared, exec, Task::Thread(job));
        ThreadState::with(|state| state.gates.push(link.clone()));
        Box::new(StressJoin {
            link,
            exec: exec.clone(),
        })
    }

    fn acts_before_ops(&self) -> bool {
        true
    }

    fn before_op(&self) {
        match ThreadState::with(ThreadState::before_op) {
            Some(Verdict::StepLimit(max)) if !std::thread::panicking() => rt::fail(
                FailureKind::StepLimit,
                format!(
                    "a thread performed more than {max} operations in one iteration (a livelock, or a spin loop?)"
                ),
            ),
            _ => abort_if_requested(exec()),
        }
    }

    fn yield_now(&self) {
        std::thread::yield_now();
    }

    fn detects_races(&self) -> bool {
        self.0.race_detection
    }

    fn spin_loop(&self) {
        std::hint::spin_loop();
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn new_mutex(&self) -> Box<dyn RawMutex> {
        Box::new(StressMutex(parking_lot::Mutex::new(())))
    }

    fn new_rwlock(&self) -> Box<dyn RawRwLock> {
        Box::new(StressRwLock(parking_lot::RwLock::new(())))
    }

    fn new_condvar(&self) -> Box<dyn RawCondvar> {
        Box::new(StressCondvar::default())
    }

    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic> {
        Box::new(StdAtomic::new(repr, bits))
    }

    fn new_cell(&self) -> Option<Box<dyn RawCell>> {
        None
    }

    fn choose(&self, n: usize) -> Option<usize> {
        let shared = &self.0;
        let draw = shared.choices.fetch_add(1, Ordering::Relaxed);
        let seed = crate::engine::rng::execution_seed(shared.seed, draw);
        Some(crate::engine::rng::Rng::new(seed).below(n))
    }

    fn fence(&self, order: Ordering) {
        std::sync::atomic::fence(order);
    }
}

struct StressJoin {
    link: Arc<Link>,
    exec: Arc<Execution>,
}

impl RawJoin for StressJoin {
    fn join(self: Box<Self>) -> std::thread::Result<()> {
        self.link.wait(&self.exec)
    }
}

/// Takes a lock with `try_for` in slices of [`POLL`], unwinding between slices if the
/// iteration is aborted. While unwinding it waits as long as it takes: giving up would hand out
/// a lock not held.
fn acquire(try_now: impl Fn() -> bool, try_for: impl Fn(Duration) -> bool) {
    if try_now() {
        return;
    }
    let panicking = std::thread::panicking();
    loop {
        if try_for(POLL) {
            return;
        }
        if !panicking {
            abort_if_requested(exec());
        }
    }
}

struct StressMutex(parking_lot::Mutex<()>);

impl RawMutex for StressMutex {
    fn lock(&self) {
        acquire(
            || self.0.try_lock().map(std::mem::forget).is_some(),
            |t| self.0.try_lock_for(t).map(std::mem::forget).is_some(),
        );
    }

    fn try_lock(&self) -> bool {
        self.0.try_lock().map(std::mem::forget).is_some()
    }

    fn unlock(&self) {
        // SAFETY: the facade calls `unlock` only while holding the lock it took.
        unsafe { self.0.force_unlock() }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct StressRwLock(parking_lot::RwLock<()>);

impl RawRwLock for StressRwLock {
    fn read(&self) {
        acquire(
            || self.0.try_read().map(std::mem::forget).is_some(),
            |t| self.0.try_read_for(t).map(std::mem::forget).is_some(),
        );
    }

    fn try_read(&self) -> bool {
        self.0.try_read().map(std::mem::forget).is_some()
    }

    fn unlock_read(&self) {
        // SAFETY: paired with a read lock this thread holds (facade guard).
        unsafe { self.0.force_unlock_read() }
    }

    fn write(&self) {
        acquire(
            || self.0.try_write().map(std::mem::forget).is_some(),
            |t| self.0.try_write_for(t).map(std::mem::forget).is_some(),
        );
    }

    fn try_write(&self) -> bool {
        self.0.try_write().map(std::mem::forget).is_some()
    }

    fn unlock_write(&self) {
        // SAFETY: paired with the write lock this thread holds (facade guard).
        unsafe { self.0.force_unlock_write() }
    }
}

/// A condition variable whose waiters hold tickets, so that a waiter polling for aborts never
/// misses a notification and `notify_one` wakes exactly one waiter, oldest first.
#[derive(Default)]
struct StressCondvar {
    state: Mutex<Tickets>,
    changed: Condvar,
}

#[derive(Default)]
struct Tickets {
    next: u64,
    waiting: VecDeque<u64>,
    woken: Vec<u64>,
}

impl StressCondvar {
    /// Waits for the ticket to be woken, until `deadline`; returns whether it was woken.
    fn wait_ticket(&self, ticket: u64, deadline: Option<Instant>) -> bool {
        let mut tickets = self.state.lock();
        loop {
            if let Some(i) = tickets.woken.iter().position(|&t| t == ticket) {
                tickets.woken.swap_remove(i);
                return true;
            }
            let now = Instant::now();
            let aborting = !std::thread::panicking() && {
                let exec = exec();
                exec.has_failed() || exec.aborting.load(Ordering::Relaxed)
            };
            if aborting || deadline.is_some_and(|d| now >= d) {
                tickets.waiting.retain(|&t| t != ticket);
                drop(tickets);
                abort_if_requested(exec());
                return false;
            }
            let slice = deadline.map_or(POLL, |d| (d - now).min(POLL));
            self.changed.wait_for(&mut tickets, slice);
        }
    }

    fn wait_until(&self, mutex: &dyn RawMutex, deadline: Option<Instant>) -> bool {
        let ticket = {
            let mut tickets = self.state.lock();
            let ticket = tickets.next;
            tickets.next += 1;
            tickets.waiting.push_back(ticket);
            // Stamped while no notification can run: one sent before this missed the waiter.
            rt::now_waiting();
            ticket
        };
        // The ticket is queued before the mutex is released: a notification sent after the
        // release finds it.
        mutex.unlock();
        let woken = self.wait_ticket(ticket, deadline);
        mutex.lock();
        woken
    }
}

impl RawCondvar for StressCondvar {
    fn wait(&self, mutex: &dyn RawMutex) {
        self.wait_until(mutex, None);
    }

    fn wait_timeout(&self, mutex: &dyn RawMutex, timeout: Duration) -> bool {
        !self.wait_until(mutex, Some(Instant::now() + timeout))
    }

    fn notify_one(&self) {
        let mut tickets = self.state.lock();
        if let Some(ticket) = tickets.waiting.pop_front() {
            tickets.woken.push(ticket);
            self.changed.notify_all();
        }
    }

    fn notify_all(&self) {
        let mut tickets = self.state.lock();
        let all: Vec<u64> = tickets.waiting.drain(..).collect();
        tickets.woken.extend(all);
        self.changed.notify_all();
    }
}
