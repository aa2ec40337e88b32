//! Each engine finds the bugs it claims to find, with the right kind, and passes the fixes.

use tapestry::{EngineKind, Explorer, FailureKind, Outcome};
use tapestry_catalogue::{ENTRIES, Entry};
use tapestry_tests::quick;

fn run(program: fn(), engine: EngineKind) -> tapestry::Report {
    Explorer::new().engine(quick(engine)).run(program)
}

fn entry(name: &str) -> &'static Entry {
    ENTRIES.iter().find(|e| e.name == name).expect("catalogued")
}

/// The foundation's cases: (entry, engines that must find its bug).
const CASES: &[(&str, &[EngineKind])] = &[
    ("lost_update", &EngineKind::ALL),
    ("lock_order_inversion", &EngineKind::ALL),
    ("unsynchronized_cell", &[EngineKind::Exhaustive]),
    ("relaxed_message_passing", &[EngineKind::Exhaustive]),
];

#[test]
fn buggy_programs_are_found_with_the_right_kind() {
    for &(name, engines) in CASES {
        let entry = entry(name);
        for &engine in engines {
            let report = run(entry.buggy, engine);
            let failure = report
                .failure()
                .unwrap_or_else(|| panic!("{engine} missed {name}:\n{report}"));
            assert_eq!(failure.kind(), entry.kind, "{engine} on {name}:\n{failure}");
            assert_eq!(failure.engine(), engine);
        }
    }
}

#[test]
fn fixed_programs_pass_every_engine_that_finds_the_bug() {
    for &(name, engines) in CASES {
        for &engine in engines {
            let report = run(entry(name).fixed, engine);
            assert!(
                report.is_clean(),
                "{engine} on fixed {name}:\n{report}\n{:?}",
                report.failure().map(ToString::to_string)
            );
        }
    }
}

#[test]
fn the_exhaustive_search_finishes_on_fixed_programs() {
    for &(name, _) in CASES {
        let report = run(entry(name).fixed, EngineKind::Exhaustive);
        assert_eq!(
            report.engines()[0].outcome(),
            &Outcome::Passed { complete: true },
            "{name}"
        );
    }
}

#[test]
fn a_deadlock_names_who_waits_for_whom() {
    let report = run(entry("lock_order_inversion").buggy, EngineKind::Random);
    let failure = report.failure().expect("found");
    assert_eq!(failure.kind(), FailureKind::Deadlock);
    let message = failure.message();
    let at = "(at catalogue/src/entries/lock_order_inversion.rs:";
    assert!(
        message.contains(&format!("main waits to lock `a` {at}58), held by T1")),
        "{message}"
    );
    assert!(
        message.contains(&format!("T1 waits to lock `b` {at}51), held by main")),
        "{message}"
    );
}

#[test]
fn the_stress_watchdog_reports_a_deadlock_and_the_process_goes_on() {
    let buggy = entry("lock_order_inversion").buggy;
    for _ in 0..2 {
        let report = run(buggy, EngineKind::Stress);
        let failure = report.failure().expect("the watchdog fires");
        assert_eq!(failure.kind(), FailureKind::Deadlock, "{failure}");
        assert!(failure.message().contains("held by"), "{failure}");
    }
    // The stress engine still works after abandoning deadlocked iterations.
    assert!(run(entry("lost_update").fixed, EngineKind::Stress).is_clean());
}
