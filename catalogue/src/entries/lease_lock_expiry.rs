//! # Lease lock without fencing
//!
//! Two clients increment a counter in shared storage, each holding a lock from a lock service
//! while it reads the counter and writes it back. The lock is a lease: it expires `LEASE` ticks
//! after it was granted, so that a client that crashes cannot hold it forever. Time is logical:
//! `clock` is a counter, and a client that finds the lock taken sleeps one tick (advances the
//! clock) before it tries again. Between its read and its write a client may be paused: it
//! yields the processor there, and the scheduler decides for how long.
//!
//! ## The bug
//!
//! A lease expires whether or not its holder has finished. A holder that is paused (a garbage
//! collection, a page fault, a descheduled thread) after reading the counter does not notice
//! that its lease ran out and another client got the lock. Both then write the storage, which
//! accepts whatever comes, and one increment is lost. Checking the lease just before the write
//! does not help: the pause can come between the check and the write.
//!
//! ```text
//! client1  acquire at tick 0 -> token 1     lease until tick 1
//! client1  read counter -> 0, then pause
//! client2  acquire fails, sleep: tick 1
//! client2  acquire at tick 1 -> token 2     client1's lease has expired
//! client2  read counter -> 0
//! client1  write counter <- 1               client1 still thinks it holds the lock
//! client2  write counter <- 1               an increment is lost
//! ```
//!
//! ## The fix
//!
//! Fencing tokens: the lock service hands out a token that grows with every grant, the client
//! sends it with every storage request, and the storage rejects a request whose token is
//! older than the newest it has seen. The paused client's write is refused; it takes the lock
//! again and redoes its work. The storage, which sees every request, enforces what the client
//! cannot know. Fencing keeps every increment that succeeds; it cannot make one succeed: two
//! clients paused at the wrong moments fence each other off for as long as the pauses last
//! (a livelock), so each client here gives up after a few attempts, and the check is that the
//! counter holds exactly the increments that went through.
//!
//! ## In real systems
//!
//! Leader election and distributed locks built on leases (ZooKeeper, etcd, Redis "Redlock",
//! Chubby, which introduced sequencers for this), primary-backup replicas where a stale primary
//! keeps writing, and cloud leases on storage blobs. Martin Kleppmann's "How to do distributed
//! locking" walks through this exact failure.

use tapestry::sync::atomic::{AtomicU64, Ordering};
use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, hint, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "lease_lock_expiry",
    category: Category::Pattern,
    summary: "a paused lock holder's lease expires, a second client takes the lock, and both write",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("lease_lock_expiry.rs"),
    missed_by: &[],
};

/// How many ticks a lease lasts.
const LEASE: u64 = 1;

#[derive(Default)]
struct Lease {
    /// The token of the latest grant; tokens grow with every grant.
    token: u64,
    held: bool,
    expires_at: u64,
}

struct LockService {
    clock: AtomicU64,
    lease: Mutex<Lease>,
}

impl LockService {
    /// Grants the lock if it is free or its lease has expired; returns the grant's token.
    fn try_acquire(&self) -> Option<u64> {
        let now = self.clock.load(Ordering::SeqCst);
        let mut lease = self.lease.lock().unwrap();
        if lease.held && now < lease.expires_at {
            return None;
        }
        *lease = Lease {
            token: lease.token + 1,
            held: true,
            expires_at: now + LEASE,
        };
        Some(lease.token)
    }

    fn release(&self, token: u64) {
        let mut lease = self.lease.lock().unwrap();
        // A holder whose lease expired must not release its successor's lease.
        if lease.token == token {
            lease.held = false;
        }
    }
}

/// A storage request was refused: its token is older than one already seen.
struct Fenced;

#[derive(Default)]
struct StorageState {
    counter: u64,
    newest_token: u64,
}

struct Storage {
    state: Mutex<StorageState>,
    fencing: bool,
}

impl Storage {
    /// Runs `request` on the state, unless fencing is on and `token` is stale. Traces show the
    /// caller's line, to tell reads from writes.
    #[track_caller]
    fn request<R>(
        &self,
        token: u64,
        request: impl FnOnce(&mut StorageState) -> R,
    ) -> Result<R, Fenced> {
        let mut state = self.state.lock().unwrap();
        if self.fencing && token < state.newest_token {
            return Err(Fenced);
        }
        state.newest_token = state.newest_token.max(token);
        Ok(request(&mut state))
    }
}

/// How many times a client tries before it gives up. No lease lock guarantees progress: a
/// client paused past its lease at every attempt never gets through, and two clients can
/// fence each other off for as long as the scheduler keeps pausing them (an exploration with
/// no preemption bound, the c11 engine's, finds that livelock). What fencing guarantees is
/// that no increment is lost, whatever the number of attempts.
const ATTEMPTS: usize = 3;

/// Increments the counter while holding the lock; starts over if the storage refuses it, up
/// to [`ATTEMPTS`] times. Whether it incremented.
fn client(lock: &LockService, storage: &Storage) -> bool {
    for _ in 0..ATTEMPTS {
        let token = loop {
            if let Some(token) = lock.try_acquire() {
                break token;
            }
            // Sleep one tick: logical time passes only while someone waits.
            lock.clock.fetch_add(1, Ordering::SeqCst);
            hint::spin_loop();
        };
        let incremented = storage.request(token, |s| s.counter).and_then(|counter| {
            // The pause (a garbage collection, a page fault): the client loses the processor.
            thread::yield_now();
            storage.request(token, |s| s.counter = counter + 1)
        });
        lock.release(token);
        if incremented.is_ok() {
            return true;
        }
    }
    false
}

fn run(fencing: bool) {
    let lock = Arc::new(LockService {
        clock: AtomicU64::named("clock", 0),
        lease: Mutex::named("lease", Lease::default()),
    });
    let storage = Arc::new(Storage {
        state: Mutex::named("storage", StorageState::default()),
        fencing,
    });
    let clients: Vec<_> = ["client1", "client2"]
        .into_iter()
        .map(|name| {
            let (lock, storage) = (lock.clone(), storage.clone());
            thread::Builder::new()
                .name(name.into())
                .spawn(move || client(&lock, &storage))
                .unwrap()
        })
        .collect();
    let incremented = clients
        .into_iter()
        .map(|c| u64::from(c.join().unwrap()))
        .sum::<u64>();
    let counter = storage.state.lock().unwrap().counter;
    assert_eq!(
        counter, incremented,
        "an increment was lost: two clients held the lock at once"
    );
}

/// The storage accepts every request.
pub fn buggy() {
    run(false);
}

/// The storage rejects requests with a token older than the newest it has seen.
pub fn fixed() {
    run(true);
}
