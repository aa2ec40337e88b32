//! The stress engine: the test body again and again on real threads, on every core.
//!
//! Every model thread, the body's (thread 0) included, runs on a pooled worker (see [`pool`]).
//! One worker, the runner, runs the iterations back to back, the body itself as thread 0 of
//! each, and judges each once its threads have finished, so that no handoff between threads
//! separates one iteration from the next; the exploration's own thread only waits for the
//! runner, and takes over if the runner's body gets stuck outside the facade.
//!
//! Every facade operation counts as progress; a watchdog thread watches the counts and, when
//! none moves for the configured time, records a `Deadlock` (every unfinished thread blocked in
//! a facade operation) or a `Hang` (some thread running but not reaching the facade),
//! then aborts the iteration: blocked operations poll for the abort and unwind, so the test
//! process goes on. Threads that never come back (stuck outside the facade, or in destructors
//! waiting for each other while they unwind) are left behind.

mod backend;
mod link;
mod pool;
mod watchdog;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering::*};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use self::backend::{Shared, StressBackend};
use self::pool::{Backoff, POLL, Pool, Task, Worker, finish_thread_state, start_thread_state};
use self::watchdog::Watchdog;
use super::{Body, EngineRun, Found, Limits, Stress, on_fresh_thread, predicted};
use crate::rt::{self, Execution, Local, Recording};
use crate::schedule::Replay;

pub(crate) fn explore(body: &Body, config: &Stress, limits: &Limits) -> EngineRun {
    on_fresh_thread("tapestry-stress", || explore_here(body, config, limits))
}

/// Where the runner is: between iterations or judging one...
const JUDGING: u8 = 0;
/// ...running the test body (thread 0)...
const IN_BODY: u8 = 1;
/// ...or given up on by the exploration thread, stuck in the body of a failed iteration.
const TAKEN_OVER: u8 = 2;

/// What the exploration thread and the runner share.
struct Control {
    phase: AtomicU8,
    end: Mutex<Option<std::thread::Result<Ended>>>,
    ended: Condvar,
}

/// How the runner's loop ended.
struct Ended {
    executions: u64,
    complete: bool,
    found: Option<Found>,
}

fn explore_here(body: &Body, config: &Stress, limits: &Limits) -> EngineRun {
    rt::hook::install();
    let start = Instant::now();
    let shared = Arc::new(Shared {
        pool: Pool::new(),
        seed: config.seed,
        jitter: config.jitter,
        race_detection: config.race_detection,
        max_steps: limits.max_steps,
        iteration: AtomicU64::new(0),
        outstanding: AtomicUsize::new(0),
        watching: AtomicBool::new(false),
        choices: AtomicU64::new(0),
    });
    let exec = Arc::new(
        Execution::new(Box::new(StressBackend(shared.clone())), true)
            .engine(limits.engine)
            .tracing(limits.tracing)
            .lock_order(limits.lock_order)
            .available_parallelism(limits.parallelism)
            .workers(limits.workers)
            .timeouts(limits.timeouts),
    );
    let watchdog = Watchdog::start(exec.clone(), shared.clone(), config.watchdog);
    let control = Arc::new(Control {
        phase: AtomicU8::new(JUDGING),
        end: Mutex::new(None),
        ended: Condvar::new(),
    });
    let runner = {
        let (body, config) = (body.clone(), config.clone());
        let (shared, exec, control) = (shared.clone(), exec.clone(), control.clone());
        move |worker: &Worker| {
            let ended = catch_unwind(AssertUnwindSafe(|| {
                run_iterations(worker, &body, &config, start, &shared, &exec, &control)
            }));
            let ended = match ended {
                Ok(None) => return,
                Ok(Some(ended)) => Ok(ended),
                Err(payload) => Err(payload),
            };
            *control.end.lock() = Some(ended);
            control.ended.notify_all();
        }
    };
    shared
        .pool
        .run(&shared, &exec, Task::Iterations(Box::new(runner)));
    let ended = wait_for_runner(&shared, &exec, &control, config);
    watchdog.stop();
    shared.pool.shutdown();
    let ended = ended.unwrap_or_else(|payload| resume_unwind(payload));
    let predicted = match ended.found {
        Some(_) => None,
        None => predicted(&exec, |iteration| replay(config, iteration)),
    };
    EngineRun {
        executions: ended.executions,
        elapsed: start.elapsed(),
        complete: ended.complete,
        found: ended.found,
        predicted,
        weak_orderings: Some(exec.weak_orderings()),
        estimate: None,
    }
}

/// The runner: runs iterations until the budget runs out or one fails. Returns `None` if the
/// exploration thread took over meanwhile.
fn run_iterations(
    worker: &Worker,
    body: &Body,
    config: &Stress,
    start: Instant,
    shared: &Shared,
    exec: &Arc<Execution>,
    control: &Control,
) -> Option<Ended> {
    // One `Local` for thread 0 of every iteration: its recording keeps its buffers.
    let local = Local::new(exec.clone());
    let _installed = local.install();
    let mut iteration = 0;
    loop {
        let out_of_iterations = config.iterations.is_some_and(|n| iteration >= n);
        let out_of_time = config.time.is_some_and(|t| start.elapsed() >= t);
        if out_of_iterations || out_of_time {
            return Some(Ended {
                executions: iteration,
                complete: !out_of_time || out_of_iterations,
                found: None,
            });
        }
        iteration += 1;
        shared.iteration.store(iteration, Relaxed);
        shared.watching.store(true, Release);
        control.phase.store(IN_BODY, SeqCst);
        start_thread_state(worker.thread_state(shared, iteration, 0));
        worker.set_running(true);
        // A panic of the body is recorded by the hook; its payload is of no further use.
        drop(catch_unwind(AssertUnwindSafe(|| rt::run_main(&**body))));
        worker.set_running(false);
        finish_thread_state();
        if control
            .phase
            .compare_exchange(IN_BODY, JUDGING, SeqCst, SeqCst)
            .is_err()
        {
            return None;
        }
        let all_finished = wait_for_threads(shared, exec, config.watchdog);
        shared.watching.store(false, Release);
        let recording = |local: &Local| {
            let mut parts = shared.pool.recordings(iteration);
            parts.push(local.recording());
            Recording::merge(parts)
        };
        if exec.has_failed()
            && let Some(mut record) = exec.failure()
        {
            if !all_finished {
                let lost = shared.pool.abandon_busy(Some(worker));
                record.message.push_str(&left_running(lost));
            }
            return Some(Ended {
                executions: iteration,
                complete: false,
                found: Some(found(record, recording(&local), config, iteration)),
            });
        }
        if exec.prediction_without_trace() == Some(iteration) {
            exec.attach_prediction_trace(recording(&local));
        }
    }
}

fn left_running(lost: usize) -> String {
    format!(" ({lost} thread(s) never returned to the facade and were left running)")
}

fn found(
    record: rt::FailureRecord,
    recording: Recording,
    config: &Stress,
    iteration: u64,
) -> Found {
    Found {
        record,
        recording,
        execution: iteration,
        replay: replay(config, iteration),
        preemptions: None,
    }
}

/// What hunts for a failure in `iteration` again: the seed and the budget.
fn replay(config: &Stress, iteration: u64) -> Replay {
    Replay::Stress {
        seed: config.seed,
        iteration,
        iterations: config.iterations,
        time_ms: config.time.map(|t| t.as_millis() as u64),
    }
}

/// The settings that hunt again as [`Replay::Stress`] says (the defaults for a budget it does
/// not give).
pub(crate) fn hunt_again(seed: u64, iterations: Option<u64>, time_ms: Option<u64>) -> Stress {
    let mut config = Stress::default().seed(seed);
    if let Some(iterations) = iterations {
        config = config.iterations(iterations);
    }
    if let Some(time_ms) = time_ms {
        config = config.time(Duration::from_millis(time_ms));
    }
    config
}

/// Waits for the runner to end. If an iteration has failed and the runner's body has not come
/// back from it `config.watchdog` later, it is stuck outside the facade: leaves it behind and
/// reports the failure without it.
fn wait_for_runner(
    shared: &Shared,
    exec: &Execution,
    control: &Control,
    config: &Stress,
) -> std::thread::Result<Ended> {
    let mut failed_at = None;
    let mut end = control.end.lock();
    loop {
        if let Some(ended) = end.take() {
            return ended;
        }
        control.ended.wait_for(&mut end, POLL);
        if end.is_some() {
            continue;
        }
        if !(exec.has_failed() && control.phase.load(SeqCst) == IN_BODY) {
            failed_at = None;
            continue;
        }
        exec.aborting.store(true, Relaxed);
        let since = *failed_at.get_or_insert_with(Instant::now);
        if since.elapsed() <= config.watchdog
            || control
                .phase
                .compare_exchange(IN_BODY, TAKEN_OVER, SeqCst, SeqCst)
                .is_err()
        {
            continue;
        }
        drop(end);
        let iteration = shared.iteration.load(Relaxed);
        shared.watching.store(false, Release);
        let mut record = exec
            .failure()
            .expect("an iteration that has failed has a failure");
        record
            .message
            .push_str(&left_running(shared.pool.abandon_busy(None)));
        let recording = Recording::merge(shared.pool.recordings(iteration));
        return Ok(Ended {
            executions: iteration,
            complete: false,
            found: Some(found(record, recording, config, iteration)),
        });
    }
}

/// Waits until every thread the iteration spawned has finished. Once the iteration has failed,
/// gives threads stuck outside the facade `grace` to come back; returns whether all did.
fn wait_for_threads(shared: &Shared, exec: &Execution, grace: Duration) -> bool {
    let mut failed_at = None;
    let mut backoff = Backoff::new();
    let mut nap = Duration::from_micros(50);
    while shared.outstanding.load(Acquire) > 0 {
        if exec.has_failed() {
            exec.aborting.store(true, Relaxed);
            let since = *failed_at.get_or_insert_with(Instant::now);
            if since.elapsed() > grace {
                return false;
            }
        }
        if !backoff.snooze() {
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(1));
        }
    }
    true
}
