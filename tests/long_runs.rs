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
        estimate
            .ends_with("(no random path of the estimate ended in its time and within 2000 steps)"),
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

/// Two threads each increment a counter `each` times, and the total is checked: a correct
/// program whose executions are as long as `each` makes them.
fn two_long_counters(each: usize) {
    let x = Arc::new(AtomicUsize::new(0));
    let y = x.clone();
    let t = thread::spawn(move || {
        for _ in 0..each {
            y.fetch_add(1, Relaxed);
        }
    });
    for _ in 0..each {
        x.fetch_add(1, Relaxed);
    }
    t.join().unwrap();
    assert_eq!(x.load(Relaxed), 2 * each);
}

/// A correct program is not failed for being long: each execution of this one takes some
/// 24,000 steps, past the step limit of 20,000 that every engine had by default (a hundred
/// tasks sharing leaky-bucket's rate limiter, in that crate's own tests, take 20,000 to
/// 40,000), and the model engines pass it. (Not the c11 engine: a step of its exploration
/// costs more the longer the graph, README "Known limits".) The dpor search's budget stops
/// it, and its estimate, which samples the c11 exploration, says its paths are too long
/// instead of sampling one for minutes (before, the watchdog took that for a hang and ended
/// the process).
#[test]
fn a_long_correct_program_passes_under_the_default_step_limit() {
    let engines: [Engine; 4] = [
        Engine::exhaustive().max_executions(2).into(),
        Engine::dpor().max_executions(2).into(),
        Engine::random().schedules(2).into(),
        Engine::pct().schedules(2).into(),
    ];
    for engine in engines {
        let report = Explorer::new()
            .engine(engine)
            .run(|| two_long_counters(12_000));
        assert!(report.failure().is_none() && report.ran_any(), "{report}");
    }
    let report = Explorer::new()
        .engine(Engine::dpor().max_executions(2))
        .run(|| two_long_counters(12_000));
    let estimate = report.engines()[0].estimate().expect("an estimate");
    assert!(estimate.ends_with("within 2000 steps)"), "{estimate}");
}

/// loom counts a thread's operations in 16 bits, so the exhaustive engine runs at most 60,000
/// steps in one execution: a longer one (a livelock, or a long program: it cannot tell) is one
/// it says it cannot run, neither a failure nor a pass, while the other engines run it to the
/// step limit. Before, loom's counter overflowed: a panic blamed on the program.
#[test]
fn the_exhaustive_engine_says_an_execution_past_its_steps_is_beyond_it() {
    let report = Explorer::new()
        .engine(Engine::exhaustive().max_executions(1))
        .run(|| two_long_counters(40_000));
    let Outcome::Unsupported { reason } = report.engines()[0].outcome() else {
        panic!("not unsupported: {report}");
    };
    assert!(
        reason.starts_with("this engine runs at most 60000 steps per execution")
            && reason.contains("1000000"),
        "{report}"
    );
    assert!(report.failure().is_none(), "{report}");
}

/// An execution past the step limit in which no round of steps repeats (each step stores to
/// an atomic of its own) may be a program that is simply that long: the report says so, and
/// how to raise the limit, instead of only suggesting a spin loop.
#[test]
fn a_step_limit_with_no_repeating_round_suggests_raising_the_limit() {
    let report = Explorer::new()
        .engine(Engine::random().schedules(1))
        .max_steps(500)
        .run(|| {
            let cells: Vec<AtomicUsize> = (0..1000).map(AtomicUsize::new).collect();
            for cell in &cells {
                cell.store(0, Relaxed);
            }
        });
    let failure = report.failure().expect("the step limit");
    assert!(
        failure
            .message()
            .ends_with("so the program may just be this long: if so, raise `max_steps` (or `TAPESTRY_MAX_STEPS`)"),
        "{report}"
    );
}
