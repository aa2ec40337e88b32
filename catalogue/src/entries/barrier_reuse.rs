//! # Reusable barrier without a generation
//!
//! A hand-rolled barrier for two threads: a counter of arrived threads and a condition
//! variable. Each arriving thread increments the counter; the last one resets it to 0 and wakes
//! the others, which wait until they see the counter at 0. Two threads pass the barrier twice.
//!
//! ## The bug
//!
//! "The counter is 0" means "the barrier opened" only until the next round starts. The last
//! thread to arrive resets the counter and runs on; it can reach the barrier again, and count
//! itself in for round 2, before the woken thread has looked at the counter. That thread then
//! sees 1, not 0, and goes back to waiting for a round that has already ended. Now each thread
//! waits for the other: one in round 1, one in round 2.
//!
//! ```text
//! main  arrive: count 0 -> 1, wait         round 1
//! T1    arrive: count 1 -> 2, reset to 0, notify_all
//! T1    arrive: count 0 -> 1, wait         round 2, before main has looked
//! main  woken: count is 1, not 0, wait     main missed its release: deadlock
//! ```
//!
//! A barrier used for one round never shows the bug: it takes the reuse, and a thread fast
//! enough to start the next round before a woken one runs.
//!
//! ## The fix
//!
//! Give each round a generation number. A thread remembers the generation it arrived in and
//! waits until the generation changes; the last thread increments it when it opens the barrier.
//! What the next round does to the counter no longer matters. `std::sync::Barrier` works this
//! way.
//!
//! ## In real systems
//!
//! Hand-written barriers, phasers and count-down latches reused across iterations of parallel
//! loops (simulations, GPU-style bulk-synchronous code), and any condition variable predicate
//! that tests a state the next round can overwrite before a waiter wakes up.

use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "barrier_reuse",
    category: Category::Deadlock,
    summary: "a reused barrier without a generation misses a release when a fast thread starts the next round",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("barrier_reuse.rs"),
    missed_by: &[],
};

const THREADS: usize = 2;
const ROUNDS: usize = 2;

#[derive(Default)]
struct State {
    arrived: usize,
    generation: u64,
}

struct HandRolledBarrier {
    state: Mutex<State>,
    opened: Condvar,
}

/// Whether the barrier has opened, for a thread that arrived in `generation`.
type Opened = fn(&State, u64) -> bool;

impl HandRolledBarrier {
    fn wait(&self, opened: Opened) {
        let mut state = self.state.lock().unwrap();
        let generation = state.generation;
        state.arrived += 1;
        if state.arrived == THREADS {
            state.arrived = 0;
            state.generation += 1;
            self.opened.notify_all();
        } else {
            let _state = self
                .opened
                .wait_while(state, |s| !opened(s, generation))
                .unwrap();
        }
    }
}

fn run(opened: Opened) {
    let barrier = Arc::new(HandRolledBarrier {
        state: Mutex::named("state", State::default()),
        opened: Condvar::named("opened"),
    });
    let other = barrier.clone();
    let t = thread::spawn(move || (0..ROUNDS).for_each(|_| other.wait(opened)));
    (0..ROUNDS).for_each(|_| barrier.wait(opened));
    t.join().unwrap();
}

/// Waits until the counter is back to 0.
pub fn buggy() {
    run(|state, _generation| state.arrived == 0);
}

/// Waits until the generation has changed.
pub fn fixed() {
    run(|state, generation| state.generation != generation);
}
