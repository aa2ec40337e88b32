//! tokio's task APIs of `tapestry::tokio`: task ids (`JoinHandle::id`, `task::id`, `try_id`,
//! `JoinError::id`), `AbortHandle`, `JoinSet::spawn`'s abort handles and `join_next_with_id`,
//! `spawn_blocking`, `block_in_place` and `runtime::Handle`. Each program runs on tokio itself
//! and under every engine of tapestry, with the same assertions; then bugs that need these APIs
//! are found by every engine, and their fixes pass.

use std::future::Future;

use tapestry::future::block_on;
use tapestry::sync::{Arc, Barrier, Mutex};
use tapestry::tokio::{self, task::spawn_blocking};
use tapestry::{Engine, EngineKind, Explorer, FailureKind};
use tapestry_tests::quick;

/// Runs `program` on tokio's multi-thread runtime (two workers).
fn on_tokio<F: Future>(program: F) -> F::Output {
    ::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(program)
}

/// Runs `program` under every engine, each of which must pass it.
fn under_every_engine(program: fn()) {
    for engine in EngineKind::ALL {
        let report = Explorer::new().engine(quick(engine)).run(program);
        assert!(report.is_clean(), "{engine}: {report}");
    }
}

/// A test that runs `$body`, an async block's statements written against `$tokio`, on tokio
/// and under every engine.
macro_rules! as_tokios {
    ($(#[$doc:meta])* $name:ident, |$tokio:ident| $body:block) => {
        $(#[$doc])*
        #[test]
        fn $name() {
            on_tokio(async {
                use ::tokio as $tokio;
                $body
            });
            under_every_engine(|| {
                block_on(async {
                    use tapestry::tokio as $tokio;
                    $body
                })
            });
        }
    };
}

as_tokios! {
    /// Ids are distinct; a handle, its abort handle and `task::id()` inside the task agree; a
    /// `block_on` is no task.
    task_ids_are_distinct_and_agree_everywhere, |tokio| {
        let a = tokio::spawn(async { tokio::task::id() });
        let b = tokio::spawn(async { tokio::task::try_id() });
        let (a_id, b_id) = (a.id(), b.id());
        assert_ne!(a_id, b_id);
        assert_eq!(a.abort_handle().id(), a_id);
        assert_eq!(a.await.unwrap(), a_id);
        assert_eq!(b.await.unwrap(), Some(b_id));
        assert_eq!(tokio::task::try_id(), None, "a block_on is no task");
        let blocking = tokio::task::spawn_blocking(tokio::task::id);
        let c_id = blocking.id();
        assert_eq!(blocking.await.unwrap(), c_id);
        assert!(c_id != a_id && c_id != b_id);
        assert_eq!(format!("{a_id:?}"), format!("Id({a_id})"));
    }
}

as_tokios! {
    /// An abort handle (or its clone) aborts its task; dropping one does nothing.
    an_abort_handle_aborts_its_task, |tokio| {
        let task = tokio::spawn(std::future::pending::<()>());
        let abort = task.abort_handle();
        assert!(!abort.is_finished());
        abort.clone().abort();
        let error = task.await.unwrap_err();
        assert!(error.is_cancelled() && !error.is_panic());
        assert_eq!(error.id(), abort.id());
        assert!(abort.is_finished());
        assert_eq!(error.to_string(), format!("task {} was cancelled", abort.id()));
        assert_eq!(format!("{error:?}"), format!("JoinError::Cancelled({:?})", abort.id()));

        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let task = tokio::spawn(async move { rx.await.unwrap() });
        drop(task.abort_handle());
        tx.send(5).unwrap();
        assert_eq!(task.await.unwrap(), 5);
    }
}

as_tokios! {
    /// `JoinSet::spawn`'s abort handle aborts that task alone; `join_next_with_id` names
    /// which task each output or error is of.
    a_join_sets_abort_handle_aborts_one_task, |tokio| {
        let mut set = tokio::task::JoinSet::new();
        let stuck = set.spawn(std::future::pending::<u32>());
        let quick = set.spawn(async { 7 });
        stuck.abort();
        let mut seen = Vec::new();
        while let Some(joined) = set.join_next_with_id().await {
            match joined {
                Ok((id, value)) => {
                    assert_eq!((id, value), (quick.id(), 7));
                    seen.push("done");
                }
                Err(error) => {
                    assert!(error.is_cancelled());
                    assert_eq!(error.id(), stuck.id());
                    seen.push("cancelled");
                }
            }
        }
        seen.sort_unstable();
        assert_eq!(seen, ["cancelled", "done"]);
        assert!(set.try_join_next_with_id().is_none());
        let blocking = set.spawn_blocking(|| 9);
        let joined = set.join_next_with_id().await.unwrap().unwrap();
        assert_eq!(joined, (blocking.id(), 9));
    }
}

as_tokios! {
    /// A `JoinError` is `Send` and `Sync`, as tokio's: `?` turns it into a `Box<dyn Error +
    /// Send + Sync>` (what `anyhow::Error` takes), which keeps its message.
    a_join_error_becomes_a_sendable_error, |tokio| {
        let failing = tokio::spawn(async { panic!("the task failed") });
        let id = failing.id();
        let joined = async move {
            let value: () = failing.await?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(value)
        };
        let error = joined.await.unwrap_err();
        assert_eq!(error.to_string(), format!("task {id} panicked with message \"the task failed\""));
    }
}

as_tokios! {
    /// `spawn_blocking` returns the closure's output, and its panic as a `JoinError` that
    /// names the task, as tokio's.
    spawn_blocking_returns_the_closures_output_or_panic, |tokio| {
        let sum = tokio::task::spawn_blocking(|| (1..=4).sum::<u32>());
        assert_eq!(sum.await.unwrap(), 10);
        let failing = tokio::task::spawn_blocking(|| -> u32 { panic!("the closure failed") });
        let id = failing.id();
        let error = failing.await.unwrap_err();
        assert!(error.is_panic() && !error.is_cancelled());
        assert_eq!(error.id(), id);
        assert_eq!(
            error.to_string(),
            format!("task {id} panicked with message \"the closure failed\"")
        );
        assert_eq!(
            format!("{error:?}"),
            format!("JoinError::Panic({id:?}, \"the closure failed\", ...)")
        );
        assert_eq!(*error.into_panic().downcast::<&str>().unwrap(), "the closure failed");
    }
}

as_tokios! {
    /// `Handle::current()` works in a `block_on`, a task and a blocking closure, and spawns
    /// there; a blocking closure may `block_on`; `block_in_place` runs its closure in a task.
    handle_current_spawns_and_blocks_on, |tokio| {
        let handle = tokio::runtime::Handle::current();
        assert_eq!(handle.spawn(async { 5 }).await.unwrap(), 5);
        let outer = handle.clone();
        let blocked = handle
            .spawn_blocking(move || {
                let here = tokio::runtime::Handle::current();
                here.block_on(async { 6 }) + outer.block_on(async { 1 })
            })
            .await
            .unwrap();
        assert_eq!(blocked, 7);
        let nested = tokio::spawn(async {
            let spawned = tokio::runtime::Handle::current().spawn(async { 8 });
            tokio::task::block_in_place(|| 1) + spawned.await.unwrap()
        });
        assert_eq!(nested.await.unwrap(), 9);
    }
}

/// The text of a panic payload.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// The message of the panic `f` raises.
fn panic_of(f: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("it panics");
    message(&*payload)
}

/// Outside a runtime there is no handle and no task, as on tokio; the misuses tokio refuses
/// (`block_in_place` on a current-thread runtime, `block_on` inside a task) panic with tokio's
/// messages, outside explorations and as failures under every model engine.
#[test]
fn misuses_panic_with_tokios_messages() {
    let no_context = panic_of(|| drop(::tokio::runtime::Handle::current()));
    assert_eq!(
        panic_of(|| {
            let _ = tokio::runtime::Handle::current();
        }),
        no_context
    );
    let error = tokio::runtime::Handle::try_current().unwrap_err();
    assert!(error.is_missing_context() && !error.is_thread_local_destroyed());
    assert_eq!(error.to_string(), no_context);
    assert!(::tokio::task::try_id().is_none() && tokio::task::try_id().is_none());

    let current_thread = || {
        ::tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    };
    let in_place = panic_of(|| {
        current_thread().block_on(async { ::tokio::task::block_in_place(|| {}) });
    });
    let nested = panic_of(|| {
        current_thread().block_on(async {
            ::tokio::runtime::Handle::current().block_on(async {});
        });
    });
    assert!(in_place.contains("multi-threaded runtime"), "{in_place}");
    assert!(nested.contains("from within a runtime"), "{nested}");

    let programs: [(fn(), &str); 3] = [
        (
            || {
                let _ = tokio::runtime::Handle::current();
            },
            no_context.as_str(),
        ),
        (
            || block_on(async { tokio::task::block_in_place(|| {}) }),
            in_place.as_str(),
        ),
        (
            || {
                block_on(async {
                    let task = tokio::spawn(async {
                        tokio::runtime::Handle::current().block_on(async {});
                    });
                    task.await.unwrap();
                })
            },
            nested.as_str(),
        ),
    ];
    for (program, expected) in programs {
        for engine in EngineKind::ALL
            .into_iter()
            .filter(|&e| e != EngineKind::Stress)
        {
            let report = Explorer::new().engine(engine).workers(1).run(program);
            let failure = report
                .failure()
                .unwrap_or_else(|| panic!("{engine}: no panic\n{report}"));
            assert_eq!(failure.kind(), FailureKind::Panic, "{engine}: {failure}");
            assert!(failure.message().contains(expected), "{engine}: {failure}");
        }
    }
}

/// A `spawn_blocking` closure and a task each add one to a counter, reading it under one lock
/// and writing it under another (`split`: the bug) or under a single one.
fn blocking_and_task_add_one(split: bool) {
    let counter = Arc::new(Mutex::new(0));
    let add = move |counter: &Mutex<u32>| {
        if split {
            let read = *counter.lock().unwrap();
            *counter.lock().unwrap() = read + 1;
        } else {
            *counter.lock().unwrap() += 1;
        }
    };
    let blocking = {
        let counter = counter.clone();
        spawn_blocking(move || add(&counter))
    };
    let task = {
        let counter = counter.clone();
        tokio::spawn(async move { add(&counter) })
    };
    block_on(async {
        blocking.await.unwrap();
        task.await.unwrap();
    });
    assert_eq!(*counter.lock().unwrap(), 2, "an update was lost");
}

#[test]
fn a_blocking_closure_racing_a_task_is_explored_by_every_engine() {
    under_every_engine(|| blocking_and_task_add_one(false));
    tapestry_tests::found_showing(
        || blocking_and_task_add_one(true),
        &EngineKind::ALL,
        FailureKind::Panic,
        "an update was lost",
    );
}

/// A task moves items from a queue to a done list; the body aborts it through an abort handle.
/// With an await between taking an item and recording it (`await_between`: the bug), an abort
/// there drops the item.
fn abort_a_mover(await_between: bool) {
    let queue = Arc::new(Mutex::new(vec![1, 2]));
    let done = Arc::new(Mutex::new(Vec::new()));
    let mover = {
        let (queue, done) = (queue.clone(), done.clone());
        tokio::spawn(async move {
            loop {
                let item = queue.lock().unwrap().pop();
                let Some(item) = item else { break };
                if await_between {
                    tokio::task::yield_now().await;
                    done.lock().unwrap().push(item);
                } else {
                    done.lock().unwrap().push(item);
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let abort = mover.abort_handle();
    block_on(async {
        // A moment for the mover, then it is stopped.
        tokio::task::yield_now().await;
        abort.abort();
        let _ = mover.await;
    });
    let kept = queue.lock().unwrap().len() + done.lock().unwrap().len();
    assert_eq!(kept, 2, "an item was lost");
}

#[test]
fn an_abort_that_loses_an_item_is_found_by_every_engine() {
    under_every_engine(|| abort_a_mover(false));
    tapestry_tests::found_showing(
        || abort_a_mover(true),
        &EngineKind::ALL,
        FailureKind::Panic,
        "an item was lost",
    );
}

/// A task blocks inside its poll until a value comes on a std-shaped channel, sent by a
/// blocking closure or (`as_task`) by another task.
fn a_blocked_task_waits_for_a_sender(as_task: bool) {
    let (tx, rx) = tapestry::sync::mpsc::channel();
    let receiver = tokio::spawn(async move { rx.recv().unwrap() });
    let send = move || tx.send(1).unwrap();
    let sender = if as_task {
        tokio::spawn(async move { send() })
    } else {
        spawn_blocking(send)
    };
    block_on(async {
        sender.await.unwrap();
        assert_eq!(receiver.await.unwrap(), 1);
    });
}

/// A blocking closure holds none of the runtime's workers: with one worker held by a task
/// that waits for it, it still runs. A task in its place never would.
#[test]
fn a_blocking_closure_needs_no_worker() {
    for engine in EngineKind::ALL {
        let report = Explorer::new()
            .engine(quick(engine))
            .workers(1)
            .run(|| a_blocked_task_waits_for_a_sender(false));
        assert!(report.is_clean(), "{engine}: {report}");
    }
    for engine in [EngineKind::Exhaustive, EngineKind::Dpor, EngineKind::Random] {
        let report = Explorer::new()
            .engine(engine)
            .workers(1)
            .run(|| a_blocked_task_waits_for_a_sender(true));
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}: the starved sender was missed\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Deadlock, "{engine}: {failure}");
    }
}

/// Three tasks meet at a barrier inside their polls, on two workers: each in `block_in_place`
/// (`in_place`), or holding its worker.
fn three_meet_on_two_workers(in_place: bool) {
    let barrier = Arc::new(Barrier::new(3));
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                if in_place {
                    tokio::task::block_in_place(|| barrier.wait());
                } else {
                    barrier.wait();
                }
            })
        })
        .collect();
    block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
    });
}

/// `block_in_place` gives the poll's worker back while its closure blocks, so the third task
/// is polled; without it the two workers are held at the barrier for ever.
#[test]
fn block_in_place_gives_the_worker_back() {
    for engine in EngineKind::ALL {
        let report = Explorer::new()
            .engine(quick(engine))
            .workers(2)
            .run(|| three_meet_on_two_workers(true));
        assert!(report.is_clean(), "{engine}: {report}");
    }
    for engine in [EngineKind::Exhaustive, EngineKind::Dpor, EngineKind::Random] {
        let report = Explorer::new()
            .engine(engine)
            .workers(2)
            .run(|| three_meet_on_two_workers(false));
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}: the held workers were missed\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Deadlock, "{engine}: {failure}");
    }
}

/// An abort that comes before a blocking closure starts keeps it from running; one after it
/// started does nothing: the DPOR engine runs both orders, and each outcome is consistent.
#[test]
fn aborting_a_blocking_closure_works_only_before_it_starts() {
    let outcomes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = outcomes.clone();
    let report = Explorer::new()
        .engine(Engine::dpor().unbounded())
        .run(move || {
            let ran = Arc::new(Mutex::new(false));
            let mut set = tokio::task::JoinSet::new();
            let abort = {
                let ran = ran.clone();
                set.spawn_blocking(move || *ran.lock().unwrap() = true)
            };
            abort.abort();
            let joined = block_on(set.join_next()).unwrap();
            let ran = *ran.lock().unwrap();
            assert_eq!(joined.is_ok(), ran, "{joined:?}");
            seen.lock().unwrap().push(ran);
        });
    assert!(report.is_clean(), "{report}");
    let mut outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    outcomes.sort_unstable();
    outcomes.dedup();
    assert_eq!(outcomes, [false, true], "both orders are explored");
}

/// `Handle::current()` in an async test's body, which is a `block_on` (no task id).
#[tapestry::test]
async fn an_async_test_body_is_in_the_runtimes_context() {
    let handle = tokio::runtime::Handle::current();
    let task = handle.spawn(async { tokio::task::id() });
    let id = task.id();
    assert_eq!(task.await.unwrap(), id);
    assert_eq!(tokio::task::try_id(), None);
}
