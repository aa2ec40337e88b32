//! Long runs and budgets: an engine stopped before one execution ends says it tested nothing,
//! an estimate stops at its time in the middle of a path, and the c11 engine's long runs (one
//! thread's thousands of events, `SeqCst` mixed with weaker orderings) end within its budget.

use tapestry::sync::Arc;
use tapestry::sync::atomic::AtomicUsize;
use tapestry::sync::atomic::Ordering::{self, Acquire, Relaxed, Release, SeqCst};
use tapestry::{Engine, Explorer, Outcome, thread};

/// Two threads increment a counter once each with `ordering` (two executions: which came
/// first), then main does `then` with the counter: a long run, in the tests that use it.
fn two_increments_then(ordering: Ordering, then: impl FnOnce(&AtomicUsize)) {
    let x = Arc::new(AtomicUsize::new(0));
    let y = x.clone();
    let t = thread::spawn(move || y.fetch_add(1, ordering));
    x.fetch_add(1, ordering);
    t.join().unwrap();
    then(&x);
}

/// [`two_increments_then`], then main increments another counter 15,000 times: two
/// executions, each a long run whose graph grows at every step.
fn then_counts_long() {
    two_increments_then(Relaxed, |_| {
        let long = AtomicUsize::new(0);
        for _ in 0..15_000 {
            long.fetch_add(1, Relaxed);
        }
    });
}

/// The estimate of a search stopped by its budget takes at most its time (0.2 s to 2 s), even
/// in the middle of a path: here each path takes three seconds (its thread sleeps a
/// millisecond between increments). (A path that ran to the step limit took 5 minutes
/// before: a poll loop's, `polls_a_channel` in `tests/c11.rs`.)
#[test]
fn an_estimate_stops_at_its_time_in_the_middle_of_a_path() {
    let report = Explorer::new()
        .engine(Engine::dpor().max_executions(1))
        .run(|| {
            two_increments_then(Relaxed, |x| {
                for _ in 0..3000 {
                    x.fetch_add(1, Relaxed);
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            });
        });
    assert!(report.failure().is_none(), "{report}");
    let estimate = report.engines()[0].estimate().expect("an estimate");
    assert!(
        estimate.ends_with("(no random path of the estimate ended in its time)"),
        "{estimate}"
    );
}

/// A c11 exploration whose time is up in the middle of its first run stops there, and says
/// it tested nothing rather than pass: each run of [`takes_a_second`] takes a second (its
/// thread sleeps a millisecond between increments), twenty times the budget.
#[test]
fn a_c11_exploration_stopped_before_one_run_ends_says_it_ran_none() {
    let report = Explorer::new()
        .engine(Engine::c11().max_time(std::time::Duration::from_millis(50)))
        .run(takes_a_second);
    let engine = &report.engines()[0];
    assert_eq!(engine.executions(), 0, "{report}");
    let Outcome::Unsupported { reason } = engine.outcome() else {
        panic!("not unsupported: {report}");
    };
    assert!(
        reason.starts_with("not one execution finished within its budget")
            && reason.contains("Raise the budget"),
        "{report}"
    );
    assert!(!report.is_clean() && !report.ran_any(), "{report}");
}

/// A run that takes a second of real time, whatever the engine's speed.
fn takes_a_second() {
    let x = AtomicUsize::new(0);
    for _ in 0..1000 {
        x.fetch_add(1, Relaxed);
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// [`then_counts_long`]'s two runs of 15,000 increments end within the c11 engine's
/// default budget, and the search is complete (before, each event walked back over the run
/// before it). How time grows with a run's length is `cargo xtask bench`'s (section `c11`,
/// `long_run`).
#[test]
fn a_long_run_ends_under_the_c11_engine() {
    let report = Explorer::new()
        .max_steps(20_000)
        .engine(Engine::c11())
        .run(then_counts_long);
    tapestry_tests::assert_complete(&report, "then_counts_long under c11");
    assert_eq!(report.engines()[0].executions(), 2, "{report}");
}

/// A long run whose `SeqCst` increments mix with release stores and acquire loads: each
/// `SeqCst` event of such a graph is judged on the whole graph, except when it takes the
/// latest place, which keeps any consistent graph consistent. Judged every time, 2,000 rounds
/// took more than the engine's 30 s (a run of `n` events cost `n³`).
#[test]
fn a_long_run_mixing_seq_cst_with_weaker_orderings_ends_under_the_c11_engine() {
    let report = Explorer::new().engine(Engine::c11()).run(|| {
        two_increments_then(SeqCst, |x| {
            let flag = AtomicUsize::new(0);
            for i in 0..2000 {
                x.fetch_add(1, SeqCst);
                flag.store(i, Release);
                assert_eq!(flag.load(Acquire), i);
            }
        });
    });
    tapestry_tests::assert_complete(&report, "a long mixed run under c11");
    assert_eq!(report.engines()[0].executions(), 2, "{report}");
}
