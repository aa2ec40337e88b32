//! Spurious wakeups of `Condvar::wait`, which std allows ("this function is susceptible to
//! spurious wakeups"): code that waits once, outside a loop on its condition, is buggy, and
//! every model engine finds it; the same code with a loop, or `wait_while`, passes every
//! engine; and a notification that nobody will send is still a deadlock, not rescued by a
//! wakeup no real program can count on.

use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::thread;
use tapestry::{EngineKind, Explorer, FailureKind, Outcome};
use tapestry_catalogue::MODEL_ENGINES_AND_C11;
use tapestry_tests::{found_by, found_showing, quick};

type Signal = Arc<(Mutex<bool>, Condvar)>;

/// A consumer waits for `ready`; a producer sets it and notifies.
fn producer_and_consumer(consume: fn(&Signal)) {
    let signal: Signal = Arc::new((Mutex::new(false), Condvar::new()));
    let consumer = {
        let signal = signal.clone();
        thread::spawn(move || consume(&signal))
    };
    let (ready, changed) = &*signal;
    *ready.lock().unwrap() = true;
    changed.notify_one();
    consumer.join().unwrap();
}

/// Buggy: one wait, under `if`, taken to mean "notified".
fn wait_under_if(signal: &Signal) {
    let (ready, changed) = &**signal;
    let mut ready = ready.lock().unwrap();
    if !*ready {
        ready = changed.wait(ready).unwrap();
    }
    assert!(*ready, "woke without the notification it waited for");
}

/// The fix: wait until the condition holds.
fn wait_in_a_loop(signal: &Signal) {
    let (ready, changed) = &**signal;
    let mut ready = ready.lock().unwrap();
    while !*ready {
        ready = changed.wait(ready).unwrap();
    }
}

/// The fix, as std spells it.
fn wait_while(signal: &Signal) {
    let (ready, changed) = &**signal;
    let ready = changed
        .wait_while(ready.lock().unwrap(), |ready| !*ready)
        .unwrap();
    assert!(*ready);
}

#[test]
fn a_wait_under_if_is_found_by_every_model_engine() {
    let program = || producer_and_consumer(wait_under_if);
    found_showing(
        program,
        &MODEL_ENGINES_AND_C11,
        FailureKind::Panic,
        "spuriously",
    );
}

#[test]
fn a_wait_in_a_loop_passes_every_engine() {
    for consume in [wait_in_a_loop as fn(&Signal), wait_while] {
        for engine in EngineKind::named() {
            let report = Explorer::new()
                .engine(quick(engine))
                .run(move || producer_and_consumer(consume));
            if let Some(failure) = report.failure() {
                panic!("{engine} failed a correct program:\n{report}\n{failure}");
            }
            if matches!(
                engine,
                EngineKind::Exhaustive | EngineKind::Dpor | EngineKind::C11
            ) {
                assert_eq!(
                    report.engines()[0].outcome(),
                    &Outcome::Passed { complete: true },
                    "{engine}: {report}"
                );
            }
        }
    }
}

/// A consumer waits (in a loop) for a notification nobody sends: std may wake it spuriously,
/// but it waits again, for good.
fn notification_never_sent() {
    let signal: Signal = Arc::new((Mutex::new(false), Condvar::new()));
    let other = thread::spawn(|| {});
    let (ready, changed) = &*signal;
    let mut ready = ready.lock().unwrap();
    while !*ready {
        ready = changed.wait(ready).unwrap();
    }
    drop(ready);
    other.join().unwrap();
}

#[test]
fn a_notification_nobody_sends_is_a_deadlock_under_every_model_engine() {
    found_by(
        notification_never_sent,
        &MODEL_ENGINES_AND_C11,
        FailureKind::Deadlock,
    );
}
