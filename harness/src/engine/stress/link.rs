//! Handoffs between the threads of an iteration: how a waiting thread waits ([`Backoff`]), and
//! the [`Link`] between a spawned thread, its spawner and its joiner.
//!
//! Every handoff spins briefly, then yields, then parks or sleeps. An iteration of a small
//! program lasts a few microseconds: when both sides have a core, the other side answers
//! within the spin, and waking a parked thread would cost more than the iteration; when they
//! share a core (a loaded machine), spinning only delays the other side, and a yield hands it
//! the core at once. A thread that waits long stops using the CPU after a fifth of a
//! millisecond.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::*};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::pool::{Outcome, POLL, abort_if_requested};
use crate::rt::Execution;

/// How many times a waiting thread spins (some 30 to 60 ns each on current x86) before it
/// yields the core...
const SPINS: u32 = 16;
/// ...and how long it then yields before it parks or sleeps.
const YIELD: Duration = Duration::from_micros(200);

/// Spin, then yield, then give up (and park or sleep): for waits that are short in the common
/// case and may be long.
pub(crate) struct Backoff {
    spins: u32,
    yields: u32,
    yielding_since: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new() -> Backoff {
        Backoff {
            spins: 0,
            yields: 0,
            yielding_since: None,
        }
    }

    /// Waits a little; returns `false` once the wait has lasted long enough that the caller
    /// should stop using the CPU (park, or sleep).
    pub(crate) fn snooze(&mut self) -> bool {
        if self.spins < SPINS {
            self.spins += 1;
            std::hint::spin_loop();
            return true;
        }
        // Read the clock every few yields only: it costs a twentieth of one.
        if self.yields.is_multiple_of(8) {
            let since = *self.yielding_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= YIELD {
                return false;
            }
        }
        self.yields = self.yields.wrapping_add(1);
        std::thread::yield_now();
        true
    }
}

/// Ties a spawned thread to its spawner and joiner: the gate that holds it back until its
/// spawner's next facade operation, and where its outcome arrives.
#[derive(Default)]
pub(crate) struct Link {
    /// The thread waits at the gate.
    arrived: AtomicBool,
    gate: AtomicBool,
    /// The thread has seen the gate open.
    started: AtomicBool,
    ready: AtomicBool,
    outcome: Mutex<Option<Outcome>>,
    changed: Condvar,
}

/// How long (in spins) a spawner waits for a spawned thread to arrive at its gate, adapted to
/// what happened recently: a thread whose worker runs on another core arrives within a
/// microsecond or so; one that shares its spawner's core (a loaded machine) cannot arrive
/// while the spawner spins, and waiting for it is waste.
static RENDEZVOUS: AtomicU32 = AtomicU32::new(RENDEZVOUS_MAX / 4);
const RENDEZVOUS_MIN: u32 = 8;
const RENDEZVOUS_MAX: u32 = 512;
/// How long (in spins) a spawner waits for a thread at its gate to see it open.
const STARTING: u32 = 64;

impl Link {
    /// Lets the thread go. With `together` (its spawner goes on with a facade operation),
    /// first waits a little for it to reach the gate, then for it to see the gate open, so
    /// that both start within a cache-line transfer of each other rather than microseconds
    /// apart.
    pub(crate) fn open(&self, together: bool) {
        let arrived = together && self.wait_for_arrival();
        self.gate.store(true, Release);
        if arrived {
            let mut spins = 0;
            while !self.started.load(Acquire) && spins < STARTING {
                std::hint::spin_loop();
                spins += 1;
            }
        }
    }

    /// Waits (a while adapted to how such waits went recently) for the thread to reach its
    /// gate; returns whether it did.
    fn wait_for_arrival(&self) -> bool {
        if self.arrived.load(Acquire) {
            return true;
        }
        let budget = RENDEZVOUS.load(Relaxed);
        let mut spins = 0;
        while !self.arrived.load(Acquire) {
            if spins == budget {
                RENDEZVOUS.store((budget / 2).max(RENDEZVOUS_MIN), Relaxed);
                return false;
            }
            std::hint::spin_loop();
            spins += 1;
        }
        RENDEZVOUS.store((budget + budget / 4 + 1).min(RENDEZVOUS_MAX), Relaxed);
        true
    }

    /// Waits for the gate; gives up after a short while in case the spawner blocks outside the
    /// facade, where it would never open it.
    pub(crate) fn pass(&self) {
        self.arrived.store(true, Release);
        let mut start = None;
        let mut spins = 0u32;
        while !self.gate.load(Acquire) {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                let start = *start.get_or_insert_with(Instant::now);
                if start.elapsed() > Duration::from_micros(200) {
                    return;
                }
                std::thread::yield_now();
            }
        }
        self.started.store(true, Release);
    }

    pub(crate) fn set(&self, outcome: Outcome) {
        *self.outcome.lock() = Some(outcome);
        self.ready.store(true, Release);
        // Without a parked waiter this is one load.
        self.changed.notify_all();
    }

    /// Waits for the thread's outcome, unwinding if `exec` is aborted meanwhile.
    pub(crate) fn wait(&self, exec: &Execution) -> Outcome {
        let panicking = std::thread::panicking();
        let mut backoff = Backoff::new();
        while !self.ready.load(Acquire) {
            if !panicking {
                abort_if_requested(exec);
            }
            if !backoff.snooze() {
                break;
            }
        }
        let mut outcome = self.outcome.lock();
        loop {
            if let Some(outcome) = outcome.take() {
                return outcome;
            }
            if panicking {
                self.changed.wait(&mut outcome);
                continue;
            }
            drop(outcome);
            abort_if_requested(exec);
            outcome = self.outcome.lock();
            if outcome.is_none() {
                self.changed.wait_for(&mut outcome, POLL);
            }
        }
    }
}
