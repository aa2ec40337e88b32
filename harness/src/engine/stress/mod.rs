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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use self::backend::{Shared, StressBackend, spawn_job};
use self::pool::{Pool, ThreadState};
use super::{Body, EngineRun, Found, Limits, Stress, on_fresh_thread};
use crate::failure::FailureKind;
use crate::rt::{self, Execution, FailureRecord, Recording};
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
        max_steps: limits.max_steps,
        iteration: AtomicU64::new(0),
        outstanding: AtomicUsize::new(0),
        recordings: Mutex::new(Vec::new()),
    });
    let exec = Arc::new(Execution::new(
        Box::new(StressBackend(shared.clone())),
        true,
    ));
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
            };
        }
        shared.recordings.lock().clear();
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

/// Watches progress while an iteration runs and fails the iteration when it stops.
struct Watchdog {
    state: Arc<WatchState>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct WatchState {
    watching: AtomicBool,
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Watchdog {
    fn start(exec: Arc<Execution>, shared: Arc<Shared>, timeout: Duration) -> Watchdog {
        let state = Arc::new(WatchState {
            watching: AtomicBool::new(false),
            stopped: Mutex::new(false),
            wake: Condvar::new(),
        });
        let watch = state.clone();
        let thread = std::thread::Builder::new()
            .name("tapestry-watchdog".to_owned())
            .spawn(move || watch_loop(&watch, &exec, &shared, timeout))
            .expect("failed to start the stress watchdog");
        Watchdog {
            state,
            thread: Some(thread),
        }
    }

    fn watch(&self, on: bool) {
        self.state.watching.store(on, Release);
    }

    fn stop(mut self) {
        *self.state.stopped.lock() = true;
        self.state.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn watch_loop(state: &WatchState, exec: &Execution, shared: &Shared, timeout: Duration) {
    let tick = (timeout / 8).clamp(Duration::from_millis(1), Duration::from_millis(50));
    let mut last = (u64::MAX, u64::MAX);
    let mut last_change = Instant::now();
    loop {
        {
            let mut stopped = state.stopped.lock();
            if *stopped {
                return;
            }
            state.wake.wait_for(&mut stopped, tick);
            if *stopped {
                return;
            }
        }
        let now = (
            shared.iteration.load(Relaxed),
            shared.pool.progress().iter().map(|p| p.get()).sum::<u64>(),
        );
        if now != last || !state.watching.load(Acquire) || exec.has_failed() {
            last = now;
            last_change = Instant::now();
            continue;
        }
        if last_change.elapsed() >= timeout {
            no_progress(exec, timeout);
            last_change = Instant::now();
        }
    }
}

/// Records why an iteration stopped making progress, and aborts it.
fn no_progress(exec: &Execution, timeout: Duration) {
    let threads = exec.blocked_threads();
    let running: Vec<_> = threads
        .iter()
        .filter(|(_, b)| b.is_none())
        .map(|&(t, _)| t)
        .collect();
    let (kind, message, thread) = match running.first() {
        None => (
            FailureKind::Deadlock,
            format!(
                "no thread made progress for {timeout:?}, and every unfinished thread is blocked"
            ),
            threads.first().map_or(0, |&(t, _)| t),
        ),
        Some(&first) => (
            FailureKind::StepLimit,
            format!(
                "no facade operation completed for {timeout:?}; {} unfinished thread(s) are not blocked on a tapestry \
                 object: spinning without facade operations, or blocked outside the facade",
                running.len()
            ),
            first,
        ),
    };
    exec.record_failure(FailureRecord {
        kind,
        message,
        thread,
        location: None,
        blocked: Vec::new(),
    });
    exec.aborting.store(true, Relaxed);
}
