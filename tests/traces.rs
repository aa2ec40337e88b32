//! Traces are deterministic: the same engine, seed and program render the same text, and a
//! replay reproduces it byte for byte. They list operations in the order they took effect.

use tapestry::sync::atomic::Ordering::Relaxed;
use tapestry::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{Engine, Explorer, Failure, thread};
use tapestry_catalogue::entry;
use tapestry_tests::failure;

fn program(name: &str) -> fn() {
    entry(name).expect("catalogued").buggy
}

#[test]
fn same_seed_same_trace() {
    let runs: [(Engine, &str); 5] = [
        (Engine::random().seed(7).into(), "lost_update"),
        (Engine::pct().seed(7).into(), "lost_update"),
        (Engine::priority().seed(7).into(), "lost_update"),
        (Engine::priority().seed(7).into(), "priority_inversion"),
        (Engine::exhaustive().into(), "lost_update"),
    ];
    for (engine, name) in runs {
        let explorer = Explorer::new().engine(engine);
        let first = explorer.run(program(name));
        let second = explorer.run(program(name));
        assert_eq!(failure(&first).execution(), failure(&second).execution());
        assert_eq!(
            failure(&first).trace().render_full(),
            failure(&second).trace().render_full()
        );
        assert_eq!(failure(&first).replay(), failure(&second).replay());
    }
}

#[test]
fn replaying_a_failure_reproduces_its_trace() {
    let runs: [(Engine, &str); 5] = [
        (Engine::random().seed(3).into(), "lock_order_inversion"),
        (Engine::pct().seed(3).into(), "lock_order_inversion"),
        (Engine::priority().seed(3).into(), "lock_order_inversion"),
        (Engine::priority().seed(3).into(), "priority_inversion"),
        (Engine::exhaustive().into(), "lock_order_inversion"),
    ];
    for (engine, name) in runs {
        let explorer = Explorer::new().engine(engine);
        let report = explorer.run(program(name));
        let original = failure(&report);
        // The text form, as saved in schedule files, replays the same.
        let replay: tapestry::Replay = original.replay().to_string().parse().expect("parses");
        assert_eq!(&replay, original.replay());
        let replayed = explorer
            .replay(&replay, program(name))
            .expect("the schedule fits");
        let again = failure(&replayed);
        assert_eq!(again.kind(), original.kind());
        assert_eq!(again.trace().render_full(), original.trace().render_full());
    }
}

#[test]
fn a_schedule_that_no_longer_fits_says_where() {
    let explorer = Explorer::new().engine(Engine::random().seed(1));
    let report = explorer.run(program("lost_update"));
    let replay = failure(&report).replay().clone();
    let error = explorer
        .replay(&replay, || {})
        .expect_err("an empty body cannot follow the schedule");
    assert!(
        error
            .to_string()
            .contains("the schedule diverged from the program at step"),
        "{error}"
    );
}

#[test]
fn lost_update_under_random() {
    let report = Explorer::new()
        .engine(Engine::random().seed(7))
        .run(program("lost_update"));
    insta::assert_snapshot!(failure(&report).trace().to_string());
}

#[test]
fn lock_order_inversion_under_exhaustive() {
    let report = Explorer::new()
        .engine(Engine::exhaustive())
        .run(program("lock_order_inversion"));
    insta::assert_snapshot!(failure(&report).trace().to_string());
}

#[test]
fn failures_are_shrunk_to_the_fewest_preemptions() {
    // Both bugs need exactly one preemption under sequential consistency: T1 loads, then T2
    // runs; main locks b, then T1 runs.
    for name in ["lost_update", "lock_order_inversion"] {
        for seed in 0..5 {
            let engines: [Engine; 2] = [
                Engine::random().seed(seed).into(),
                Engine::pct().seed(seed).into(),
            ];
            for engine in engines {
                let report = Explorer::new().engine(engine).run(program(name));
                let failure = failure(&report);
                assert_eq!(
                    failure.preemptions(),
                    Some(1),
                    "{name} seed {seed}:\n{failure}"
                );
            }
        }
    }
}

#[test]
fn the_exhaustive_engine_reports_its_fewest_preemptions() {
    // Searched bound by bound: the deadlock and the lost update each need one preemption (a
    // `SeqCst` load reads the latest store, so the update is lost only by an interleaving).
    for name in ["lock_order_inversion", "lost_update"] {
        let report = Explorer::new()
            .engine(Engine::exhaustive())
            .run(program(name));
        assert_eq!(failure(&report).preemptions(), Some(1), "{name}");
        let trace = failure(&report).trace().to_string();
        assert!(!trace.contains("not the latest"), "{name}: {trace}");
    }
}

/// The model engines, each with a seed.
fn model_engines() -> [Engine; 4] {
    [
        Engine::exhaustive().into(),
        Engine::random().seed(1).into(),
        Engine::pct().seed(1).into(),
        Engine::priority().seed(1).into(),
    ]
}

/// The number of the failure's first step of `thread` whose text starts with `text`.
fn step(failure: &Failure, thread: &str, text: &str) -> usize {
    let timeline = failure.trace().timeline();
    let found = timeline
        .steps()
        .find(|s| timeline.lanes[s.lane] == thread && s.text.starts_with(text));
    found
        .unwrap_or_else(|| panic!("no step `{thread} {text}` in\n{failure}"))
        .number
}

#[test]
fn a_missed_notification_comes_before_the_wait() {
    // T1 can set the flag and notify only while main holds the lock: between main's check and
    // its wait. Then main waits forever; it was not waiting yet when T1 notified, and the
    // trace must say so. (The engines switch threads inside their wait, before the waiter
    // releases the lock and joins the waiters.)
    let program = || {
        let shared = Arc::new((
            Mutex::named("m", ()),
            Condvar::named("cv"),
            AtomicBool::named("done", false),
        ));
        let other = shared.clone();
        let t = thread::spawn(move || {
            other.2.store(true, Ordering::SeqCst);
            other.1.notify_all();
        });
        let (m, cv, done) = &*shared;
        let guard = m.lock().unwrap();
        if !done.load(Ordering::SeqCst) {
            drop(cv.wait(guard).unwrap());
        }
        t.join().unwrap();
    };
    for engine in model_engines() {
        let report = Explorer::new().engine(engine).run(program);
        let failure = failure(&report);
        assert_eq!(failure.kind(), tapestry::FailureKind::Deadlock, "{failure}");
        assert!(
            step(failure, "T1", "notify_all cv") < step(failure, "main", "wait cv"),
            "the notification main missed is shown after its wait:\n{failure}"
        );
    }
}

#[test]
fn a_wait_comes_before_the_notification_that_wakes_it() {
    // Main fails only after it waited and was woken: its wait, then T1's lock (it needs the
    // lock main's wait released) and notification, then the wake-up.
    let program = || {
        let shared = Arc::new((Mutex::named("m", false), Condvar::named("cv")));
        let other = shared.clone();
        let t = thread::spawn(move || {
            *other.0.lock().unwrap() = true;
            other.1.notify_all();
        });
        let (m, cv) = &*shared;
        let mut done = m.lock().unwrap();
        let mut waited = false;
        while !*done {
            waited = true;
            done = cv.wait(done).unwrap();
        }
        drop(done);
        t.join().unwrap();
        assert!(!waited, "main waited");
    };
    for engine in model_engines() {
        let report = Explorer::new().engine(engine).run(program);
        let failure = failure(&report);
        let order = [
            step(failure, "main", "wait cv"),
            step(failure, "T1", "lock m"),
            step(failure, "T1", "notify_all cv"),
            step(failure, "main", "woken cv ("),
        ];
        assert!(
            order.is_sorted(),
            "steps out of order {order:?}:\n{failure}"
        );
    }
}

/// Two threads take `alice` and `bob` in opposite orders.
fn abba() {
    let a = Arc::new(Mutex::named("alice", 0));
    let b = Arc::new(Mutex::named("bob", 0));
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::spawn(move || {
        let _b = b2.lock().unwrap();
        let _a = a2.lock().unwrap(); // T1 waits here
    });
    {
        let _a = a.lock().unwrap();
        let _b = b.lock().unwrap(); // main waits here
    }
    t.join().unwrap();
}

/// `tests/traces.rs:<line>` of the line of this file that ends with `marker`.
fn line_of(marker: &str) -> String {
    let line = include_str!("traces.rs")
        .lines()
        .position(|l| l.ends_with(marker))
        .expect("the marker is in this file");
    format!("tests/traces.rs:{}", line + 1)
}

#[test]
fn a_deadlock_names_the_line_each_blocked_thread_waits_at() {
    let main = format!(
        "main waits to lock `bob` (at {}), held by T1",
        line_of("// main waits here")
    );
    let t1 = format!(
        "T1 waits to lock `alice` (at {}), held by main",
        line_of("// T1 waits here")
    );
    let engines: [Engine; 4] = [
        Engine::exhaustive().into(),
        Engine::dpor().into(),
        Engine::random().seed(1).into(),
        Engine::pct().seed(1).into(),
    ];
    for engine in engines {
        let report = Explorer::new().engine(engine).lock_order(false).run(abba);
        let failure = failure(&report);
        assert_eq!(failure.kind(), tapestry::FailureKind::Deadlock, "{report}");
        let trace = failure.trace().to_string();
        for words in [&main, &t1] {
            assert!(
                failure.message().contains(words.as_str()),
                "{}",
                failure.message()
            );
            assert!(trace.contains(&format!("      {words}")), "{trace}");
            // The diagram's last marks: what each lane waits for, and where (the box shows the
            // line, its title the whole site).
            let svg = failure.trace().svg();
            assert!(
                svg.contains(&format!("<title>{}</title>", words.replace('`', ""))),
                "{svg}"
            );
            let line = words
                .split_once(".rs:")
                .unwrap()
                .1
                .split(')')
                .next()
                .unwrap();
            assert!(svg.contains(&format!("(line {line})")), "{svg}");
        }
    }
}

/// `tapestry_tests::initial_value_stored_again` under c11: main reads x = 0 from the initial
/// value or from T1's first store, the same value. A trace that matched reads to stores by
/// value would say T1's store of 0 either way: the c11 engine knows which it read.
#[test]
fn a_c11_trace_names_the_store_a_read_read_not_one_of_the_same_value() {
    let report = Explorer::new()
        .engine(tapestry::Engine::c11())
        .run(tapestry_tests::initial_value_stored_again);
    let failure = report.failure().expect("found");
    let trace = failure.trace().to_string();
    assert!(
        trace.contains("not the latest: read from the initial value, not from T1's store of 7"),
        "{trace}"
    );
}

/// T1 stores 0 while T2 increments x: x can end 0 under sequential consistency (the increment
/// first), and the c11 engine's trace shows that failure as the interleaving it is, each read
/// reading the latest store, with no weak-memory note (a run of the graph in spawn order would
/// show T1's store first and the increment reading around it).
#[test]
fn a_c11_trace_shows_a_sequentially_consistent_failure_as_an_interleaving() {
    let report = Explorer::new().engine(tapestry::Engine::c11()).run(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let (x1, x2) = (x.clone(), x.clone());
        let resets = thread::spawn(move || x1.store(0, Relaxed));
        let adds = thread::spawn(move || x2.fetch_add(1, Relaxed));
        resets.join().unwrap();
        adds.join().unwrap();
        assert_ne!(x.load(Relaxed), 0, "the increment was overwritten");
    });
    let failure = report.failure().expect("found");
    let trace = failure.trace().to_string();
    assert!(!trace.contains("not the latest"), "{trace}");
    assert!(!trace.contains("needs weak memory"), "{trace}");
    let (add, reset) = (
        trace.find("fetch_add").expect("the increment"),
        trace.find("store atomic1 <- 0").expect("the reset"),
    );
    assert!(add < reset, "{trace}");
}
