//! The stress engine: the test body again and again on real threads, on every core.
//!
//! Every model thread, the body's (thread 0) included, runs on a pooled worker (see [`pool`]);
//! the exploration's own thread only starts iterations and waits for them. Every facade
//! operation counts as progress; a watchdog thread watches the counts and, when none moves for
//! the configured time, records a `Deadlock` (every unfinished thread blocked in a facade
//! operation) or a `StepLimit` (some thread running but not reaching the facade), then aborts
//! the iteration: blocked operations poll for the abort and unwind, so the test process goes
//! on. Threads that never come back (stuck outside the facade, or in destructors waiting for
//! each other while they unwind) are left behind.

mod backend;
mod pool;
mod watchdog;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use self::backend::{Shared, StressBackend, spawn_job};
use self::pool::{Pool, ThreadState};
pub(crate) use self::watchdog::HANG;
use self::watchdog::Watchdog;
use super::{Body, EngineRun, Found, Limits, Stress, on_fresh_thread, predicted};
use crate::rt::{self, Execution, Recording};
use crate::schedule::Replay;

pub(crate) fn explore(body: &Body, config: &Stress, limits: &Limits) -> EngineRun {
    on_fresh_thread("tapestry-stress", || explore_here(body, config, limits))
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
        recordings: Mutex::new(Vec::new()),
    });
    let exec = Arc::new(
        Execution::new(Box::new(StressBackend(shared.clone())), true).tracing(limits.tracing),
    );
    let watchdog = Watchdog::start(exec.clone(), shared.clone(), config.watchdog);

    let mut iteration = 0;
    let run = loop {
        let out_of_iterations = config.iterations.is_some_and(|n| iteration >= n);
        let out_of_time = config.time.is_some_and(|t| start.elapsed() >= t);
        if out_of_iterations || out_of_time {
            let complete = !out_of_time || out_of_iterations;
            break EngineRun {
                executions: iteration,
                elapsed: start.elapsed(),
                complete,
                found: None,
                predicted: predicted(&exec, |iteration| Replay::Stress {
                    seed: config.seed,
                    iteration,
                }),
            };
        }
        iteration += 1;
        shared.iteration.store(iteration, Relaxed);
        watchdog.watch(true);
        let body = body.clone();
        let state = ThreadState::new(config.seed, iteration, 0, config.jitter, limits.max_steps);
        let (gate, _done) = spawn_job(
            &shared,
            &exec,
            state,
            Box::new(move || rt::run_main(&*body)),
        );
        gate.open();
        let all_finished = wait_for_threads(&shared, &exec, config.watchdog);
        watchdog.watch(false);
        if let Some(mut record) = exec.failure() {
            if !all_finished {
                let lost = shared.pool.abandon_busy();
                record.message.push_str(&format!(
                    " ({lost} thread(s) never returned to the facade and were left running)"
                ));
            }
            let parts = std::mem::take(&mut *shared.recordings.lock());
            break EngineRun {
                executions: iteration,
                elapsed: start.elapsed(),
                complete: false,
                found: Some(Found {
                    record,
                    recording: Recording::merge(parts),
                    execution: iteration,
                    replay: Replay::Stress {
                        seed: config.seed,
                        iteration,
                    },
                    preemptions: None,
                }),
                predicted: None,
            };
        }
        let mut recordings = shared.recordings.lock();
        if exec.prediction_without_trace() == Some(iteration) {
            exec.attach_prediction_trace(Recording::merge(recordings.clone()));
        }
        recordings.clear();
    };
    watchdog.stop();
    shared.pool.shutdown();
    run
}

/// Waits until every thread the iteration spawned has finished. Once the iteration has failed,
/// gives threads stuck outside the facade `grace` to come back; returns whether all did.
fn wait_for_threads(shared: &Shared, exec: &Execution, grace: Duration) -> bool {
    let mut failed_at = None;
    let mut spins = 0u32;
    while shared.outstanding.load(Acquire) > 0 {
        if exec.has_failed() {
            exec.aborting.store(true, Relaxed);
            let since = *failed_at.get_or_insert_with(Instant::now);
            if since.elapsed() > grace {
                return false;
            }
        }
        spins += 1;
        if spins < 64 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    true
}
