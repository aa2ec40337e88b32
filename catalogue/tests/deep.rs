//! The deep-bug programs fail under some schedule and pass when fixed or run without
//! preemptions; and the SURW engine finds every catalogue bug that random or PCT finds.

use tapestry::{Engine, EngineKind, Explorer, FailureKind, Outcome};
use tapestry_catalogue::ENTRIES;
use tapestry_catalogue::deep::{self, Deep};
use tapestry_catalogue::hunt::{Settings, Variant, Verdict, hunt_all};
use tapestry_catalogue::quiet::Silenced;

fn outcome(program: &Deep, fixed: bool, engine: Engine) -> Outcome {
    let body = if fixed {
        program.fixed.clone()
    } else {
        program.buggy.clone()
    };
    let report = Explorer::new()
        .engine(engine)
        .shrink(false)
        .run(move || body());
    report.engines()[0].outcome().clone()
}

#[test]
fn buggy_programs_fail_under_some_schedule() {
    let _quiet = Silenced::stderr();
    for n in [3, 10] {
        for program in deep::all(n) {
            match outcome(&program, false, Engine::surw().schedules(1_000).into()) {
                Outcome::Failed { kind, .. } => assert_eq!(kind, FailureKind::Panic, "{program:?}"),
                other => panic!("{program:?} should fail, but: {other}"),
            }
        }
    }
}

#[test]
fn fixed_programs_pass() {
    let _quiet = Silenced::stderr();
    for n in [3, 10] {
        for program in deep::all(n) {
            for engine in [
                Engine::surw().schedules(300).into(),
                Engine::random().schedules(300).into(),
                Engine::pct().schedules(300).into(),
            ] {
                let got = outcome(&program, true, engine);
                assert!(
                    matches!(got, Outcome::Passed { .. }),
                    "{program:?} fixed: {got}"
                );
            }
        }
    }
}

/// Every bug needs a preemption: the late thread interrupted between its two steps.
#[test]
fn buggy_programs_pass_without_preemptions() {
    let _quiet = Silenced::stderr();
    for program in deep::all(3) {
        let got = outcome(
            &program,
            false,
            Engine::exhaustive().preemption_bound(0).into(),
        );
        assert!(
            matches!(got, Outcome::Passed { complete: true }),
            "{program:?}: {got}"
        );
    }
}

/// No regression: within the catalogue's budget, SURW finds every bug that random or PCT is
/// claimed to find, with the entry's failure kind. Except a livelock that needs its threads in
/// lockstep (`polite_livelock`): PCT keeps yielding threads in step (a thread that steps aside
/// drops below the other), while SURW, like random, soon puts one a move ahead.
#[test]
fn surw_finds_what_random_or_pct_finds() {
    let _quiet = Silenced::stderr();
    let work: Vec<_> = ENTRIES
        .iter()
        .filter(|e| {
            e.found_by.contains(&EngineKind::Random)
                || (e.found_by.contains(&EngineKind::Pct) && e.kind != FailureKind::StepLimit)
        })
        .map(|e| (e, Variant::Buggy, EngineKind::Surw))
        .collect();
    assert!(!work.is_empty());
    let cells = hunt_all(&work, &Settings::default(), 2, &|_| {});
    let missed: Vec<String> = cells
        .iter()
        .filter(|c| {
            let expected = tapestry_catalogue::entry(c.entry).map(|e| e.kind);
            !match c.verdict {
                Verdict::Found { .. } => true,
                Verdict::FoundUnexpectedly { kind, .. } => Some(kind) == expected,
                _ => false,
            }
        })
        .map(|c| format!("{}: {:?}", c.entry, c.verdict))
        .collect();
    for c in &cells {
        println!(
            "{} {:?} after {} executions",
            c.entry, c.verdict, c.executions
        );
    }
    assert!(missed.is_empty(), "SURW missed: {missed:#?}");
}

/// A SURW failure replays on its own, with the same failure, and the same seed finds it in the
/// same execution again.
#[test]
fn surw_failures_replay_and_seeds_repeat() {
    let _quiet = Silenced::stderr();
    for program in deep::all(10) {
        let run = || {
            let body = program.buggy.clone();
            Explorer::new()
                .engine(Engine::surw().schedules(1_000).seed(7))
                .shrink(false)
                .run(move || body())
        };
        let report = run();
        let failure = report.failure().expect("SURW finds the bug");
        assert_eq!(
            run().failure().map(|f| f.execution()),
            Some(failure.execution()),
            "{program:?}: the same seed found it elsewhere"
        );
        let body = program.buggy.clone();
        let replayed = Explorer::new()
            .replay(failure.replay(), move || body())
            .expect("the schedule fits the program");
        let again = replayed.failure().expect("the replay fails too");
        assert_eq!(again.kind(), failure.kind(), "{program:?}");
    }
}
