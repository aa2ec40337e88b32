//! # Polite livelock
//!
//! Two threads each need two locks, `a` and `b`, and take them in opposite orders. To avoid the
//! lock-order deadlock they are polite: they take each lock with `try_lock`, never waiting
//! while holding a lock. After taking its first lock a thread lets the other run
//! (`yield_now`); if its second lock is taken, it gives the other thread a moment, then steps
//! back (releases its first lock) and starts over.
//!
//! ## The bug
//!
//! Nothing deadlocks, but nothing progresses either. If the two threads move in step, each
//! takes its first lock, each finds its second lock taken, each steps back, and they meet again
//! in the same position, forever: two people stepping aside in a corridor in the same
//! direction. Every thread is busy; the program never finishes.
//!
//! ```text
//! T1  try_lock a -> acquired, yield
//! T2  try_lock b -> acquired, yield
//! T1  try_lock b -> busy, yield
//! T2  try_lock a -> busy, yield
//! T1  unlock a, try_lock a -> acquired, yield
//! T2  unlock b, try_lock b -> acquired, yield     back where they were, forever
//! ```
//!
//! The livelock needs the threads to stay exactly in step. The exhaustive and DPOR engines'
//! first schedules do that: without preemptions they run a thread until it yields, then the
//! other until it yields, and so on. So does PCT, whose yielding thread drops below the other
//! (a spinning thread must let the one it waits for run), once no change point intervenes.
//! Random schedules also switch at a yield, but they preempt between yields too; soon one
//! thread gets a move ahead and takes both locks. Real threads drift apart the same way. The
//! bug is real all the same: a scheduler or a machine that keeps the threads in step keeps
//! them there.
//!
//! ## The fix
//!
//! Take the locks in one global order (`a` before `b`) in both threads. A thread that cannot
//! get `a` then holds nothing, so the thread holding `a` always gets `b` and finishes.
//! (Asymmetric back-off, one thread always giving way to the other, also breaks the symmetry;
//! random back-off, as in Ethernet, breaks it with high probability.)
//!
//! ## In real systems
//!
//! Deadlock "avoidance" with `try_lock` and retry, optimistic transactions that abort each other
//! in a loop, network protocols retrying in lockstep after a collision, and two processes that
//! each detect a conflict and both roll back.

use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, hint, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "polite_livelock",
    category: Category::Liveness,
    summary: "two threads that back off when their second lock is taken keep backing off in step",
    kind: FailureKind::StepLimit,
    buggy,
    fixed,
    found_by: &[EngineKind::Exhaustive, EngineKind::Dpor, EngineKind::Pct],
    source: include_str!("polite_livelock.rs"),
    missed_by: &[
        (
            EngineKind::Priority,
            "a yield lets the other thread run, but a newly arrived thread and random choices between the two equally urgent threads soon put one a move ahead",
        ),
        (
            EngineKind::Random,
            "random preemptions between yields soon put one thread a move ahead, and it takes both locks",
        ),
        (
            EngineKind::Surw,
            "it interleaves the threads' lock operations at random, so one thread soon gets a move ahead and takes both locks",
        ),
        (
            EngineKind::Stress,
            "real threads drift out of step within a few rounds, and one of them takes both locks",
        ),
    ],
};

/// Takes `first`, then `second`, politely: stepping back whenever `second` is taken.
fn take_both(first: &Mutex<u32>, second: &Mutex<u32>) {
    loop {
        let Ok(mut held) = first.try_lock() else {
            hint::spin_loop();
            continue;
        };
        // Politeness: let the other thread move before reaching for the second lock.
        thread::yield_now();
        if let Ok(mut other) = second.try_lock() {
            *held += 1;
            *other += 1;
            return;
        }
        // The other thread has it: give it a moment, then step back and start over.
        thread::yield_now();
        drop(held);
    }
}

fn run(second_thread_order_ab: bool) {
    let a = Arc::new(Mutex::named("a", 0));
    let b = Arc::new(Mutex::named("b", 0));
    let (a1, b1) = (a.clone(), b.clone());
    let t1 = thread::spawn(move || take_both(&a1, &b1));
    let (a2, b2) = (a.clone(), b.clone());
    let t2 = thread::spawn(move || {
        if second_thread_order_ab {
            take_both(&a2, &b2);
        } else {
            take_both(&b2, &a2);
        }
    });
    t1.join().unwrap();
    t2.join().unwrap();
    assert_eq!(
        (*a.lock().unwrap(), *b.lock().unwrap()),
        (2, 2),
        "each thread did its work"
    );
}

/// The threads take the locks in opposite orders.
pub fn buggy() {
    run(false);
}

/// Both threads take `a` before `b`.
pub fn fixed() {
    run(true);
}
