//! Helpers shared by the workspace's integration tests.

use std::time::Duration;

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tapestry::{Engine, EngineKind, Explorer, Failure, FailureKind, Outcome, Report};

/// A property-test runner that checks `cases` programs drawn from a fixed `seed` (read from no
/// environment variable) and persists no failure, so that CI runs the same programs every time.
pub fn seeded_runner(cases: u32, seed: &[u8; 32]) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, seed))
}

/// An engine with budgets that keep a test quick on a 2-core CI machine and still find the
/// catalogue's bugs: the stress engine runs 10,000 iterations (a tenth of its default, well
/// under a second) and its watchdog fires after 300 ms instead of 2 s.
pub fn quick(kind: EngineKind) -> Engine {
    match kind {
        EngineKind::Stress => Engine::stress()
            .iterations(10_000)
            .watchdog(Duration::from_millis(300))
            .into(),
        kind => kind.into(),
    }
}

/// The model engines (every engine but stress), each run to the end: for programs that sleep,
/// whose virtual clock makes every schedule quick (the stress engine sleeps for real).
pub fn model_engines() -> Explorer {
    EngineKind::ALL
        .into_iter()
        .filter(|&e| e != EngineKind::Stress)
        .fold(Explorer::new(), |explorer, kind| explorer.engine(kind))
        .keep_going(true)
}

/// For a bug that shows as a panic inside a task, whose unwinding makes an operation (drops a
/// receiver, say): the engines that cannot go on after a task's panic (exhaustive, c11) say
/// they cannot run `program`, naming the panic's `message`; every other engine of `engines`
/// finds a `Panic` saying `message`. Returns the finding engines' reports.
pub fn task_panic_found_by(program: fn(), engines: &[EngineKind], message: &str) -> Vec<Report> {
    let stops = [EngineKind::Exhaustive, EngineKind::C11];
    for &engine in engines.iter().filter(|e| stops.contains(e)) {
        let report = tapestry::Explorer::new().engine(quick(engine)).run(program);
        let why = report.unsupported().unwrap_or_default();
        assert!(
            why.contains("cannot go on after that") && why.contains(message),
            "{engine}: {report}"
        );
    }
    let finders: Vec<_> = engines
        .iter()
        .copied()
        .filter(|e| !stops.contains(e))
        .collect();
    let reports = found_by(program, &finders, FailureKind::Panic);
    for report in &reports {
        let failure = report.failure().expect("found_by checked it");
        assert!(failure.message().contains(message), "{failure}");
    }
    reports
}

/// Every engine in `engines` (with [`quick`] budgets) finds a failure of `kind` in `program`;
/// returns their reports.
pub fn found_by(program: fn(), engines: &[EngineKind], kind: FailureKind) -> Vec<Report> {
    engines
        .iter()
        .map(|&engine| {
            let report = tapestry::Explorer::new().engine(quick(engine)).run(program);
            let failure = report
                .failure()
                .unwrap_or_else(|| panic!("{engine} missed the bug:\n{report}"));
            assert_eq!(failure.kind(), kind, "{engine}:\n{failure}");
            report
        })
        .collect()
}

/// [`found_by`], and each engine's failing trace shows `shown`.
pub fn found_showing(program: fn(), engines: &[EngineKind], kind: FailureKind, shown: &str) {
    for report in found_by(program, engines, kind) {
        let failure = report.failure().expect("found_by checked it");
        let trace = failure.trace().to_string();
        assert!(trace.contains(shown), "{}:\n{trace}", failure.engine());
    }
}

/// The report's first failure; panics with the report when there is none.
pub fn failure(report: &Report) -> &Failure {
    report
        .failure()
        .unwrap_or_else(|| panic!("expected a failure:\n{report}"))
}

/// Asserts that the report's exhaustive and DPOR engines, if it ran them, passed with their
/// searches complete; `context` heads the message.
pub fn assert_complete(report: &Report, context: &str) {
    for engine in report.engines() {
        if matches!(engine.engine(), EngineKind::Exhaustive | EngineKind::Dpor) {
            assert_eq!(
                engine.outcome(),
                &Outcome::Passed { complete: true },
                "{context}\n{report}"
            );
        }
    }
}

/// `program` passes under every engine, none skipped, and both complete searches finish: the
/// exhaustive engine's, and an unbounded DPOR search (the default one deepens its preemption
/// bound round by round, and on async programs with a few tasks those rounds can outgrow its
/// 10,000-execution budget before the unbounded search would have ended).
pub fn passes_everywhere(name: &str, program: fn()) {
    let report = Explorer::new().keep_going(true).run(program);
    assert!(report.failure().is_none(), "{name}\n{report}");
    assert_eq!(report.skipped().count(), 0, "{name}\n{report}");
    for engine in report.engines() {
        if engine.engine() == EngineKind::Exhaustive {
            assert_eq!(
                engine.outcome(),
                &Outcome::Passed { complete: true },
                "{name}\n{report}"
            );
        }
    }
    let report = Explorer::new()
        .engine(Engine::dpor().unbounded())
        .run(program);
    assert_eq!(
        report.engines()[0].outcome(),
        &Outcome::Passed { complete: true },
        "{name}, unbounded DPOR\n{report}"
    );
}

/// T1 stores 0 (the value x starts with) then 7 to x, then raises a flag; main, seeing the flag
/// raised, asserts x = 7. With `Relaxed` orderings it may read x = 0 (weak memory: message
/// passing), from the initial value or from T1's first store, the same value.
pub fn initial_value_stored_again() {
    use tapestry::sync::Arc;
    use tapestry::sync::atomic::Ordering::Relaxed;
    use tapestry::sync::atomic::{AtomicBool, AtomicUsize};
    let x = Arc::new(AtomicUsize::new(0));
    let y = Arc::new(AtomicBool::new(false));
    let (x1, y1) = (x.clone(), y.clone());
    let writer = tapestry::thread::spawn(move || {
        x1.store(0, Relaxed);
        x1.store(7, Relaxed);
        y1.store(true, Relaxed);
    });
    if y.load(Relaxed) {
        assert_eq!(x.load(Relaxed), 7, "x read before it was written");
    }
    writer.join().unwrap();
}

/// Polls once with a waker that does nothing: `Some(output)` if the future is ready. The
/// tokio-shaped cases observe `Pending` and `Ready` this way, deterministically.
pub fn take<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> Option<F::Output> {
    use std::task::{Context, Poll, Waker};
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// Whether one poll (see [`take`]) finds the future ready.
pub fn ready<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> bool {
    take(future).is_some()
}

/// A table of scenarios run on tokio itself and on `tapestry::tokio`, for a test file that has
/// `tokio` as a (dev-)dependency.
///
/// Each case: doc comments, a name, the log tokio's documented semantics give, and a body that
/// returns its log. In the body `S` is `tokio::sync` or `tapestry::tokio::sync`, and `spawn`,
/// `yield_now` and `time` the matching ones. Each case becomes a test that runs the body on a
/// current-thread tokio runtime (its clock paused, so timers fire as soon as it is idle), with
/// tapestry's outside explorations, and under the DPOR engine; all three must give the log.
#[macro_export]
macro_rules! cases {
    ($( $(#[doc = $doc:literal])* $name:ident => [$($line:literal),* $(,)?] $body:block )*) => {
        #[allow(unused_imports)]
        mod on_tokio {
            use super::*;
            use std::sync::Arc;
            use tokio::sync as S;
            use tokio::task::{spawn, yield_now};
            use tokio::time;
            $(
                pub fn $name() -> Vec<String> {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_time()
                        .start_paused(true)
                        .build()
                        .expect("a tokio runtime")
                        .block_on(async move $body)
                }
            )*
        }

        #[allow(unused_imports)]
        mod on_tapestry {
            use super::*;
            use std::sync::Arc;
            use tapestry::tokio::sync as S;
            use tapestry::tokio::task::{spawn, yield_now};
            use tapestry::tokio::time;
            $( pub fn $name() -> Vec<String> { tapestry::future::block_on(async move $body) } )*
        }

        $(
            $(#[doc = $doc])*
            #[test]
            fn $name() {
                let expected: &'static [&'static str] = &[$($line),*];
                assert_eq!(on_tokio::$name(), expected, "tokio itself");
                assert_eq!(on_tapestry::$name(), expected, "tapestry outside explorations");
                let report = tapestry::Explorer::new()
                    .engine(tapestry::EngineKind::Dpor)
                    .run(move || assert_eq!(on_tapestry::$name(), expected));
                assert!(report.failure().is_none(), "tapestry under DPOR\n{report}");
            }
        )*
    };
}
