//! Worker threads reused across iterations, and what each runs with.
//!
//! Spawning an OS thread takes tens of microseconds, far longer than most race windows, so
//! threads spawned one after another rarely overlap. The pool keeps its workers between
//! iterations; a spawned model thread waits at a [`Link`] until its spawner's next facade
//! operation, and the spawner waits briefly for it to get there, so the threads of one
//! iteration start within a cache-line transfer of each other.
//!
//! Every handoff (a task to an idle worker, a thread's outcome to its joiner) spins briefly,
//! then yields, then parks or sleeps ([`Backoff`], in `link.rs`).
//!
//! The pool has no lock on its hot path: workers sit in a table that only grows, and a spawner
//! claims an idle one with one compare-and-swap.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::backend::Shared;
pub(crate) use super::link::{Backoff, Link};
use crate::engine::rng::{Rng, execution_seed};
use crate::rt::{Execution, Local, Recording, ThreadIdx};

/// The stack of every worker: the test body's (`stack::MAIN`), the largest any thread gets by
/// default. Reserved, not committed, so its size costs nothing; a thread that asks for more
/// runs on a stack of its own (see `backend::StressBackend::spawn`).
pub(crate) const WORKER_STACK: usize = crate::engine::stack::MAIN;

/// How long a blocked stress operation sleeps between checks for an abort.
pub(crate) const POLL: Duration = Duration::from_millis(5);

/// The payload with which threads of an aborted iteration unwind; not a failure of its own.
#[derive(Debug)]
pub(crate) struct Aborted;

/// Whether `exec`'s iteration has failed or is being aborted.
pub(crate) fn abort_requested(exec: &Execution) -> bool {
    exec.has_failed() || exec.aborting.load(Relaxed)
}

/// Unwinds this thread if its iteration has failed or is being aborted. Never while the thread
/// is already unwinding: a second panic in a destructor aborts the process.
pub(crate) fn abort_if_requested(exec: &Execution) {
    if abort_requested(exec) && !std::thread::panicking() {
        std::panic::resume_unwind(Box::new(Aborted));
    }
}

/// How long a thread past its step limit keeps sleeping before the limit fails it: long
/// enough for a thread the OS has not scheduled yet to run even on a machine running several
/// test processes per core (20 ms was not, on a loaded 2-core CI machine), short next to the
/// watchdog.
const STEP_LIMIT_GRACE: Duration = Duration::from_millis(250);

/// Per-OS-thread state of a model thread: jitter, step count, progress, pending gates.
pub(crate) struct ThreadState {
    rng: Rng,
    jitter: bool,
    steps: u64,
    pub(crate) max_steps: u64,
    /// When the thread passed `max_steps`; see `STEP_LIMIT_GRACE`.
    over_limit: Option<Instant>,
    progress: Arc<Progress>,
    pub(crate) gates: Vec<Arc<Link>>,
}

thread_local! {
    static THREAD: RefCell<Option<ThreadState>> = const { RefCell::new(None) };
}

/// Facade operations completed by one worker; the watchdog sums them to see progress. Padded
/// so that counting does not bounce a cache line between cores.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Progress(AtomicU64);

/// What `before_op` decided, acted on outside the thread-local borrow.
pub(crate) enum Verdict {
    Go,
    StepLimit(u64),
}

impl ThreadState {
    /// The state of model thread `thread` in `iteration`, counting progress in `progress`.
    fn new(shared: &Shared, iteration: u64, thread: ThreadIdx, progress: Arc<Progress>) -> Self {
        let rng = Rng::new(execution_seed(
            execution_seed(shared.seed, iteration),
            u64::from(thread),
        ));
        ThreadState {
            rng,
            jitter: shared.jitter,
            steps: 0,
            max_steps: shared.max_steps,
            over_limit: None,
            progress,
            gates: Vec::new(),
        }
    }

    fn install(state: ThreadState) {
        THREAD.with(|t| *t.borrow_mut() = Some(state));
    }

    fn uninstall() -> Option<ThreadState> {
        THREAD.with(|t| t.borrow_mut().take())
    }

    pub(crate) fn with<R>(f: impl FnOnce(&mut ThreadState) -> R) -> Option<R> {
        THREAD.with(|t| t.borrow_mut().as_mut().map(f))
    }

    /// Lets the threads this one spawned go: together with it (before its next operation), or
    /// not (it has finished).
    pub(crate) fn open_gates(&mut self, together: bool) {
        for gate in self.gates.drain(..) {
            gate.open(together);
        }
    }

    pub(crate) fn before_op(&mut self) -> Verdict {
        // Only this thread writes its counter, so a load and a store do. A read-modify-write
        // would be a locked instruction on x86: a full barrier before every operation, which
        // would hide the store buffering the hardware really does.
        self.progress
            .0
            .store(self.progress.0.load(Relaxed) + 1, Relaxed);
        if !self.gates.is_empty() {
            self.open_gates(true);
        }
        self.steps += 1;
        if self.steps > self.max_steps {
            // A thread spinning for one the OS has not scheduled yet (a loaded CI machine)
            // passes any step count; it is stuck only if it still spins after giving up its
            // core for a while. Sleeping, not yielding: a yield leaves the core to whatever
            // else the OS prefers, which need not be the thread it waits for.
            let since = *self.over_limit.get_or_insert_with(Instant::now);
            if since.elapsed() >= STEP_LIMIT_GRACE {
                return Verdict::StepLimit(self.max_steps);
            }
            std::thread::sleep(Duration::from_millis(1));
            return Verdict::Go;
        }
        if self.jitter {
            let r = self.rng.next_u64();
            // One operation in four spins a little, one in 64 yields the core: enough to move
            // threads past each other, rarely enough to keep iterations fast. Spins are
            // log-uniform between 1 and 1,023 (some 40 ns to 40 us): a shift by a few
            // operations, which races between neighbouring operations need, is as likely as
            // one by a long computation's worth, and the mean cost is a third of a uniform
            // choice's.
            if r & 3 == 0 {
                let scale = (r >> 8) % 10;
                let spins = (1 << scale) | ((r >> 16) & ((1 << scale) - 1));
                for _ in 0..spins {
                    std::hint::spin_loop();
                }
            } else if (r >> 2) & 63 == 0 {
                std::thread::yield_now();
            }
        }
        Verdict::Go
    }
}

/// The outcome of a model thread: `Err` holds the payload of a panic of the program.
pub(crate) type Outcome = std::thread::Result<()>;

/// One model thread to run.
pub(crate) struct Job {
    pub iteration: u64,
    pub thread: ThreadIdx,
    pub link: Arc<Link>,
    pub body: Box<dyn FnOnce() + Send + 'static>,
}

/// What a worker runs: a model thread, or the loop of iterations (see `super::run_iterations`).
pub(crate) enum Task {
    Thread(Job),
    Iterations(Box<dyn FnOnce(&Worker) + Send + 'static>),
}

const IDLE: u32 = 0;
const READY: u32 = 1;
const PARKED: u32 = 2;

pub(crate) struct Worker {
    /// Claimed by a spawner, or running a task.
    busy: AtomicBool,
    /// Left behind, stuck outside the facade; never given a task again.
    abandoned: AtomicBool,
    /// A model thread runs here now (the watchdog reads the CPU time of these).
    running: AtomicBool,
    /// `IDLE`, `READY` (a task waits in `task`) or `PARKED` (asleep, to be unparked).
    signal: AtomicU32,
    task: Mutex<Option<Task>>,
    thread: OnceLock<std::thread::Thread>,
    progress: Arc<Progress>,
    /// The worker's kernel thread id (Linux), to read its CPU time; 0 until it starts.
    tid: AtomicI64,
    /// The recordings of the model threads this worker ran in one iteration, kept until the
    /// iteration is judged.
    recordings: Mutex<(u64, Vec<Recording>)>,
}

impl Worker {
    /// Marks a model thread running here (or not), for the watchdog's CPU accounting.
    pub(crate) fn set_running(&self, running: bool) {
        self.running.store(running, Release);
    }

    /// A thread state for model thread `thread` of `iteration` run on this worker.
    pub(crate) fn thread_state(
        &self,
        shared: &Shared,
        iteration: u64,
        thread: ThreadIdx,
    ) -> ThreadState {
        ThreadState::new(shared, iteration, thread, self.progress.clone())
    }

    fn keep_recording(&self, iteration: u64, recording: Recording) {
        let mut kept = self.recordings.lock();
        if kept.0 != iteration {
            kept.0 = iteration;
            kept.1.clear();
        }
        kept.1.push(recording);
    }

    fn give(&self, task: Task) {
        *self.task.lock() = Some(task);
        if self.signal.swap(READY, SeqCst) == PARKED
            && let Some(thread) = self.thread.get()
        {
            thread.unpark();
        }
    }
}

/// Most workers a pool holds: one per thread an execution may start, the runner, and the few
/// left behind by the failed iteration that ends the exploration.
const MAX_WORKERS: usize = 4096 + 64;

/// Workers of one exploration. Workers exit at [`Pool::shutdown`].
pub(crate) struct Pool {
    workers: Box<[OnceLock<Arc<Worker>>]>,
    len: AtomicUsize,
    /// Held while a worker is added.
    grow: Mutex<()>,
    shutdown: AtomicBool,
}

impl Pool {
    pub(crate) fn new() -> Pool {
        Pool {
            workers: (0..MAX_WORKERS).map(|_| OnceLock::new()).collect(),
            len: AtomicUsize::new(0),
            grow: Mutex::new(()),
            shutdown: AtomicBool::new(false),
        }
    }

    fn workers(&self) -> impl Iterator<Item = &Arc<Worker>> {
        self.workers[..self.len.load(Acquire)]
            .iter()
            .filter_map(OnceLock::get)
    }

    /// Facade operations completed on every worker so far, for the watchdog.
    pub(crate) fn progress(&self) -> u64 {
        self.workers().map(|w| w.progress.0.load(Relaxed)).sum()
    }

    /// Runs `task` on an idle worker, starting one if none is idle.
    pub(crate) fn run(&self, shared: &Arc<Shared>, exec: &Arc<Execution>, task: Task) {
        let idle = self.workers().find(|w| {
            !w.busy.load(Relaxed)
                && !w.abandoned.load(Relaxed)
                && w.busy
                    .compare_exchange(false, true, Acquire, Relaxed)
                    .is_ok()
        });
        match idle {
            Some(worker) => worker.give(task),
            None => self.start_worker(shared, exec).give(task),
        }
    }

    /// Starts a worker, already claimed (busy).
    fn start_worker(&self, shared: &Arc<Shared>, exec: &Arc<Execution>) -> &Arc<Worker> {
        let _grow = self.grow.lock();
        let idx = self.len.load(Acquire);
        assert!(
            idx < MAX_WORKERS,
            "the stress engine ran out of worker threads ({MAX_WORKERS})"
        );
        let worker = Arc::new(Worker {
            busy: AtomicBool::new(true),
            abandoned: AtomicBool::new(false),
            running: AtomicBool::new(false),
            signal: AtomicU32::new(IDLE),
            task: Mutex::new(None),
            thread: OnceLock::new(),
            progress: Arc::new(Progress::default()),
            tid: AtomicI64::new(0),
            recordings: Mutex::new((0, Vec::new())),
        });
        let (w, shared, exec) = (worker.clone(), shared.clone(), exec.clone());
        let handle = std::thread::Builder::new()
            .name("tapestry-stress".to_owned())
            .stack_size(WORKER_STACK)
            .spawn(move || work(&w, &shared, &exec))
            .expect("failed to start a stress worker thread");
        // Set before anyone can see the worker, and before its first task is given.
        let _ = worker.thread.set(handle.thread().clone());
        let slot = &self.workers[idx];
        let _ = slot.set(worker);
        self.len.store(idx + 1, Release);
        slot.get().expect("just set")
    }

    /// CPU time used so far by the workers running model threads, where the platform tells.
    pub(crate) fn busy_cpu(&self) -> Option<Duration> {
        self.workers()
            .filter(|w| w.running.load(Acquire))
            .map(|w| thread_cpu(w.tid.load(Acquire)))
            .sum::<Option<Duration>>()
    }

    /// Leaves behind the workers still busy (stuck outside the facade after an abort), but
    /// `except`; returns how many. A stuck thread cannot be stopped, only left behind.
    pub(crate) fn abandon_busy(&self, except: Option<&Worker>) -> usize {
        self.workers()
            .filter(|w| except.is_none_or(|e| !std::ptr::eq(&***w, e)))
            .filter(|w| w.busy.load(Acquire) && !w.abandoned.swap(true, AcqRel))
            .count()
    }

    /// The recordings of the model threads of `iteration` that have finished.
    pub(crate) fn recordings(&self, iteration: u64) -> Vec<Recording> {
        let mut all = Vec::new();
        for worker in self.workers() {
            let kept = worker.recordings.lock();
            if kept.0 == iteration {
                all.extend(kept.1.iter().cloned());
            }
        }
        all
    }

    /// Lets idle workers exit. Called when the exploration ends: a worker left stuck in a
    /// failed iteration exits if it ever comes back.
    pub(crate) fn shutdown(&self) {
        self.shutdown.store(true, SeqCst);
        for worker in self.workers() {
            if worker.signal.swap(READY, SeqCst) == PARKED
                && let Some(thread) = worker.thread.get()
            {
                thread.unpark();
            }
        }
    }
}

/// Waits until `worker` is given a task (or the pool shuts down: `false`).
fn wait_for_task(worker: &Worker, shutdown: &AtomicBool) -> bool {
    let mut backoff = Backoff::new();
    loop {
        if worker.signal.load(Acquire) == READY {
            worker.signal.store(IDLE, Relaxed);
            return true;
        }
        if shutdown.load(Relaxed) {
            return false;
        }
        if !backoff.snooze() {
            break;
        }
    }
    if worker
        .signal
        .compare_exchange(IDLE, PARKED, SeqCst, SeqCst)
        .is_ok()
    {
        loop {
            if shutdown.load(SeqCst) {
                return false;
            }
            std::thread::park();
            if worker.signal.load(Acquire) != PARKED {
                break;
            }
        }
    }
    worker.signal.store(IDLE, Relaxed);
    true
}

fn work(worker: &Worker, shared: &Arc<Shared>, exec: &Arc<Execution>) {
    worker.tid.store(thread_id(), Release);
    loop {
        if !wait_for_task(worker, &shared.pool.shutdown) {
            return;
        }
        let Some(task) = worker.task.lock().take() else {
            if shared.pool.shutdown.load(SeqCst) {
                return;
            }
            continue;
        };
        match task {
            Task::Thread(job) => run_job(worker, shared, exec, job),
            Task::Iterations(run) => {
                run(worker);
                worker.busy.store(false, Release);
            }
        }
    }
}

fn run_job(worker: &Worker, shared: &Shared, exec: &Arc<Execution>, job: Job) {
    let Job {
        iteration,
        thread,
        link,
        body,
    } = job;
    let local = Local::new(exec.clone());
    worker.set_running(true);
    let outcome = {
        let _installed = local.install();
        ThreadState::install(worker.thread_state(shared, iteration, thread));
        link.pass();
        let outcome = catch_unwind(AssertUnwindSafe(body));
        // Threads this one spawned and never waited for may still sit at their gates.
        finish_thread_state();
        outcome
    };
    worker.set_running(false);
    worker.keep_recording(iteration, local.take_recording());
    // Idle from here: the joiner may go on to spawn the next thread at once, and should find
    // this worker free rather than start another.
    worker.busy.store(false, Release);
    link.set(outcome);
    shared.outstanding.fetch_sub(1, AcqRel);
}

/// Installs `state` as the running model thread's.
pub(crate) fn start_thread_state(state: ThreadState) {
    ThreadState::install(state);
}

/// Removes the model thread's state, opening the gates of threads it spawned and never ran
/// another facade operation after.
pub(crate) fn finish_thread_state() {
    if let Some(mut state) = ThreadState::uninstall() {
        state.open_gates(false);
    }
}

#[cfg(target_os = "linux")]
fn thread_id() -> i64 {
    // SAFETY: `gettid` has no preconditions.
    i64::from(unsafe { libc::gettid() })
}

#[cfg(not(target_os = "linux"))]
fn thread_id() -> i64 {
    0
}

/// The CPU time (user and system) thread `tid` of this process has used, from
/// `/proc/self/task/<tid>/stat`.
#[cfg(target_os = "linux")]
fn thread_cpu(tid: i64) -> Option<Duration> {
    if tid == 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: `sysconf` has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_second > 0).then(|| Duration::from_secs_f64(ticks as f64 / per_second as f64))
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu(_tid: i64) -> Option<Duration> {
    None
}
