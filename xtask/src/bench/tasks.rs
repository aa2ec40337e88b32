//! Async tasks (section `async`): executions per second of one small async program through
//! `tapestry::future` against raw `shuttle::future`, same program, same scheduler kind, same
//! number of executions, run in turns. Time to first bug of the async catalogue entries is in
//! section `first_bug` (their category is `async`).

use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;
use tapestry::{Engine, Explorer};

use super::{Args, Section, median, median_f64};

/// Tasks spawned by the body, and `fetch_add`-then-yield rounds per task.
const TASKS: usize = 2;
const ROUNDS: usize = 10;

/// The program, written once against each crate's `future` and atomics.
macro_rules! async_program {
    ($name:ident, $krate:ident) => {
        fn $name() {
            use $krate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
            let counter = std::sync::Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let counter = counter.clone();
                    $krate::future::spawn(async move {
                        for _ in 0..ROUNDS {
                            counter.fetch_add(1, SeqCst);
                            $krate::future::yield_now().await;
                        }
                    })
                })
                .collect();
            $krate::future::block_on(async move {
                for task in tasks {
                    task.await.unwrap();
                }
            });
            assert_eq!(counter.load(SeqCst), TASKS * ROUNDS);
        }
    };
}

async_program!(tapestry_program, tapestry);
async_program!(shuttle_program, shuttle);

#[derive(Serialize)]
struct Throughput {
    executions: u64,
    shuttle_per_sec: f64,
    tapestry_per_sec: f64,
    slowdown: f64,
}

pub(super) fn tapestry_run(executions: u64) -> Duration {
    let start = Instant::now();
    let report = Explorer::new()
        .engine(Engine::random().schedules(executions))
        .run(tapestry_program);
    assert!(report.is_clean(), "{report}");
    start.elapsed()
}

pub(super) fn shuttle_run(executions: u64) -> Duration {
    super::overhead::raw_shuttle_run(executions, shuttle_program)
}

pub fn tasks(args: &Args) -> Result<Section> {
    let executions = (args.executions / 5).max(1);
    let rounds = args.runs.max(1) * 3;
    let (mut shuttle, mut ours, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Taking turns, each round starting with the other, so that drift hits both alike.
        let (s, t) = if round % 2 == 0 {
            let s = shuttle_run(executions);
            (s, tapestry_run(executions))
        } else {
            let t = tapestry_run(executions);
            (shuttle_run(executions), t)
        };
        ratios.push(t.as_secs_f64() / s.as_secs_f64());
        shuttle.push(s);
        ours.push(t);
    }
    let per_sec = |times: &mut Vec<Duration>| executions as f64 / median(times).as_secs_f64();
    let throughput = Throughput {
        executions,
        shuttle_per_sec: per_sec(&mut shuttle),
        tapestry_per_sec: per_sec(&mut ours),
        slowdown: median_f64(&mut ratios),
    };
    let mut markdown = String::from("## Async tasks\n\n");
    markdown += &format!(
        "One async program ({TASKS} spawned tasks, each doing {ROUNDS} rounds of `fetch_add` then `yield_now().await`; the body awaits their handles) written against `tapestry::future` and against raw `shuttle::future`, run by each crate's random scheduler for {executions} executions, {rounds} rounds taking turns. Executions per second are each one's median round; the slowdown is the median of the rounds' time ratios. Target: at most 1.2x. tapestry runs each task on a model thread of its own, which waits for a traced wake after a `Pending` (a `yield_now` wakes its own task, and costs one scheduling point, as in shuttle); under the engines that sample schedules a task shares its output and abort flag with its handle without scheduling points of their own, so both take as many scheduling points per execution (48 and 46 here), and what remains is tapestry's cost per point (recording, the facade's thread-locals) and a thread's cost per task over a shuttle future's. Time to first bug for the async catalogue entries is in \"Time to first bug\" (category `async`).\n\n"
    );
    markdown += "| executions | shuttle::future exec/s | tapestry::future exec/s | slowdown |\n|---:|---:|---:|---:|\n";
    markdown += &format!(
        "| {} | {:.0} | {:.0} | {:.2}x |\n",
        throughput.executions,
        throughput.shuttle_per_sec,
        throughput.tapestry_per_sec,
        throughput.slowdown
    );
    Ok(Section {
        name: "async",
        markdown,
        json: serde_json::to_value(throughput)?,
    })
}
