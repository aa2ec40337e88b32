//! A bounded work queue with a shutdown flag, as a user of tapestry writes and tests it.
//!
//! Producers `push` jobs (waiting while the queue is full), a worker `pop`s them (waiting while
//! it is empty), and `shutdown` tells the worker to finish the jobs left and stop. The buggy
//! queue keeps its shutdown flag in an atomic outside the lock: a worker can check the flag,
//! find it clear, and then wait, after `shutdown` has set it and notified nobody. It sleeps
//! forever. The fixed queue keeps the flag under the lock, with the jobs.
//!
//! ```sh
//! cargo run --example work_queue -p tapestry-harness     # explores both and prints what it found
//! cargo test --example work_queue -p tapestry-harness    # the two #[tapestry::test]s
//! ```

use std::collections::VecDeque;

use tapestry::sync::atomic::{AtomicBool, Ordering};
use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{Engine, Explorer, thread};

/// What the tests need of a queue.
trait Queue: Send + Sync + 'static {
    fn new(capacity: usize) -> Self;
    fn push(&self, job: u32);
    /// The next job; `None` once the queue is shut down and empty.
    fn pop(&self) -> Option<u32>;
    fn shutdown(&self);
}

/// The shutdown flag is an atomic, set without the lock.
mod buggy {
    use super::*;

    pub struct WorkQueue {
        jobs: Mutex<VecDeque<u32>>,
        capacity: usize,
        not_empty: Condvar,
        not_full: Condvar,
        shutdown: AtomicBool,
    }

    impl Queue for WorkQueue {
        fn new(capacity: usize) -> Self {
            WorkQueue {
                jobs: Mutex::named("jobs", VecDeque::new()),
                capacity,
                not_empty: Condvar::named("not_empty"),
                not_full: Condvar::named("not_full"),
                shutdown: AtomicBool::named("shutdown", false),
            }
        }

        fn push(&self, job: u32) {
            let mut jobs = self.jobs.lock().unwrap();
            while jobs.len() == self.capacity {
                jobs = self.not_full.wait(jobs).unwrap();
            }
            jobs.push_back(job);
            self.not_empty.notify_one();
        }

        fn pop(&self) -> Option<u32> {
            let mut jobs = self.jobs.lock().unwrap();
            loop {
                if let Some(job) = jobs.pop_front() {
                    self.not_full.notify_one();
                    return Some(job);
                }
                if self.shutdown.load(Ordering::SeqCst) {
                    return None;
                }
                // The flag can be set, and everyone notified, right here: before this wait.
                jobs = self.not_empty.wait(jobs).unwrap();
            }
        }

        fn shutdown(&self) {
            self.shutdown.store(true, Ordering::SeqCst);
            self.not_empty.notify_all();
        }
    }
}

/// The shutdown flag lives under the lock, with the jobs.
mod fixed {
    use super::*;

    struct State {
        jobs: VecDeque<u32>,
        shutdown: bool,
    }

    pub struct WorkQueue {
        state: Mutex<State>,
        capacity: usize,
        not_empty: Condvar,
        not_full: Condvar,
    }

    impl Queue for WorkQueue {
        fn new(capacity: usize) -> Self {
            WorkQueue {
                state: Mutex::named(
                    "state",
                    State {
                        jobs: VecDeque::new(),
                        shutdown: false,
                    },
                ),
                capacity,
                not_empty: Condvar::named("not_empty"),
                not_full: Condvar::named("not_full"),
            }
        }

        fn push(&self, job: u32) {
            let mut state = self.state.lock().unwrap();
            while state.jobs.len() == self.capacity {
                state = self.not_full.wait(state).unwrap();
            }
            state.jobs.push_back(job);
            self.not_empty.notify_one();
        }

        fn pop(&self) -> Option<u32> {
            let mut state = self.state.lock().unwrap();
            loop {
                if let Some(job) = state.jobs.pop_front() {
                    self.not_full.notify_one();
                    return Some(job);
                }
                if state.shutdown {
                    return None;
                }
                state = self.not_empty.wait(state).unwrap();
            }
        }

        fn shutdown(&self) {
            self.state.lock().unwrap().shutdown = true;
            self.not_empty.notify_all();
        }
    }
}

/// A worker sums the jobs it pops; the main thread pushes two jobs through a queue of one
/// slot, shuts it down, and checks that the worker did both.
fn two_jobs_then_shutdown<Q: Queue>() {
    let queue = Arc::new(Q::new(1));
    let q = queue.clone();
    let worker = thread::spawn(move || {
        let mut done = 0;
        while let Some(job) = q.pop() {
            done += job;
        }
        done
    });
    queue.push(1);
    queue.push(2);
    queue.shutdown();
    assert_eq!(worker.join().unwrap(), 3, "the worker lost a job");
}

/// Known bug, kept as a test: every engine must find the deadlock.
#[tapestry::test(expect = "deadlock", engines = "exhaustive, random, pct")]
fn buggy_queue_can_sleep_through_shutdown() {
    two_jobs_then_shutdown::<buggy::WorkQueue>();
}

#[tapestry::test(engines = "exhaustive, random, pct")]
fn fixed_queue_always_shuts_down() {
    two_jobs_then_shutdown::<fixed::WorkQueue>();
}

#[cfg_attr(test, allow(dead_code))]
fn main() {
    // PCT first: its schedules are sequentially consistent, so its trace shows the lost
    // wakeup itself. (The exhaustive engine, which models weaker orderings than `SeqCst`
    // promises, also finds a run where the flag's load reads a stale `false`.)
    let explorer = Explorer::new()
        .engine(Engine::pct().schedules(2_000))
        .engine(Engine::exhaustive())
        .keep_going(true);
    let programs: [(&str, fn()); 2] = [
        ("buggy", two_jobs_then_shutdown::<buggy::WorkQueue>),
        ("fixed", two_jobs_then_shutdown::<fixed::WorkQueue>),
    ];
    for (name, program) in programs {
        let report = explorer.run(program);
        println!("== the {name} queue\n{report}");
        match report.failure() {
            Some(failure) => println!("{failure}"),
            None => println!("no failure: every interleaving explored shuts down cleanly\n"),
        }
    }
}
