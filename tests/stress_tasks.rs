//! Tasks under the stress engine are polled by a real multi-threaded executor: on its runner
//! threads, one per core (or per `workers`), moving from runner to runner between polls as on
//! a work-stealing runtime. The model engines run each task on a thread of its own, so a bug
//! that needs a task to change threads (state kept in a thread-local across `.await`) is the
//! stress engine's to find.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::Mutex;

use tapestry::future::{block_on, spawn, yield_now};
use tapestry::{Engine, EngineKind, Explorer, FailureKind};

/// Tasks each polled many times; each poll's OS thread noted per task.
const TASKS: usize = 4;
const YIELDS: usize = 20;

fn stress(iterations: u64) -> tapestry::engine::Stress {
    Engine::stress().iterations(iterations)
}

/// Runs `TASKS` tasks that yield `YIELDS` times, calling `poll` with the task's number at
/// each of its polls, and awaits them.
fn yielding_tasks(poll: impl Fn(usize) + Clone + Send + 'static) {
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let poll = poll.clone();
            spawn(async move {
                for _ in 0..YIELDS {
                    poll(task);
                    yield_now().await;
                }
                poll(task);
            })
        })
        .collect();
    block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn tasks_are_polled_on_the_executors_runner_threads() {
    let names = std::sync::Arc::new(Mutex::new(HashSet::new()));
    let seen = names.clone();
    let report = Explorer::new().engine(stress(20)).run(move || {
        let seen = seen.clone();
        yielding_tasks(move |_| {
            let name = tapestry::thread::current().name().map(str::to_owned);
            seen.lock().unwrap().insert(name);
        });
    });
    assert!(report.is_clean(), "{report}");
    let names = names.lock().unwrap();
    assert!(!names.is_empty());
    for name in names.iter() {
        let name = name.as_deref().unwrap_or("(unnamed)");
        assert!(
            name.starts_with("runtime-worker-"),
            "a task was polled on {name}"
        );
    }
}

#[test]
fn a_task_moves_between_runners_as_on_a_work_stealing_runtime() {
    // Per iteration and task, the OS threads that polled it; kept when it was more than one.
    let moved = std::sync::Arc::new(Mutex::new(0_usize));
    let counted = moved.clone();
    let report = Explorer::new().engine(stress(200)).workers(2).run(move || {
        let threads = std::sync::Arc::new(Mutex::new(vec![HashSet::new(); TASKS]));
        let noted = threads.clone();
        yielding_tasks(move |task| {
            noted.lock().unwrap()[task].insert(std::thread::current().id());
        });
        let threads = threads.lock().unwrap();
        *counted.lock().unwrap() += threads.iter().filter(|t| t.len() > 1).count();
    });
    assert!(report.is_clean(), "{report}");
    assert!(
        *moved.lock().unwrap() > 0,
        "no task was ever polled on two threads"
    );
}

tapestry::thread_local! {
    /// The task whose request the thread is serving: a per-thread context, as a logging or
    /// tracing context is.
    static SERVING: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Each task sets the thread's context, then, after an await, reads it back: correct when a
/// task keeps its thread, as under the model engines; wrong on a work-stealing runtime, where
/// the task may resume on another thread whose context another task set. `reset` is the fix:
/// set the context again after every await.
fn context_across_await(reset: bool) {
    yielding_tasks(move |task| {
        if reset {
            SERVING.set(Some(task));
        }
        if let Some(serving) = SERVING.get() {
            assert_eq!(
                serving, task,
                "task {task} resumed in another task's context"
            );
        }
        SERVING.set(Some(task));
    });
}

#[test]
fn a_thread_local_kept_across_an_await_is_found_by_the_stress_engine_alone() {
    let report = Explorer::new()
        .engine(stress(500))
        .workers(2)
        .run(|| context_across_await(false));
    let failure = report
        .failure()
        .unwrap_or_else(|| panic!("stress missed it\n{report}"));
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
    assert!(
        failure.message().contains("in another task's context"),
        "{report}"
    );
    // Each task on a thread of its own: the model engines cannot see it.
    for engine in [EngineKind::Random, EngineKind::Dpor] {
        let report = Explorer::new()
            .engine(engine)
            .run(|| context_across_await(false));
        assert!(report.is_clean(), "{engine}: {report}");
    }
}

#[test]
fn the_context_set_after_every_await_is_clean_under_stress() {
    let report = Explorer::new()
        .engine(stress(200))
        .workers(2)
        .run(|| context_across_await(true));
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_sleeping_task_is_woken_by_its_timer_on_the_executor() {
    // Nothing but its timer wakes the task: a runner that waited for work without a deadline
    // would wait for ever, and the watchdog would call it a lost wakeup.
    let report = Explorer::new().engine(stress(50)).run(|| {
        let sleeper = spawn(async {
            tapestry::tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            7
        });
        assert_eq!(block_on(sleeper).unwrap(), 7);
    });
    assert!(report.is_clean(), "{report}");
}

/// A task that panics under stress has no thread of its own: the failure names the task, and
/// the runner that polled it (whose lane the trace shows), as the model engines name its
/// thread `task-N`.
#[test]
fn a_task_that_panics_under_stress_is_named_by_the_task() {
    let report = Explorer::new().engine(stress(5)).run(|| {
        let quiet = spawn(async { yield_now().await });
        let failing = spawn(async {
            yield_now().await;
            panic!("the task's own panic");
        });
        // No handle returns the panic: it fails the execution.
        drop(failing);
        block_on(quiet).unwrap();
    });
    let failure = report.failure().expect("the second task panics");
    assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
    let thread = failure.thread();
    assert!(
        thread.starts_with("task-2 (polled by runtime-worker-"),
        "named {thread:?}\n{failure}"
    );
    assert!(failure.to_string().contains("task-2"), "{failure}");
}

/// Three tasks sleep 12, 10 and 11 ms and report when they wake, on one runner that a fourth
/// task then blocks for 30 ms: when the runner comes back every timer is due, and it wakes
/// them in deadline order, as tokio's timer wheel fires what expired meanwhile (not in the
/// order they were registered).
#[test]
fn timers_that_expired_while_the_runner_was_busy_fire_in_deadline_order() {
    let report = Explorer::new().engine(stress(10)).workers(1).run(|| {
        let (tx, mut rx) = tapestry::tokio::sync::mpsc::unbounded_channel();
        for ms in [12u64, 10, 11] {
            let tx = tx.clone();
            spawn(async move {
                tapestry::tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                tx.send(ms).unwrap();
            });
        }
        drop(tx);
        // Blocks the only runner (a real sleep, inside a poll) past every deadline.
        spawn(async { std::thread::sleep(std::time::Duration::from_millis(30)) });
        let woke = block_on(async {
            let mut woke = Vec::new();
            while let Some(ms) = rx.recv().await {
                woke.push(ms);
            }
            woke
        });
        assert_eq!(woke, [10, 11, 12], "woken out of deadline order");
    });
    assert!(report.is_clean(), "{report}");
}
