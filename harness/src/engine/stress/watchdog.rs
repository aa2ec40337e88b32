//! The stress engine's watchdog: notices when an iteration stops making progress, says why, and
//! aborts it.
//!
//! Progress is facade operations completed. A silent iteration is judged once the silence has
//! lasted the timeout:
//!
//! - every unfinished thread blocked in a facade operation, on the same objects at the start
//!   and at the end of the silence: a `Deadlock`;
//! - some thread not blocked, and the busy workers used CPU meanwhile (at least a quarter of the
//!   silence): it spins or waits outside the facade, a `Hang`.
//!
//! A machine too loaded to run the threads at all is neither: the busy workers then use
//! little CPU, and the watchdog waits on, up to ten timeouts.

use std::sync::Arc;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::backend::Shared;
use crate::kinds::FailureKind;
use crate::rt::{Blocked, Execution, FailureRecord, ThreadIdx};

/// How the message of a hang begins: a step limit for silence, not for steps.
const HANG: &str = "no facade operation completed";

/// Watches progress while an iteration runs and fails the iteration when it stops.
pub(crate) struct Watchdog {
    state: Arc<WatchState>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct WatchState {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Watchdog {
    pub(crate) fn start(exec: Arc<Execution>, shared: Arc<Shared>, timeout: Duration) -> Watchdog {
        let state = Arc::new(WatchState {
            stopped: Mutex::new(false),
            wake: Condvar::new(),
        });
        let watched = state.clone();
        let thread = std::thread::Builder::new()
            .name("tapestry-watchdog".to_owned())
            .spawn(move || watch(&watched, &exec, &shared, timeout))
            .expect("failed to start the stress watchdog");
        Watchdog {
            state,
            thread: Some(thread),
        }
    }

    pub(crate) fn stop(mut self) {
        *self.state.stopped.lock() = true;
        self.state.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A stretch of time with no progress.
struct Silence {
    since: Instant,
    /// CPU time of the busy workers when it began.
    cpu: Option<Duration>,
    /// What the unfinished threads were blocked on when it began.
    blocked: Vec<(ThreadIdx, Option<Blocked>)>,
}

fn watch(state: &WatchState, exec: &Execution, shared: &Shared, timeout: Duration) {
    let tick = (timeout / 8).clamp(Duration::from_millis(1), Duration::from_millis(50));
    let mut last = (u64::MAX, u64::MAX);
    let mut silence: Option<Silence> = None;
    loop {
        {
            let mut stopped = state.stopped.lock();
            if !*stopped {
                state.wake.wait_for(&mut stopped, tick);
            }
            if *stopped {
                return;
            }
        }
        let now = (shared.iteration.load(Relaxed), shared.pool.progress());
        if now != last || !shared.watching.load(Acquire) || exec.has_failed() {
            last = now;
            silence = None;
            continue;
        }
        let quiet = silence.get_or_insert_with(|| Silence {
            since: Instant::now(),
            cpu: shared.pool.busy_cpu(),
            blocked: exec.blocked_threads(),
        });
        let elapsed = quiet.since.elapsed();
        if elapsed < timeout {
            continue;
        }
        let blocked = exec.blocked_threads();
        let all_blocked = !blocked.is_empty() && blocked.iter().all(|(_, b)| b.is_some());
        if all_blocked {
            if blocked == quiet.blocked {
                fail(
                    exec,
                    FailureKind::Deadlock,
                    deadlock_message(elapsed),
                    blocked[0].0,
                );
            } else {
                // The threads settled while the silence began: time it again from here.
                silence = None;
            }
            continue;
        }
        let spun = match (quiet.cpu, shared.pool.busy_cpu()) {
            (Some(before), Some(after)) => after.saturating_sub(before) >= elapsed / 4,
            _ => false,
        };
        if spun || elapsed >= timeout * 10 {
            let running: Vec<ThreadIdx> = blocked
                .iter()
                .filter(|(_, b)| b.is_none())
                .map(|&(t, _)| t)
                .collect();
            let names: Vec<String> = running
                .iter()
                .map(|&t| match exec.thread_name(t) {
                    Some(name) => format!("`{name}`"),
                    None => format!("`T{t}`"),
                })
                .collect();
            let message = format!(
                "{HANG} for {elapsed:?}; thread(s) {} are not blocked on a tapestry object: {}",
                names.join(", "),
                crate::engine::hang::HINT
            );
            fail(exec, FailureKind::Hang, message, running[0]);
        }
    }
}

fn deadlock_message(elapsed: Duration) -> String {
    format!("no thread made progress for {elapsed:?}, and every unfinished thread is blocked")
}

/// Records why the iteration stopped making progress, and aborts it.
fn fail(exec: &Execution, kind: FailureKind, message: String, thread: ThreadIdx) {
    exec.record_failure(FailureRecord::new(kind, message, thread));
    exec.aborting.store(true, Relaxed);
}
