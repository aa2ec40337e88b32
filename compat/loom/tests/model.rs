//! What `loom::model` checks: more threads than loom allows; a deadlock as a panic; memory
//! leaked from `loom::alloc` and a leaked `Track`. Each
//! failing model would save its schedule in this package, so the test turns saving off
//! (`TAPESTRY_SAVE=0`): it is this binary's only one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering::SeqCst;

use tapestry_loom::sync::atomic::AtomicUsize;
use tapestry_loom::sync::{Arc, Mutex};
use tapestry_loom::{alloc, model, thread};

/// Seven threads, past loom's five: the DPOR engine checks them (and finds the lost update).
fn seven_threads() {
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
}

/// Two locks taken in opposite orders: a deadlock, reported by a panic naming it, never a
/// process abort (loom aborts when the threads hold `Arc`s: loom#52, loom#291).
fn opposite_lock_orders() {
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
}

/// A block from `loom::alloc` that the thread allocating it frees, or forgets.
fn block(free: bool) {
    let layout = alloc::Layout::new::<[u64; 4]>();
    let other = thread::spawn(move || {
        // SAFETY: `layout` is not zero-sized; the block is freed with it, or never used.
        unsafe {
            let block = alloc::alloc(layout);
            assert!(!block.is_null());
            if free {
                alloc::dealloc(block, layout);
            }
        }
    });
    other.join().unwrap();
}

/// A tracked value dropped, or forgotten.
fn track(drop_it: bool) {
    let tracked = alloc::Track::new(5);
    assert_eq!(*tracked.get_ref(), 5);
    if drop_it {
        drop(tracked);
    } else {
        std::mem::forget(tracked);
    }
}

/// The panic message of `model(f)`.
fn failure_of(f: fn()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(|| model(f))).expect_err("the model fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn models_fail_with_their_failure() {
    // SAFETY: this binary's only test reads and writes the environment, one call at a time.
    unsafe { std::env::set_var("TAPESTRY_SAVE", "0") };
    let lost = failure_of(seven_threads);
    assert!(lost.contains("an add was lost"), "{lost}");
    assert!(lost.contains("not saved: TAPESTRY_SAVE=0"), "{lost}");
    let deadlock = failure_of(opposite_lock_orders);
    assert!(deadlock.contains("deadlock"), "{deadlock}");
    let leak = failure_of(|| block(false));
    assert!(
        leak.contains("1 block(s) of memory from `alloc` (the first allocated at compat/loom/tests/model.rs:54)"),
        "{leak}"
    );
    model(|| block(true));
    let forgotten = failure_of(|| track(false));
    assert!(forgotten.contains("leak"), "{forgotten}");
    assert!(forgotten.contains("model.rs:66"), "{forgotten}");
    model(|| track(true));
    model(|| assert_eq!(alloc::Track::new(1).into_inner(), 1));
}
