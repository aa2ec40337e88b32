//! # Dining philosophers
//!
//! Three philosophers sit at a round table with a fork between each two neighbours. To eat,
//! philosopher `i` takes the fork on its left (`fork{i}`), then the one on its right
//! (`fork{i+1}`, wrapping around). The forks are mutexes, the philosophers threads.
//!
//! ## The bug
//!
//! If every philosopher takes its left fork before any takes its right one, each then waits
//! for its right fork, which its neighbour holds as a left fork: a cycle of waits around the
//! table. Each thread takes its locks in an order that looks consistent locally ("left, then
//! right"), but around the table the orders form a cycle.
//!
//! ```text
//! main  lock fork0
//! T2    lock fork2
//! T1    lock fork1     every fork is taken
//! main  lock fork1     waits for T1
//! T1    lock fork2     waits for T2
//! T2    lock fork0     waits for main: deadlock
//! ```
//!
//! ## The fix
//!
//! Order the forks globally and have every philosopher take the lower-numbered fork first. Only
//! the last philosopher changes: it takes `fork0` before `fork2`, so the cycle cannot close.
//!
//! ## In real systems
//!
//! Any ring or graph of resources locked pairwise: transfers between accounts, neighbouring
//! cells or partitions in a simulation, adjacent nodes in a linked list or a tree, database
//! rows updated in different orders by concurrent transactions.

use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "dining_philosophers",
    category: Category::Deadlock,
    summary: "three philosophers each take their left fork, then wait for their right one",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("dining_philosophers.rs"),
    missed_by: &[],
};

const PHILOSOPHERS: usize = 3;

/// Philosopher `i`'s left and right forks.
fn left_and_right(i: usize) -> (usize, usize) {
    (i, (i + 1) % PHILOSOPHERS)
}

fn run(forks_in_order: fn(usize) -> (usize, usize)) {
    let forks: Arc<Vec<Mutex<()>>> = Arc::new(
        (0..PHILOSOPHERS)
            .map(|i| Mutex::named(format!("fork{i}"), ()))
            .collect(),
    );
    let dine = move |forks: &[Mutex<()>], i: usize| {
        let (first, second) = forks_in_order(i);
        let _first = forks[first].lock().unwrap();
        let _second = forks[second].lock().unwrap();
    };
    // Philosopher 0 is the test's own thread; philosopher `i` is thread Ti.
    let others: Vec<_> = (1..PHILOSOPHERS)
        .map(|i| {
            let forks = forks.clone();
            thread::spawn(move || dine(&forks, i))
        })
        .collect();
    dine(&forks, 0);
    for t in others {
        t.join().unwrap();
    }
}

/// Every philosopher takes its left fork, then its right one.
pub fn buggy() {
    run(left_and_right);
}

/// Every philosopher takes the lower-numbered of its forks first.
pub fn fixed() {
    run(|i| {
        let (left, right) = left_and_right(i);
        (left.min(right), left.max(right))
    });
}
