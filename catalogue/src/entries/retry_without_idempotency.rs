//! # Retry without idempotency
//!
//! A client (the test body, `main`) asks a bank server, over a channel, to deposit 100 into an
//! account. It gives the server a moment to reply; if no reply has arrived, it assumes the
//! request was lost and sends it again. Time is logical here: "a moment" is one `try_recv`, so
//! whether the reply has arrived depends only on the scheduling.
//!
//! ## The bug
//!
//! A missing reply does not mean the request was lost: the server may simply not have answered
//! yet. Then the retry reaches a server that has already applied, or will apply, the first
//! request, and it applies the deposit again: the account holds 200.
//!
//! ```text
//! main    send deposit 100
//! main    try_recv: no reply yet     "timed out"
//! main    send deposit 100           the retry
//! server  recv: balance 0 -> 100
//! server  recv: balance 100 -> 200   the same deposit, twice
//! ```
//!
//! ## The fix
//!
//! Make the request idempotent: the client gives each logical request a unique key and reuses
//! it on every retry; the server remembers the keys it has applied and answers a repeated key
//! without applying it again.
//!
//! ## In real systems
//!
//! Payment and order APIs (Stripe's `Idempotency-Key` header), at-least-once message queues
//! whose consumers must deduplicate, RPC frameworks and HTTP clients that retry on timeout, and
//! database clients that retry a commit whose acknowledgement was lost.

use std::collections::HashSet;

use tapestry::sync::mpsc::{Sender, TryRecvError, channel};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "retry_without_idempotency",
    category: Category::Pattern,
    summary: "a client retries a request whose reply is merely late, and the server applies it twice",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("retry_without_idempotency.rs"),
    missed_by: &[],
};

struct Deposit {
    /// Identifies the logical request across retries; `None` without idempotency keys.
    key: Option<u64>,
    amount: u64,
    reply: Sender<u64>,
}

/// Applies deposits until the client hangs up; returns the final balance.
fn serve(requests: impl Iterator<Item = Deposit>) -> u64 {
    let mut balance = 0;
    let mut applied = HashSet::new();
    for deposit in requests {
        let repeated = deposit.key.is_some_and(|key| !applied.insert(key));
        if !repeated {
            balance += deposit.amount;
        }
        // The client stops listening after its first reply.
        let _ = deposit.reply.send(balance);
    }
    balance
}

fn run(key: Option<u64>) {
    let (requests, server_inbox) = channel();
    let server = thread::Builder::new()
        .name("server".into())
        .spawn(move || serve(server_inbox.iter()))
        .unwrap();
    let (reply, replies) = channel();
    let deposit = || Deposit {
        key,
        amount: 100,
        reply: reply.clone(),
    };
    requests.send(deposit()).unwrap();
    if let Err(TryRecvError::Empty) = replies.try_recv() {
        // No reply yet: the client takes the request as lost and retries.
        requests.send(deposit()).unwrap();
        replies.recv().unwrap();
    }
    drop(requests);
    assert_eq!(server.join().unwrap(), 100, "the deposit was applied twice");
}

/// Retries the deposit as a new request.
pub fn buggy() {
    run(None);
}

/// Retries the deposit with the same idempotency key.
pub fn fixed() {
    run(Some(1));
}
