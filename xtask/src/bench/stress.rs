//! The stress engine: iterations per second against spawning and joining threads every
//! iteration, and how often it lets the hardware show store buffering.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;
use tapestry::{Engine, Explorer};

use super::{Args, Section, median};

/// Iterations per run of the speed comparison.
const ITERATIONS: u64 = 30_000;
/// At most this many iterations of each store-buffering run...
const LITMUS_ITERATIONS: u64 = 1_000_000;
/// ...and at most this long.
const LITMUS_TIME: Duration = Duration::from_secs(10);
/// The target of the issue: the stress engine at least this many times faster than the loop.
const TARGET: f64 = 10.0;

#[derive(Serialize)]
struct Speed {
    subject: &'static str,
    iterations: u64,
    iter_per_sec: f64,
    /// Iterations per second against the naive loop's.
    speedup: f64,
}

#[derive(Serialize)]
struct Litmus {
    subject: &'static str,
    iterations: u64,
    seconds: f64,
    weak: u64,
    weak_per_million: f64,
}

/// A stress engine with `jitter` and `race_detection` set, for `iterations` or `time`.
fn stress_engine(jitter: bool, detect: bool, iterations: u64, time: Duration) -> Engine {
    Engine::stress()
        .iterations(iterations)
        .time(time)
        .jitter(jitter)
        .race_detection(detect)
        .into()
}

pub fn stress(args: &Args) -> Result<Section> {
    let speed = speed(args.runs);
    let litmus = vec![
        litmus_stress(
            "stress, jitter off, race detection off",
            LitmusRun::default(),
        ),
        litmus_stress(
            "stress, jitter off, race detection off, tracing off",
            LitmusRun {
                tracing: false,
                ..LitmusRun::default()
            },
        ),
        litmus_stress(
            "stress, jitter on, race detection off",
            LitmusRun {
                jitter: true,
                ..LitmusRun::default()
            },
        ),
        litmus_stress(
            "stress, defaults (race detection on)",
            LitmusRun {
                jitter: true,
                detect: true,
                ..LitmusRun::default()
            },
        ),
        litmus_naive(),
        litmus_stress(
            "stress, jitter off, race detection off, tracing off; both threads read `x` and `y` first",
            LitmusRun {
                tracing: false,
                warm: true,
                ..LitmusRun::default()
            },
        ),
    ];

    let mut markdown = String::from("## The stress engine\n\n");
    markdown += &format!(
        "Iterations per second of a small program (the body spawns a thread, both make two atomic operations, the body joins) under the stress engine, against a loop that runs the same program with `std::thread::spawn` and `join` (std atomics) every iteration; {ITERATIONS} iterations per run. Target: at least {TARGET:.0}x the loop with jitter off. The defaults (jitter on, race detection on) are the figure a test sees.\n\n"
    );
    markdown += "| subject | iter/s | against the loop |\n|---|---:|---:|\n";
    for s in &speed {
        markdown += &format!(
            "| {} | {:.0} | {:.1}x |\n",
            s.subject, s.iter_per_sec, s.speedup
        );
    }
    markdown += &format!(
        "\nStore buffering: `x` and `y` start at 0; one thread stores 1 to `x` (`Release`) and loads `y` (`Acquire`), the other stores 1 to `y` and loads `x`. Both loads reading 0 is allowed by the memory model and done by x86's store buffers; hardware litmus testers (litmus7) see it on the order of 100 times per million on x86. Each run: at most {LITMUS_ITERATIONS} iterations or {} s. Race detection makes every atomic operation a barrier under the stress engine, so it hides the outcome. A store waits in the store buffer only while its cache line is fetched from another core: the thread that created `x` and `y` owns both lines, so its store is visible at once, and only a load issued within a few nanoseconds of the other thread's store can miss it; recording the store (tracing) puts some 50 ns between it and the next load. The last row adds a load of `x` and of `y` in both threads before the test, so that both cores hold both lines.\n\n",
        LITMUS_TIME.as_secs()
    );
    markdown += "| subject | iterations | iter/s | both read 0 | per million |\n|---|---:|---:|---:|---:|\n";
    for l in &litmus {
        markdown += &format!(
            "| {} | {} | {:.0} | {} | {:.1} |\n",
            l.subject,
            l.iterations,
            l.iterations as f64 / l.seconds,
            l.weak,
            l.weak_per_million
        );
    }
    Ok(Section {
        name: "stress",
        markdown,
        json: serde_json::json!({ "target": TARGET, "speed": speed, "store_buffering": litmus }),
    })
}

/// The speed comparison: every subject once per run, in turn, so that noise hits all alike.
fn speed(runs: usize) -> Vec<Speed> {
    type Subject = (&'static str, Box<dyn Fn() -> Duration>);
    let time_stress = |jitter: bool, detect: bool, tracing: bool| {
        move || {
            let engine = stress_engine(jitter, detect, ITERATIONS, Duration::from_secs(600));
            let start = Instant::now();
            let report = Explorer::new()
                .tracing(tracing)
                .engine(engine)
                .run(facade_program);
            let elapsed = start.elapsed();
            assert!(report.is_clean(), "{report}");
            assert_eq!(report.executions(), ITERATIONS);
            elapsed
        }
    };
    let subjects: Vec<Subject> = vec![
        (
            "std::thread::spawn and join per iteration",
            Box::new(|| {
                let start = Instant::now();
                for _ in 0..ITERATIONS {
                    std_program();
                }
                start.elapsed()
            }),
        ),
        (
            "stress, jitter off",
            Box::new(time_stress(false, true, true)),
        ),
        (
            "stress, jitter off, race detection off",
            Box::new(time_stress(false, false, true)),
        ),
        (
            "stress, jitter off, race detection off, tracing off",
            Box::new(time_stress(false, false, false)),
        ),
        (
            "stress, defaults (jitter on, race detection on)",
            Box::new(time_stress(true, true, true)),
        ),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); subjects.len()];
    for _ in 0..runs.max(1) {
        for (i, (_, run)) in subjects.iter().enumerate() {
            times[i].push(run());
        }
    }
    let per_sec: Vec<f64> = times
        .iter_mut()
        .map(|t| ITERATIONS as f64 / median(t).as_secs_f64())
        .collect();
    subjects
        .iter()
        .zip(&per_sec)
        .map(|((subject, _), &iter_per_sec)| Speed {
            subject,
            iterations: ITERATIONS,
            iter_per_sec,
            speedup: iter_per_sec / per_sec[0],
        })
        .collect()
}

/// The speed program through tapestry's facade.
fn facade_program() {
    use tapestry::sync::Arc;
    use tapestry::sync::atomic::{AtomicUsize, Ordering};
    let x = Arc::new(AtomicUsize::new(0));
    let y = Arc::new(AtomicUsize::new(0));
    let t = {
        let (x, y) = (x.clone(), y.clone());
        tapestry::thread::spawn(move || {
            x.fetch_add(1, Ordering::AcqRel);
            y.load(Ordering::Acquire)
        })
    };
    y.fetch_add(1, Ordering::AcqRel);
    let seen = x.load(Ordering::Acquire);
    std::hint::black_box(seen + t.join().unwrap());
}

/// The same program on std threads.
fn std_program() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let x = Arc::new(AtomicUsize::new(0));
    let y = Arc::new(AtomicUsize::new(0));
    let t = {
        let (x, y) = (x.clone(), y.clone());
        std::thread::spawn(move || {
            x.fetch_add(1, Ordering::AcqRel);
            y.load(Ordering::Acquire)
        })
    };
    y.fetch_add(1, Ordering::AcqRel);
    let seen = x.load(Ordering::Acquire);
    std::hint::black_box(seen + t.join().unwrap());
}

/// Store-buffering outcomes (both loads read 0) and programs run, counted outside the
/// exploration.
static WEAK: AtomicU64 = AtomicU64::new(0);
static RUNS: AtomicU64 = AtomicU64::new(0);

fn count(r1: usize, r2: usize) {
    RUNS.fetch_add(1, Relaxed);
    if r1 == 0 && r2 == 0 {
        WEAK.fetch_add(1, Relaxed);
    }
}

/// The store-buffering litmus test through the facade; `warm`: both threads load `x` and `y`
/// first.
fn sb_facade(warm: bool) {
    use tapestry::sync::Arc;
    use tapestry::sync::atomic::{AtomicUsize, Ordering};
    let x = Arc::new(AtomicUsize::new(0));
    let y = Arc::new(AtomicUsize::new(0));
    let touch = move |x: &AtomicUsize, y: &AtomicUsize| {
        if warm {
            x.load(Ordering::Relaxed);
            y.load(Ordering::Relaxed);
        }
    };
    let t = {
        let (x, y) = (x.clone(), y.clone());
        tapestry::thread::spawn(move || {
            touch(&x, &y);
            x.store(1, Ordering::Release);
            y.load(Ordering::Acquire)
        })
    };
    touch(&x, &y);
    y.store(1, Ordering::Release);
    let r2 = x.load(Ordering::Acquire);
    let r1 = t.join().unwrap();
    count(r1, r2);
}

/// The store-buffering litmus test on std threads.
fn sb_std() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let x = Arc::new(AtomicUsize::new(0));
    let y = Arc::new(AtomicUsize::new(0));
    let t = {
        let (x, y) = (x.clone(), y.clone());
        std::thread::spawn(move || {
            x.store(1, Ordering::Release);
            y.load(Ordering::Acquire)
        })
    };
    y.store(1, Ordering::Release);
    let r2 = x.load(Ordering::Acquire);
    let r1 = t.join().unwrap();
    count(r1, r2);
}

fn litmus_result(subject: &'static str, elapsed: Duration) -> Litmus {
    let (weak, runs) = (WEAK.load(Relaxed), RUNS.load(Relaxed));
    Litmus {
        subject,
        iterations: runs,
        seconds: elapsed.as_secs_f64(),
        weak,
        weak_per_million: weak as f64 * 1e6 / runs.max(1) as f64,
    }
}

/// Settings of a store-buffering run under the stress engine.
struct LitmusRun {
    jitter: bool,
    detect: bool,
    tracing: bool,
    /// Both threads load `x` and `y` before the test.
    warm: bool,
}

impl Default for LitmusRun {
    fn default() -> Self {
        LitmusRun {
            jitter: false,
            detect: false,
            tracing: true,
            warm: false,
        }
    }
}

fn litmus_stress(subject: &'static str, run: LitmusRun) -> Litmus {
    WEAK.store(0, Relaxed);
    RUNS.store(0, Relaxed);
    let engine = stress_engine(run.jitter, run.detect, LITMUS_ITERATIONS, LITMUS_TIME);
    let explorer = Explorer::new().tracing(run.tracing).engine(engine);
    let start = Instant::now();
    let report = if run.warm {
        explorer.run(|| sb_facade(true))
    } else {
        explorer.run(|| sb_facade(false))
    };
    let elapsed = start.elapsed();
    assert!(report.is_clean(), "{report}");
    litmus_result(subject, elapsed)
}

fn litmus_naive() -> Litmus {
    WEAK.store(0, Relaxed);
    RUNS.store(0, Relaxed);
    let start = Instant::now();
    for _ in 0..LITMUS_ITERATIONS {
        sb_std();
        if start.elapsed() >= LITMUS_TIME {
            break;
        }
    }
    litmus_result("std::thread::spawn and join per iteration", start.elapsed())
}
