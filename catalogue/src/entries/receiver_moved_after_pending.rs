//! # A receiver moved to another task after it returned `Pending`
//!
//! A hand-written one-shot channel keeps the waker of the task waiting on its receiver. The
//! receiver is polled once where it was made (a `select!` with a ready branch, a `poll` in a
//! loop), returns `Pending`, and is then moved into a task of its own that awaits it.
//!
//! ## The bug
//!
//! The channel stores the waker of the first poll only ("if none is stored yet"). After the
//! move, the receiver is polled by another task, whose waker the channel never stores: the
//! send wakes the first task, which no longer has the receiver, and the task that awaits it
//! waits for ever. The `Future` contract requires waking the waker of the *latest* poll.
//!
//! ```text
//! main    poll the receiver: Pending, stores main's waker
//! main    move the receiver into task-2
//! task-2  poll the receiver: Pending, keeps main's waker
//! task-1  send: wakes main                   task-2 waits for ever
//! ```
//!
//! ## The fix
//!
//! On every `Pending` poll, store the context's waker unless the stored one `will_wake` the
//! same task (as tokio's and futures' channels do).
//!
//! ## In real systems
//!
//! Hand-written futures, streams and channels in libraries and protocol state machines; a
//! receiver polled in a `select!` and then moved into a spawned task.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tapestry::future::{block_on, spawn};
use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry, MODEL_ENGINES};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "receiver_moved_after_pending",
    category: Category::Async,
    summary: "a channel keeps the first poll's waker, so a receiver moved to another task is never woken",
    kind: FailureKind::LostWakeup,
    buggy,
    fixed,
    found_by: &MODEL_ENGINES,
    missed_by: &[(
        EngineKind::Stress,
        "not claimed: real threads hit it only when the send comes after the receiver moved",
    )],
    source: include_str!("receiver_moved_after_pending.rs"),
};

#[derive(Default)]
struct Slot {
    value: Option<u32>,
    waker: Option<Waker>,
}

struct Receiver {
    slot: Arc<Mutex<Slot>>,
    replace_waker: bool,
}

impl Future for Receiver {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let mut slot = self.slot.lock().unwrap();
        if let Some(value) = slot.value.take() {
            return Poll::Ready(value);
        }
        let stale = slot.waker.as_ref().is_none_or(|w| !w.will_wake(cx.waker()));
        if slot.waker.is_none() || (self.replace_waker && stale) {
            slot.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

fn send(slot: &Mutex<Slot>, value: u32) {
    let waker = {
        let mut slot = slot.lock().unwrap();
        slot.value = Some(value);
        slot.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

fn run(replace_waker: bool) {
    let slot = Arc::new(Mutex::new(Slot::default()));
    let mut receiver = Receiver {
        slot: slot.clone(),
        replace_waker,
    };
    // Polled once here; if not ready, it moves into a task of its own.
    let first = block_on(poll_fn(|cx| Poll::Ready(Pin::new(&mut receiver).poll(cx))));
    if let Poll::Ready(value) = first {
        assert_eq!(value, 7);
        return;
    }
    let sender = spawn(async move { send(&slot, 7) });
    let waiter = spawn(receiver);
    block_on(async {
        sender.await.unwrap();
        assert_eq!(waiter.await.unwrap(), 7);
    });
}

/// Stores only the first poll's waker.
pub fn buggy() {
    run(false);
}

/// Stores the latest poll's waker.
pub fn fixed() {
    run(true);
}
