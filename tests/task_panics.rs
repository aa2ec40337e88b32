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

/// Two tasks hold locks across a yield; one panics holding its lock, so its guard's drop (a
/// scheduling point) runs while the panic unwinds, and the other threads may run meanwhile:
/// the panic stays the panicking task's (tokio returns it from its handle), whatever runs in
/// between (another task's poll, which catches panics of its own; the body).
fn panics_while_holding_a_lock() {
    let lock = Arc::new(tapestry::tokio::sync::Mutex::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|i| {
            let lock = lock.clone();
            spawn(async move {
                let mut held = lock.lock().await;
                *held += 1;
                yield_now().await;
                if i == 0 {
                    panic!("task {i} fails holding the lock");
                }
            })
        })
        .collect();
    let results: Vec<_> = block_on(async {
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await);
        }
        results
    });
    assert!(results[0].as_ref().is_err_and(|e| e.is_panic()));
    assert!(results[1].is_ok());
    assert_eq!(*lock.try_lock().expect("no task holds the lock"), 2);
}

/// Runs `program` under every engine: none may fail it; the exhaustive and c11 engines may say
/// they cannot run it (they cannot go on after a task's panic), and only for that reason.
fn clean_under_every_engine(program: fn()) {
    let mut failed = Vec::new();
    for engine in EngineKind::NAMED {
        let report = Explorer::new().engine(quick(engine)).run(program);
        if let Some(failure) = report.failure() {
            failed.push(format!("{engine}: {report}\n{failure}"));
        }
        let excused = matches!(engine, EngineKind::Exhaustive | EngineKind::C11);
        if let Some(why) = report.unsupported()
            && !(excused && why.contains("this engine cannot go on after that"))
        {
            failed.push(format!("{engine}: {why}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn a_task_that_panics_holding_a_lock_returns_its_panic_under_every_engine() {
    clean_under_every_engine(panics_while_holding_a_lock);
}

/// A destructor that makes an operation, so that a panic unwinding through it lets the other
/// threads run.
struct Noisy(Arc<AtomicUsize>);

impl Drop for Noisy {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A thread holds a std-shaped lock while a task's panic unwinds through an operation: the
/// thread, which is not panicking, releases the lock then, and std would not poison it (model
/// threads share the OS thread's panic state: std's `thread::panicking` is true meanwhile).
fn another_thread_releases_a_lock_while_a_task_panic_unwinds() {
    let lock = Arc::new(Mutex::new(0));
    let drops = Arc::new(AtomicUsize::new(0));
    let l = lock.clone();
    let holder = tapestry::thread::spawn(move || {
        let held = l.lock().unwrap();
        tapestry::thread::yield_now();
        drop(held);
        *l.lock().expect("nobody panicked holding the lock") += 1;
    });
    let d = drops.clone();
    let task = spawn(async move {
        let _noisy = Noisy(d);
        yield_now().await;
        panic!("the task fails");
    });
    block_on(async { assert!(task.await.unwrap_err().is_panic()) });
    holder.join().unwrap();
    assert_eq!(*lock.lock().unwrap(), 1);
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn a_lock_released_by_another_thread_while_a_task_panic_unwinds_is_not_poisoned() {
    clean_under_every_engine(another_thread_releases_a_lock_while_a_task_panic_unwinds);
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

/// The exhaustive engine past 300 executions of a task that panics holding a tokio lock that
/// another task waits for, on two workers: it says it cannot run the program (it aborted the
/// process: a lock of loom's, poisoned by a release while the panic unwound, panicked inside
/// the unwinding task's guard drop).
#[test]
fn the_exhaustive_engine_says_it_cannot_go_on_after_a_task_panic_and_does_not_abort() {
    let report = Explorer::new()
        .engine(tapestry::Engine::exhaustive().preemption_bound(2))
        .workers(2)
        .run(|| {
            block_on(async {
                let m = Arc::new(tapestry::tokio::sync::Mutex::new(0));
                let m1 = m.clone();
                let h = tapestry::tokio::spawn(async move {
                    let _g = m1.lock().await;
                    tapestry::tokio::task::yield_now().await;
                    panic!("fails holding the lock");
                });
                let m2 = m.clone();
                let other = tapestry::tokio::spawn(async move {
                    *m2.lock().await += 1;
                });
                assert!(h.await.unwrap_err().is_panic());
                other.await.unwrap();
                assert_eq!(*m.lock().await, 1);
            })
        });
    assert!(report.failure().is_none(), "{report}");
    let why = report.unsupported().unwrap_or_default();
    assert!(why.contains("cannot go on after that"), "{report}");
}
