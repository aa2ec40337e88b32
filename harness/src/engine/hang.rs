//! The model engines' watchdog: notices an exploration whose running thread has reached no
//! facade operation for too long.
//!
//! Model threads are coroutines on one OS thread, switched only inside facade operations, so
//! code that never reaches one (a loop on plain memory, a std atomic, a wait on a std lock or
//! channel) cannot be preempted: the exploration would run forever. Every facade operation of
//! a model engine beats a heartbeat (`Execution::heartbeat`); a process-wide watchdog thread
//! looks at the heartbeats of the explorations running, and one that has not moved for the
//! bound (`Limits::watchdog`, `TAPESTRY_WATCHDOG`) is stuck. The stuck OS thread cannot be
//! stopped from outside, and code on it cannot be unwound, so the watchdog hands it to the
//! handler the runner set ([`on_stuck`]), which interrupts that thread with a signal to learn
//! where it is and ends the process it runs in (the runner's child process, see
//! `runner::isolate`). With no handler set, the watchdog says what it knows and ends the
//! process itself: a hang would otherwise never end.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

use parking_lot::{Condvar, Mutex};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::time::{Duration, Instant};

use crate::kinds::EngineKind;
use crate::rt::Execution;

/// What a hang's report says after naming the thread: why it can be stuck, and the fix.
pub(crate) const HINT: &str = "it may be spinning on plain memory (a std atomic, a plain \
    flag) or blocked on a std lock or channel instead of tapestry's; the engines switch threads \
    only at tapestry's operations (`tapestry::sync`, `tapestry::hint::spin_loop`, \
    `tapestry::thread::yield_now`), so use those";

/// What a hang's report says when the stuck thread sleeps in the kernel: a wait on a lock,
/// condition variable or channel that tapestry does not see. As a rule a std lock whose
/// critical section reached a tapestry operation, where the engine switched to a thread that
/// now waits for that lock, on the one OS thread that runs every model thread.
pub(crate) const BLOCKED_HINT: &str = "it is blocked in the kernel, waiting on a lock, condition \
    variable or channel tapestry does not see (`std::sync`, `parking_lot`); as a rule a std \
    lock held while its critical section reached a tapestry operation (a `tapestry::sync` or \
    tokio-shaped call), where the engine switched to this thread, which now waits for that lock \
    on the one OS thread that runs every model thread. Use `tapestry::sync::Mutex` for that \
    lock under test, or keep tapestry operations out of the critical section";

/// What the stuck thread was doing when the watchdog looked (Linux: from `/proc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Doing {
    /// On a CPU or ready for one: spinning.
    Running,
    /// Asleep in the kernel (a futex wait, as a rule).
    Blocked,
    Unknown,
}

impl Doing {
    /// What thread `tid` of this process is doing.
    fn of(tid: libc::pid_t) -> Doing {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) else {
            return Doing::Unknown;
        };
        // `pid (comm) state ...`: the name may hold spaces and parentheses.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        match state {
            Some('R') => Doing::Running,
            Some('S' | 'D') => Doing::Blocked,
            _ => Doing::Unknown,
        }
    }

    /// The report's hint for it.
    pub(crate) fn hint(self) -> &'static str {
        match self {
            Doing::Blocked => BLOCKED_HINT,
            Doing::Running | Doing::Unknown => HINT,
        }
    }
}

/// The default bound: long enough that no facade operation for that long is a hang even on a
/// loaded machine, short enough that a hung test ends soon.
pub(crate) const DEFAULT_BOUND: Duration = Duration::from_secs(10);

/// An exploration thread that reached no facade operation for `silent`.
#[derive(Debug)]
pub(crate) struct Stuck {
    /// The OS thread running the exploration.
    pub thread: libc::pthread_t,
    pub engine: Option<EngineKind>,
    pub silent: Duration,
    pub doing: Doing,
}

static ON_STUCK: OnceLock<fn(&Stuck)> = OnceLock::new();

/// Sets what the watchdog does with a stuck exploration (once per process; the runner does).
pub(crate) fn on_stuck(handler: fn(&Stuck)) {
    let _ = ON_STUCK.set(handler);
}

struct Entry {
    id: u64,
    exec: Arc<Execution>,
    thread: libc::pthread_t,
    /// Its id in the kernel, for `/proc`.
    tid: libc::pid_t,
    bound: Duration,
    last: (u64, u64),
    since: Instant,
    fired: bool,
}

// SAFETY: `pthread_t` is an opaque handle, only passed to `pthread_kill`.
unsafe impl Send for Entry {}

struct Registry {
    entries: Mutex<Vec<Entry>>,
    changed: Condvar,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        std::thread::Builder::new()
            .name("tapestry-watchdog".to_owned())
            .spawn(patrol)
            .expect("failed to start tapestry's watchdog");
        Registry {
            entries: Mutex::new(Vec::new()),
            changed: Condvar::new(),
        }
    })
}

/// Watched while alive: the exploration of `exec`, running on this OS thread.
pub(crate) struct Watched(u64);

impl Drop for Watched {
    fn drop(&mut self) {
        let registry = registry();
        let mut entries = registry.entries.lock();
        entries.retain(|e| e.id != self.0);
    }
}

/// Watches the exploration of `exec`, which runs on this OS thread, until the returned guard is
/// dropped; `None` (no bound) watches nothing.
pub(crate) fn watch(exec: &Arc<Execution>, bound: Option<Duration>) -> Option<Watched> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let bound = bound?;
    let id = NEXT.fetch_add(1, Relaxed);
    let registry = registry();
    registry.entries.lock().push(Entry {
        id,
        exec: exec.clone(),
        // SAFETY: `pthread_self` has no preconditions.
        thread: unsafe { libc::pthread_self() },
        // SAFETY: `gettid` has no preconditions.
        tid: unsafe { libc::gettid() },
        bound,
        last: exec.heartbeat(),
        since: Instant::now(),
        fired: false,
    });
    registry.changed.notify_all();
    Some(Watched(id))
}

fn patrol() {
    let registry = registry();
    let mut entries = registry.entries.lock();
    loop {
        let tick = entries
            .iter()
            .map(|e| e.bound / 8)
            .min()
            .map(|t| t.clamp(Duration::from_millis(5), Duration::from_millis(250)));
        match tick {
            None => registry.changed.wait(&mut entries),
            Some(tick) => drop(registry.changed.wait_for(&mut entries, tick)),
        }
        let mut stuck = Vec::new();
        for entry in entries.iter_mut() {
            let beat = entry.exec.heartbeat();
            if beat != entry.last || entry.exec.engine_working.load(Relaxed) {
                entry.last = beat;
                entry.since = Instant::now();
            } else if !entry.fired && entry.since.elapsed() >= entry.bound {
                entry.fired = true;
                stuck.push(Stuck {
                    thread: entry.thread,
                    engine: entry.exec.engine,
                    silent: entry.since.elapsed(),
                    doing: Doing::of(entry.tid),
                });
            }
        }
        if stuck.is_empty() {
            continue;
        }
        drop(entries);
        for stuck in &stuck {
            match ON_STUCK.get() {
                Some(handler) => handler(stuck),
                None => stop(stuck),
            }
        }
        entries = registry.entries.lock();
    }
}

/// A scheduler whose work between executions ([`Scheduler::new_execution`]: a DPOR search's
/// analysis of the execution that ended, the c11 engine's revisits) is the engine's, not the
/// program's: however long it takes on a long execution, the watchdog does not take it for a
/// hang and end the process. (It runs on the exploration's OS thread, whose `Local` names
/// the execution: [`at_work`] finds it.)
pub(crate) struct Working<S>(pub S);

impl<S: Scheduler> Scheduler for Working<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        debug_assert!(
            crate::rt::local().is_some(),
            "an exploration without its Local"
        );
        let _at_work = at_work();
        self.0.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.0.next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// The engine's own work (between executions, or inside a facade operation: the c11
/// engine's judgement of a choice, whose cost grows with the graph) is under way on this OS
/// thread's exploration until the guard drops: the watchdog does not take a long one for the
/// program's hang.
pub(crate) struct AtWork(Option<&'static crate::rt::Local>);

pub(crate) fn at_work() -> AtWork {
    let local = crate::rt::local();
    if let Some(local) = local {
        local.exec.engine_working.store(true, Relaxed);
    }
    AtWork(local)
}

impl Drop for AtWork {
    fn drop(&mut self) {
        if let Some(local) = self.0 {
            local.exec.engine_working.store(false, Relaxed);
        }
    }
}

/// Without a handler: says what is known, and ends the process.
fn stop(stuck: &Stuck) -> ! {
    let engine = stuck.engine.map_or("a model", EngineKind::name);
    // Straight to the process's standard error: this thread's output is nobody's test's.
    let _ = writeln!(
        std::io::stderr(),
        "tapestry: a hang under the {engine} engine: its running thread reached no tapestry \
         operation for {:?}; {}. Ending the process, which cannot stop the thread.",
        stuck.silent,
        stuck.doing.hint(),
    );
    std::process::exit(101)
}
