//! # Wrong lock
//!
//! An account's balance is updated by deposits and by refunds, each a read-modify-write done
//! under a lock. Deposits take `balance_lock`; the refund code, written separately, takes the
//! `refunds_lock` that guards its own bookkeeping.
//!
//! ## The bug
//!
//! A lock protects data only against threads that take the same lock. A deposit and a refund
//! each hold a lock, but not the same one, so nothing stops their read-modify-writes from
//! interleaving: one of the two updates is lost. Every access is "locked", which makes the bug
//! easy to miss in review.
//!
//! ```text
//! main  lock refunds_lock
//! main  load balance -> 100
//! T1    lock balance_lock        a different lock: no waiting
//! T1    load balance -> 100
//! T1    store balance <- 110
//! main  store balance <- 105     the deposit is lost
//! ```
//!
//! ## The fix
//!
//! One piece of data, one lock: every update of the balance takes `balance_lock`. In Rust, put
//! the data inside the `Mutex` so the type system enforces it.
//!
//! ## In real systems
//!
//! Data guarded by a separate `Mutex<()>` (or by convention) and touched from two modules, lock
//! striping that picks the stripe from the wrong key, a per-instance lock guarding shared or
//! static data, C code where each subsystem has "its" lock.

use tapestry::sync::atomic::{AtomicI64, Ordering};
use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "wrong_lock",
    category: Category::Atomicity,
    summary: "two threads update one balance holding two different locks; an update is lost",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("wrong_lock.rs"),
    missed_by: &[],
};

/// A balance meant to be guarded by `balance_lock`. It is an atomic only so that the buggy
/// version is a lost update rather than undefined behaviour; the lock is what makes each
/// load-and-store one step.
struct Account {
    balance_lock: Mutex<()>,
    refunds_lock: Mutex<()>,
    balance: AtomicI64,
}

impl Account {
    /// Adds `amount` to the balance while holding `lock`.
    fn add(&self, lock: &Mutex<()>, amount: i64) {
        let _guard = lock.lock().unwrap();
        let balance = self.balance.load(Ordering::Relaxed);
        self.balance.store(balance + amount, Ordering::Relaxed);
    }
}

fn run(refund_lock: fn(&Account) -> &Mutex<()>) {
    let account = Arc::new(Account {
        balance_lock: Mutex::named("balance_lock", ()),
        refunds_lock: Mutex::named("refunds_lock", ()),
        balance: AtomicI64::named("balance", 100),
    });
    let other = account.clone();
    let deposit = thread::spawn(move || other.add(&other.balance_lock, 10));
    account.add(refund_lock(&account), 5);
    deposit.join().unwrap();
    let balance = account.balance.load(Ordering::Relaxed);
    assert_eq!(balance, 115, "an update was lost");
}

/// The refund takes `refunds_lock`, the deposit `balance_lock`.
pub fn buggy() {
    run(|account| &account.refunds_lock);
}

/// The refund takes `balance_lock`, like the deposit.
pub fn fixed() {
    run(|account| &account.balance_lock);
}
