//! `tapestry::tokio::{select!, task::JoinSet}`: a select drops the branches that lost (and a
//! half-done one loses its work, found by every engine), honours `biased;`, preconditions and
//! `else`; a join set returns every task's output and aborts what it still holds when dropped.

use tapestry::future::{block_on, yield_now};
use tapestry::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use tapestry::sync::{Arc, Mutex};
use tapestry::tokio::{self, task::JoinSet};
use tapestry::{EngineKind, Explorer, FailureKind};

/// A select between a branch that takes an item and then awaits before counting it, and one
/// that is ready on its second poll: when the second wins, the first is dropped half-done.
fn take_then_count(items: &Mutex<Vec<u32>>, counted: &AtomicUsize) {
    block_on(async {
        tokio::select! {
            () = async {
                let item = items.lock().unwrap().pop();
                yield_now().await;
                if let Some(item) = item {
                    counted.fetch_add(item as usize, SeqCst);
                }
            } => {}
            () = yield_now() => {}
        }
    });
}

#[test]
fn a_select_drops_a_half_done_branch_and_its_work_is_lost() {
    for engine in [EngineKind::Exhaustive, EngineKind::Dpor, EngineKind::Random] {
        let report = Explorer::new().engine(engine).run(|| {
            let items = Mutex::new(vec![1]);
            let counted = AtomicUsize::new(0);
            take_then_count(&items, &counted);
            let taken = items.lock().unwrap().is_empty();
            assert!(
                !taken || counted.load(SeqCst) == 1,
                "an item was taken and never counted"
            );
        });
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
        let text = failure.to_string();
        assert!(text.contains("never counted"), "{text}");
        // The trace names the drop: the first branch, as written, half done at its
        // `yield_now().await` (line 18).
        assert!(
            text.contains(
                "select! dropped branch 1 `async { let item = items.lock().unwrap()...`, \
                 left waiting at line 18"
            ),
            "{text}"
        );
    }
}

/// Both branches are ready at the first poll: which wins is the engine's choice.
fn both_ready() -> u32 {
    block_on(async {
        tokio::select! {
            a = async { 1 } => a,
            b = async { 2 } => b,
        }
    })
}

fn the_first_must_win() {
    assert_eq!(both_ready(), 1, "the second branch won");
}

/// Every model engine that makes choices finds the winner that fails; the DPOR engine runs
/// exactly one execution per winner, and none when the select is biased; so do the
/// exhaustive and c11 engines, a search per winner.
#[test]
fn select_explores_which_ready_branch_wins() {
    let engines = [
        EngineKind::Exhaustive,
        EngineKind::C11,
        EngineKind::Dpor,
        EngineKind::Random,
        EngineKind::Pct,
        EngineKind::Surw,
        EngineKind::Priority,
    ];
    for engine in engines {
        let report = Explorer::new().engine(engine).run(the_first_must_win);
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}\n{report}"));
        assert!(
            failure.to_string().contains("the second branch won"),
            "{failure}"
        );
        // The schedule records the choice: the replay takes the same branch, trace and all.
        let replayed = Explorer::new()
            .replay(failure.replay(), the_first_must_win)
            .unwrap();
        let again = replayed.failure().expect("the replay fails again");
        let trace = again.trace().to_string();
        assert!(
            trace.contains("select! polls branch 2 of 2 first"),
            "{trace}"
        );
        assert_eq!(again.trace().to_string(), failure.trace().to_string());
    }
    // The stress engine draws the start too, from its seed (its failures are hunted again,
    // not replayed step by step).
    let report = Explorer::new()
        .engine(tapestry_tests::quick(EngineKind::Stress))
        .run(the_first_must_win);
    assert!(
        report
            .failure()
            .is_some_and(|f| f.to_string().contains("the second branch won")),
        "{report}"
    );
    for engine in [
        tapestry::Engine::from(tapestry::Engine::dpor().unbounded()),
        tapestry::Engine::from(tapestry::Engine::exhaustive().unbounded()),
        tapestry::Engine::from(tapestry::Engine::c11().unbounded()),
    ] {
        // Collected across executions: a std mutex, outside the exploration.
        let winners = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = winners.clone();
        let report = Explorer::new().engine(engine.clone()).run(move || {
            let winner = both_ready();
            seen.lock().unwrap().push(winner);
        });
        assert!(report.failure().is_none(), "{report}");
        assert_eq!(report.engines()[0].executions(), 2, "{report}");
        let mut winners = std::mem::take(&mut *winners.lock().unwrap());
        winners.sort_unstable();
        assert_eq!(winners, [1, 2]);
        select_biased_runs_once(engine);
    }
}

fn select_biased_runs_once(engine: tapestry::Engine) {
    let biased = Explorer::new().engine(engine).run(|| {
        let first = block_on(async {
            tokio::select! {
                biased;
                a = async { 1 } => a,
                b = async { 2 } => b,
            }
        });
        assert_eq!(first, 1);
    });
    assert!(biased.failure().is_none(), "{biased}");
    assert_eq!(biased.engines()[0].executions(), 1, "{biased}");
}

#[test]
fn select_honours_biased_preconditions_and_else() {
    block_on(async {
        // `biased;` polls in order: the first ready branch wins every time.
        for _ in 0..4 {
            let first = tokio::select! {
                biased;
                a = async { 1 } => a,
                b = async { 2 } => b,
            };
            assert_eq!(first, 1);
        }
        // A false precondition disables its branch; a refuted pattern disables its branch.
        let picked = tokio::select! {
            a = async { 1 }, if false => a,
            Some(b) = async { None::<i32> } => b,
            c = async { 3 } => c,
        };
        assert_eq!(picked, 3);
        let fallback = tokio::select! {
            Some(a) = async { None::<i32> } => a,
            else => 9,
        };
        assert_eq!(fallback, 9);
    });
}

#[test]
fn unbiased_select_starts_from_every_branch_in_turn() {
    block_on(async {
        let mut wins = [0; 3];
        for _ in 0..30 {
            let i = tokio::select! {
                a = async { 0 } => a,
                b = async { 1 } => b,
                c = async { 2 } => c,
            };
            wins[i] += 1;
        }
        assert!(wins.iter().all(|&w| w > 0), "no branch starves: {wins:?}");
    });
}

#[test]
fn a_join_set_returns_every_output_under_every_engine() {
    let report = Explorer::new().keep_going(true).run(|| {
        let hits = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for i in 0..3 {
            let hits = hits.clone();
            set.spawn(async move {
                hits.fetch_add(1, SeqCst);
                i
            });
        }
        assert_eq!(set.len(), 3);
        let mut outputs = block_on(set.join_all());
        outputs.sort_unstable();
        assert_eq!(outputs, [0, 1, 2]);
        assert_eq!(hits.load(SeqCst), 3);
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn dropping_a_join_set_aborts_its_tasks() {
    let report = Explorer::new().keep_going(true).run(|| {
        let mut set = JoinSet::new();
        set.spawn(std::future::pending::<()>());
        assert!(set.try_join_next().is_none());
        // Without the abort the pending task would never finish, and the execution would end
        // with it waiting.
        drop(set);
    });
    assert!(report.failure().is_none(), "{report}");
}

/// The body and a task share a std-shaped lock; the body holds it across an await (a guard is
/// not `Send`, so it is the body or a local task that does this). On a runtime with one worker
/// the task blocks inside its poll, holding the worker the body needs to go on.
fn std_lock_across_await() {
    let shared = Arc::new(Mutex::new(0));
    let other = {
        let shared = shared.clone();
        tokio::spawn(async move {
            *shared.lock().unwrap() += 1;
        })
    };
    block_on(async {
        {
            let mut guard = shared.lock().unwrap();
            yield_now().await;
            *guard += 1;
        }
        other.await.unwrap();
    });
    assert_eq!(*shared.lock().unwrap(), 2);
}

#[test]
fn a_std_lock_across_await_is_fine_with_a_thread_per_task() {
    let report = Explorer::new().keep_going(true).run(std_lock_across_await);
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_std_lock_across_await_starves_a_one_worker_runtime() {
    for engine in [
        EngineKind::Exhaustive,
        EngineKind::Dpor,
        EngineKind::Random,
        EngineKind::Pct,
    ] {
        let report = Explorer::new()
            .engine(engine)
            .workers(1)
            .run(std_lock_across_await);
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the starved worker\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Deadlock, "{engine}\n{failure}");
        // The worker pool's lock and condvar are tapestry's: listed, but with no line of
        // tapestry's source (which means nothing to the reader and moves with every edit).
        let trace = failure.trace().to_string();
        assert!(trace.contains("(inside tapestry)"), "{engine}\n{trace}");
        assert!(!trace.contains("harness/src/"), "{engine}\n{trace}");
    }
}

/// The same bug, with the runtime built as tokio code builds it.
#[tapestry::test(
    expect = "deadlock",
    engines = "exhaustive, dpor, random, pct, surw, priority"
)]
fn a_current_thread_runtime_built_in_the_body_has_one_worker() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shared = Arc::new(Mutex::new(0));
    let other = {
        let shared = shared.clone();
        runtime.spawn(async move {
            *shared.lock().unwrap() += 1;
        })
    };
    runtime.block_on(async {
        {
            let _guard = shared.lock().unwrap();
            yield_now().await;
        }
        other.await.unwrap();
    });
}

#[tapestry::test(workers = 2, engines = "exhaustive, dpor, random, pct")]
fn two_workers_are_enough_for_one_held_lock() {
    std_lock_across_await();
}

/// With workers, the trace says which worker each poll ran on: two tasks that meet at a
/// barrier inside their polls hold both workers at once.
#[test]
fn the_trace_names_the_worker_of_each_poll() {
    let report = Explorer::new().engine(EngineKind::Dpor).workers(2).run(|| {
        let barrier = Arc::new(tapestry::sync::Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait();
                })
            })
            .collect();
        block_on(async {
            for task in tasks {
                task.await.unwrap();
            }
        });
        panic!("shown with its trace");
    });
    let failure = report.failure().expect("the body panics");
    let trace = failure.trace().to_string();
    let worker_of = |task: &str| {
        trace
            .lines()
            .find(|l| l.contains(task) && l.contains("polled by worker"))
            .map(|l| l.contains("worker 2"))
    };
    // One task's poll on each worker.
    assert_eq!(
        [worker_of("task-1"), worker_of("task-2")]
            .iter()
            .filter(|w| **w == Some(true))
            .count(),
        1,
        "{trace}"
    );
}

/// Two tasks sleep, then send on a channel that a third drains, on a one-worker runtime; the
/// body awaits them all. The collector often waits for the worker, is woken, finds it taken
/// again and waits once more. The DPOR engine used to take that second wait's release for
/// the first one's wake-up, so its model had the collector holding the worker pool's lock
/// while it waited: the body, waiting for that lock, never ran, and the sleeping tasks timed
/// out for ever (a false step limit, after about 1,300 executions).
#[test]
fn a_task_waiting_again_for_the_one_worker_is_no_livelock_under_dpor() {
    let report = Explorer::new()
        .engine(tapestry::Engine::dpor().max_executions(3_000))
        .workers(1)
        .run(|| {
            block_on(async {
                let (tx, mut rx) = tokio::sync::mpsc::channel(4);
                let senders: Vec<_> = (1..=2u64)
                    .map(|i| {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(tokio::time::Duration::from_millis(10 * i)).await;
                            tx.send(i).await.unwrap();
                        })
                    })
                    .collect();
                drop(tx);
                let collector = tokio::spawn(async move {
                    let mut got = Vec::new();
                    while let Some(i) = rx.recv().await {
                        got.push(i);
                    }
                    got
                });
                for sender in senders {
                    sender.await.unwrap();
                }
                let mut got = collector.await.unwrap();
                got.sort();
                assert_eq!(got, [1, 2]);
            });
        });
    if let Some(failure) = report.failure() {
        panic!("{report}\n{failure}");
    }
    assert_eq!(report.executions(), 3_000, "{report}");
}

/// `join!` waits for every branch and gives their outputs in order; `try_join!` gives the
/// first `Err` and drops the branches still running; `pin!` lets a future be polled by
/// reference. The same program with tokio's own macros (on tokio's runtime) and with
/// tapestry's under every engine.
macro_rules! joins {
    ($tokio:ident, $sleep:path) => {{
        let (a, b, c) = $tokio::join!(async { 1 }, async { "two" }, async {
            $sleep(std::time::Duration::from_millis(1)).await;
            3.0
        });
        assert_eq!((a, b, c), (1, "two", 3.0));
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let flag = Flag(dropped.clone());
        let failed: Result<((), ()), &str> = $tokio::try_join!(
            async move {
                let _flag = flag;
                $sleep(std::time::Duration::from_secs(3600)).await;
                Ok(())
            },
            async { Err("no") },
        );
        assert_eq!(failed, Err("no"));
        assert!(
            dropped.load(std::sync::atomic::Ordering::SeqCst),
            "the other branch was dropped"
        );
        let slow = $sleep(std::time::Duration::from_secs(3600));
        $tokio::pin!(slow);
        let first = $tokio::select! {
            _ = &mut slow => "slow",
            _ = async {} => "fast",
        };
        assert_eq!(first, "fast");
    }};
}

#[test]
fn join_try_join_and_pin_behave_as_tokios() {
    ::tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(async {
            use ::tokio as tokio_real;
            joins!(tokio_real, ::tokio::time::sleep)
        });
    let report = Explorer::new()
        .keep_going(true)
        .run(|| block_on(async { joins!(tokio, tokio::time::sleep) }));
    assert!(report.failure().is_none(), "{report}");
}

/// On a one-worker runtime (tokio's `current_thread`) a task that wakes its joiner in its last
/// poll is finished before the joiner runs: tokio stores a task's output before its worker
/// polls another task. So its handle says it is finished, and an abort then leaves its output.
fn finished_before_the_woken_joiner_runs() {
    block_on(async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let handle = tokio::spawn(async move {
            tx.send(()).unwrap();
            5
        });
        rx.await.unwrap();
        assert!(
            handle.is_finished(),
            "the task returned in the poll that woke us"
        );
        handle.abort();
        assert_eq!(
            handle.await.unwrap(),
            5,
            "an abort after the end keeps the output"
        );
    });
}

#[test]
fn a_task_is_finished_before_the_joiner_it_woke_runs_on_a_one_worker_runtime() {
    for engine in EngineKind::ALL {
        let report = Explorer::new()
            .engine(tapestry_tests::quick(engine))
            .workers(1)
            .run(finished_before_the_woken_joiner_runs);
        assert!(
            report.is_clean(),
            "{engine}: {report}\n{}",
            report
                .failure()
                .map(ToString::to_string)
                .unwrap_or_default()
        );
    }
}

/// A task that loops on resources that are always ready (deadpool's cancellation test: a
/// `timeout` of zero around taking a permit, then a sleep of zero), until another task sets a
/// flag: on tokio its cooperative budget (128 operations a poll) makes it yield, so the other
/// task runs; without one, an engine that lets a task run as long as it can (dpor, exhaustive,
/// PCT) ran it to the step limit.
fn spins_on_ready_resources() {
    block_on(async {
        let done = Arc::new(AtomicUsize::new(0));
        let permits = Arc::new(tokio::sync::Semaphore::new(1));
        let spinner = {
            let (done, permits) = (done.clone(), permits.clone());
            tokio::spawn(async move {
                let mut rounds = 0u64;
                while done.load(SeqCst) == 0 {
                    let zero = tokio::time::Duration::ZERO;
                    let _permit = tokio::time::timeout(zero, permits.acquire()).await;
                    tokio::time::sleep(zero).await;
                    rounds += 1;
                }
                rounds
            })
        };
        let setter = tokio::spawn(async move { done.store(1, SeqCst) });
        setter.await.unwrap();
        assert!(spinner.await.unwrap() < 1_000);
    });
}

#[test]
fn a_task_looping_on_ready_resources_yields_on_its_budget() {
    let report = tapestry_tests::model_engines().run(spins_on_ready_resources);
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.skipped().count(), 0, "{report}");
}

/// The body spawns two tasks and yields once, then asserts both have run: true on tokio's
/// `current_thread` runtime, where a yield puts the task behind the tasks already queued
/// (three of deadpool's tests count on it), and not promised by a many-worker one.
fn yield_lets_the_queued_tasks_run() {
    block_on(async {
        let ran = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let ran = ran.clone();
                tokio::spawn(async move { ran.fetch_add(1, SeqCst) })
            })
            .collect();
        tokio::task::yield_now().await;
        assert_eq!(ran.load(SeqCst), 2, "a queued task has not run");
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn a_yield_on_one_worker_lets_the_queued_tasks_run_first() {
    let report = tapestry_tests::model_engines()
        .workers(1)
        .run(yield_lets_the_queued_tasks_run);
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.skipped().count(), 0, "{report}");
    // With a thread per task, no order is promised: the assertion fails in some schedule.
    let report = Explorer::new()
        .engine(EngineKind::Dpor)
        .run(yield_lets_the_queued_tasks_run);
    let failure = report
        .failure()
        .expect("a schedule where a task has not run");
    assert!(
        failure.message().contains("a queued task has not run"),
        "{report}"
    );
}
