//! Lock-order prediction for `tapestry::tokio::sync::Mutex`: two tasks taking two async
//! mutexes in opposite orders are reported as a `PotentialDeadlock` from an execution that
//! did not deadlock, with the lines of user code that took them; the same orders without a
//! cycle, and guards released in any order or moved to another task, are clean.

use tapestry::future::{block_on, spawn};
use tapestry::sync::Arc;
use tapestry::tokio::sync::Mutex;
use tapestry::{Engine, EngineKind, Explorer, FailureKind};

type Pair = Arc<(Mutex<u32>, Mutex<u32>)>;

/// Takes the pair's locks, first then second (`reversed`: second then first), and releases
/// the first-taken before the other.
async fn both(pair: Pair, reversed: bool) {
    let (a, b) = (&pair.0, &pair.1);
    let (first, second) = if reversed { (b, a) } else { (a, b) };
    let mut first = first.lock().await;
    let mut second = second.lock().await;
    *first += 1;
    *second += 1;
    drop(first);
    drop(second);
}

fn two_tasks(reversed: bool) {
    let pair: Pair = Arc::new((Mutex::new(0), Mutex::new(0)));
    let one = spawn(both(pair.clone(), false));
    let other = spawn(both(pair.clone(), reversed));
    block_on(async {
        one.await.unwrap();
        other.await.unwrap();
    });
}

/// Without preemptions no execution deadlocks: only the prediction can see the cycle.
fn without_preemptions() -> Explorer {
    Explorer::new().engine(Engine::dpor().preemption_bound(0))
}

#[test]
fn opposite_orders_are_predicted_from_an_execution_that_did_not_deadlock() {
    let report = without_preemptions().run(|| two_tasks(true));
    let failure = report.failure().unwrap_or_else(|| panic!("{report}"));
    assert_eq!(failure.kind(), FailureKind::PotentialDeadlock, "{failure}");
    let message = failure.message();
    // Each edge names where its locks were taken: the two `lock()` lines of `both`.
    for line in [18, 19] {
        assert!(
            message.contains(&format!("tests/async_lock_order.rs:{line}")),
            "{message}"
        );
    }
    let off = without_preemptions()
        .lock_order(false)
        .run(|| two_tasks(true));
    assert!(off.is_clean(), "{off}");
}

#[test]
fn one_order_is_clean_under_every_engine() {
    for engine in EngineKind::ALL {
        let report = Explorer::new()
            .engine(tapestry_tests::quick(engine))
            .run(|| two_tasks(false));
        assert!(report.is_clean(), "{engine}: {report}");
    }
}

/// A guard moved to another task and released there: its lock is no longer held by the task
/// that took it, which then takes another lock. Were it still counted as held, main's "a then
/// b" and the other task's "b then a" would be a cycle.
#[test]
fn a_guard_released_by_another_task_ends_the_hold() {
    let report = Explorer::new().engine(EngineKind::Dpor).run(|| {
        // `lock_owned` takes std's `Arc`, as tokio's.
        let (a, b) = (
            std::sync::Arc::new(Mutex::new(0)),
            std::sync::Arc::new(Mutex::new(0)),
        );
        let guard = block_on(a.clone().lock_owned());
        let other = spawn({
            let (a, b) = (a.clone(), b.clone());
            async move {
                let _b = b.lock().await;
                let _a = a.lock().await;
            }
        });
        let releaser = spawn(async move { drop(guard) });
        block_on(async {
            releaser.await.unwrap();
            let _b = b.lock().await;
        });
        block_on(other).unwrap();
    });
    assert!(report.is_clean(), "{report}");
}
