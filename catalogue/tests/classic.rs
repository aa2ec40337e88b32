//! The classic programs: the trace counter agrees with the known optima, and every program
//! runs clean (its final-state assertions hold) under an engine.

use tapestry::{Engine, Explorer};
use tapestry_catalogue::classic::{self, Access, Classic, Model, ModelThread};

#[test]
fn trace_counter_agrees_with_the_known_optima() {
    for n in 1..=4 {
        assert_eq!(Model::readers(n).traces(), 1 << n, "readers({n})");
        let factorial: u64 = (1..=n as u64).product();
        assert_eq!(Model::counter(n).traces(), factorial, "counter({n})");
    }
}

#[test]
fn trace_counter_counts_lastzero_by_hand() {
    // n = 1: the scanner reads a[1] before or after thread 1 writes it; a[0] is never
    // written, so its reads commute with everything.
    assert_eq!(Model::lastzero(1).traces(), 2);
    assert_eq!(classic::lastzero(1).optimum, 2);
    // n = 2: thread 2 reads a[1] before or after thread 1 writes it (2 ways); the scanner
    // either stops at a[2] (still 0: 2 classes) or reads a[1] after thread 2's write, before
    // thread 1's (which forces thread 2's read before it too: 1 class) or after it (2).
    assert_eq!(Model::lastzero(2).traces(), 5);
    // The closed form the programs give as their optimum.
    for n in 1..=5 {
        assert_eq!(Model::lastzero(n).traces(), classic::lastzero(n).optimum);
    }
}

#[test]
fn independent_threads_have_one_trace() {
    let threads: Vec<ModelThread> = (0..3)
        .map(|v| -> ModelThread {
            Box::new(move |done: &[u64]| done.is_empty().then_some(Access::Store(v, 1)))
        })
        .collect();
    assert_eq!(Model::new(3, threads).traces(), 1);
}

fn programs() -> Vec<Classic> {
    let mut all = Vec::new();
    for n in 1..=4 {
        all.push(classic::readers(n));
        all.push(classic::lastzero(n));
    }
    for n in 1..=5 {
        all.push(classic::counter(n));
    }
    all
}

#[test]
fn every_program_runs_clean() {
    for c in programs() {
        let program = c.program.clone();
        let report = Explorer::new()
            .engine(Engine::random().schedules(200))
            .run(move || program());
        assert!(report.is_clean(), "{c:?}: {report}");
    }
}
