//! The facade's overhead against raw loom and raw shuttle, and the race detector's cost.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;
use tapestry::{Engine, Explorer};

use super::{Args, Section, median, median_f64};

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
    traced_per_sec: f64,
    traced_slowdown: f64,
    untraced_per_sec: f64,
    untraced_slowdown: f64,
}

/// Executions per second through the facade, tracing on and off, against raw loom and raw
/// shuttle.
pub fn overhead(args: &Args) -> Result<Section> {
    // Many short rounds (about 0.1 s each) rather than a few long ones: this machine's speed
    // drifts within seconds, and the median of many paired rounds follows it best. With a
    // third as many rounds, three times as long, single runs of this section moved by 5-10%.
    let n = (args.executions / 9).max(1);
    let rounds = args.runs * 9;
    let overhead = ROWS.map(|(engine, baseline, subjects)| {
        let mut runs = subjects.map(|subject| move || probe(subject, n));
        let runs = runs
            .each_mut()
            .map(|run| run as &mut dyn FnMut() -> Duration);
        overhead_of(engine, baseline, n, &rates(n, rounds, runs))
    });
    let mut markdown = String::from("## Overhead of the facade\n\n");
    markdown += &format!(
        "The same program ({THREADS} threads, each doing {ROUNDS} rounds of lock, unlock and `fetch_add`) written against the engine's own types and against tapestry's facade, run for the same number of executions in {rounds} rounds taking turns, with tracing on (every operation recorded, the default) and off (`Explorer::tracing(false)`: a failure is traced by running its schedule once more). Executions per second are each one's median round; a slowdown is the median over the rounds of the round's time against the baseline's time in the same round, so that the machine's drift cancels. Under the random engine tapestry's race detector is armed but keeps no vector clocks, since the program creates no `UnsafeCell` (clocks start at an execution's first cell); the row \"random, clocks on\" runs the same program after it creates one cell, so every synchronisation also updates vector clocks (raw shuttle detects no races). Target: at most 1.2x slower with tracing on, 1.1x with it off. This machine's speed varies from run to run; for counts that do not, run one subject under a profiler, e.g. `valgrind --tool=callgrind target/release/xtask probe random` (`xtask probe --help` lists the subjects).\n\n"
    );
    markdown += "| engine | baseline | executions | baseline exec/s | tracing on exec/s | slowdown | tracing off exec/s | slowdown |\n|---|---|---:|---:|---:|---:|---:|---:|\n";
    for o in &overhead {
        markdown += &format!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.2}x | {:.0} | {:.2}x |\n",
            o.engine,
            o.baseline,
            o.executions,
            o.baseline_per_sec,
            o.traced_per_sec,
            o.traced_slowdown,
            o.untraced_per_sec,
            o.untraced_slowdown
        );
    }
    Ok(Section {
        name: "overhead",
        markdown,
        json: serde_json::to_value(overhead)?,
    })
}

fn overhead_of(
    engine: &'static str,
    baseline: &'static str,
    executions: u64,
    [raw, traced, untraced]: &[Rate; 3],
) -> Overhead {
    Overhead {
        engine,
        baseline,
        executions,
        baseline_per_sec: raw.per_sec,
        traced_per_sec: traced.per_sec,
        traced_slowdown: traced.slowdown,
        untraced_per_sec: untraced.per_sec,
        untraced_slowdown: untraced.slowdown,
    }
}

/// How fast one subject ran, and how much slower than the first subject.
struct Rate {
    /// Executions per second in its median run.
    per_sec: f64,
    /// The median over the rounds of its time divided by the first subject's time.
    slowdown: f64,
}

/// Runs each subject `runs` times, taking turns so that machine noise hits them alike.
fn rates<const N: usize>(
    executions: u64,
    runs: usize,
    subjects: [&mut dyn FnMut() -> Duration; N],
) -> [Rate; N] {
    let mut times: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::new());
    for round in 0..runs.max(1) {
        // Each round starts with the next subject, so that none always runs after another.
        for i in (0..N).map(|i| (i + round) % N) {
            times[i].push(subjects[i]());
        }
    }
    let baseline = times[0].clone();
    times.map(|mut times| {
        let mut ratios: Vec<f64> = times
            .iter()
            .zip(&baseline)
            .map(|(t, b)| t.as_secs_f64() / b.as_secs_f64())
            .collect();
        Rate {
            per_sec: executions as f64 / median(&mut times).as_secs_f64(),
            slowdown: median_f64(&mut ratios),
        }
    })
}

#[derive(Serialize)]
struct Detector {
    iterations: u64,
    off_per_sec: f64,
    on_per_sec: f64,
    cost: f64,
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
    let [off, on] = rates(
        iterations,
        args.runs,
        [&mut || stress(false), &mut || stress(true)],
    );
    let d = Detector {
        iterations,
        off_per_sec: off.per_sec,
        on_per_sec: on.per_sec,
        cost: on.slowdown,
    };
    let mut markdown = String::from("## Cost of race detection\n\n");
    markdown += &format!(
        "A stress run of a program whose two threads make {CELL_ACCESSES} `UnsafeCell` accesses per iteration (plus a lock, a spawn and a join), with `Stress::race_detection` off and on, {} iterations each, jitter off in both so that the difference is the detector's.\n\n",
        d.iterations
    );
    markdown += "| detection off iter/s | detection on iter/s | cost |\n|---:|---:|---:|\n";
    markdown += &format!(
        "| {:.0} | {:.0} | {:.2}x |\n",
        d.off_per_sec, d.on_per_sec, d.cost
    );
    Ok(Section {
        name: "detector",
        markdown,
        json: serde_json::to_value(d)?,
    })
}

/// The section's rows: the engine, its baseline, and the subjects run (the baseline, then
/// tapestry with tracing on and off).
const ROWS: [(&str, &str, [Probe; 3]); 3] = [
    (
        "exhaustive",
        "raw loom",
        [Probe::RawLoom, Probe::Exhaustive, Probe::ExhaustiveUntraced],
    ),
    (
        "random",
        "raw shuttle",
        [Probe::RawShuttle, Probe::Random, Probe::RandomUntraced],
    ),
    (
        "random, clocks on",
        "raw shuttle",
        [
            Probe::RawShuttle,
            Probe::RandomClocksOn,
            Probe::RandomClocksOnUntraced,
        ],
    ),
];

/// One subject of the overhead section, run alone (`cargo xtask probe`): for profilers, which
/// count instructions where the section's wall clock is noisy, e.g.
/// `valgrind --tool=callgrind target/release/xtask probe random --executions 300`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Probe {
    RawShuttle,
    Random,
    RandomUntraced,
    RandomClocksOn,
    RandomClocksOnUntraced,
    RawLoom,
    Exhaustive,
    ExhaustiveUntraced,
    /// The async section's program through `tapestry::future`, random engine.
    Tasks,
    /// The same through raw `shuttle::future`.
    RawShuttleTasks,
}

/// Runs `subject` for `executions` executions; returns how long it took.
pub fn probe(subject: Probe, executions: u64) -> Duration {
    let random = || Engine::random().schedules(executions).into();
    let exhaustive = || {
        Engine::exhaustive()
            .preemption_bound(2)
            .iterative(false)
            .max_executions(executions)
            .into()
    };
    match subject {
        Probe::RawShuttle => raw_shuttle(executions),
        Probe::Random => tapestry_run(random(), true, facade_program),
        Probe::RandomUntraced => tapestry_run(random(), false, facade_program),
        Probe::RandomClocksOn => tapestry_run(random(), true, program_with_cell),
        Probe::RandomClocksOnUntraced => tapestry_run(random(), false, program_with_cell),
        Probe::RawLoom => raw_loom(executions),
        Probe::Exhaustive => tapestry_run(exhaustive(), true, facade_program),
        Probe::ExhaustiveUntraced => tapestry_run(exhaustive(), false, facade_program),
        Probe::Tasks => super::tasks::tapestry_run(executions),
        Probe::RawShuttleTasks => super::tasks::shuttle_run(executions),
    }
}

fn tapestry_run(engine: Engine, tracing: bool, program: fn()) -> Duration {
    let start = Instant::now();
    let report = Explorer::new().engine(engine).tracing(tracing).run(program);
    assert!(report.is_clean(), "{report}");
    start.elapsed()
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

/// The overhead program written against `$sync`'s types: tapestry's facade, or one engine's
/// own (with std's `Arc`, which the engines do not model).
macro_rules! overhead_program {
    ($name:ident, $sync:ident, $arc:path) => {
        fn $name() {
            use $arc;
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

overhead_program!(facade_program, tapestry, tapestry::sync::Arc);

/// The facade program after creating a cell it never touches: the race detector keeps vector
/// clocks from the cell on.
fn program_with_cell() {
    let _cell = tapestry::cell::UnsafeCell::new(0u8);
    facade_program();
}
overhead_program!(loom_program, loom, std::sync::Arc);
overhead_program!(shuttle_program, shuttle, std::sync::Arc);

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
    raw_shuttle_run(executions, shuttle_program)
}

/// The time raw shuttle's random scheduler takes to run `program` `executions` times.
pub(super) fn raw_shuttle_run(executions: u64, program: fn()) -> Duration {
    std::thread::spawn(move || {
        let mut config = shuttle::Config::new();
        config.failure_persistence = shuttle::FailurePersistence::None;
        config.silence_warnings = true;
        let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(0, executions as usize);
        let start = Instant::now();
        shuttle::Runner::new(scheduler, config).run(program);
        start.elapsed()
    })
    .join()
    .expect("raw shuttle run")
}
