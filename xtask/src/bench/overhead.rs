//! The facade's overhead against raw loom and raw shuttle, and the race detector's cost.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;
use tapestry::{Engine, Explorer};

use super::{Args, Section, median};

/// Threads (including the test body's) and lock/unlock/fetch_add rounds per thread of the
/// overhead program.
const THREADS: usize = 3;
const ROUNDS: usize = 50;

#[derive(Serialize)]
struct Overhead {
    engine: &'static str,
    baseline: &'static str,
    executions: u64,
    baseline_per_sec: f64,
    tapestry_per_sec: f64,
    slowdown: f64,
}

/// Executions per second through the facade against raw loom and raw shuttle.
pub fn overhead(args: &Args) -> Result<Section> {
    let n = args.executions;
    let overhead = vec![
        compare(
            "exhaustive",
            "raw loom",
            n,
            args.runs,
            || raw_loom(n),
            || {
                tapestry_run(
                    Engine::exhaustive()
                        .preemption_bound(2)
                        .iterative(false)
                        .max_executions(n)
                        .into(),
                )
            },
        ),
        compare(
            "random",
            "raw shuttle",
            n,
            args.runs,
            || raw_shuttle(n),
            || tapestry_run(Engine::random().schedules(n).into()),
        ),
    ];
    let mut markdown = String::from("## Overhead of the facade\n\n");
    markdown += &format!(
        "The same program ({THREADS} threads, each doing {ROUNDS} rounds of lock, unlock and `fetch_add`) written against the engine's own types and against tapestry's facade (tracing on), run for the same number of executions. Target: at most 1.2x slower.\n\n"
    );
    markdown += "| engine | baseline | executions | baseline exec/s | tapestry exec/s | slowdown |\n|---|---|---:|---:|---:|---:|\n";
    for o in &overhead {
        markdown += &format!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.2}x |\n",
            o.engine, o.baseline, o.executions, o.baseline_per_sec, o.tapestry_per_sec, o.slowdown
        );
    }
    Ok(Section {
        name: "overhead",
        markdown,
        json: serde_json::to_value(overhead)?,
    })
}

/// The stress engine with race detection on, against the same engine with it off.
pub fn detector(args: &Args) -> Result<Section> {
    let iterations = args.executions;
    let stress = |detect: bool| {
        let engine = Engine::stress()
            .iterations(iterations)
            .time(Duration::from_secs(600))
            .jitter(false)
            .race_detection(detect);
        let start = Instant::now();
        let report = Explorer::new().engine(engine).run(cell_program);
        assert!(report.is_clean(), "{report}");
        start.elapsed()
    };
    let d = compare(
        "stress",
        "race detection off",
        iterations,
        args.runs,
        || stress(false),
        || stress(true),
    );
    let mut markdown = String::from("## Cost of race detection\n\n");
    markdown += &format!(
        "A stress run of a program whose two threads make {CELL_ACCESSES} `UnsafeCell` accesses per iteration (plus a lock, a spawn and a join), with `Stress::race_detection` off and on, {} iterations each, jitter off in both so that the difference is the detector's.\n\n",
        d.executions
    );
    markdown += "| detection off iter/s | detection on iter/s | cost |\n|---:|---:|---:|\n";
    markdown += &format!(
        "| {:.0} | {:.0} | {:.2}x |\n",
        d.baseline_per_sec, d.tapestry_per_sec, d.slowdown
    );
    Ok(Section {
        name: "detector",
        markdown,
        json: serde_json::to_value(d)?,
    })
}

fn compare(
    engine: &'static str,
    baseline: &'static str,
    executions: u64,
    runs: usize,
    mut raw: impl FnMut() -> Duration,
    mut ours: impl FnMut() -> Duration,
) -> Overhead {
    let (mut raw_times, mut our_times) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        raw_times.push(raw());
        our_times.push(ours());
    }
    let per_sec = |times: &mut Vec<Duration>| executions as f64 / median(times).as_secs_f64();
    let (baseline_per_sec, tapestry_per_sec) = (per_sec(&mut raw_times), per_sec(&mut our_times));
    Overhead {
        engine,
        baseline,
        executions,
        baseline_per_sec,
        tapestry_per_sec,
        slowdown: baseline_per_sec / tapestry_per_sec,
    }
}

fn tapestry_run(engine: Engine) -> Duration {
    let start = Instant::now();
    let report = Explorer::new().engine(engine).run(facade_program);
    assert!(report.is_clean(), "{report}");
    start.elapsed()
}

/// The overhead program through tapestry's facade.
fn facade_program() {
    use tapestry::sync::atomic::{AtomicUsize, Ordering};
    use tapestry::sync::{Arc, Mutex};
    let lock = Arc::new(Mutex::new(0));
    let count = Arc::new(AtomicUsize::new(0));
    let work = move |lock: &Mutex<usize>, count: &AtomicUsize| {
        for _ in 0..ROUNDS {
            *lock.lock().unwrap() += 1;
            count.fetch_add(1, Ordering::Relaxed);
        }
    };
    let threads: Vec<_> = (1..THREADS)
        .map(|_| {
            let (lock, count) = (lock.clone(), count.clone());
            tapestry::thread::spawn(move || work(&lock, &count))
        })
        .collect();
    work(&lock, &count);
    for t in threads {
        t.join().unwrap();
    }
}

/// Cell accesses per stress iteration of the detector benchmark, split between two threads.
const CELL_ACCESSES: usize = 1_000;

/// Two threads each read and write a cell of their own, then hand the results over through
/// a mutex: every access is checked, none races.
fn cell_program() {
    use tapestry::cell::UnsafeCell;
    use tapestry::sync::{Arc, Mutex};
    struct Private(UnsafeCell<u64>);
    // SAFETY: each thread touches only its own `Private`.
    unsafe impl Sync for Private {}
    let total = Arc::new(Mutex::new(0));
    let work = |total: &Mutex<u64>| {
        let cell = Private(UnsafeCell::new(0));
        for i in 0..CELL_ACCESSES / 4 {
            let seen = cell.0.with(|v| unsafe { *v });
            cell.0.with_mut(|v| unsafe { *v = seen + i as u64 });
        }
        *total.lock().unwrap() += cell.0.with(|v| unsafe { *v });
    };
    let t = {
        let total = total.clone();
        tapestry::thread::spawn(move || work(&total))
    };
    work(&total);
    t.join().unwrap();
}

/// The same program written against one engine's own types.
macro_rules! raw_program {
    ($name:ident, $sync:ident) => {
        fn $name() {
            use std::sync::Arc;
            use $sync::sync::Mutex;
            use $sync::sync::atomic::{AtomicUsize, Ordering};
            let lock = Arc::new(Mutex::new(0));
            let count = Arc::new(AtomicUsize::new(0));
            let work = move |lock: &Mutex<usize>, count: &AtomicUsize| {
                for _ in 0..ROUNDS {
                    *lock.lock().unwrap() += 1;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            };
            let threads: Vec<_> = (1..THREADS)
                .map(|_| {
                    let (lock, count) = (lock.clone(), count.clone());
                    $sync::thread::spawn(move || work(&lock, &count))
                })
                .collect();
            work(&lock, &count);
            for t in threads {
                t.join().unwrap();
            }
        }
    };
}

raw_program!(loom_program, loom);
raw_program!(shuttle_program, shuttle);

fn raw_loom(executions: u64) -> Duration {
    std::thread::spawn(move || {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.max_branches = 20_000;
        builder.checkpoint_interval = 1;
        builder.max_permutations = Some(executions as usize + 1);
        let start = Instant::now();
        builder.check(loom_program);
        start.elapsed()
    })
    .join()
    .expect("raw loom run")
}

fn raw_shuttle(executions: u64) -> Duration {
    std::thread::spawn(move || {
        let mut config = shuttle::Config::new();
        config.failure_persistence = shuttle::FailurePersistence::None;
        config.silence_warnings = true;
        let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(0, executions as usize);
        let start = Instant::now();
        shuttle::Runner::new(scheduler, config).run(shuttle_program);
        start.elapsed()
    })
    .join()
    .expect("raw shuttle run")
}
