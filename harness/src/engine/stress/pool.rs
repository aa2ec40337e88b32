//! Worker threads reused across iterations, and what each runs with.
//!
//! Spawning an OS thread takes tens of microseconds, far longer than most race windows, so
//! threads spawned one after another rarely overlap. The pool keeps workers parked between
//! iterations; a spawned model thread waits at a [`Gate`] until its spawner's next facade
//! operation, so the threads of one iteration are released together.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::backend::Shared;
use crate::engine::rng::{Rng, execution_seed};
use crate::rt::{Execution, Local, ThreadIdx};

/// How long a blocked stress operation sleeps between checks for an abort.
pub(crate) const POLL: Duration = Duration::from_millis(5);

/// The payload with which threads of an aborted iteration unwind; not a failure of its own.
#[derive(Debug)]
pub(crate) struct Aborted;

/// Unwinds this thread if its iteration has failed or is being aborted. Never while the thread
/// is already unwinding: a second panic in a destructor aborts the process.
pub(crate) fn abort_if_requested(exec: &Execution) {
    if (exec.has_failed() || exec.aborting.load(Relaxed)) && !std::thread::panicking() {
        std::panic::resume_unwind(Box::new(Aborted));
    }
}

/// Holds a spawned thread back until its spawner's next facade operation.
#[derive(Debug, Default)]
pub(crate) struct Gate(AtomicBool);

impl Gate {
    pub(crate) fn open(&self) {
        self.0.store(true, Release);
    }

    /// Waits for the gate; gives up after a short while in case the spawner blocks outside the
    /// facade, where it would never open it.
    fn pass(&self) {
        let start = Instant::now();
        let mut spins = 0u32;
        while !self.0.load(Acquire) {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) {
                if start.elapsed() > Duration::from_micros(200) {
                    return;
                }
                std::thread::yield_now();
            }
        }
    }
}

/// How long a thread past its step limit keeps yielding before the limit fails it.
const STEP_LIMIT_GRACE: Duration = Duration::from_millis(20);

/// Per-OS-thread state of a model thread: jitter, step count, progress, pending gates.
pub(crate) struct ThreadState {
    rng: Rng,
    jitter: bool,
    steps: u64,
    pub(crate) max_steps: u64,
    /// When the thread passed `max_steps`; see `STEP_LIMIT_GRACE`.
    over_limit: Option<Instant>,
    pub(crate) progress: Arc<Progress>,
    pub(crate) gates: Vec<Arc<Gate>>,
}

thread_local! {
    static THREAD: RefCell<Option<ThreadState>> = const { RefCell::new(None) };
}

/// Facade operations completed by one thread; the watchdog sums them to see progress. Padded
/// so that counting does not bounce a cache line between cores.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Progress(AtomicU64);

impl Progress {
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// What `before_op` decided, acted on outside the thread-local borrow.
pub(crate) enum Verdict {
    Go,
    StepLimit(u64),
}

impl ThreadState {
    /// The state of model thread `thread` in `iteration`; the pool fills in its progress counter.
    pub(crate) fn new(
        seed: u64,
        iteration: u64,
        thread: ThreadIdx,
        jitter: bool,
        max_steps: u64,
    ) -> Self {
        let rng = Rng::new(execution_seed(
            execution_seed(seed, iteration),
            u64::from(thread),
        ));
        ThreadState {
            rng,
            jitter,
            steps: 0,
            max_steps,
            over_limit: None,
            progress: Arc::default(),
            gates: Vec::new(),
        }
    }

    pub(crate) fn with_progress(self, progress: Arc<Progress>) -> Self {
        ThreadState { progress, ..self }
    }

    pub(crate) fn install(state: ThreadState) {
        THREAD.with(|t| *t.borrow_mut() = Some(state));
    }

    pub(crate) fn uninstall() -> Option<ThreadState> {
        THREAD.with(|t| t.borrow_mut().take())
    }

    pub(crate) fn with<R>(f: impl FnOnce(&mut ThreadState) -> R) -> Option<R> {
        THREAD.with(|t| t.borrow_mut().as_mut().map(f))
    }

    pub(crate) fn open_gates(&mut self) {
        for gate in self.gates.drain(..) {
            gate.open();
        }
    }

    pub(crate) fn before_op(&mut self) -> Verdict {
        // Only this thread writes its counter, so a load and a store do. A read-modify-write
        // would be a locked instruction on x86: a full barrier before every operation, which
        // would hide the store buffering the hardware really does.
        self.progress
            .0
            .store(self.progress.0.load(Relaxed) + 1, Relaxed);
        self.open_gates();
        self.steps += 1;
        if self.steps > self.max_steps {
            // A thread spinning for one the OS has not scheduled yet (a loaded CI machine)
            // passes any step count; it is stuck only if it still spins after yielding the
            // core for a while.
            let since = *self.over_limit.get_or_insert_with(Instant::now);
            if since.elapsed() >= STEP_LIMIT_GRACE {
                return Verdict::StepLimit(self.max_steps);
            }
            std::thread::yield_now();
            return Verdict::Go;
        }
        if self.jitter {
            let r = self.rng.next_u64();
            // One operation in four spins a little, one in 64 yields the core: enough to move
            // threads past each other, rarely enough to keep iterations fast.
            if r & 3 == 0 {
                for _ in 0..((r >> 8) & 0x3ff) {
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

/// Where a job's outcome arrives.
#[derive(Default)]
pub(crate) struct Done {
    outcome: Mutex<Option<Outcome>>,
    ready: Condvar,
}

impl Done {
    fn set(&self, outcome: Outcome) {
        *self.outcome.lock() = Some(outcome);
        self.ready.notify_all();
    }

    /// Waits for the outcome, unwinding if `exec` is aborted meanwhile.
    pub(crate) fn wait(&self, exec: &Execution) -> Outcome {
        let mut outcome = self.outcome.lock();
        loop {
            if let Some(outcome) = outcome.take() {
                return outcome;
            }
            if std::thread::panicking() {
                self.ready.wait(&mut outcome);
                continue;
            }
            drop(outcome);
            abort_if_requested(exec);
            outcome = self.outcome.lock();
            if outcome.is_none() {
                self.ready.wait_for(&mut outcome, POLL);
            }
        }
    }
}

/// One model thread to run.
pub(crate) struct Job {
    pub exec: Arc<Execution>,
    pub state: ThreadState,
    pub gate: Arc<Gate>,
    pub body: Box<dyn FnOnce() + Send + 'static>,
    pub done: Arc<Done>,
    pub shared: Arc<Shared>,
}

struct Worker {
    job: Mutex<Option<Job>>,
    wake: Condvar,
    busy: AtomicBool,
    progress: Arc<Progress>,
    /// The worker's kernel thread id (Linux), to read its CPU time; 0 until it starts.
    tid: std::sync::atomic::AtomicI64,
}

/// Workers of one exploration. Dropping the pool lets idle workers exit.
pub(crate) struct Pool {
    workers: Mutex<Vec<Arc<Worker>>>,
    shutdown: Arc<AtomicBool>,
}

impl Pool {
    pub(crate) fn new() -> Pool {
        Pool {
            workers: Mutex::new(Vec::new()),
            shutdown: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The progress counters of every worker, for the watchdog.
    pub(crate) fn progress(&self) -> Vec<Arc<Progress>> {
        self.workers
            .lock()
            .iter()
            .map(|w| w.progress.clone())
            .collect()
    }

    /// Gives `make_job` a progress counter and runs the job it returns on an idle worker.
    pub(crate) fn run(&self, make_job: impl FnOnce(Arc<Progress>) -> Job) {
        let mut workers = self.workers.lock();
        let worker = match workers.iter().find(|w| !w.busy.load(Acquire)) {
            Some(worker) => worker.clone(),
            None => {
                let worker = Arc::new(Worker {
                    job: Mutex::new(None),
                    wake: Condvar::new(),
                    busy: AtomicBool::new(false),
                    progress: Arc::new(Progress::default()),
                    tid: std::sync::atomic::AtomicI64::new(0),
                });
                let (w, shutdown) = (worker.clone(), self.shutdown.clone());
                std::thread::Builder::new()
                    .name("tapestry-stress".to_owned())
                    .spawn(move || work(&w, &shutdown))
                    .expect("failed to start a stress worker thread");
                workers.push(worker.clone());
                worker
            }
        };
        worker.busy.store(true, Release);
        *worker.job.lock() = Some(make_job(worker.progress.clone()));
        worker.wake.notify_one();
    }

    /// CPU time used so far by the workers running model threads, where the platform tells.
    pub(crate) fn busy_cpu(&self) -> Option<Duration> {
        let workers = self.workers.lock();
        workers
            .iter()
            .filter(|w| w.busy.load(Acquire))
            .map(|w| thread_cpu(w.tid.load(Acquire)))
            .sum::<Option<Duration>>()
    }

    /// Forgets workers still busy (stuck outside the facade after an abort); new ones replace
    /// them. A stuck thread cannot be stopped, only left behind.
    pub(crate) fn abandon_busy(&self) -> usize {
        let mut workers = self.workers.lock();
        let before = workers.len();
        workers.retain(|w| !w.busy.load(Acquire));
        before - workers.len()
    }
}

impl Pool {
    /// Lets idle workers exit. Called when the exploration ends: a worker left stuck in a
    /// failed iteration keeps the pool alive, so dropping it is not enough.
    pub(crate) fn shutdown(&self) {
        self.shutdown.store(true, Release);
        for worker in self.workers.lock().iter() {
            let _job = worker.job.lock();
            worker.wake.notify_one();
        }
    }
}

fn work(worker: &Worker, shutdown: &AtomicBool) {
    worker.tid.store(thread_id(), Release);
    loop {
        let job = {
            let mut slot = worker.job.lock();
            loop {
                if let Some(job) = slot.take() {
                    break job;
                }
                if shutdown.load(Acquire) {
                    return;
                }
                worker.wake.wait(&mut slot);
            }
        };
        run_job(job);
        worker.busy.store(false, Release);
    }
}

fn run_job(job: Job) {
    let Job {
        exec,
        state,
        gate,
        body,
        done,
        shared,
    } = job;
    let local = Local::new(exec);
    let outcome = {
        let _installed = local.install();
        ThreadState::install(state);
        gate.pass();
        let outcome = catch_unwind(AssertUnwindSafe(body));
        // Threads this one spawned and never waited for may still sit at their gates.
        if let Some(mut state) = ThreadState::uninstall() {
            state.open_gates();
        }
        outcome
    };
    shared.recordings.lock().push(local.take_recording());
    done.set(outcome);
    shared.outstanding.fetch_sub(1, AcqRel);
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
