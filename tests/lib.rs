//! Helpers shared by the workspace's integration tests.

use std::time::Duration;

use tapestry::{Engine, EngineKind, Failure, Outcome, Report};

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
