//! The DPOR engine explores exactly one execution per Mazurkiewicz trace of the classic
//! programs: the counts the papers give, which `classic` also computes by brute force. The
//! c11 engine explores exactly one per execution graph: the same counts with every access
//! `SeqCst`, and those `classic` derives with every access `Relaxed`.

use tapestry::{Engine, Explorer, Outcome};
use tapestry_catalogue::classic::{self, Classic};

/// Runs `c` to completion under the unbounded DPOR engine; returns its executions.
fn executions(c: &Classic) -> u64 {
    executions_under(c, Engine::dpor().unbounded().into())
}

/// Runs `c` to completion under `engine`; returns its executions.
fn executions_under(c: &Classic, engine: Engine) -> u64 {
    let program = c.program.clone();
    let report = Explorer::new().engine(engine).run(move || program());
    assert!(report.is_clean(), "{c:?}: {report}");
    let run = &report.engines()[0];
    let finished = Outcome::Passed { complete: true };
    assert_eq!(run.outcome(), &finished, "{c:?}: the search did not finish");
    run.executions()
}

#[test]
fn counter_explores_n_factorial() {
    for n in 2..=5 {
        let c = classic::counter(n);
        assert_eq!(executions(&c), c.optimum, "{c:?}");
    }
}

#[test]
fn readers_explores_two_to_the_n() {
    for n in 1..=8 {
        let c = classic::readers(n);
        assert_eq!(executions(&c), 1 << n, "{c:?}");
    }
}

#[test]
fn lastzero_explores_its_traces() {
    for (n, expected) in [(1, 2), (2, 5), (3, 12), (4, 28), (5, 64)] {
        let c = classic::lastzero(n);
        assert_eq!(c.optimum, expected, "the brute-force count");
        assert_eq!(executions(&c), expected, "{c:?}");
    }
}

#[test]
fn the_c11_engine_runs_each_graph_of_the_classic_programs_once() {
    use tapestry::sync::atomic::Ordering::{Relaxed, SeqCst};
    for ordering in [SeqCst, Relaxed] {
        let mut all = Vec::new();
        for n in 1..=6 {
            all.push(classic::readers_with(n, ordering));
            all.push(classic::lastzero_with(n, ordering));
            all.push(classic::counter_with(n, ordering));
        }
        for c in all {
            let executions = executions_under(&c, Engine::c11().unbounded().into());
            assert_eq!(executions, c.optimum, "{c:?}");
        }
    }
}
