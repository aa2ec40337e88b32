//! # Check-then-act
//!
//! Two threads each withdraw 80 from an account holding 100. A withdrawal checks that the
//! balance covers the amount, then subtracts it; the balance is behind a mutex.
//!
//! ## The bug
//!
//! The check and the withdrawal take the lock separately. Between them the other thread can
//! check too: both see 100, both withdraw, and the balance ends at -60. Each critical section
//! is correct on its own; the decision made in the first is stale by the second.
//!
//! ```text
//! main  lock balance, 100 >= 80, unlock
//! T1    lock balance, 100 >= 80, unlock
//! T1    lock balance, 100 - 80 = 20, unlock
//! main  lock balance, 20 - 80 = -60, unlock     overdrawn
//! ```
//!
//! ## The fix
//!
//! Check and withdraw in one critical section, so the check still holds when the withdrawal
//! acts on it.
//!
//! ## In real systems
//!
//! Balances and quotas, "if the key is absent, insert it" on a locked map, "if the file does
//! not exist, create it" (TOCTOU), capacity checks before a push, seat and stock reservations.

use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "check_then_act",
    category: Category::Atomicity,
    summary: "a balance checked and withdrawn in two critical sections is overdrawn",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("check_then_act.rs"),
    missed_by: &[],
};

fn run(withdraw: fn(&Mutex<i64>, i64)) {
    let balance = Arc::new(Mutex::named("balance", 100));
    let other = balance.clone();
    let t = thread::spawn(move || withdraw(&other, 80));
    withdraw(&balance, 80);
    t.join().unwrap();
    let left = *balance.lock().unwrap();
    assert!(left >= 0, "the account was overdrawn: balance {left}");
}

/// Checks the balance in one critical section and withdraws in another.
pub fn buggy() {
    run(|balance, amount| {
        let covered = *balance.lock().unwrap() >= amount;
        if covered {
            *balance.lock().unwrap() -= amount;
        }
    });
}

/// Checks and withdraws in one critical section.
pub fn fixed() {
    run(|balance, amount| {
        let mut balance = balance.lock().unwrap();
        if *balance >= amount {
            *balance -= amount;
        }
    });
}
