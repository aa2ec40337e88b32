//! # Thread-pool shutdown racing with submission
//!
//! A tiny thread pool: one worker thread runs the jobs of a queue. `submit` accepts a job, or
//! rejects it once the pool is shutting down; `shutdown` marks the pool as shutting down and
//! joins the worker, which runs what is queued and then exits. A client submits a job while the
//! test body shuts the pool down. Every accepted job must run.
//!
//! ## The bug
//!
//! `submit` checks "shutting down?" in one critical section and queues the job in another. In
//! between, the pool can shut down and the worker can find the queue empty and exit. The job is
//! then queued and reported accepted, but no worker is left to run it.
//!
//! ```text
//! client  lock state: not shutting down      the job will be accepted
//! main    lock state: shutting_down = true
//! worker  lock state: queue empty and shutting down: exit
//! client  lock state: queue the job          accepted, never run
//! ```
//!
//! The model engines find it within about a hundred executions. Real threads need the shutdown
//! and the worker's exit to fall between the client's two critical sections, which takes the
//! stress engine's jitter: over 200 seeds, a median of about 4,200 iterations and at most about
//! 33,000, so it needs the stress engine's default budget (100,000 iterations); with 10,000 it
//! misses in about one seed of six.
//!
//! ## The fix
//!
//! Decide "accepted or rejected" and "shutting down" under one lock: `submit` checks the flag
//! and queues the job in one critical section, and the worker exits only when, under that same
//! lock, the queue is empty and the pool is shutting down. A job is then either rejected, or
//! queued before the worker's last look at the queue.
//!
//! ## In real systems
//!
//! Executors and connection handlers during graceful shutdown (Java's `ExecutorService`
//! documents exactly this contract), message consumers that stop while a producer still
//! publishes, and any "is it still open?" check made separately from the action it guards.

use std::collections::VecDeque;

use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "thread_pool_shutdown",
    category: Category::Pattern,
    summary: "a job submitted while the pool shuts down is accepted but never run",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("thread_pool_shutdown.rs"),
    missed_by: &[],
};

type Job = u32;

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    shutting_down: bool,
}

struct Pool {
    state: Mutex<State>,
    job_queued: Condvar,
}

impl Pool {
    /// Runs queued jobs until the pool shuts down with an empty queue; returns how many ran.
    fn work(&self) -> usize {
        let mut ran = 0;
        loop {
            let state = self.state.lock().unwrap();
            let mut state = self
                .job_queued
                .wait_while(state, |s| s.jobs.is_empty() && !s.shutting_down)
                .unwrap();
            match state.jobs.pop_front() {
                // Running a job, here, is counting it.
                Some(_job) => ran += 1,
                None => return ran,
            }
        }
    }

    fn shutdown(&self) {
        self.state.lock().unwrap().shutting_down = true;
        self.job_queued.notify_all();
    }
}

/// `submit` queues a job unless the pool is shutting down; it returns whether it accepted it.
fn run(submit: fn(&Pool, Job) -> bool) {
    let pool = Arc::new(Pool {
        state: Mutex::named("state", State::default()),
        job_queued: Condvar::named("job_queued"),
    });
    let worker_pool = pool.clone();
    let worker = thread::Builder::new()
        .name("worker".into())
        .spawn(move || worker_pool.work())
        .unwrap();
    let client_pool = pool.clone();
    let client = thread::Builder::new()
        .name("client".into())
        .spawn(move || submit(&client_pool, 1))
        .unwrap();
    pool.shutdown();
    let ran = worker.join().unwrap();
    let accepted = usize::from(client.join().unwrap());
    assert_eq!(ran, accepted, "a job was accepted but never ran");
}

/// Checks the flag and queues the job in two critical sections.
pub fn buggy() {
    run(|pool, job| {
        if pool.state.lock().unwrap().shutting_down {
            return false;
        }
        pool.state.lock().unwrap().jobs.push_back(job);
        pool.job_queued.notify_one();
        true
    });
}

/// Checks the flag and queues the job in one critical section.
pub fn fixed() {
    run(|pool, job| {
        let mut state = pool.state.lock().unwrap();
        if state.shutting_down {
            return false;
        }
        state.jobs.push_back(job);
        pool.job_queued.notify_one();
        true
    });
}
