//! Deep bugs among many threads: per program of `tapestry_catalogue::deep` and size, how many
//! seeds of each randomized engine find the bug within a budget of schedules, and after how
//! many schedules on average.

use anyhow::Result;
use serde::Serialize;
use tapestry::{Engine, Explorer};
use tapestry_catalogue::deep::{self, Deep, WORK};
use tapestry_catalogue::quiet::Silenced;

use super::{Args, Section};

/// Seeds of each (program, size, engine).
const SEEDS: u64 = 20;
/// Schedules per seed.
const BUDGET: u64 = 10_000;
/// Threads spawned by each program.
const SIZES: [usize; 4] = [3, 10, 30, 100];
/// Sizes at which an engine that found nothing at the previous size is still run: it costs
/// the whole budget for every seed, and the programs get harder with size.
const ALWAYS_RUN_UP_TO: usize = 10;

const ENGINES: [&str; 5] = ["random", "pct d=3", "pct d=10", "shuttle urw", "surw"];

fn engine(name: &str, seed: u64) -> Engine {
    match name {
        "random" => Engine::random().schedules(BUDGET).seed(seed).into(),
        "pct d=3" => Engine::pct().depth(3).schedules(BUDGET).seed(seed).into(),
        "pct d=10" => Engine::pct().depth(10).schedules(BUDGET).seed(seed).into(),
        "shuttle urw" => Engine::surw()
            .shuttle_urw()
            .schedules(BUDGET)
            .seed(seed)
            .into(),
        _ => Engine::surw().schedules(BUDGET).seed(seed).into(),
    }
}

#[derive(Serialize)]
struct Row {
    program: &'static str,
    size: usize,
    engine: &'static str,
    /// Seeds run (0: skipped, see `ALWAYS_RUN_UP_TO`).
    seeds: u64,
    found: u64,
    /// Mean schedules to the first failure, over the seeds that found it.
    mean_schedules: Option<f64>,
    secs: f64,
}

/// Seeds that found each deep bug, and mean schedules to it.
pub fn deep(_args: &Args) -> Result<Section> {
    let silenced = Silenced::stderr();
    let mut rows: Vec<Row> = Vec::new();
    for shape in 0..deep::all(3).len() {
        for &engine_name in &ENGINES {
            let mut last_found = true;
            for size in SIZES {
                let program = deep::all(size).swap_remove(shape);
                let run = last_found || size <= ALWAYS_RUN_UP_TO;
                let row = measure(&program, engine_name, run);
                last_found = row.found > 0;
                rows.push(row);
            }
        }
    }
    drop(silenced);
    Ok(Section {
        name: "deep",
        markdown: page(&rows),
        json: serde_json::json!({ "seeds": SEEDS, "budget": BUDGET, "work": WORK, "rows": rows }),
    })
}

fn measure(program: &Deep, engine_name: &'static str, run: bool) -> Row {
    let start = std::time::Instant::now();
    let mut found = Vec::new();
    let seeds = if run { SEEDS } else { 0 };
    for seed in 0..seeds {
        let body = program.buggy.clone();
        let report = Explorer::new()
            .engine(engine(engine_name, seed))
            .shrink(false)
            .tracing(false)
            .run(move || body());
        if let Some(failure) = report.failure() {
            found.push(failure.execution() as f64);
        }
    }
    Row {
        program: program.name,
        size: program.size,
        engine: engine_name,
        seeds,
        found: found.len() as u64,
        mean_schedules: (!found.is_empty()).then(|| found.iter().sum::<f64>() / found.len() as f64),
        secs: start.elapsed().as_secs_f64(),
    }
}

fn page(rows: &[Row]) -> String {
    let mut md = String::from("## Deep bugs among many threads\n\n");
    md += &format!(
        "Programs of `tapestry_catalogue::deep` at sizes {SIZES:?} (threads spawned), each a bug that needs one specific thread to act at one moment, after another thread's {WORK} steps of private work. Per engine: seeds (of {SEEDS}) that found the bug within {BUDGET} schedules, and the mean schedules to the first failure over those seeds. `shuttle urw` is shuttle's `UrwRandomScheduler` (uniform over every event, event counts from one trial run) on tapestry's runtime; `surw` is tapestry's selectively uniform walk. An engine that found nothing at one size is not run at the larger ones above {ALWAYS_RUN_UP_TO} threads (`–`). The section takes about four minutes on two cores, most of it random walk spending its whole budget on seeds that miss.\n\n"
    );
    md += "| program | threads |";
    for e in &ENGINES {
        md += &format!(" {e} |");
    }
    md += "\n|---|---:|";
    md += &"---:|".repeat(5);
    md += "\n";
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for r in rows {
        if !keys.contains(&(r.program, r.size)) {
            keys.push((r.program, r.size));
        }
    }
    for (program, size) in keys {
        md += &format!("| {program} | {size} |");
        for e in &ENGINES {
            let r = rows
                .iter()
                .find(|r| r.program == program && r.size == size && r.engine == *e);
            md += &match r {
                Some(r) if r.seeds == 0 => " – |".to_owned(),
                Some(r) => match r.mean_schedules {
                    Some(mean) => format!(" {}/{} in {mean:.0} |", r.found, r.seeds),
                    None => format!(" 0/{} |", r.seeds),
                },
                None => " |".to_owned(),
            };
        }
        md += "\n";
    }
    md
}
