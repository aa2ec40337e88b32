//! Which engines `loom::model` runs: the DPOR engine, then loom's search only for a model that
//! used an ordering weaker than `SeqCst`. The test sets the environment, so it is this binary's
//! only one.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};

use tapestry_loom::sync::Arc;
use tapestry_loom::sync::atomic::AtomicUsize;
use tapestry_loom::{model, thread};

/// Runs `f` and returns the engines that ran, from the stats file `TAPESTRY_LOOM_STATS` names.
fn engines_run(f: impl Fn() + Sync + Send + 'static) -> Vec<String> {
    runs(|| model(f))
        .into_iter()
        .map(|(engine, _)| engine)
        .collect()
}

/// Runs `check` (which runs models) and returns each engine that ran, with its executions.
fn runs(check: impl FnOnce()) -> Vec<(String, u64)> {
    let path = std::env::temp_dir().join(format!("tapestry-loom-model-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // SAFETY: this binary's only test reads and writes the environment, one call at a time.
    unsafe { std::env::set_var("TAPESTRY_LOOM_STATS", &path) };
    check();
    // SAFETY: as above.
    unsafe { std::env::remove_var("TAPESTRY_LOOM_STATS") };
    let stats = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    stats
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.parse().ok()?))
        })
        .collect()
}

fn message_passing(store: std::sync::atomic::Ordering, load: std::sync::atomic::Ordering) {
    let data = Arc::new(AtomicUsize::new(0));
    let flag = Arc::new(AtomicUsize::new(0));
    let (d, f) = (data.clone(), flag.clone());
    let writer = thread::spawn(move || {
        d.store(1, SeqCst);
        f.store(1, store);
    });
    if flag.load(load) == 1 {
        assert_eq!(data.load(SeqCst), 1);
    }
    writer.join().unwrap();
}

/// `n` threads each add one, relaxed, to a counter.
fn increments(n: usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let count = count.clone();
            thread::spawn(move || {
                count.fetch_add(1, Relaxed);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(count.load(Relaxed), n);
}

#[test]
fn loom_search_runs_only_for_weak_orderings() {
    // Every access `SeqCst`: the DPOR engine alone decides.
    assert_eq!(engines_run(|| message_passing(SeqCst, SeqCst)), ["dpor"]);
    // A `Release` store and an `Acquire` load: loom's search runs too.
    assert_eq!(
        engines_run(|| message_passing(Release, Acquire)),
        ["dpor", "exhaustive"]
    );
    // `Relaxed`: likewise.
    assert_eq!(
        engines_run(|| message_passing(Relaxed, Relaxed)),
        ["dpor", "exhaustive"]
    );
    // The c11 engine, chosen by name, takes loom's budget, `max_permutations` (before, its
    // own: 10,000 executions and 30 s, ignoring `LOOM_MAX_DURATION` too). Three relaxed
    // increments have 3! executions, the orders of the three.
    // SAFETY: as above.
    unsafe { std::env::set_var("TAPESTRY_LOOM_ENGINES", "c11") };
    let mut builder = tapestry_loom::model::Builder::new();
    builder.max_permutations = Some(2);
    let c11 = runs(|| builder.check(|| increments(3)));
    // SAFETY: as above.
    unsafe { std::env::remove_var("TAPESTRY_LOOM_ENGINES") };
    assert_eq!(c11, [("c11".to_owned(), 2)]);
}
