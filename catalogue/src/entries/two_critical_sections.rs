//! # Two critical sections
//!
//! Two accounts hold 100 between them, behind one mutex. A transfer moves 10 from `checking`
//! to `savings`; an auditor locks the accounts and checks that the total is still 100.
//!
//! ## The bug
//!
//! The transfer takes the lock twice: once to debit, once to credit. Between the two, the
//! invariant "the total is 100" is broken, and the lock is free: the auditor takes it and sees
//! 90. Every access is locked, so no race detector complains; the critical section is simply
//! too small.
//!
//! ```text
//! T1    lock accounts, checking 50 -> 40, unlock
//! main  lock accounts, 40 + 50 = 90, unlock        the invariant is broken
//! ```
//!
//! The model engines find it within a few executions. Real threads land in the window only when the stress
//! engine's jitter delays the transfer right after its first unlock: over 200 seeds, it took a
//! median of about 4,400 iterations and at most about 37,000, so it needs the stress engine's
//! default budget (100,000 iterations); with 10,000 it misses in about one seed of six.
//!
//! ## The fix
//!
//! Debit and credit in one critical section: hold the lock from the moment the invariant
//! breaks until it holds again.
//!
//! ## In real systems
//!
//! Transfers between accounts, moving an item between two queues or maps, updating an index
//! and the data it indexes, a length and the buffer it describes; often after a refactoring
//! split one function into two that each lock.

use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "two_critical_sections",
    category: Category::Atomicity,
    summary: "a transfer debits and credits in two critical sections; an auditor sees money vanish",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("two_critical_sections.rs"),
    missed_by: &[],
};

/// Two balances whose total must stay 100.
struct Accounts {
    checking: i64,
    savings: i64,
}

fn run(transfer: fn(&Mutex<Accounts>, i64)) {
    let accounts = Arc::new(Mutex::named(
        "accounts",
        Accounts {
            checking: 50,
            savings: 50,
        },
    ));
    let other = accounts.clone();
    let t = thread::spawn(move || transfer(&other, 10));
    let total = {
        let accounts = accounts.lock().unwrap();
        accounts.checking + accounts.savings
    };
    assert_eq!(total, 100, "the auditor saw a total of {total}");
    t.join().unwrap();
}

/// Debits in one critical section, credits in another.
pub fn buggy() {
    run(|accounts, amount| {
        accounts.lock().unwrap().checking -= amount;
        accounts.lock().unwrap().savings += amount;
    });
}

/// Debits and credits in one critical section.
pub fn fixed() {
    run(|accounts, amount| {
        let mut accounts = accounts.lock().unwrap();
        accounts.checking -= amount;
        accounts.savings += amount;
    });
}
