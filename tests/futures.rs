//! Async tasks (`tapestry::future`) under every engine: a correct program passes everywhere, a
//! lost wakeup is found and named as one (not as a deadlock), aborts and the end of an async
//! test cancel tasks, and the DPOR engine counts task interleavings as thread ones.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tapestry::future::{block_on, spawn, yield_now};
use tapestry::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use tapestry::sync::{Arc, Mutex};
use tapestry::tokio::sync::Notify;
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Outcome};

/// A flag a task waits for: `set` raises it and wakes the registered waiter. `check_first`
/// is the bug: the waiter checks the flag, then registers its waker, so a `set` in between
/// wakes nobody.
struct Flag {
    state: Mutex<(bool, Option<Waker>)>,
    raised: AtomicBool,
}

impl Flag {
    fn new() -> Arc<Flag> {
        Arc::new(Flag {
            state: Mutex::new((false, None)),
            raised: AtomicBool::new(false),
        })
    }

    fn set(&self) {
        self.raised.store(true, SeqCst);
        let waiter = self.state.lock().unwrap().1.take();
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

fn wait(flag: &Arc<Flag>, check_first: bool) -> WaitFlag {
    WaitFlag {
        flag: flag.clone(),
        check_first,
    }
}

struct WaitFlag {
    flag: Arc<Flag>,
    check_first: bool,
}

impl Future for WaitFlag {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.check_first {
            // The bug: between this check and the registration, `set` finds no waker.
            if self.flag.raised.load(SeqCst) {
                return Poll::Ready(());
            }
            self.flag.state.lock().unwrap().1 = Some(cx.waker().clone());
            Poll::Pending
        } else {
            self.flag.state.lock().unwrap().1 = Some(cx.waker().clone());
            if self.flag.raised.load(SeqCst) {
                return Poll::Ready(());
            }
            Poll::Pending
        }
    }
}

fn handshake(check_first: bool) {
    let flag = Flag::new();
    let setter = {
        let flag = flag.clone();
        spawn(async move { flag.set() })
    };
    block_on(async {
        wait(&flag, check_first).await;
        setter.await.unwrap();
    });
}

#[test]
fn a_correct_handshake_passes_under_every_engine() {
    let report = Explorer::new().keep_going(true).run(|| handshake(false));
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.skipped().count(), 0, "{report}");
    tapestry_tests::assert_complete(&report, "");
}

#[test]
fn a_lost_wakeup_is_found_and_named_by_every_model_engine() {
    for engine in EngineKind::ALL {
        if engine == EngineKind::Stress {
            continue;
        }
        let report = Explorer::new().engine(engine).run(|| handshake(true));
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the lost wakeup\n{report}"));
        assert_eq!(
            failure.kind(),
            FailureKind::LostWakeup,
            "{engine}\n{failure}"
        );
        let text = failure.to_string();
        assert!(
            text.contains("returned `Pending`") && text.contains("nothing will wake it"),
            "{engine}: the waiting task is named\n{text}"
        );
        // The waker was registered after the flag was set, at the line that cloned it, and
        // nobody woke it since.
        let at = line_of("self.flag.state.lock().unwrap().1 = Some(cx.waker().clone());");
        assert!(
            text.contains(&format!(
                "main's waker was last registered (cloned) by main at tests/futures.rs:{at}, \
                 after step"
            )),
            "{engine}: the registration is named\n{text}"
        );
    }
}

/// A task takes another's registered waker and drops it without waking it: the report says
/// who dropped the last clone, and when.
#[test]
fn a_lost_wakeup_names_who_dropped_the_last_waker() {
    for engine in [EngineKind::Dpor, EngineKind::Random, EngineKind::Exhaustive] {
        let report = Explorer::new().engine(engine).run(|| {
            let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
            let registered = Arc::new(AtomicBool::new(false));
            let dropper = {
                let (slot, registered) = (slot.clone(), registered.clone());
                spawn(async move {
                    while !registered.load(SeqCst) {
                        yield_now().await;
                    }
                    // The bug: the waker is taken and dropped, not woken.
                    drop(slot.lock().unwrap().take());
                })
            };
            block_on(async {
                let mut first = true;
                std::future::poll_fn(|cx| {
                    if !std::mem::replace(&mut first, false) {
                        return Poll::Ready(());
                    }
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                    registered.store(true, SeqCst);
                    Poll::Pending
                })
                .await;
                dropper.await.unwrap();
            });
        });
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the lost wakeup\n{report}"));
        assert_eq!(failure.kind(), FailureKind::LostWakeup, "{failure}");
        let text = failure.to_string();
        let at = line_of("drop(slot.lock().unwrap().take());");
        assert!(
            text.contains(&format!(
                "the last clone of main's waker was dropped by task-1 at tests/futures.rs:{at}, \
                 after step"
            )),
            "{engine}\n{text}"
        );
    }
}

#[test]
fn an_aborted_task_is_dropped_at_its_await_point_and_reports_cancelled() {
    let report = Explorer::new().keep_going(true).run(|| {
        let dropped = Arc::new(AtomicBool::new(false));
        struct Guard(Arc<AtomicBool>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.store(true, SeqCst);
            }
        }
        let guard = Guard(dropped.clone());
        let task = spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        block_on(async {
            yield_now().await;
            task.abort();
            let error = task.await.unwrap_err();
            assert!(error.is_cancelled() && !error.is_panic());
        });
        assert!(dropped.load(SeqCst), "the task's future was dropped");
    });
    assert!(report.failure().is_none(), "{report}");
}

/// An aborted task's drop, in the trace, says where the task waited: its `notified()`; a task
/// aborted before its first poll is said to be.
#[test]
fn an_abort_names_where_the_task_waited() {
    let run = |first_poll: bool| {
        Explorer::new().engine(EngineKind::Dpor).run(move || {
            let (started, notify) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
            let task = spawn({
                let (started, notify) = (started.clone(), notify.clone());
                async move {
                    started.notify_one();
                    notify.notified().await
                }
            });
            block_on(async {
                if first_poll {
                    started.notified().await;
                }
                task.abort();
                let _ = task.await;
            });
            panic!("shown with its trace");
        })
    };
    let text = run(true).failure().expect("the body panics").to_string();
    let line = line!() - 14; // of `notify.notified().await`
    assert!(
        text.contains(&format!(
            "aborted: dropped the task's future, left waiting at line {line}"
        )),
        "{text}"
    );
    let text = run(false).failure().expect("the body panics").to_string();
    assert!(
        text.contains("aborted before its first poll: dropped the task's future"),
        "{text}"
    );
}

#[test]
fn a_finished_task_keeps_its_output_after_an_abort() {
    let report = Explorer::new().engine(Engine::dpor().unbounded()).run(|| {
        let task = spawn(async { 7 });
        block_on(async {
            while !task.is_finished() {
                yield_now().await;
            }
            task.abort();
            assert_eq!(task.await.unwrap(), 7);
        });
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_loop_that_spins_on_is_finished_lets_the_task_run() {
    // No yield in the loop: `is_finished` itself must let other threads run, under the
    // engines that switch threads only at operations too.
    for engine in [EngineKind::Random, EngineKind::Surw] {
        let report = Explorer::new().engine(engine).run(|| {
            let task = spawn(async { 7 });
            while !task.is_finished() {
                std::hint::spin_loop();
            }
            assert_eq!(block_on(task).unwrap(), 7);
        });
        assert!(report.failure().is_none(), "{engine}: {report}");
    }
}

/// `n` tasks each add one to a shared counter, and the body awaits them all.
fn counting(n: usize) {
    let counter = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let counter = counter.clone();
            spawn(async move {
                counter.fetch_add(1, SeqCst);
            })
        })
        .collect();
    block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(counter.load(SeqCst), n);
}

/// `n` tasks each add one to a counter behind a tokio-shaped async mutex; the body awaits
/// them all, then reads the counter.
fn locked_counting(n: usize) {
    let counter = Arc::new(tapestry::tokio::sync::Mutex::new(0));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let counter = counter.clone();
            spawn(async move {
                *counter.lock().await += 1;
            })
        })
        .collect();
    block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*counter.lock().await, n);
    });
}

fn dpor_executions(program: impl Fn() + Send + Sync + 'static) -> u64 {
    let report = Explorer::new()
        .engine(Engine::dpor().unbounded())
        .run(program);
    assert!(report.failure().is_none(), "{report}");
    let engine = &report.engines()[0];
    assert_eq!(
        engine.outcome(),
        &Outcome::Passed { complete: true },
        "{report}"
    );
    engine.executions()
}

fn factorial(n: u64) -> u64 {
    (1..=n).product()
}

/// The DPOR engine runs one execution per Mazurkiewicz trace of the tasks' operations, as for
/// threads, because a wake is one step that only orders (a give of the woken thread's token,
/// which its next poll takes). The count is derived, not measured:
///
/// - `n` tasks doing one `fetch_add` each: `n!` orders of the adds, times 2 per task for its
///   hand-over to its `JoinHandle` (the body's first poll of that handle comes before the task
///   finished, and registers a waker the task wakes, or after, and finds the output): `2^n n!`.
#[test]
fn dpor_runs_one_execution_per_trace_of_tasks() {
    for n in 1..=3u64 {
        let expected = 2u64.pow(n as u32) * factorial(n);
        assert_eq!(
            dpor_executions(move || counting(n as usize)),
            expected,
            "{n} tasks"
        );
    }
}

/// Through an async mutex (a FIFO semaphore whose state sits behind one lock), the traces are
/// the orders in which the tasks take the lock (`n!`), times the handles' `2^n` (above), times
/// the orders of the semaphore's state accesses for one order of acquisition, which
/// `semaphore_traces` counts: a task's attempt either finds the lock free (after the previous
/// holder's release) or queues behind the previous task, anywhere between that task's attempt
/// and its release; a queued task is woken by that release and polls once more (an access),
/// then releases. 1, 2, 6, 23 for 1 to 4 tasks.
#[test]
fn dpor_counts_tasks_through_an_async_mutex() {
    for n in 1..=4u64 {
        let expected = factorial(n) * 2u64.pow(n as u32) * semaphore_traces(n as usize);
        assert_eq!(
            dpor_executions(move || locked_counting(n as usize)),
            expected,
            "{n} tasks"
        );
    }
    assert_eq!(
        (1..=4).map(semaphore_traces).collect::<Vec<_>>(),
        [1, 2, 6, 23]
    );
}

/// The sequences of semaphore-state accesses of `n` tasks taking the lock in the order 1..n
/// (see `dpor_counts_tasks_through_an_async_mutex`).
fn semaphore_traces(n: usize) -> u64 {
    #[derive(Clone, Copy, PartialEq)]
    enum Access {
        Attempt(usize),
        Repoll,
        Release(usize),
    }
    fn sequences(n: usize) -> Vec<Vec<Access>> {
        if n == 1 {
            return vec![vec![Access::Attempt(1), Access::Release(1)]];
        }
        let mut all = Vec::new();
        for before in sequences(n - 1) {
            let attempt = before
                .iter()
                .position(|&a| a == Access::Attempt(n - 1))
                .unwrap();
            let release = before
                .iter()
                .position(|&a| a == Access::Release(n - 1))
                .unwrap();
            for at in attempt + 1..=before.len() {
                let mut s = before.clone();
                s.insert(at, Access::Attempt(n));
                if at <= release {
                    // Queued: the previous holder's release hands the lock over and wakes it.
                    s.push(Access::Repoll);
                }
                s.push(Access::Release(n));
                all.push(s);
            }
        }
        all
    }
    sequences(n).len() as u64
}

#[tapestry::test]
async fn an_async_test_runs_its_body_as_the_first_task() {
    let counter = Arc::new(AtomicUsize::new(0));
    let task = {
        let counter = counter.clone();
        spawn(async move { counter.fetch_add(1, SeqCst) })
    };
    counter.fetch_add(1, SeqCst);
    task.await.unwrap();
    assert_eq!(counter.load(SeqCst), 2);
}

/// A task left running when the async test returns is aborted, as `#[tokio::test]` does: were
/// it not, it would wait for a wake forever and the test would fail with a lost wakeup.
#[tapestry::test]
async fn tasks_left_running_are_aborted_when_the_test_returns() {
    spawn(std::future::pending::<()>());
    yield_now().await;
}

#[test]
fn outside_explorations_tasks_run_on_std_threads() {
    let task = spawn(async { 40 + 2 });
    assert_eq!(block_on(task).unwrap(), 42);
    let panicked = spawn(async { panic!("inside a task") });
    let error = block_on(panicked).unwrap_err();
    assert!(error.is_panic());
}

/// The README's async example, as written there: every engine that finds its bug must name it
/// a lost wakeup.
#[tapestry::test(expect = "lost_wakeup")]
async fn the_readme_example_is_a_lost_wakeup() {
    use std::task::{Poll, Waker};
    let flag = Arc::new(Mutex::new((false, None::<Waker>)));
    let setter = flag.clone();
    spawn(async move {
        let waiter = {
            let mut f = setter.lock().unwrap();
            f.0 = true;
            f.1.take()
        };
        if let Some(w) = waiter {
            w.wake()
        }
    });
    std::future::poll_fn(|cx| {
        if flag.lock().unwrap().0 {
            return Poll::Ready(());
        }
        flag.lock().unwrap().1 = Some(cx.waker().clone());
        Poll::Pending
    })
    .await;
}

/// A cell two tasks write with nothing ordering them: the race detector sees tasks as it
/// sees threads. With the writes ordered by awaiting the first task, it is clean.
fn cell_written_by_two_tasks(ordered: bool) {
    struct Shared(tapestry::cell::UnsafeCell<u32>);
    // SAFETY: the test is about the race; the detector reports it.
    unsafe impl Sync for Shared {}
    let shared = Arc::new(Shared(tapestry::cell::UnsafeCell::new(0)));
    let write = |shared: Arc<Shared>| async move {
        // SAFETY: a plain write, racy by design when unordered.
        shared.0.with_mut(|value| unsafe { *value += 1 });
    };
    let first = spawn(write(shared.clone()));
    block_on(async {
        if ordered {
            first.await.unwrap();
            spawn(write(shared.clone())).await.unwrap();
        } else {
            let second = spawn(write(shared.clone()));
            first.await.unwrap();
            second.await.unwrap();
        }
    });
}

#[test]
fn a_data_race_between_tasks_is_found_and_ordered_tasks_are_clean() {
    for engine in [EngineKind::Dpor, EngineKind::Random, EngineKind::Pct] {
        let racy = Explorer::new()
            .engine(engine)
            .run(|| cell_written_by_two_tasks(false));
        let failure = racy
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the race\n{racy}"));
        assert_eq!(failure.kind(), FailureKind::DataRace, "{engine}\n{failure}");
        let clean = Explorer::new()
            .engine(engine)
            .run(|| cell_written_by_two_tasks(true));
        assert!(clean.failure().is_none(), "{engine}\n{clean}");
    }
}

/// The exhaustive engine's first search of this program is started over (an atomic first
/// bound off the body's thread: see `engine::loom::pool`); its failure still replays, the same
/// trace, from the saved position (which once counted the executions of the search given up).
#[test]
fn an_exhaustive_lost_wakeup_replays_with_the_same_trace() {
    let report = Explorer::new()
        .engine(EngineKind::Exhaustive)
        .run(|| handshake(true));
    let failure = tapestry_tests::failure(&report);
    let again = Explorer::new()
        .replay(failure.replay(), || handshake(true))
        .expect("the execution exists");
    let replayed = again.failure().expect("the replay fails again");
    assert_eq!(replayed.kind(), FailureKind::LostWakeup);
    assert_eq!(replayed.trace().to_string(), failure.trace().to_string());
}

/// The number of the first line of this file that contains `code`.
fn line_of(code: &str) -> usize {
    include_str!("futures.rs")
        .lines()
        .position(|line| line.contains(code))
        .expect("the code is in this file")
        + 1
}

#[test]
fn tmp_replay_probe() {
    let report = Explorer::new()
        .engine(
            tapestry::Engine::exhaustive()
                .preemption_bound(1)
                .iterative(false),
        )
        .run(|| handshake(true));
    let failure = report.failure().unwrap();
    eprintln!("REPLAY {}", failure.replay());
    let again = Explorer::new().replay(failure.replay(), || handshake(true));
    eprintln!("AGAIN {:?}", again.map(|a| a.failure().map(|f| f.kind())));
}

/// A detached task's output that nobody takes (a watch sender, whose drop notifies its
/// receivers), in executions that do not shut their tasks down (a plain `block_on`). A later
/// execution used to drop it while it cleaned up the tasks of executions that were over, so
/// its destructor ran on the objects of another execution: a misuse reported against a
/// program that has none (seen under the default engines when DPOR stopped at its budget).
#[test]
fn a_task_output_nobody_took_is_not_dropped_by_a_later_execution() {
    let report = Explorer::new()
        .engine(Engine::random().schedules(20))
        .run(|| {
            let (tx, rx) = tapestry::tokio::sync::watch::channel(0u32);
            let task = spawn(async move { tx });
            block_on(yield_now());
            drop(task);
            drop(rx);
        });
    assert!(report.failure().is_none(), "{report}");
}
