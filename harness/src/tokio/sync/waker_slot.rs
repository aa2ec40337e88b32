//! Where a waiting future keeps its task's waker.

use std::task::{Context, Waker};

/// Stores `cx`'s waker in `slot` unless the stored one already wakes the same task. The
/// latest poll's waker is the one to wake: a future moved to another task is polled from
/// there, and waking the old task would lose the wakeup.
pub(crate) fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}
