//! The DPOR engine explores exactly one execution per Mazurkiewicz trace of the classic
//! programs, the counts the issue and the papers give, computed here by brute force.

use tapestry::{Engine, Explorer, Outcome};
use tapestry_catalogue::classic::{self, Classic, Model};

/// Runs `c` to completion under the unbounded DPOR engine; returns its executions.
fn executions(c: &Classic) -> u64 {
    let program = c.program.clone();
    let report = Explorer::new()
        .engine(Engine::dpor().unbounded())
        .run(move || program());
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
        assert_eq!(
            Model::lastzero(n).traces(),
            expected,
            "the brute-force count"
        );
        assert_eq!(executions(&c), expected, "{c:?}");
    }
}
