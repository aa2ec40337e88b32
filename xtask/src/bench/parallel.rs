//! Parallel and sharded exploration: schedules per second with one and two worker threads, and
//! shards that split one run's schedules between machines.

use std::time::Instant;

use anyhow::{Result, ensure};
use serde::Serialize;
use tapestry::{Engine, Explorer, Shard};
use tapestry_catalogue::entry;

use super::{Args, Section, median_f64};

/// A fixed program with a few threads and locks: every schedule runs to the end.
const PROGRAM: &str = "dining_philosophers";
/// Schedules per run, and rounds per `--runs`: more rounds follow this machine's drift better
/// (see `overhead`), but much shorter runs would measure starting workers more than running
/// them.
const SCHEDULES: u64 = 10_000;
const ROUNDS_PER_RUN: usize = 2;

type EngineOf = fn() -> Engine;

#[derive(Serialize)]
struct Speedup {
    engine: String,
    schedules: u64,
    one_job_per_sec: f64,
    two_jobs_per_sec: f64,
    speedup: f64,
    /// Two separate one-job explorations at once against one alone: what this machine gives
    /// this workload on two threads, which no split of one exploration can beat.
    separate_speedup: f64,
    /// The 2-job rate against the rate of the two separate runs: how much of what the machine
    /// gives two threads the split uses.
    efficiency: f64,
}

#[derive(Serialize)]
struct Split {
    entry: &'static str,
    seed: u64,
    unsharded_first_failure: u64,
    shard: String,
    shard_first_failure: u64,
    same_trace: bool,
}

pub fn parallel(args: &Args) -> Result<Section> {
    let program = entry(PROGRAM).expect("catalogued").fixed;
    let engines: [(&str, EngineOf); 2] = [
        ("random", || Engine::random().schedules(SCHEDULES).into()),
        ("pct", || Engine::pct().schedules(SCHEDULES).into()),
    ];
    let mut speedups = Vec::new();
    for (name, engine) in engines {
        let explore = |jobs: usize| {
            let report = Explorer::new().engine(engine()).jobs(jobs).run(program);
            assert!(report.is_clean(), "{report}");
            assert_eq!(report.engines()[0].executions(), SCHEDULES);
        };
        let rate = |jobs: usize| {
            let start = Instant::now();
            explore(jobs);
            SCHEDULES as f64 / start.elapsed().as_secs_f64()
        };
        let separate = || {
            let start = Instant::now();
            std::thread::scope(|scope| {
                scope.spawn(|| explore(1));
                explore(1);
            });
            2.0 * SCHEDULES as f64 / start.elapsed().as_secs_f64()
        };
        let (mut one, mut two) = (Vec::new(), Vec::new());
        let (mut ratios, mut separate_ratios, mut efficiencies) =
            (Vec::new(), Vec::new(), Vec::new());
        for round in 0..args.runs.max(1) * ROUNDS_PER_RUN {
            // Each round starts with the next subject, so that none always runs after another.
            let mut rates = [0.0; 3];
            for i in (0..3).map(|i| (i + round) % 3) {
                rates[i] = match i {
                    0 => rate(1),
                    1 => rate(2),
                    _ => separate(),
                };
            }
            one.push(rates[0]);
            two.push(rates[1]);
            ratios.push(rates[1] / rates[0]);
            separate_ratios.push(rates[2] / rates[0]);
            efficiencies.push(rates[1] / rates[2]);
        }
        speedups.push(Speedup {
            engine: name.to_owned(),
            schedules: SCHEDULES,
            one_job_per_sec: median_f64(&mut one),
            two_jobs_per_sec: median_f64(&mut two),
            speedup: median_f64(&mut ratios),
            separate_speedup: median_f64(&mut separate_ratios),
            efficiency: median_f64(&mut efficiencies),
        });
    }
    let ceiling = {
        let mut runs: Vec<f64> = (0..args.runs.max(1)).map(|_| machine_ceiling()).collect();
        median_f64(&mut runs)
    };
    let splits = shards()?;
    let mut markdown = String::from("## Parallel and sharded exploration\n\n");
    markdown += &format!(
        "`Explorer::jobs(n)` (`TAPESTRY_JOBS`, `tapestry hunt --workers`) spreads a seeded engine's schedules over `n` worker threads; the schedules run are the same for any `n`. The fixed `{PROGRAM}` program, {SCHEDULES} schedules, with 1 and 2 jobs, in {rounds} rounds taking turns; the speedup is the median over the rounds of the round's 2-job rate against its 1-job rate. Each round also runs two separate 1-job explorations at once: what this machine gives this workload on two threads at all, which no split of one exploration can beat (this virtual machine's two cores may share one physical core, and then its caches); the efficiency is the median of the round's 2-job rate against that. Target: at least 1.8x with 2 jobs on 2 cores.\n\n",
        rounds = args.runs.max(1) * ROUNDS_PER_RUN
    );
    markdown += "| engine | 1 job schedules/s | 2 jobs schedules/s | speedup | two separate 1-job runs at once | efficiency |\n|---|---:|---:|---:|---:|---:|\n";
    for s in &speedups {
        markdown += &format!(
            "| {} | {:.0} | {:.0} | {:.2}x | {:.2}x | {:.0}% |\n",
            s.engine,
            s.one_job_per_sec,
            s.two_jobs_per_sec,
            s.speedup,
            s.separate_speedup,
            100.0 * s.efficiency
        );
    }
    markdown += &format!(
        "\nWhat this machine gives two threads at all: the same arithmetic loop on two threads at once runs {ceiling:.2}x the work of one (2.0 on two free cores; a virtual machine's cores may share a physical one, and its neighbours the host).\n"
    );
    markdown += "\n`Explorer::shard(i/n)` (`TAPESTRY_SHARD=i/n`, `tapestry hunt --shard`) runs schedules `i+1`, `i+1+n`, ... of the seed: two shards of 500 schedules run exactly the schedules of one run of 1,000 (tested in `tests/scaling.rs`). The first failing schedule of an unsharded random run, and what the shard holding it found:\n\n";
    markdown += "| entry | seed | unsharded: first failure | shard | shard: first failure | same trace |\n|---|---:|---:|---|---:|---|\n";
    for s in &splits {
        markdown += &format!(
            "| {} | {} | #{} | {} | #{} | {} |\n",
            s.entry,
            s.seed,
            s.unsharded_first_failure,
            s.shard,
            s.shard_first_failure,
            if s.same_trace { "yes" } else { "no" }
        );
    }
    Ok(Section {
        name: "parallel",
        markdown,
        json: serde_json::json!({ "jobs": speedups, "machine_ceiling": ceiling, "shards": splits }),
    })
}

/// How much more work two threads do than one in the same time, on a loop that shares
/// nothing: the most any parallel exploration can gain here.
fn machine_ceiling() -> f64 {
    fn work() -> u64 {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..50_000_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        std::hint::black_box(x)
    }
    let start = Instant::now();
    work();
    let one = start.elapsed().as_secs_f64();
    let start = Instant::now();
    std::thread::scope(|scope| {
        let other = scope.spawn(work);
        work();
        other.join().expect("the loop does not panic");
    });
    2.0 * one / start.elapsed().as_secs_f64()
}

fn shards() -> Result<Vec<Split>> {
    let random = |seed, schedules| {
        Explorer::new()
            .engine(Engine::random().seed(seed).schedules(schedules))
            .shrink(false)
    };
    let mut splits = Vec::new();
    for (name, seed) in [("thread_pool_shutdown", 2), ("aba_stack", 2)] {
        let program = entry(name).expect("catalogued").buggy;
        let whole = random(seed, 1_000).run(program);
        let first = whole.failure().expect("found unsharded");
        let number = first.execution();
        let shard = Shard::new((number - 1) % 2, 2).expect("a shard of two");
        let sharded = random(seed, 500).shard(shard).run(program);
        let found = sharded.failure().expect("found by its shard");
        ensure!(found.execution() == number, "{name}: shard found another");
        splits.push(Split {
            entry: name,
            seed,
            unsharded_first_failure: number,
            shard: shard.to_string(),
            shard_first_failure: found.execution(),
            same_trace: found.trace().render_full() == first.trace().render_full(),
        });
    }
    Ok(splits)
}
