//! `tapestry::tokio::sync`'s `Barrier`, `OnceCell`, `Notify::notified_owned` and
//! `mpsc::Sender::send_timeout` against tokio itself, case by case (the `cases!` table: tokio's
//! run, tapestry's outside explorations and under DPOR give the same log), then under every
//! engine: for each, a correct program passes and a bug its users write is found.

use std::pin::pin;
use std::time::Duration;

use tapestry::future::{block_on, spawn, yield_now};
use tapestry::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use tapestry::tokio::sync::{Barrier, Notify, OnceCell, mpsc};
use tapestry::tokio::time::sleep;
use tapestry::{EngineKind, Explorer, FailureKind};
use tapestry_tests::{cases, ready, take};

cases! {
    /// One leader per generation, the last to arrive; the barrier is reusable.
    barrier_one_leader_per_generation => [
        "round 1: first pending true, second leads Some(true), first leads Some(false)",
        "round 2: first pending true, second leads Some(true), first leads Some(false)",
    ] {
        let barrier = S::Barrier::new(2);
        let mut log = Vec::new();
        for round in 1..=2 {
            let mut first = pin!(barrier.wait());
            let pending = take(first.as_mut()).is_none();
            let second = take(pin!(barrier.wait())).map(|result| result.is_leader());
            let first = take(first).map(|result| result.is_leader());
            log.push(format!(
                "round {round}: first pending {pending}, second leads {second:?}, first leads {first:?}"
            ));
        }
        log
    }

    /// Three tasks meet twice: two leaders in all, one per generation.
    barrier_leaders_over_two_generations_of_tasks => ["leaders: 2", "per generation: [1, 1]"] {
        let barrier = Arc::new(S::Barrier::new(3));
        let meet = |barrier: Arc<S::Barrier>| async move {
            let first = barrier.wait().await.is_leader();
            let second = barrier.wait().await.is_leader();
            [first as usize, second as usize]
        };
        let tasks = [spawn(meet(barrier.clone())), spawn(meet(barrier.clone()))];
        let mut per_generation = meet(barrier).await;
        for task in tasks {
            let led = task.await.unwrap();
            per_generation[0] += led[0];
            per_generation[1] += led[1];
        }
        vec![
            format!("leaders: {}", per_generation[0] + per_generation[1]),
            format!("per generation: {per_generation:?}"),
        ]
    }

    /// A barrier of 0 behaves as one of 1; a `wait` dropped after its first poll still counts
    /// (tokio's `wait` is not cancel-safe).
    barrier_of_zero_and_a_dropped_wait => ["zero: true true", "after a dropped wait: true"] {
        let zero = S::Barrier::new(0);
        let both = format!("zero: {} {}", zero.wait().await.is_leader(), zero.wait().await.is_leader());
        let barrier = S::Barrier::new(2);
        {
            let mut dropped = pin!(barrier.wait());
            assert!(take(dropped.as_mut()).is_none());
        }
        let next = take(pin!(barrier.wait())).map(|result| result.is_leader());
        vec![both, format!("after a dropped wait: {}", next.unwrap_or(false))]
    }

    /// `set`, `get`, the errors and the constructors.
    once_cell_set_get_and_errors => [
        "empty: None false", "set: Ok(())", "again: AlreadyInitializedError(2) AlreadyInitializedError true false",
        "get: Some(1) true", "OnceCell { value: Some(1) }", "with: Some(3) None Some(4)",
        "take: Some(1) None, set again: Ok(())", "inner: Some(5)", "eq: true",
    ] {
        let mut cell = S::OnceCell::new();
        let mut log = vec![format!("empty: {:?} {}", cell.get(), cell.initialized())];
        log.push(format!("set: {:?}", cell.set(1)));
        let err = cell.set(2).unwrap_err();
        log.push(format!(
            "again: {err:?} {err} {} {}",
            err.is_already_init_err(),
            err.is_initializing_err()
        ));
        log.push(format!("get: {:?} {}", cell.get(), cell.initialized()));
        log.push(format!("{cell:?}"));
        static PRESET: S::OnceCell<u32> = S::OnceCell::const_new_with(4);
        log.push(format!(
            "with: {:?} {:?} {:?}",
            S::OnceCell::new_with(Some(3)).get(),
            S::OnceCell::<u32>::new_with(None).get(),
            PRESET.get()
        ));
        let taken = cell.take();
        log.push(format!("take: {taken:?} {:?}, set again: {:?}", cell.get(), cell.set(5)));
        let copy = cell.clone();
        let equal = copy == cell;
        log.push(format!("inner: {:?}", cell.into_inner()));
        log.push(format!("eq: {equal}"));
        log
    }

    /// Concurrent `get_or_init`s run one initialiser; the others wait for it and get its
    /// value. `set` meanwhile fails with `InitializingError`.
    once_cell_concurrent_get_or_init_runs_one_initialiser => [
        "b waits: true", "set: InitializingError(9) true", "a: 1", "b: 1", "runs: 1",
    ] {
        let cell = S::OnceCell::new();
        let runs = S::Mutex::new(0);
        let gate = S::Notify::new();
        let init = |value: u32| {
            let (runs, gate) = (&runs, &gate);
            move || async move {
                *runs.lock().await += 1;
                gate.notified().await;
                value
            }
        };
        let mut a = pin!(cell.get_or_init(init(1)));
        let mut b = pin!(cell.get_or_init(init(2)));
        assert!(take(a.as_mut()).is_none());
        let mut log = vec![format!("b waits: {}", take(b.as_mut()).is_none())];
        let err = cell.set(9).unwrap_err();
        log.push(format!("set: {err:?} {}", err.is_initializing_err()));
        gate.notify_one();
        log.push(format!("a: {}", take(a).expect("initialised")));
        log.push(format!("b: {}", take(b).expect("given a's value")));
        log.push(format!("runs: {}", *runs.lock().await));
        log
    }

    /// Tasks racing on `get_or_init` see one value, and the initialiser runs once.
    once_cell_tasks_racing_initialise_once => ["values: [7, 7, 7]", "runs: 1"] {
        let cell = Arc::new(S::OnceCell::new());
        let runs = Arc::new(S::Mutex::new(0));
        let get = |cell: Arc<S::OnceCell<u32>>, runs: Arc<S::Mutex<u32>>| async move {
            *cell
                .get_or_init(|| async {
                    *runs.lock().await += 1;
                    yield_now().await;
                    7
                })
                .await
        };
        let tasks = [
            spawn(get(cell.clone(), runs.clone())),
            spawn(get(cell.clone(), runs.clone())),
        ];
        let mut values = vec![get(cell, runs.clone()).await];
        for task in tasks {
            values.push(task.await.unwrap());
        }
        vec![format!("values: {values:?}"), format!("runs: {}", *runs.lock().await)]
    }

    /// An initialiser dropped while it runs lets the next waiter run its own; one that fails
    /// (`get_or_try_init`) too, and its error is returned.
    once_cell_a_cancelled_or_failed_initialiser_lets_another_run => [
        "b waits: true", "b after a is dropped: Some(2)", "failed: Err(\"no\") false", "then: Ok(5)",
    ] {
        let cell = S::OnceCell::new();
        let mut a = Box::pin(cell.get_or_init(std::future::pending::<u32>));
        assert!(take(a.as_mut()).is_none());
        let mut b = pin!(cell.get_or_init(|| async { 2 }));
        let mut log = vec![format!("b waits: {}", take(b.as_mut()).is_none())];
        drop(a);
        log.push(format!("b after a is dropped: {:?}", take(b).copied()));
        let other = S::OnceCell::<u32>::new();
        let failed = other.get_or_try_init(|| async { Err("no") }).await;
        log.push(format!("failed: {failed:?} {}", other.initialized()));
        let then = other.get_or_try_init(|| async { Ok::<u32, &str>(5) }).await;
        log.push(format!("then: {then:?}"));
        log
    }

    /// `notified_owned` takes a stored permit as `notified` does, counts `notify_waiters` calls
    /// from its creation, and can be enabled.
    notified_owned_as_notified => [
        "permit: true", "no second permit: false", "waiters after creation: true", "enabled: false, ready: true",
    ] {
        let notify = Arc::new(S::Notify::new());
        notify.notify_one();
        let mut log = vec![format!("permit: {}", ready(pin!(notify.clone().notified_owned())))];
        log.push(format!("no second permit: {}", ready(pin!(notify.clone().notified_owned()))));
        let created = notify.clone().notified_owned();
        notify.notify_waiters();
        log.push(format!("waiters after creation: {}", ready(pin!(created))));
        let mut enabled = pin!(notify.clone().notified_owned());
        let already = enabled.as_mut().enable();
        notify.notify_one();
        log.push(format!("enabled: {already}, ready: {}", ready(enabled)));
        log
    }

    /// An owned `Notified` moved into a task is woken there.
    notified_owned_in_a_task => ["woken"] {
        let notify = Arc::new(S::Notify::new());
        let waiter = spawn(notify.clone().notified_owned());
        yield_now().await;
        notify.notify_one();
        waiter.await.unwrap();
        vec!["woken".to_owned()]
    }

    /// `send_timeout` on a full channel times out (by the virtual clock under DPOR, tokio's
    /// paused clock on tokio) and holds the value back; on a closed one it fails at once.
    send_timeout_times_out_when_full_and_fails_when_closed => [
        "room: Ok(())", "full: \"Timeout(..)\" timed out waiting on send operation 2",
        "Some(1) Err(Empty)", "closed: \"Closed(..)\" channel closed 3",
    ] {
        let (tx, mut rx) = S::mpsc::channel::<u32>(1);
        let mut log = vec![format!("room: {:?}", tx.send_timeout(1, Duration::from_secs(1)).await)];
        let err = tx.send_timeout(2, Duration::from_millis(10)).await.unwrap_err();
        log.push(format!("full: {err:?} {err} {}", err.into_inner()));
        log.push(format!("{:?} {:?}", rx.recv().await, rx.try_recv()));
        drop(rx);
        let err = tx.send_timeout(3, Duration::from_secs(1)).await.unwrap_err();
        log.push(format!("closed: {err:?} {err} {}", err.into_inner()));
        log
    }

    /// A `send_timeout` waiting for room sends once a slot frees in time.
    send_timeout_sends_when_room_frees_in_time => ["waits: true", "Some(1)", "then: Some(Ok(()))", "Some(2)"] {
        let (tx, mut rx) = S::mpsc::channel::<u32>(1);
        tx.send(1).await.unwrap();
        let mut send = pin!(tx.send_timeout(2, Duration::from_secs(3600)));
        let mut log = vec![format!("waits: {}", take(send.as_mut()).is_none())];
        log.push(format!("{:?}", rx.recv().await));
        log.push(format!("then: {:?}", take(send).map(|sent| sent.map_err(|e| e.into_inner()))));
        log.push(format!("{:?}", rx.recv().await));
        log
    }
}

/// Every model engine finds `program` panicking with `message`.
fn assert_found(program: fn(), message: &str) {
    let engines: Vec<_> = EngineKind::ALL
        .into_iter()
        .filter(|&engine| engine != EngineKind::Stress)
        .collect();
    for report in tapestry_tests::found_by(program, &engines, FailureKind::Panic) {
        let failure = report.failure().expect("found_by checked it");
        assert!(failure.message().contains(message), "{failure}");
    }
}

/// A task and the test meet at a barrier twice; what each wrote before a meeting the other
/// reads after it, and each generation has one leader.
fn barrier_rounds() {
    let barrier = std::sync::Arc::new(Barrier::new(2));
    let written = std::sync::Arc::new(AtomicUsize::new(0));
    let leaders = std::sync::Arc::new(AtomicUsize::new(0));
    let meet = |barrier: std::sync::Arc<Barrier>,
                written: std::sync::Arc<AtomicUsize>,
                leaders: std::sync::Arc<AtomicUsize>| async move {
        for round in 1..=2 {
            written.fetch_add(1, SeqCst);
            if barrier.wait().await.is_leader() {
                leaders.fetch_add(1, SeqCst);
            }
            assert!(
                written.load(SeqCst) >= 2 * round,
                "a write before the meeting is seen"
            );
        }
    };
    let task = spawn(meet(barrier.clone(), written.clone(), leaders.clone()));
    block_on(async {
        meet(barrier, written, leaders.clone()).await;
        task.await.unwrap();
    });
    assert_eq!(leaders.load(SeqCst), 2, "one leader per generation");
}

/// The bug: the test assumes it arrives last, and so leads.
fn test_assumes_it_leads() {
    let barrier = std::sync::Arc::new(Barrier::new(2));
    let task = {
        let barrier = barrier.clone();
        spawn(async move { barrier.wait().await })
    };
    block_on(async {
        assert!(barrier.wait().await.is_leader(), "the test leads");
        task.await.unwrap();
    });
}

/// A task and the test both ask a `OnceCell` for its value; the initialiser runs once.
fn once_cell_shared() {
    let cell = std::sync::Arc::new(OnceCell::new());
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let get = |cell: std::sync::Arc<OnceCell<u32>>, runs: std::sync::Arc<AtomicUsize>| async move {
        *cell
            .get_or_init(|| async {
                runs.fetch_add(1, SeqCst);
                yield_now().await;
                7
            })
            .await
    };
    let task = spawn(get(cell.clone(), runs.clone()));
    block_on(async {
        assert_eq!(get(cell, runs.clone()).await, 7);
        assert_eq!(task.await.unwrap(), 7);
    });
    assert_eq!(runs.load(SeqCst), 1, "the initialiser ran once");
}

/// The bug: check, then initialise, then `set`: both may find the cell empty, and the second
/// `set` fails.
fn once_cell_check_then_set() {
    let cell = std::sync::Arc::new(OnceCell::new());
    let init = |cell: std::sync::Arc<OnceCell<u32>>| async move {
        if cell.get().is_none() {
            yield_now().await; // the value is computed
            cell.set(7).expect("the cell was empty");
        }
    };
    let task = spawn(init(cell.clone()));
    block_on(async {
        init(cell).await;
        task.await.unwrap();
    });
}

/// An owned `Notified` made before the `notify_waiters` and awaited in a task: it is woken.
fn owned_notified_made_first() {
    let notify = std::sync::Arc::new(Notify::new());
    let waiter = spawn(notify.clone().notified_owned());
    block_on(async {
        notify.notify_waiters();
        waiter.await.unwrap();
    });
}

/// The bug: the task makes its owned `Notified` itself, maybe after the `notify_waiters`.
fn owned_notified_made_in_the_task() {
    let notify = std::sync::Arc::new(Notify::new());
    let waiter = {
        let notify = notify.clone();
        spawn(async move { notify.notified_owned().await })
    };
    block_on(async {
        notify.notify_waiters();
        waiter.await.unwrap();
    });
}

/// A producer sends two values over a channel of one slot; when `send_timeout` times out it
/// falls back to a `send` that waits. The consumer gets both.
fn send_timeout_with_fallback() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let producer = spawn(async move {
        for value in [1, 2] {
            match tx.send_timeout(value, Duration::from_secs(1)).await {
                Ok(()) => {}
                Err(mpsc::error::SendTimeoutError::Timeout(value)) => tx.send(value).await.unwrap(),
                Err(mpsc::error::SendTimeoutError::Closed(_)) => panic!("the receiver is alive"),
            }
        }
    });
    block_on(async {
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        producer.await.unwrap();
    });
}

/// The bug: the producer assumes a slot frees within its timeout, but the consumer first
/// sleeps for longer.
fn send_timeout_assumed_to_succeed() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let producer = spawn(async move {
        tx.send(1).await.unwrap();
        tx.send_timeout(2, Duration::from_secs(1))
            .await
            .expect("a slot frees in time");
    });
    block_on(async {
        sleep(Duration::from_secs(5)).await;
        assert_eq!(rx.recv().await, Some(1));
        producer.await.unwrap();
    });
}

#[test]
fn barrier_rounds_pass_under_every_engine() {
    tapestry_tests::passes_everywhere("barrier_rounds", barrier_rounds);
}

#[test]
fn a_shared_once_cell_passes_under_every_engine() {
    tapestry_tests::passes_everywhere("once_cell_shared", once_cell_shared);
}

#[test]
fn an_owned_notified_made_first_passes_under_every_engine() {
    tapestry_tests::passes_everywhere("owned_notified_made_first", owned_notified_made_first);
}

#[test]
fn send_timeout_with_a_fallback_passes_under_every_engine() {
    tapestry_tests::passes_everywhere("send_timeout_with_fallback", send_timeout_with_fallback);
}

#[test]
fn a_test_that_assumes_it_leads_the_barrier_is_found() {
    assert_found(test_assumes_it_leads, "the test leads");
}

#[test]
fn a_check_then_set_once_cell_is_found() {
    assert_found(once_cell_check_then_set, "the cell was empty");
}

#[test]
fn an_owned_notified_made_after_notify_waiters_is_found() {
    let engines: Vec<_> = EngineKind::ALL
        .into_iter()
        .filter(|&engine| engine != EngineKind::Stress)
        .collect();
    tapestry_tests::found_by(
        owned_notified_made_in_the_task,
        &engines,
        FailureKind::LostWakeup,
    );
}

#[test]
fn a_send_timeout_assumed_to_succeed_is_found() {
    let engines: Vec<_> = EngineKind::ALL
        .into_iter()
        .filter(|&engine| engine != EngineKind::Stress)
        .collect();
    let message = "a slot frees in time";
    tapestry_tests::task_panic_found_by(send_timeout_assumed_to_succeed, &engines, message);
}

/// A `static` cell keeps what its initialiser allocated: not a leak at the end of an
/// execution, as with a `static` `OnceLock`.
#[test]
fn a_static_once_cell_keeps_its_value_without_a_leak() {
    static CELL: OnceCell<tapestry::sync::Arc<u32>> = OnceCell::const_new();
    let report = Explorer::new().keep_going(true).run(|| {
        block_on(async {
            let value = CELL
                .get_or_init(|| async { tapestry::sync::Arc::new(1) })
                .await;
            assert_eq!(**value, 1);
        });
    });
    assert!(report.failure().is_none(), "{report}");
}

/// The test initialises a cell with a value only a task can send, and the task waits for the
/// cell first: a deadlock that names the initialiser as the holder.
fn initialiser_waits_for_a_waiter() {
    let cell = std::sync::Arc::new(OnceCell::<u32>::new());
    let (tx, rx) = tapestry::tokio::sync::oneshot::channel::<u32>();
    let waiter = {
        let cell = cell.clone();
        spawn(async move {
            let value = *cell.get_or_init(|| async { 1 }).await;
            let _ = tx.send(value);
        })
    };
    block_on(async {
        cell.get_or_init(|| async { rx.await.unwrap_or(2) }).await;
        waiter.await.unwrap();
    });
}

#[test]
fn a_task_waiting_for_its_own_initialiser_is_a_deadlock_naming_it() {
    for engine in EngineKind::ALL {
        if engine == EngineKind::Stress {
            continue;
        }
        let report = Explorer::new()
            .engine(engine)
            .run(initialiser_waits_for_a_waiter);
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the deadlock\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Deadlock, "{engine}\n{failure}");
        assert!(
            failure.to_string().contains("held by main"),
            "{engine}: the report names the initialiser\n{failure}"
        );
    }
}
