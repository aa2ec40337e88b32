//! std's thread items that tapestry models: scoped threads, parking, thread-locals,
//! `available_parallelism`, and the handles (`current`, `Thread`, `JoinHandle`). For each, a
//! program with a bug that needs it is found by every model engine (and the stress engine where
//! real threads can show it), its fix passes every engine, and outside an exploration the item
//! behaves as std's.

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use tapestry::sync::atomic::AtomicBool;
use tapestry::sync::{Arc, Mutex};
use tapestry::thread::{self, Thread};
use tapestry::{EngineKind, Explorer, FailureKind, Outcome, Report};
use tapestry_tests::quick;

/// Every engine but the stress engine, whose real threads cannot be steered.
const MODEL_ENGINES: [EngineKind; 6] = [
    EngineKind::Exhaustive,
    EngineKind::Dpor,
    EngineKind::Random,
    EngineKind::Pct,
    EngineKind::Surw,
    EngineKind::Priority,
];

fn run(program: fn(), engine: EngineKind) -> Report {
    Explorer::new().engine(quick(engine)).run(program)
}

/// Every engine in `engines` finds a failure of `kind` in `program`; returns the reports.
fn found_by(program: fn(), engines: &[EngineKind], kind: FailureKind) -> Vec<Report> {
    engines
        .iter()
        .map(|&engine| {
            let report = run(program, engine);
            let failure = report
                .failure()
                .unwrap_or_else(|| panic!("{engine} missed the bug:\n{report}"));
            assert_eq!(failure.kind(), kind, "{engine}:\n{failure}");
            report
        })
        .collect()
}

/// Every engine passes `program`, and the exhaustive search completes.
fn passes_every_engine(program: fn()) {
    for engine in EngineKind::ALL {
        let report = run(program, engine);
        if let Some(failure) = report.failure() {
            panic!("{engine} failed a correct program:\n{report}\n{failure}");
        }
        if engine == EngineKind::Exhaustive {
            assert_eq!(
                report.engines()[0].outcome(),
                &Outcome::Passed { complete: true },
                "{report}"
            );
        }
    }
}

// ---- Parking ----

/// A consumer waits for `ready`, registering itself for the producer's unpark. Buggy: it
/// registers after checking the flag, so a producer that sets the flag in between finds nobody
/// to unpark, and the consumer parks for good.
fn lost_wakeup(fixed: bool) {
    let ready = Arc::new(AtomicBool::named("ready", false));
    let waiter: Arc<Mutex<Option<Thread>>> = Arc::new(Mutex::named("waiter", None));
    let consumer = {
        let (ready, waiter) = (ready.clone(), waiter.clone());
        thread::spawn(move || {
            if fixed {
                *waiter.lock().unwrap() = Some(thread::current());
            }
            while !ready.load(SeqCst) {
                if !fixed {
                    *waiter.lock().unwrap() = Some(thread::current());
                }
                thread::park();
            }
        })
    };
    let producer = thread::spawn(move || {
        ready.store(true, SeqCst);
        let waiter = waiter.lock().unwrap().take();
        if let Some(consumer) = waiter {
            consumer.unpark();
        }
    });
    consumer.join().unwrap();
    producer.join().unwrap();
}

#[test]
fn a_lost_wakeup_is_found_as_a_deadlock() {
    let reports = found_by(|| lost_wakeup(false), &MODEL_ENGINES, FailureKind::Deadlock);
    for report in reports {
        let message = report.failure().unwrap().message().to_owned();
        assert!(
            message.contains("T1 is parked (at tests/threads.rs:"),
            "{message}"
        );
    }
}

#[test]
fn registering_before_checking_passes_every_engine() {
    passes_every_engine(|| lost_wakeup(true));
}

/// A consumer that trusts one park to mean "unparked": std lets park return spuriously.
fn park_without_a_loop() {
    let ready = Arc::new(AtomicBool::named("ready", false));
    let r = ready.clone();
    let consumer = thread::spawn(move || {
        thread::park();
        assert!(r.load(SeqCst), "park returned before the unpark");
    });
    ready.store(true, SeqCst);
    consumer.thread().unpark();
    consumer.join().unwrap();
}

/// The fix: park until the flag says so.
fn park_in_a_loop() {
    let ready = Arc::new(AtomicBool::named("ready", false));
    let r = ready.clone();
    let consumer = thread::spawn(move || {
        while !r.load(SeqCst) {
            thread::park();
        }
    });
    ready.store(true, SeqCst);
    consumer.thread().unpark();
    consumer.join().unwrap();
}

#[test]
fn a_park_that_wakes_spuriously_is_explored() {
    let reports = found_by(park_without_a_loop, &MODEL_ENGINES, FailureKind::Panic);
    let trace = reports[0].failure().unwrap().trace().to_string();
    assert!(trace.contains("park (woke spuriously)"), "{trace}");
}

#[test]
fn a_park_loop_on_a_flag_passes_every_engine() {
    passes_every_engine(park_in_a_loop);
}

/// A token given before the park makes it return at once, and a thread holds one token only.
fn tokens() {
    thread::current().unpark();
    thread::park();
    thread::current().unpark();
    thread::current().unpark();
    thread::park();
}

fn two_parks_for_two_unparks() {
    tokens();
    thread::park();
}

#[test]
fn a_token_given_early_is_kept_and_there_is_only_one() {
    passes_every_engine(tokens);
    // Alone, a park without a token never wakes spuriously: it is a deadlock.
    let reports = found_by(
        two_parks_for_two_unparks,
        &EngineKind::ALL,
        FailureKind::Deadlock,
    );
    let message = reports[0].failure().unwrap().message().to_owned();
    assert!(message.contains("main is parked"), "{message}");
}

fn park_timeout_alone() {
    let start = thread::current();
    thread::park_timeout(Duration::from_millis(5));
    assert_eq!(start.id(), thread::current().id());
}

#[test]
fn park_timeout_returns_without_a_token() {
    passes_every_engine(park_timeout_alone);
    let report = run(
        || {
            park_timeout_alone();
            panic!("show the trace");
        },
        EngineKind::Random,
    );
    let trace = report.failure().unwrap().trace().to_string();
    assert!(trace.contains("park_timeout (timed out)"), "{trace}");
}

#[test]
fn parking_outside_an_exploration_is_std() {
    // A token given first: the park returns at once.
    thread::current().unpark();
    let start = Instant::now();
    thread::park();
    assert!(start.elapsed() < Duration::from_secs(5));
    // park_timeout returns after its time (or spuriously, which std allows: then sooner).
    thread::park_timeout(Duration::from_millis(20));
    // A real thread parks until it is unparked.
    let ready = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = ready.clone();
    let t = thread::spawn(move || {
        while !r.load(SeqCst) {
            thread::park();
        }
    });
    ready.store(true, SeqCst);
    t.thread().unpark();
    t.join().unwrap();
}

// ---- Handles ----

fn handles() {
    let t = thread::Builder::new()
        .name("worker".to_owned())
        .spawn(|| {
            (
                thread::current().id(),
                thread::current().name().map(str::to_owned),
            )
        })
        .unwrap();
    let thread: &Thread = t.thread();
    let id = thread.id();
    assert_eq!(thread.name(), Some("worker"));
    while !t.is_finished() {
        thread::yield_now();
    }
    let (inner, name) = t.join().unwrap();
    assert_eq!((inner, name.as_deref()), (id, Some("worker")));
    assert_ne!(id, thread::current().id());
}

#[test]
fn handles_are_std_shaped() {
    passes_every_engine(handles);
    handles();
    let report = Explorer::new()
        .engine(quick(EngineKind::Random))
        .run(|| assert_eq!(thread::current().name(), Some("main")));
    assert!(report.is_clean(), "{report}");
}
