//! Helpers shared by the workspace's integration tests.

use std::time::Duration;

use tapestry::{Engine, EngineKind, Failure, Report};

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
