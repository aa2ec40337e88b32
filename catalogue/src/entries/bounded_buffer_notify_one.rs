//! # Bounded buffer with one condition variable
//!
//! A buffer holds at most one item. A producer puts two items; two consumers take one each.
//! Both kinds of waiter share one condition variable, `changed`: a producer waits on it while
//! the buffer is full, a consumer while it is empty, and each side wakes one waiter with
//! `notify_one` after changing the buffer.
//!
//! ## The bug
//!
//! `notify_one` wakes some waiter, not a waiter of the right kind. When a consumer takes an
//! item, it means to wake the producer ("not full"), but the one waiter woken can be the other
//! consumer. That consumer finds the buffer empty and waits again; the notification is used up
//! and the producer still sleeps. Now everyone waits.
//!
//! ```text
//! consumer1  wait changed          buffer empty
//! consumer2  wait changed          buffer empty
//! producer   put 1, notify_one     wakes consumer1
//! producer   wait changed          buffer full
//! consumer1  take 1, notify_one    meant for the producer, wakes consumer2
//! consumer2  wait changed          buffer empty again: everyone waits
//! ```
//!
//! ## The fix
//!
//! One condition variable per condition: producers wait on `not_full`, consumers on
//! `not_empty`, and each side notifies the other's. A `notify_one` then always reaches a thread
//! that can use it. (`notify_all` on the shared variable also works, at the cost of waking
//! every waiter each time.)
//!
//! ## In real systems
//!
//! Hand-written blocking queues, connection and object pools, and Java's `Object.wait` and
//! `notify` (one implicit condition per object), where this is a classic. The program may run
//! for a long time before the one bad wake-up happens.

use std::collections::VecDeque;

use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "bounded_buffer_notify_one",
    category: Category::Deadlock,
    summary: "notify_one on a condition variable shared by producers and consumers wakes the wrong kind of waiter",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::NAMED,
    source: include_str!("bounded_buffer_notify_one.rs"),
    missed_by: &[],
};

const CAPACITY: usize = 1;

struct BoundedBuffer {
    items: Mutex<VecDeque<u32>>,
    not_empty: Arc<Condvar>,
    not_full: Arc<Condvar>,
}

impl BoundedBuffer {
    fn put(&self, item: u32) {
        let items = self.items.lock().unwrap();
        let mut items = self
            .not_full
            .wait_while(items, |items| items.len() == CAPACITY)
            .unwrap();
        items.push_back(item);
        self.not_empty.notify_one();
    }

    fn take(&self) -> u32 {
        let items = self.items.lock().unwrap();
        let mut items = self
            .not_empty
            .wait_while(items, |items| items.is_empty())
            .unwrap();
        let item = items.pop_front().unwrap();
        self.not_full.notify_one();
        item
    }
}

/// `condvars` gives the buffer's `(not_empty, not_full)` condition variables.
fn run(condvars: fn() -> (Arc<Condvar>, Arc<Condvar>)) {
    let (not_empty, not_full) = condvars();
    let buffer = Arc::new(BoundedBuffer {
        items: Mutex::named("items", VecDeque::new()),
        not_empty,
        not_full,
    });
    let consumers: Vec<_> = (1..=2)
        .map(|i| {
            let buffer = buffer.clone();
            thread::Builder::new()
                .name(format!("consumer{i}"))
                .spawn(move || buffer.take())
                .unwrap()
        })
        .collect();
    let producer_buffer = buffer.clone();
    let producer = thread::Builder::new()
        .name("producer".into())
        .spawn(move || (1..=2).for_each(|item| producer_buffer.put(item)))
        .unwrap();
    producer.join().unwrap();
    let mut taken: Vec<u32> = consumers.into_iter().map(|c| c.join().unwrap()).collect();
    taken.sort_unstable();
    assert_eq!(taken, [1, 2], "each item is taken exactly once");
}

/// One condition variable serves both conditions.
pub fn buggy() {
    run(|| {
        let changed = Arc::new(Condvar::named("changed"));
        (changed.clone(), changed)
    });
}

/// A condition variable per condition.
pub fn fixed() {
    run(|| {
        (
            Arc::new(Condvar::named("not_empty")),
            Arc::new(Condvar::named("not_full")),
        )
    });
}
