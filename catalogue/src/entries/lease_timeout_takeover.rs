//! # A timeout that takes over a slow holder's job
//!
//! A job is handed to a worker under a lease. A second worker, a standby, waits for the job to
//! be done with `Condvar::wait_timeout`: if the wait runs out, it concludes the holder has died
//! and takes the job over. Each completion charges a customer once.
//!
//! ## The bug
//!
//! A timeout cannot tell a dead holder from a slow one. The holder here is only paused (a long
//! garbage collection, a page fault, a slow disk): the standby's wait times out, it takes the
//! job over and completes it, and then the holder wakes up and completes it too. The customer
//! is charged twice. Nothing in the code is racy in the data-race sense; every access is under
//! the mutex. The bug needs the timeout to fire while the holder still works, which a test
//! that never waits long enough never sees.
//!
//! ```text
//! T1 (holder)  granted the job (grant 0), then paused
//! main         lock job, wait finished (unlocks job)
//! main         wait finished timed out (locks job)     the lease ran out
//! main         takes the job over: grant 1, completes it, charge 1
//! T1 (holder)  wakes up, completes it: charge 2
//! ```
//!
//! ## The fix
//!
//! Fence the completion with the grant: a takeover starts a new grant, and a completion counts
//! only if it carries the current one. The slow holder's completion is refused; it learns it
//! lost the job. (The catalogue's `lease_lock_expiry` is the same lesson with a logical clock
//! and a storage service.)
//!
//! ## In real systems
//!
//! Job queues with visibility timeouts (SQS, Kafka consumer groups rebalancing a slow
//! consumer), leader leases, heartbeats that declare a node dead, watchdogs that restart a
//! "stuck" worker. Under every model engine a timed wait may end by timeout at any point, so
//! tapestry explores the moment the lease runs out.

use std::time::Duration;

use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "lease_timeout_takeover",
    category: Category::Pattern,
    summary: "a standby whose timed wait runs out takes over a slow holder's job; both complete it",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::NAMED,
    source: include_str!("lease_timeout_takeover.rs"),
    missed_by: &[],
};

/// How long the standby waits for the holder.
const LEASE: Duration = Duration::from_millis(1);

/// How long the holder is paused: longer than the lease, so that with real threads (the stress
/// engine) the timeout fires too. Model engines have no clock: a sleep lets the others run.
const PAUSE: Duration = Duration::from_millis(3);

#[derive(Default)]
struct Job {
    /// The current grant of the lease; a takeover starts a new one.
    grant: u64,
    done: bool,
    charges: u32,
}

struct Lease {
    job: Mutex<Job>,
    finished: Condvar,
    /// Whether a completion must carry the current grant.
    fenced: bool,
}

impl Lease {
    /// Completes the job as the holder of `grant`.
    fn complete(&self, grant: u64) {
        let mut job = self.job.lock().unwrap();
        if self.fenced && job.grant != grant {
            return;
        }
        job.charges += 1;
        job.done = true;
        self.finished.notify_all();
    }

    /// The standby: waits for the job to be done, and takes it over when the lease runs out.
    fn stand_by(&self) {
        let mut job = self.job.lock().unwrap();
        while !job.done {
            let (next, waited) = self.finished.wait_timeout(job, LEASE).unwrap();
            job = next;
            if waited.timed_out() && !job.done {
                job.grant += 1;
                let grant = job.grant;
                drop(job);
                self.complete(grant);
                return;
            }
        }
    }
}

fn run(fenced: bool) {
    let lease = Arc::new(Lease {
        job: Mutex::named("job", Job::default()),
        finished: Condvar::named("finished"),
        fenced,
    });
    // The job was granted to the holder (grant 0) before the standby started waiting.
    let l = lease.clone();
    let holder = thread::Builder::new()
        .name("holder".into())
        .spawn(move || {
            thread::sleep(PAUSE);
            l.complete(0);
        })
        .unwrap();
    lease.stand_by();
    holder.join().unwrap();
    let charges = lease.job.lock().unwrap().charges;
    assert_eq!(charges, 1, "the customer was charged {charges} times");
}

/// A completion counts whatever grant it carries.
pub fn buggy() {
    run(false);
}

/// A completion counts only with the current grant.
pub fn fixed() {
    run(true);
}
