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
