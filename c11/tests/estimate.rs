//! Estimating the number of executions from random paths of the exploration: exact where
//! every path weighs the same, and within a few standard errors of the true count where they
//! do not. The paths are seeded, so these results do not vary from run to run.

mod support;

use support::{I, Litmus, estimate, explore};
use tapestry_c11::Model;
use tapestry_c11::Ordering::{Relaxed, SeqCst};

fn two_locations(threads: Vec<Vec<I>>) -> Litmus {
    Litmus {
        locs: vec![(0, 0), (1, 0)],
        threads,
    }
}

/// The estimate is within four standard errors of the exact count, and the error bar is
/// honest: not zero where the paths differ.
fn close(litmus: &Litmus, model: Model) {
    let (exact, _) = explore(litmus, model);
    let e = estimate(litmus, model, 4_000, 7);
    assert!(e.std_error > 0.0, "{e}");
    assert!(
        (e.executions - exact as f64).abs() <= 4.0 * e.std_error,
        "{e}, exactly {exact}"
    );
}

#[test]
fn store_buffering_paths_all_weigh_four() {
    let sb = two_locations(vec![
        vec![I::Store(0, 1, Relaxed), I::Load(1, Relaxed)],
        vec![I::Store(1, 1, Relaxed), I::Load(0, Relaxed)],
    ]);
    let e = estimate(&sb, Model::Rc11, 50, 1);
    assert_eq!((e.executions, e.std_error, e.paths), (4.0, 0.0, 50));
}

#[test]
fn uneven_trees_are_estimated_within_their_error_bars() {
    let iriw = Litmus {
        locs: vec![(0, 0), (1, 0)],
        threads: vec![
            vec![I::Store(0, 1, SeqCst)],
            vec![I::Load(0, Relaxed), I::Load(1, Relaxed)],
            vec![I::Load(1, Relaxed), I::Load(0, Relaxed)],
            vec![I::Store(1, 1, SeqCst)],
        ],
    };
    close(&iriw, Model::Rc11);
    close(&iriw, Model::Sc);
    let counters = two_locations(vec![
        vec![I::FetchAdd(0, 1, Relaxed), I::Store(1, 1, Relaxed)],
        vec![I::FetchAdd(0, 1, Relaxed), I::Load(1, Relaxed)],
        vec![I::FetchAdd(0, 1, Relaxed), I::Store(1, 2, Relaxed)],
    ]);
    close(&counters, Model::Rc11);
}

#[test]
fn the_same_seed_gives_the_same_estimate() {
    let w = two_locations(vec![
        vec![I::Store(0, 1, Relaxed), I::Store(1, 2, Relaxed)],
        vec![I::Store(1, 1, Relaxed), I::Store(0, 2, Relaxed)],
        vec![I::Load(0, Relaxed), I::Load(1, Relaxed)],
    ]);
    assert_eq!(
        estimate(&w, Model::Rc11, 300, 3),
        estimate(&w, Model::Rc11, 300, 3)
    );
}
