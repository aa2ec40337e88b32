//! The non-blocking check: a register behind a lock is linearizable but blocks (a call waits
//! for the lock another thread holds), one built on a compare-and-swap does not; a call that
//! waits on a condition variable blocks too.

use std::sync::atomic::Ordering::SeqCst;

use tapestry::sync::atomic::AtomicU8;
use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{Engine, Explorer};
use tapestry_lincheck::Lincheck;

mod register;

use register::{Op, Ret, model, ops, register};

#[test]
fn a_register_behind_a_lock_blocks() {
    let failed = register(false)
        .non_blocking()
        .run(ops())
        .expect_err("one call waits for the lock the other holds");
    let text = failed.to_string();
    assert!(
        text.contains("a call that must not wait blocks (the object is not non-blocking)"),
        "{text}"
    );
    assert!(text.contains("waits for a lock that T"), "{text}");
    assert!(
        text.contains("holds at lincheck/tests/register/mod.rs:"),
        "{text}"
    );
    // Two calls on two threads are all it takes.
    assert_eq!(failed.scenario.len(), 2, "{text}");
    // The same register is linearizable: only the non-blocking check fails it.
    register(false).check(ops());
}

/// The register's operations on one atomic: each call is one load or one compare-and-swap,
/// and none waits.
struct AtomicRegister(AtomicU8);

impl AtomicRegister {
    fn call(&self, op: &Op) -> Ret {
        match *op {
            Op::Read => Ret::Value(self.0.load(SeqCst)),
            Op::CompareAndSet(expected, new) => Ret::Set(
                self.0
                    .compare_exchange(expected, new, SeqCst, SeqCst)
                    .is_ok(),
            ),
        }
    }
}

#[test]
fn a_register_on_a_compare_and_swap_does_not_block() {
    Lincheck::new(
        model,
        || AtomicRegister(AtomicU8::new(0)),
        AtomicRegister::call,
    )
    .non_blocking()
    .check(ops());
}

#[test]
fn a_wait_on_a_condition_variable_blocks() {
    let report = Explorer::new().engine(Engine::dpor()).run(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let other = pair.clone();
        let setter = tapestry::thread::spawn(move || {
            *other.0.lock().unwrap() = true;
            other.1.notify_one();
        });
        tapestry::__private::without_waiting(|| {
            let mut set = pair.0.lock().unwrap();
            while !*set {
                set = pair.1.wait(set).unwrap();
            }
        });
        setter.join().unwrap();
    });
    let failure = report.failure().expect("the wait is seen");
    assert!(
        failure
            .message()
            .contains("main waits on a condition variable at lincheck/tests/non_blocking.rs:"),
        "{failure}"
    );
}
