//! # `select!` drops a branch that was half done
//!
//! A worker loops over a `select!` with two branches: one takes the next job from a queue
//! and processes it (an await in the middle: a write to a database, a send), the other
//! completes when a stop signal arrives. When the stop signal wins, the loop ends.
//!
//! ## The bug
//!
//! `select!` drops every branch that did not win, wherever it is. The job branch is not
//! cancellation safe: once it has taken a job off the queue, it holds it across an await. If
//! the stop signal completes at that await, the branch is dropped with the job inside: the
//! job is neither in the queue nor processed.
//!
//! ```text
//! main    select: job branch takes job 1, awaits while processing
//! task-1  the stop signal completes
//! main    select: the stop branch wins; the job branch is dropped  job 1 lost
//! ```
//!
//! ## The fix
//!
//! Put only cancellation-safe futures in a `select!` that loops: select on *taking* a job (a
//! future that takes it and returns in the same poll, or leaves it in the queue if dropped),
//! and process the job after the `select!`, where no other branch can cancel it. tokio's
//! documentation lists which of its methods are cancellation safe for this reason.
//!
//! ## In real systems
//!
//! Worker loops over `tokio::select!` with a shutdown branch, `read_exact`/`read_line`
//! (documented as not cancellation safe) inside a select with a timeout, and message handlers
//! that receive and then await inside one branch.

use std::collections::VecDeque;

use tapestry::future::{block_on, spawn, yield_now};
use tapestry::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use tapestry::sync::{Arc, Mutex};
use tapestry::tokio;
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry, MODEL_ENGINES};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "select_drops_half_done_work",
    category: Category::Async,
    summary: "a select! loop's job branch is dropped by a stop signal after it took a job, which is lost",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &MODEL_ENGINES,
    missed_by: &[(
        EngineKind::Stress,
        "not claimed: real threads find it only when the stop task finishes while the job is between its awaits",
    )],
    source: include_str!("select_drops_half_done_work.rs"),
};

const JOBS: usize = 2;

struct Worker {
    queue: Mutex<VecDeque<u32>>,
    processed: AtomicUsize,
}

impl Worker {
    fn take(&self) -> Option<u32> {
        self.queue.lock().unwrap().pop_front()
    }

    async fn process(&self, _job: u32) {
        // Writing the job's result somewhere and waiting for the acknowledgement: two await
        // points.
        yield_now().await;
        yield_now().await;
        self.processed.fetch_add(1, SeqCst);
    }

    /// Takes a job and processes it: dropped after the take, the job is lost.
    async fn take_and_process(&self) {
        match self.take() {
            Some(job) => self.process(job).await,
            None => std::future::pending().await,
        }
    }

    /// Takes a job, or waits for ever if there is none: cancellation safe.
    async fn next_job(&self) -> u32 {
        match self.take() {
            Some(job) => job,
            None => std::future::pending().await,
        }
    }
}

fn run(cancellation_safe: bool) {
    let worker = Arc::new(Worker {
        queue: Mutex::new((1..=JOBS as u32).collect()),
        processed: AtomicUsize::new(0),
    });
    let mut stop = spawn(yield_now());
    block_on(async {
        loop {
            if cancellation_safe {
                let job = tokio::select! {
                    _ = &mut stop => break,
                    job = worker.next_job() => job,
                };
                worker.process(job).await;
            } else {
                tokio::select! {
                    _ = &mut stop => break,
                    () = worker.take_and_process() => {}
                }
            }
        }
    });
    let left = worker.queue.lock().unwrap().len();
    let processed = worker.processed.load(SeqCst);
    assert_eq!(
        left + processed,
        JOBS,
        "a job was taken off the queue and never processed"
    );
}

/// Selects on taking and processing a job.
pub fn buggy() {
    run(false);
}

/// Selects on taking a job only, and processes it after the select.
pub fn fixed() {
    run(true);
}
