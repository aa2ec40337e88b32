//! # `notify_waiters` before the waiter registered
//!
//! A task makes a resource ready, sets a flag and calls `Notify::notify_waiters()` to wake
//! everyone waiting for it. A waiter checks the flag and, if it is not set, awaits
//! `notify.notified()`.
//!
//! ## The bug
//!
//! `notify_waiters` wakes only the `Notified` futures that exist when it is called, and,
//! unlike `notify_one`, stores no permit for later. If it runs between the waiter's check of
//! the flag and its call to `notified()`, it wakes nobody, and the waiter then waits for a
//! notification that has already come and gone: a lost wakeup.
//!
//! ```text
//! main    flag not set
//! task-1  set flag; notify_waiters()        nobody is waiting yet
//! main    notified().await                   waits for ever
//! ```
//!
//! ## The fix
//!
//! Create the `Notified` future before checking the condition (tokio's documentation shows
//! exactly this): `notify_waiters` wakes futures created before it is called, even those not
//! yet polled, so a notification after the `notified()` call is never missed, and one before
//! it is seen by the check.
//!
//! ## In real systems
//!
//! Shutdown signals and "config reloaded" broadcasts built on `Notify::notify_waiters`, and
//! the same shape with a condition variable (`condvar_lost_wakeup`).

use std::pin::pin;

use tapestry::future::{block_on, spawn};
use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicBool, Ordering::SeqCst};
use tapestry::tokio::sync::Notify;
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry, MODEL_ENGINES};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "notify_waiters_too_early",
    category: Category::Async,
    summary: "notify_waiters runs between a waiter's check and its notified(), stores nothing, and the waiter waits for ever",
    kind: FailureKind::LostWakeup,
    buggy,
    fixed,
    found_by: &MODEL_ENGINES,
    missed_by: &[(
        EngineKind::Stress,
        "not claimed: real threads hit it only when the notification lands between check and notified()",
    )],
    source: include_str!("notify_waiters_too_early.rs"),
};

struct Resource {
    ready: AtomicBool,
    notify: Notify,
}

fn run(register_first: bool) {
    let resource = Arc::new(Resource {
        ready: AtomicBool::new(false),
        notify: Notify::new(),
    });
    let maker = {
        let resource = resource.clone();
        spawn(async move {
            resource.ready.store(true, SeqCst);
            resource.notify.notify_waiters();
        })
    };
    block_on(async {
        if register_first {
            let notified = pin!(resource.notify.notified());
            if !resource.ready.load(SeqCst) {
                notified.await;
            }
        } else if !resource.ready.load(SeqCst) {
            resource.notify.notified().await;
        }
        maker.await.unwrap();
    });
}

/// Checks the flag, then creates the `Notified` future.
pub fn buggy() {
    run(false);
}

/// Creates the `Notified` future, then checks the flag.
pub fn fixed() {
    run(true);
}
