//! What `loom::model` checks: more threads than loom allows; a deadlock as a panic.

use std::sync::atomic::Ordering::SeqCst;

use tapestry_loom::sync::atomic::AtomicUsize;
use tapestry_loom::sync::{Arc, Mutex};
use tapestry_loom::{model, thread};

/// Seven threads, past loom's five: the DPOR engine checks them (and finds the lost update).
#[test]
#[should_panic(expected = "an add was lost")]
fn more_threads_than_loom_allows_are_checked() {
    model(|| {
        let count = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let count = count.clone();
                thread::spawn(move || {
                    let seen = count.load(SeqCst);
                    count.store(seen + 1, SeqCst);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(count.load(SeqCst), 6, "an add was lost");
    });
}

/// Two locks taken in opposite orders: a deadlock, reported by a panic naming it, never a
/// process abort (loom aborts when the threads hold `Arc`s: loom#52, loom#291).
#[test]
#[should_panic(expected = "deadlock")]
fn a_deadlock_is_a_panic() {
    model(|| {
        let a = Arc::new(Mutex::new(0));
        let b = Arc::new(Mutex::new(0));
        let (a2, b2) = (a.clone(), b.clone());
        let other = thread::spawn(move || {
            let _b = b2.lock().unwrap();
            let _a = a2.lock().unwrap();
        });
        {
            let _a = a.lock().unwrap();
            let _b = b.lock().unwrap();
        }
        other.join().unwrap();
    });
}
