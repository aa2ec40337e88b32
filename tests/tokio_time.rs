//! `tapestry::tokio::time` under every engine: sleeps move the virtual clock and fire in
//! deadline order (no false alarm on code that orders tasks by sleeping), a timeout may fire
//! before or after the work it guards (both explored), and outside explorations timers are
//! real.

use tapestry::future::{block_on, spawn, yield_now};
use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use tapestry::tokio::time::{self, Duration, Instant, sleep};
use tapestry::{Engine, EngineKind, Explorer, Timeouts};
use tapestry_tests::model_engines;

/// A task that sleeps 1 s sets a flag; the body, which sleeps 2 s, finds it set.
fn ordered_by_sleeping() {
    let flag = Arc::new(AtomicBool::new(false));
    let setter = {
        let flag = flag.clone();
        spawn(async move {
            time::sleep(Duration::from_secs(1)).await;
            flag.store(true, SeqCst);
        })
    };
    block_on(async {
        let start = Instant::now();
        time::sleep(Duration::from_secs(2)).await;
        assert!(start.elapsed() >= Duration::from_secs(2));
        assert!(
            flag.load(SeqCst),
            "the 1 s sleeper ran before the 2 s one went on"
        );
        setter.await.unwrap();
    });
}

#[test]
fn timers_fire_in_deadline_order_under_every_engine() {
    let report = Explorer::new().keep_going(true).run(ordered_by_sleeping);
    if let Some(failure) = report.failure() {
        panic!("{report}\n{failure}");
    }
    assert_eq!(report.skipped().count(), 0, "{report}");
}

/// The body guards a task's work with a timeout: `expect_timeout` says which outcome it
/// asserts, so each of the two asserts fails in the schedules of the other outcome.
fn guarded(expect_timeout: bool) {
    let done = Arc::new(AtomicBool::new(false));
    let work = {
        let done = done.clone();
        spawn(async move {
            tapestry::future::yield_now().await;
            done.store(true, SeqCst);
        })
    };
    block_on(async {
        let outcome = time::timeout(Duration::from_secs(1), work).await;
        assert_eq!(
            outcome.is_err(),
            expect_timeout,
            "timed out: {}",
            outcome.is_err()
        );
    });
}

#[test]
fn a_timeout_may_fire_before_or_after_the_guarded_work() {
    for engine in [
        EngineKind::Exhaustive,
        EngineKind::Dpor,
        EngineKind::Random,
        EngineKind::Pct,
    ] {
        for expect_timeout in [false, true] {
            let report = Explorer::new()
                .engine(engine)
                .run(move || guarded(expect_timeout));
            let failure = report.failure().unwrap_or_else(|| {
                panic!(
                    "{engine}: no schedule where the timeout {} first\n{report}",
                    if expect_timeout { "loses" } else { "fires" }
                )
            });
            let text = failure.to_string();
            assert!(text.contains("timed out:"), "{engine}\n{text}");
            // Where the timeout fired and dropped the work, the trace says so.
            assert_eq!(
                text.contains("timeout fired: dropped its future"),
                !expect_timeout,
                "{engine}\n{text}"
            );
        }
    }
}

#[test]
fn the_virtual_clock_moves_by_the_sleeps() {
    let report = Explorer::new().engine(Engine::dpor().unbounded()).run(|| {
        block_on(async {
            let start = Instant::now();
            time::sleep(Duration::from_secs(3600)).await;
            let mut ticks = time::interval(Duration::from_secs(10));
            assert_eq!(ticks.tick().await, start + Duration::from_secs(3600));
            assert_eq!(ticks.tick().await, start + Duration::from_secs(3610));
            assert_eq!(start.elapsed(), Duration::from_secs(3610));
        });
    });
    assert!(report.failure().is_none(), "{report}");
}

/// Timers tick in milliseconds, as tokio's: a sleep of a nanosecond lasts until the next
/// millisecond, so a task that sleeps for nanoseconds in a loop (deadpool's cancellation test)
/// runs a round per millisecond of virtual time, not a million, under every model engine.
#[test]
fn timers_tick_in_milliseconds_as_tokios() {
    let report = model_engines().run(|| {
        block_on(async {
            let start = Instant::now();
            time::sleep(Duration::from_nanos(1)).await;
            assert_eq!(start.elapsed(), Duration::from_millis(1));
            let mut rounds = 0;
            while start.elapsed() < Duration::from_millis(5) {
                time::sleep(Duration::from_nanos(3)).await;
                rounds += 1;
            }
            assert_eq!(rounds, 4);
            let work = time::sleep(Duration::from_secs(1));
            let err = time::timeout(Duration::from_micros(1), work).await;
            assert!(err.is_err());
            assert_eq!(start.elapsed(), Duration::from_millis(6));
        });
    });
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.skipped().count(), 0, "{report}");
}

#[test]
fn outside_explorations_timers_are_real() {
    let start = std::time::Instant::now();
    block_on(async {
        time::sleep(Duration::from_millis(20)).await;
        let slow = time::sleep(Duration::from_secs(60));
        assert!(time::timeout(Duration::from_millis(5), slow).await.is_err());
    });
    assert!(start.elapsed() >= std::time::Duration::from_millis(25));
}

/// The README's tokio-shaped example, as written there: the retry after a timeout deposits
/// twice in the schedules where the timeout fired after the first deposit.
#[tapestry::test(
    expect = "panic",
    engines = "exhaustive, dpor, random, pct, surw, priority"
)]
async fn a_retry_after_a_timeout_deposits_once() {
    use tapestry::sync::Mutex;
    use tapestry::tokio;
    use tapestry::tokio::time::timeout;

    let balance = Arc::new(Mutex::new(0));
    let deposit = |balance: Arc<Mutex<u64>>| async move { *balance.lock().unwrap() += 100 };
    let first = tokio::spawn(deposit(balance.clone()));
    if timeout(Duration::from_secs(1), first).await.is_err() {
        // No answer in time: retry. But the first deposit may have happened.
        tokio::spawn(deposit(balance.clone())).await.unwrap();
    }
    assert_eq!(*balance.lock().unwrap(), 100);
}

/// A timeout around a receive that nothing sends to: it fires, and the trace says where the
/// dropped receive waited.
#[test]
fn a_fired_timeout_names_where_its_future_waited() {
    let report = Explorer::new().engine(EngineKind::Dpor).run(|| {
        block_on(async {
            let (_tx, mut rx) = tapestry::tokio::sync::mpsc::channel::<u32>(1);
            let received = time::timeout(Duration::from_secs(1), rx.recv()).await;
            assert!(received.is_ok(), "nothing was received in time");
        });
    });
    let text = report.failure().expect("the timeout fires").to_string();
    let line = line!() - 5; // of `rx.recv()`
    assert!(
        text.contains(&format!(
            "timeout fired: dropped its future, left waiting at line {line}"
        )),
        "{text}"
    );
}

/// Tasks that each sleep `secs[i]` seconds (after taking and releasing a std-shaped lock in
/// the same poll, if `locked`) while the body awaits their handles in turn; returns each
/// sleep's length and the time it woke at, in the order they woke.
fn sleepers(secs: &[u64], locked: bool) -> Vec<(u64, Duration)> {
    use tapestry::sync::Mutex;

    let lock = Arc::new(Mutex::new(()));
    let woke = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let tasks: Vec<_> = (secs.iter())
        .map(|&secs| {
            let (lock, woke) = (lock.clone(), woke.clone());
            spawn(async move {
                if locked {
                    drop(lock.lock().unwrap());
                }
                time::sleep(Duration::from_secs(secs)).await;
                woke.lock().unwrap().push((secs, start.elapsed()));
            })
        })
        .collect();
    block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
    });
    std::mem::take(&mut *woke.lock().unwrap())
}

/// Two tasks whose first poll takes a std-shaped lock, then sleeps: a task may stop in the
/// middle of its poll (waiting for the lock) while the other polls and asks for its timer, on
/// the same OS thread under the model engines. Each poll's timer stays its own: both sleeps
/// fire, no earlier than their deadlines (under the stress engine, on the real clock).
#[test]
fn a_poll_stopped_midway_keeps_its_own_timer_under_every_engine() {
    let report = Explorer::new().keep_going(true).run(|| {
        let woke = sleepers(&[1, 2], true);
        assert_eq!(woke.len(), 2, "both sleeps fired: {woke:?}");
        for &(secs, elapsed) in &woke {
            assert!(elapsed >= Duration::from_secs(secs), "{woke:?}");
        }
    });
    if let Some(failure) = report.failure() {
        panic!("{report}\n{failure}");
    }
    assert_eq!(report.skipped().count(), 0, "{report}");
}

/// Three tasks sleep (3 s, 1 s, 2 s) while the body awaits their handles in turn. Under the
/// model engines each sleep fires at its deadline, in deadline order. The DPOR engine used to
/// report a livelock here: every sleeper waited with a time limit, so they took turns timing
/// out and finding each other able to go on, while the body never ran.
#[test]
fn tasks_sleeping_together_wake_in_deadline_order_under_the_model_engines() {
    let report = model_engines().run(|| {
        let expected: Vec<_> = (1..=3u64).map(|s| (s, Duration::from_secs(s))).collect();
        assert_eq!(sleepers(&[3, 1, 2], false), expected);
    });
    if let Some(failure) = report.failure() {
        panic!("{report}\n{failure}");
    }
    assert_eq!(report.skipped().count(), 0, "{report}");
}

/// Three tasks sleep 12, 10 and 11 ms and then send their length to the body, on a runtime
/// with one worker. They wake in deadline order under every model engine. The DPOR engine
/// once had them send 10, 12, 11: a task woken to lead next (11 ms) waited for the worker,
/// and while it did its timer was forgotten, so the 12 ms one led and fired first.
#[test]
fn sleeps_wake_in_deadline_order_on_a_one_worker_runtime() {
    use tapestry::tokio::sync::mpsc;

    let report = model_engines().workers(1).run(|| {
        block_on(async {
            let (tx, mut rx) = mpsc::unbounded_channel();
            for ms in [12u64, 10, 11] {
                let tx = tx.clone();
                spawn(async move {
                    time::sleep(Duration::from_millis(ms)).await;
                    tx.send(ms).unwrap();
                });
            }
            drop(tx);
            let mut order = Vec::new();
            while let Some(ms) = rx.recv().await {
                order.push(ms);
            }
            assert_eq!(order, [10, 11, 12]);
        });
    });
    if let Some(failure) = report.failure() {
        panic!("{report}\n{failure}");
    }
    assert_eq!(report.skipped().count(), 0, "{report}");
}

/// A task polls another's `is_finished` with `yield_now` while that one sleeps (a common way
/// to wait in tests): time passes for the sleeper, as on tokio's real clock, instead of the
/// spinner spinning to the step limit (tokio's paused clock would never move for it).
#[test]
fn a_task_spinning_on_is_finished_lets_a_sleeping_task_wake() {
    // Unlimited polls, and one worker (`#[tokio::test]`'s runtime), where the spinner's poll
    // after each yield waits behind the sleeper's, as on tokio's queue.
    for workers in [None, Some(1)] {
        let explorer = match workers {
            Some(n) => model_engines().workers(n),
            None => model_engines(),
        };
        spinner_lets_time_pass(&explorer);
    }
}

fn spinner_lets_time_pass(explorer: &Explorer) {
    let report = explorer.run(|| {
        block_on(async {
            let sleeper = spawn(async {
                sleep(Duration::from_millis(5)).await;
                42
            });
            while !sleeper.is_finished() {
                yield_now().await;
            }
            assert_eq!(sleeper.await.unwrap(), 42);
        });
    });
    assert!(
        report.is_clean(),
        "{report}\n{}",
        report
            .failure()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
}

/// A task that yields between a few steps of work is no spinner: a sleep fires only once the
/// work is done, as on tokio's paused clock.
#[test]
fn a_sleep_waits_for_a_task_that_yields_between_steps_of_work() {
    let report = model_engines().run(|| {
        let steps = Arc::new(AtomicUsize::new(0));
        block_on(async {
            let worker = {
                let steps = steps.clone();
                spawn(async move {
                    for _ in 0..20 {
                        steps.fetch_add(1, SeqCst);
                        yield_now().await;
                    }
                })
            };
            sleep(Duration::from_millis(10)).await;
            assert_eq!(
                steps.load(SeqCst),
                20,
                "the sleep fired midway through the work"
            );
            worker.await.unwrap();
        });
    });
    assert!(report.is_clean(), "{report}");
}

/// A quick round trip to an echo task, guarded by a 10 s timeout as tokio test suites guard
/// against hangs; `reply` says whether the echo task answers at all.
async fn echo_with_a_hang_guard(reply: bool) {
    use tapestry::tokio::sync::{mpsc, oneshot};
    let (tx, mut rx) = mpsc::channel::<(u32, oneshot::Sender<u32>)>(1);
    spawn(async move {
        let mut unanswered = Vec::new();
        while let Some((v, answer)) = rx.recv().await {
            match reply {
                true => drop(answer.send(v + 1)),
                false => unanswered.push(answer),
            }
        }
    });
    let (answer, answered) = oneshot::channel();
    tx.send((41, answer)).await.unwrap();
    let v = time::timeout(Duration::from_secs(10), answered)
        .await
        .expect("the echo task hung")
        .unwrap();
    assert_eq!(v, 42);
}

/// By default a hang guard fires at any await point of the round trip, and the report says how
/// to make it a guard only; with `Timeouts::WhenIdle` the round trip passes under every model
/// engine, and a real hang still ends in the guard.
#[test]
fn a_hang_guard_fires_only_when_nothing_else_can_run_with_when_idle() {
    let report = model_engines()
        .keep_going(false)
        .run(|| block_on(echo_with_a_hang_guard(true)));
    let failure = report.failure().expect("an early timeout fails the guard");
    let text = failure.to_string();
    assert!(text.contains("the echo task hung"), "{text}");
    assert!(text.contains(r#"`timeouts = "when_idle"`"#), "{text}");

    let idle = model_engines().timeouts(Timeouts::WhenIdle);
    let report = idle.run(|| block_on(echo_with_a_hang_guard(true)));
    assert!(report.is_clean(), "{report}");
    let report = idle.run(|| block_on(echo_with_a_hang_guard(false)));
    for engine in report.engines() {
        let failure = engine
            .failure()
            .unwrap_or_else(|| panic!("{} missed the hang\n{report}", engine.engine()));
        assert!(
            failure.message().contains("the echo task hung"),
            "{failure}"
        );
    }
}

/// The attribute's setting reaches the run.
#[tapestry::test(timeouts = "when_idle", engines = "exhaustive, dpor, random")]
async fn the_attribute_sets_when_timeouts_fire() {
    echo_with_a_hang_guard(true).await;
}

/// `time::advance` as tokio's on a paused clock: the clock jumps by exactly that much, and the
/// timers it passed fire without moving it further; on tokio and under every model engine.
/// (Had the sleep been made after the advance, its deadline would be 21 s: on tokio too.)
#[test]
fn advance_jumps_the_clock_and_fires_the_timers_it_passes() {
    macro_rules! program {
        ($tokio:ident) => {{
            use $tokio::time::{self, Duration, Instant};
            let start = Instant::now();
            let (made, sleep_made) = $tokio::sync::oneshot::channel();
            let sleeper = $tokio::spawn(async move {
                // A sleep's deadline is set when it is made.
                let sleep = time::sleep(Duration::from_secs(10));
                made.send(()).unwrap();
                sleep.await;
                start.elapsed()
            });
            sleep_made.await.unwrap();
            time::advance(Duration::from_secs(11)).await;
            let woke_after = sleeper.await.unwrap();
            (woke_after >= Duration::from_secs(10), start.elapsed())
        }};
    }
    let expected = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(async { program!(tokio) });
    assert_eq!(expected, (true, Duration::from_secs(11)));
    let report = model_engines().run(move || {
        let ours = block_on(async {
            use tapestry::tokio;
            program!(tokio)
        });
        assert_eq!(ours, expected);
    });
    assert!(report.is_clean(), "{report}");
}

/// Pauses the clock, then counts on an exact sleep, as a `start_paused` test does.
fn paused_then_exact() {
    block_on(async {
        time::pause();
        let start = Instant::now();
        sleep(Duration::from_millis(10)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(10));
    });
}

/// The model engines' clock is paused: exact. The stress engine's is real and cannot be
/// paused: it says so and does not run the test (before, the assertion failed there).
#[test]
fn a_paused_clock_is_exact_under_model_engines_and_stress_says_it_cannot_pause() {
    let report = model_engines().run(paused_then_exact);
    assert!(report.is_clean(), "{report}");
    let report = Explorer::new()
        .engine(Engine::stress().iterations(10))
        .run(paused_then_exact);
    assert!(report.failure().is_none(), "{report}");
    let why = report.unsupported().unwrap_or_default();
    assert!(why.contains("pauses tokio's clock"), "{report}");
}
