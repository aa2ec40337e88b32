//! # Priority inversion (Mars Pathfinder)
//!
//! Three threads of a real-time system share one processor. `low` (priority 1, the weather
//! task) and `high` (priority 3, the bus manager) both use the information bus, guarded by one
//! mutex. `medium` (priority 2, communications) never touches the bus but runs for a long time.
//! The scheduler always runs the most urgent runnable thread.
//!
//! ## The bug
//!
//! `low` takes the bus. `high` arrives, preempts it, asks for the bus and waits. Now the most
//! urgent runnable thread is not `low`, which would finish with the bus and hand it over, but
//! `medium`, which arrives and runs to the end of its work. `high` waits for `medium`, a less
//! urgent thread it shares nothing with, for as long as `medium` runs: the inversion is
//! unbounded. On Mars in 1997 a watchdog saw the bus manager miss its deadline and reset the
//! spacecraft, again and again.
//!
//! ```text
//! low     lock bus
//! high    lock bus          waits for low
//! medium  work, work, work  low cannot run, so high cannot either
//! ...     (the priority engine reports it once medium has run 20 steps)
//! ```
//!
//! ## The fix
//!
//! Priority inheritance: `sync::PiMutex` runs its holder at the priority of its most urgent
//! waiter. While `high` waits, `low` runs at priority 3, so `medium` cannot preempt it; `low`
//! releases the bus after a few steps and `high` gets it. This is the switch the Pathfinder
//! engineers turned on from Earth (VxWorks' `SEM_INVERSION_SAFE`). Priority ceilings, where the
//! lock raises every holder to the priority of its most urgent possible user, work too.
//!
//! ## In real systems
//!
//! Any fixed-priority scheduler with shared locks: RTOS tasks, Linux `SCHED_FIFO` threads
//! (`PTHREAD_PRIO_INHERIT` is the fix), audio threads that share a lock with the UI, interrupt
//! handlers that defer work to threads, and the user-space spinlocks of mobile apps, where a
//! background thread holding the lock never gets to run (iOS's reason to deprecate
//! `OSSpinLock`).

use tapestry::sync::atomic::{AtomicU32, Ordering};
use tapestry::sync::{Arc, Mutex, PiMutex};
use tapestry::thread::{self, JoinHandle};
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "priority_inversion",
    category: Category::Liveness,
    summary: "a medium-priority thread keeps a low-priority lock holder, and so a high-priority waiter, from running",
    kind: FailureKind::PriorityInversion,
    buggy,
    fixed,
    found_by: &[EngineKind::Priority],
    source: include_str!("priority_inversion.rs"),
    missed_by: &[
        (
            EngineKind::Exhaustive,
            "it ignores priorities: every interleaving is as likely, and a long wait is no failure",
        ),
        (
            EngineKind::Dpor,
            "it ignores priorities, like the exhaustive engine: a long wait is no failure",
        ),
        (
            EngineKind::Random,
            "it ignores priorities and runs the holder as often as the others, so the wait stays short",
        ),
        (
            EngineKind::Pct,
            "its priorities are random and its own, not the program's, so no wait is unbounded",
        ),
        (
            EngineKind::Surw,
            "it ignores priorities and samples interleavings uniformly, so the holder runs as often as the others and no wait is unbounded",
        ),
        (
            EngineKind::Stress,
            "the operating system schedules real threads on several cores: the holder keeps running",
        ),
    ],
};

/// Steps of work `medium` does: more than the priority engine's default bound of 20.
const MEDIUM_WORK: u32 = 40;

/// The information bus, with or without priority inheritance.
enum Bus {
    Plain(Mutex<u32>),
    Inheriting(PiMutex<u32>),
}

impl Bus {
    /// Publishes `steps` readings: one lock, `steps` steps inside it.
    fn publish(&self, readings: &AtomicU32, steps: u32) {
        let mut guard = match self {
            Bus::Plain(bus) => bus.lock().unwrap(),
            Bus::Inheriting(bus) => bus.lock().unwrap(),
        };
        for _ in 0..steps {
            *guard += readings.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Starts a thread of the mission.
#[track_caller]
fn start(name: &str, priority: u8, work: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    thread::Builder::new()
        .name(name.to_owned())
        .priority(priority)
        .spawn(work)
        .unwrap()
}

fn mission(bus: Bus) {
    let bus = Arc::new(bus);
    let readings = Arc::new(AtomicU32::named("readings", 0));
    let (b, r) = (bus.clone(), readings.clone());
    let low = start("low", 1, move || b.publish(&r, 8));
    let (b, r) = (bus.clone(), readings.clone());
    let high = start("high", 3, move || b.publish(&r, 1));
    let r = readings.clone();
    let medium = start("medium", 2, move || {
        for _ in 0..MEDIUM_WORK {
            r.fetch_add(1, Ordering::Relaxed);
        }
    });
    for t in [low, high, medium] {
        t.join().unwrap();
    }
}

/// The bus is a plain mutex.
pub fn buggy() {
    mission(Bus::Plain(Mutex::named("bus", 0)));
}

/// The bus passes `high`'s priority on to its holder.
pub fn fixed() {
    mission(Bus::Inheriting(PiMutex::named("bus", 0)));
}
