//! A panic in a task is its `JoinHandle`'s `JoinError`, as tokio's, under every engine: code
//! that supervises tasks (restarts one that panicked) is tested as it runs. A task's panic
//! that no handle returns fails the execution, with the panic's own message and line; and the
//! engines' own findings inside a task (a deadlock, a data race) still fail it.

use std::sync::atomic::Ordering::Relaxed;
use tapestry::cell::UnsafeCell;
use tapestry::future::{block_on, spawn, yield_now};

use tapestry::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, Explorer, FailureKind};
use tapestry_tests::quick;

/// A worker that panics on its first run; the supervisor sees the panic and restarts it.
fn supervised_restart() {
    let runs = Arc::new(AtomicUsize::new(0));
    let restarted = block_on(async {
        for attempt in 0.. {
            let runs = runs.clone();
            let worker = spawn(async move {
                yield_now().await;
                if runs.fetch_add(1, SeqCst) == 0 {
                    panic!("the worker's first run fails");
                }
                "served"
            });
            match worker.await {
                Ok(served) => return (attempt, served),
                Err(error) => {
                    assert!(error.is_panic() && !error.is_cancelled(), "{error:?}");
                    let payload = error.into_panic();
                    assert_eq!(
                        payload.downcast_ref::<&str>(),
                        Some(&"the worker's first run fails")
                    );
                }
            }
        }
        unreachable!()
    });
    assert_eq!(restarted, (1, "served"));
}

#[test]
fn a_supervisor_sees_its_task_panic_as_a_join_error_under_every_engine() {
    for engine in EngineKind::ALL {
        let report = Explorer::new()
            .engine(quick(engine))
            .run(supervised_restart);
        assert!(report.is_clean(), "{engine}: {report}");
    }
}

/// The line of the assertion below, as the program saw it run.
static ASSERTION_LINE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

#[test]
fn a_task_panic_no_handle_returns_fails_with_its_own_message_and_line() {
    for engine in EngineKind::ALL {
        let report = Explorer::new().engine(quick(engine)).run(|| {
            let detached = spawn(async {
                yield_now().await;
                ASSERTION_LINE.store(line!() + 1, Relaxed);
                assert_eq!(1 + 1, 3, "arithmetic in a detached task");
            });
            drop(detached);
            block_on(yield_now());
        });
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the panic\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Panic, "{engine}: {failure}");
        let message = failure.message();
        assert!(
            message.contains("arithmetic in a detached task")
                && message.contains("no `JoinHandle` returned"),
            "{engine}: {message}"
        );
        let line = failure.location().unwrap_or_default();
        let expected = format!("tests/task_panics.rs:{}:", ASSERTION_LINE.load(Relaxed));
        assert!(line.starts_with(&expected), "{engine}: {line}");
        assert!(failure.thread().starts_with("task-"), "{engine}: {failure}");
        assert!(
            failure
                .to_string()
                .contains("panicked: its JoinHandle returns the panic"),
            "{engine}: the trace shows the panic\n{failure}"
        );
    }
}

/// `handle.await.unwrap()` on a task that panicked: the test fails at the unwrap, and the
/// message carries the task's own panic message, as tokio's `JoinError` does.
#[test]
fn unwrapping_a_panicked_tasks_output_shows_the_tasks_message() {
    let report = Explorer::new().engine(EngineKind::Dpor).run(|| {
        let task = spawn(async { panic!("the task's message") });
        block_on(task).unwrap();
    });
    let failure = report.failure().expect("the unwrap panics");
    assert_eq!(failure.thread(), "main", "{failure}");
    assert!(
        failure
            .message()
            .contains(r#"JoinError::Panic(Id(1), "the task's message", ...)"#),
        "{failure}"
    );
}

/// A cell two tasks write with no order between them.
struct Racy(UnsafeCell<u32>);
// SAFETY: not at all: its accesses race, for the detector to find.
unsafe impl Sync for Racy {}

/// The engines' findings are not the task's panics: a lock taken twice in a task is still a
/// deadlock, a race between two tasks still a data race, and neither reaches a handle.
#[test]
fn an_engines_finding_inside_a_task_still_fails_the_execution() {
    for engine in [EngineKind::Exhaustive, EngineKind::Dpor, EngineKind::Random] {
        let report = Explorer::new().engine(engine).run(|| {
            let lock = Arc::new(Mutex::new(0));
            let task = spawn(async move {
                let _first = lock.lock().unwrap();
                let _second = lock.lock().unwrap();
            });
            let _ = block_on(task);
        });
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Deadlock, "{engine}: {failure}");

        let report = Explorer::new().engine(engine).run(|| {
            let cell = Arc::new(Racy(UnsafeCell::new(0)));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let cell = cell.clone();
                    // SAFETY: nothing: the two writes race, which is the point.
                    spawn(async move { cell.0.with_mut(|v| unsafe { *v += 1 }) })
                })
                .collect();
            block_on(async {
                for task in tasks {
                    let _ = task.await;
                }
            });
        });
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}\n{report}"));
        assert_eq!(failure.kind(), FailureKind::DataRace, "{engine}: {failure}");
    }
}
