//! # Two tasks take two async locks in opposite orders
//!
//! Two tasks move money between two accounts, each behind a `tokio::sync::Mutex`. One locks
//! the source account, then the destination; the other transfers the other way, so it locks
//! the accounts in the opposite order.
//!
//! ## The bug
//!
//! The classic lock-order inversion (`lock_order_inversion`), with async locks: each task
//! holds its first lock and awaits the second, held by the other. Neither lock is ever
//! released. An async lock's waiter does not block a thread, it returns `Pending`, so to a
//! runtime this is tasks that are never woken; tapestry knows which lock each task waits for
//! and who holds it, and reports the deadlock with both.
//!
//! ```text
//! task-1  lock account a
//! task-2  lock account b
//! task-1  lock account b: Pending         held by task-2
//! task-2  lock account a: Pending         held by task-1
//! ```
//!
//! ## The fix
//!
//! Take the locks in one global order (here: by account number), whichever way the money
//! moves.
//!
//! ## In real systems
//!
//! Async services with per-entity locks (accounts, sessions, shards) that operate on two
//! entities at once; an async cache that locks an entry and then the index.

use tapestry::future::{block_on, spawn};
use tapestry::sync::Arc;
use tapestry::tokio::sync::Mutex;
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry, MODEL_ENGINES};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "async_lock_order_inversion",
    category: Category::Async,
    summary: "two tasks take two async mutexes in opposite orders and each waits for the other's",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &MODEL_ENGINES,
    missed_by: &[(
        EngineKind::Stress,
        "not claimed: real threads deadlock only when both tasks hold their first lock at once",
    )],
    source: include_str!("async_lock_order_inversion.rs"),
};

type Account = Arc<Mutex<u64>>;

async fn transfer(from: (usize, Account), to: (usize, Account), amount: u64, ordered: bool) {
    let (first, second) = if ordered && to.0 < from.0 {
        (&to.1, &from.1)
    } else {
        (&from.1, &to.1)
    };
    let mut first = first.lock().await;
    let mut second = second.lock().await;
    let (source, destination) = if ordered && to.0 < from.0 {
        (&mut *second, &mut *first)
    } else {
        (&mut *first, &mut *second)
    };
    *source -= amount;
    *destination += amount;
}

fn run(ordered: bool) {
    let a: Account = Arc::new(Mutex::new(100));
    let b: Account = Arc::new(Mutex::new(100));
    let there = spawn(transfer((0, a.clone()), (1, b.clone()), 10, ordered));
    let back = spawn(transfer((1, b.clone()), (0, a.clone()), 20, ordered));
    block_on(async {
        there.await.unwrap();
        back.await.unwrap();
        assert_eq!(*a.lock().await + *b.lock().await, 200);
    });
}

/// Locks source, then destination.
pub fn buggy() {
    run(false);
}

/// Locks the lower-numbered account first.
pub fn fixed() {
    run(true);
}
