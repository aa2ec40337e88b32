//! # A timeout that fires after the work was done, and a retry that does it again
//!
//! A client asks a server task to deposit 100 into an account and waits for the answer with a
//! `timeout`. If the timeout fires, it assumes the request failed and sends it again.
//!
//! ## The bug
//!
//! A timeout says only that the answer did not come in time, not that the work was not done.
//! The server may have applied the deposit and be about to answer when the timer fires; the
//! retry then deposits 100 a second time. tapestry explores the timer firing at every await
//! point of the guarded work, so it finds the schedule where the write happened first.
//!
//! ```text
//! task-1  deposit: balance 0 -> 100
//! main    timeout fires before the answer is read
//! task-2  the retry: balance 100 -> 200
//! ```
//!
//! ## The fix
//!
//! Make the request idempotent: it carries a key, the server remembers the keys it applied,
//! and a retry with a known key changes nothing (as in `retry_without_idempotency`, the
//! thread version of this entry).
//!
//! ## In real systems
//!
//! HTTP and gRPC clients wrapped in `tokio::time::timeout` with a retry layer, payment APIs
//! (hence Stripe's `Idempotency-Key`), and at-least-once message consumers.

use std::collections::HashSet;

use tapestry::future::{block_on, spawn};
use tapestry::sync::{Arc, Mutex};
use tapestry::tokio::time::{Duration, timeout};
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry, MODEL_ENGINES_AND_C11};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "timeout_retry_duplicates",
    category: Category::Async,
    summary: "a timeout fires after the guarded deposit was applied, and the retry applies it again",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &MODEL_ENGINES_AND_C11,
    missed_by: &[(
        EngineKind::Stress,
        "real time: the server answers in microseconds, long before a one-second timeout",
    )],
    source: include_str!("timeout_retry_duplicates.rs"),
};

#[derive(Default)]
struct Account {
    balance: u64,
    applied: HashSet<u64>,
}

/// The server's work: applies the deposit unless its key was applied already.
async fn deposit(account: Arc<Mutex<Account>>, key: Option<u64>, amount: u64) -> u64 {
    let mut account = account.lock().unwrap();
    let repeated = key.is_some_and(|key| !account.applied.insert(key));
    if !repeated {
        account.balance += amount;
    }
    account.balance
}

fn run(key: Option<u64>) {
    let account = Arc::new(Mutex::new(Account::default()));
    block_on(async {
        let first = spawn(deposit(account.clone(), key, 100));
        if timeout(Duration::from_secs(1), first).await.is_err() {
            // No answer in time: the client retries.
            spawn(deposit(account.clone(), key, 100)).await.unwrap();
        }
    });
    let balance = account.lock().unwrap().balance;
    assert_eq!(balance, 100, "the deposit was applied twice");
}

/// Retries the deposit as a new request.
pub fn buggy() {
    run(None);
}

/// Retries the deposit with the same idempotency key.
pub fn fixed() {
    run(Some(1));
}
