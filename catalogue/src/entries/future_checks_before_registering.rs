//! # A future that checks before it registers its waker
//!
//! A hand-written future waits for a flag that another task raises. `poll` looks at the flag;
//! if it is down, it stores the task's waker where the raiser will find it and returns
//! `Pending`. The raiser raises the flag, then wakes the stored waker, if any.
//!
//! ## The bug
//!
//! Between the check and the registration the raiser can run in full: it raises the flag,
//! finds no waker, wakes nobody. The future then stores its waker and returns `Pending`, and
//! nothing will ever wake it: a lost wakeup, the async form of checking a condition before
//! waiting on a condition variable. tapestry names it `lost_wakeup`, not a deadlock: the task
//! is not stuck on a lock, it waits for a wake nobody will send.
//!
//! ```text
//! main    poll: flag down
//! task-1  raise the flag; no waker stored: wake nobody
//! main    store waker; return Pending          never polled again
//! ```
//!
//! ## The fix
//!
//! Register first, then check (as `AtomicWaker`'s and tokio's `Notify`'s documentation
//! prescribe): store the waker, then look at the flag. A raise before the store is seen by
//! the check; a raise after it finds the waker.
//!
//! ## In real systems
//!
//! Hand-written `Future` and `Stream` impls over shared state, `AtomicWaker` used as
//! "check, register" instead of "register, check", and `Notify::notified()` created after the
//! condition was checked (tokio's documentation warns of exactly this).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tapestry::future::{block_on, spawn};
use tapestry::sync::atomic::{AtomicBool, Ordering::SeqCst};
use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry, MODEL_ENGINES};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "future_checks_before_registering",
    category: Category::Async,
    summary: "a hand-written future checks its flag before storing its waker, and the raise in between wakes nobody",
    kind: FailureKind::LostWakeup,
    buggy,
    fixed,
    found_by: &MODEL_ENGINES,
    missed_by: &[(
        EngineKind::Stress,
        "not claimed: real threads find it only when the raiser lands in the few instructions between check and registration",
    )],
    source: include_str!("future_checks_before_registering.rs"),
};

#[derive(Default)]
struct Flag {
    raised: AtomicBool,
    waiter: Mutex<Option<Waker>>,
}

impl Flag {
    fn raise(&self) {
        self.raised.store(true, SeqCst);
        if let Some(waiter) = self.waiter.lock().unwrap().take() {
            waiter.wake();
        }
    }
}

struct Raised {
    flag: Arc<Flag>,
    register_first: bool,
}

impl Future for Raised {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let register = || *self.flag.waiter.lock().unwrap() = Some(cx.waker().clone());
        if self.register_first {
            register();
        }
        if self.flag.raised.load(SeqCst) {
            return Poll::Ready(());
        }
        if !self.register_first {
            register();
        }
        Poll::Pending
    }
}

fn run(register_first: bool) {
    let flag = Arc::new(Flag::default());
    let raiser = {
        let flag = flag.clone();
        spawn(async move { flag.raise() })
    };
    block_on(async {
        Raised {
            flag,
            register_first,
        }
        .await;
        raiser.await.unwrap();
    });
}

/// Checks the flag, then registers.
pub fn buggy() {
    run(false);
}

/// Registers, then checks the flag.
pub fn fixed() {
    run(true);
}
