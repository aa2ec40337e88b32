//! # A std lock held across `.await` on a one-worker runtime
//!
//! A service runs on tokio's current-thread runtime. Its request handler (the runtime's
//! `block_on` body) takes a `std::sync::Mutex` guard over a shared counter, awaits something
//! (a yield, a send, a database call) and then updates the counter. A background task updates
//! the same counter under the same lock.
//!
//! ## The bug
//!
//! While the handler waits at its `.await`, the runtime's only worker polls the background
//! task, which blocks on the std lock the handler still holds: it blocks the worker thread
//! itself, not just the task. The handler can never be polled again to release the lock. The
//! runtime hangs. With a thread per task (the default model) the handler is polled by a thread
//! of its own and nothing hangs: the bug needs the runtime as it is, which
//! `Builder::new_current_thread()` (or `#[tapestry::test(workers = 1)]`) models.
//!
//! ```text
//! main    lock the std mutex; .await (the worker is free again)
//! task-1  polled by the worker: lock the std mutex   blocks the worker
//! main    woken, waits for a worker                   never comes
//! ```
//!
//! ## The fix
//!
//! Never hold a std lock across `.await`: drop the guard first, or use an async lock
//! (`tokio::sync::Mutex`), whose `lock().await` returns `Pending` and frees the worker instead
//! of blocking it. That is the fix here.
//!
//! ## In real systems
//!
//! Clippy's `await_holding_lock` lint exists for this; it is among the most reported hangs of
//! tokio services, often behind a `parking_lot` guard made `Send` by its `send_guard` feature
//! or inside a `block_on` body or `spawn_local` task, where the compiler's `Send` check does not
//! catch it.

use tapestry::future::yield_now;
use tapestry::sync::{Arc, Mutex};
use tapestry::tokio;
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry, MODEL_ENGINES};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "std_lock_across_await",
    category: Category::Async,
    summary: "a std lock held across .await blocks a one-worker runtime's only thread when another task waits for it",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &MODEL_ENGINES,
    missed_by: &[(
        EngineKind::Stress,
        "not claimed: real threads hang only when the task's lock lands while the handler waits",
    )],
    source: include_str!("std_lock_across_await.rs"),
};

/// Handles one request with the counter behind a std lock held across an await.
pub fn buggy() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let counter = Arc::new(Mutex::new(0));
    let background = {
        let counter = counter.clone();
        runtime.spawn(async move { *counter.lock().unwrap() += 1 })
    };
    runtime.block_on(async {
        {
            let mut count = counter.lock().unwrap();
            yield_now().await;
            *count += 1;
        }
        background.await.unwrap();
    });
    assert_eq!(*counter.lock().unwrap(), 2);
}

/// The same with an async lock, which frees the worker while it waits.
pub fn fixed() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let counter = Arc::new(tokio::sync::Mutex::new(0));
    let background = {
        let counter = counter.clone();
        runtime.spawn(async move { *counter.lock().await += 1 })
    };
    runtime.block_on(async {
        {
            let mut count = counter.lock().await;
            yield_now().await;
            *count += 1;
        }
        background.await.unwrap();
        assert_eq!(*counter.lock().await, 2);
    });
}
