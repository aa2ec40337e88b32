//! Which engines `loom::model` runs: the DPOR engine, then loom's search only for a model that
//! used an ordering weaker than `SeqCst`. The test sets the environment, so it is this binary's
//! only one.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};

use tapestry_loom::sync::Arc;
use tapestry_loom::sync::atomic::AtomicUsize;
use tapestry_loom::{model, thread};

/// Runs `f` and returns the engines that ran, from the stats file `TAPESTRY_LOOM_STATS` names.
fn engines_run(f: impl Fn() + Sync + Send + 'static) -> Vec<String> {
    let path = std::env::temp_dir().join(format!("tapestry-loom-model-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // SAFETY: this binary's only test reads and writes the environment, one call at a time.
    unsafe { std::env::set_var("TAPESTRY_LOOM_STATS", &path) };
    model(f);
    // SAFETY: as above.
    unsafe { std::env::remove_var("TAPESTRY_LOOM_STATS") };
    let stats = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    stats
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
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
}
