//! Time to first bug: per catalogue entry and engine, how many executions and how long until
//! the buggy program first fails, over several seeds; and how fast each engine runs the fixed
//! program.

use anyhow::Result;
use serde::Serialize;
use tapestry::EngineKind;
use tapestry_catalogue::hunt::{Cell, Settings, Variant, Verdict, hunt_all};
use tapestry_catalogue::quiet::Silenced;
use tapestry_catalogue::{ENTRIES, Entry};

use super::{Args, Section, median_f64};

/// Seeds of the seeded engines' runs of each buggy program.
const SEEDS: u64 = 5;
/// Programs run at once, except under the stress engine, which uses every core itself and
/// whose timings two programs at once would disturb.
const JOBS: usize = 2;
/// The fixed programs' budget, as a fraction of the catalogue's: a throughput needs no more,
/// and they use their whole budget (stress: up to 1 s each).
const FIXED_BUDGET: f64 = 0.3;
/// Runs of each fixed program; the median throughput is reported.
const FIXED_RUNS: usize = 5;

/// One run of a buggy program.
#[derive(Serialize)]
struct Run {
    /// `None` for the exhaustive engine, which has no seed.
    seed: Option<u64>,
    verdict: String,
    found: bool,
    executions: u64,
    ms: f64,
}

#[derive(Serialize)]
struct Buggy {
    entry: &'static str,
    engine: &'static str,
    /// The entry says this engine cannot see the bug.
    cannot_see: bool,
    found: usize,
    /// Some run failed otherwise than the entry claims for this engine: an engine that
    /// cannot see the bug found it, or the failure was of another kind.
    unclaimed: bool,
    /// Medians over the runs that found the bug.
    median_executions: Option<f64>,
    median_ms: Option<f64>,
    runs: Vec<Run>,
}

#[derive(Serialize)]
struct Fixed {
    entry: &'static str,
    engine: &'static str,
    /// Every run passed.
    clean: bool,
    executions: Vec<u64>,
    /// The median of `per_sec_runs`.
    per_sec: f64,
    per_sec_runs: Vec<f64>,
}

/// The two tables: time to first bug, and executions per second on the fixed programs.
pub fn first_bug(_args: &Args) -> Result<Section> {
    let engines = EngineKind::NAMED;
    let silenced = Silenced::stderr();
    let mut runs: Vec<(Cell, Option<u64>)> = Vec::new();
    for seed in 0..SEEDS {
        let settings = Settings {
            seed,
            ..Settings::default()
        };
        // The exhaustive engine has no seed: once is enough.
        let work = cells(Variant::Buggy, |e| e.is_seeded() || seed == 0);
        for cell in hunt_cells(&work, &settings) {
            let seed = cell.engine.is_seeded().then_some(seed);
            runs.push((cell, seed));
        }
    }
    let fixed_settings = Settings {
        budget: FIXED_BUDGET,
        ..Settings::default()
    };
    let mut fixed_runs = Vec::new();
    for _ in 0..FIXED_RUNS {
        fixed_runs.extend(hunt_cells(
            &cells(Variant::Fixed, |_| true),
            &fixed_settings,
        ));
    }
    drop(silenced);

    let mut buggy = Vec::new();
    for entry in ENTRIES {
        for engine in engines {
            let mine = runs
                .iter()
                .filter(|(c, _)| c.entry == entry.name && c.engine == engine);
            buggy.push(summarise(entry, engine, mine));
        }
    }
    let mut fixed = Vec::new();
    for entry in ENTRIES {
        for engine in engines {
            let mine = fixed_runs
                .iter()
                .filter(|c| c.entry == entry.name && c.engine == engine);
            fixed.push(throughput(entry, engine, mine));
        }
    }
    Ok(Section {
        name: "first_bug",
        markdown: page(&buggy, &fixed),
        json: serde_json::json!({
            "seeds": SEEDS,
            "fixed_budget": FIXED_BUDGET,
            "fixed_runs": FIXED_RUNS,
            "buggy": buggy,
            "fixed": fixed,
        }),
    })
}

/// Hunts `work`: stress cells one at a time (each uses every core, and two at once would
/// disturb its timings), the others `JOBS` at a time.
fn hunt_cells(work: &[(&'static Entry, Variant, EngineKind)], settings: &Settings) -> Vec<Cell> {
    let quiet = |_: &Cell| {};
    let (stress, others): (Vec<_>, Vec<_>) = work
        .iter()
        .copied()
        .partition(|(_, _, e)| *e == EngineKind::Stress);
    let mut cells = hunt_all(&others, settings, JOBS, &quiet);
    cells.extend(hunt_all(&stress, settings, 1, &quiet));
    cells
}

fn cells(
    variant: Variant,
    keep: impl Fn(&EngineKind) -> bool,
) -> Vec<(&'static Entry, Variant, EngineKind)> {
    ENTRIES
        .iter()
        .flat_map(|entry| {
            EngineKind::NAMED
                .into_iter()
                .filter(|e| keep(e))
                .map(move |engine| (entry, variant, engine))
        })
        .collect()
}

fn summarise<'a>(
    entry: &Entry,
    engine: EngineKind,
    cells: impl Iterator<Item = &'a (Cell, Option<u64>)>,
) -> Buggy {
    let cells: Vec<_> = cells.collect();
    // No entry claims anything of the opt-in c11 engine: a bug it finds is no surprise.
    let claims = engine != EngineKind::C11;
    let unclaimed = cells.iter().any(|(cell, _)| match cell.verdict {
        Verdict::FoundUnexpectedly { .. } => claims,
        Verdict::WrongKind { .. } => true,
        _ => false,
    });
    let runs: Vec<Run> = cells
        .into_iter()
        .map(|(cell, seed)| Run {
            seed: *seed,
            verdict: format!("{:?}", cell.verdict),
            found: matches!(
                cell.verdict,
                Verdict::Found { .. }
                    | Verdict::FoundUnexpectedly { .. }
                    | Verdict::WrongKind { .. }
            ),
            executions: cell.executions,
            ms: cell.elapsed.as_secs_f64() * 1e3,
        })
        .collect();
    let found: Vec<&Run> = runs.iter().filter(|r| r.found).collect();
    let median = |f: fn(&Run) -> f64| {
        (!found.is_empty()).then(|| median_f64(&mut found.iter().map(|r| f(r)).collect::<Vec<_>>()))
    };
    Buggy {
        entry: entry.name,
        engine: engine.name(),
        cannot_see: entry.missed_by.iter().any(|(e, _)| *e == engine),
        found: found.len(),
        unclaimed,
        median_executions: median(|r| r.executions as f64),
        median_ms: median(|r| r.ms),
        runs,
    }
}

fn throughput<'a>(
    entry: &Entry,
    engine: EngineKind,
    cells: impl Iterator<Item = &'a Cell>,
) -> Fixed {
    let (mut per_sec, mut clean, mut executions) = (Vec::new(), true, Vec::new());
    for cell in cells {
        per_sec.push(cell.executions as f64 / cell.elapsed.as_secs_f64());
        executions.push(cell.executions);
        clean &= matches!(cell.verdict, Verdict::Clean { .. });
    }
    Fixed {
        entry: entry.name,
        engine: engine.name(),
        clean,
        executions,
        per_sec: median_f64(&mut per_sec.clone()),
        per_sec_runs: per_sec,
    }
}

fn page(buggy: &[Buggy], fixed: &[Fixed]) -> String {
    let engines = EngineKind::NAMED.map(|e| e.name());
    let header = |first: &str| {
        format!(
            "| {first} | {} |\n|---|{}\n",
            engines.join(" | "),
            "---:|".repeat(engines.len())
        )
    };
    let mut md = String::from("## Time to first bug\n\n");
    md += &format!(
        "Each buggy program of the catalogue under each engine with the catalogue's budgets (1,000 schedules; stress 100,000 iterations or 1 s), once per seed 0 to {} (the exhaustive engine once: it is deterministic). A cell is the median number of executions to the first failure / the median time to it, over the seeds that found the bug, and how many did. *cannot see*: the entry says the engine cannot find this bug; *not found*: it should have and did not; `*`: a run failed otherwise than the entry claims (an engine it says cannot see the bug found it, or a failure of another kind; `benchmarks.json` has each run's verdict). The stress engine finds a deadlock through its watchdog (300 ms without progress), hence its ~380 ms. c11 is the opt-in c11 engine (RC11's execution graphs, no preemption bound; deterministic, so run once): no entry claims it, so a bug it finds is no `*`, and an entry only it cannot see reads *not found*. Programs ran two at a time, but stress runs alone since it uses every core.\n\n",
        SEEDS - 1
    );
    md += &header("entry");
    for row in buggy.chunks(engines.len()) {
        let cells: Vec<String> = row.iter().map(buggy_cell).collect();
        md += &format!("| {} | {} |\n", row[0].entry, cells.join(" | "));
    }
    let mut exhaustive: Vec<u64> = fixed
        .iter()
        .filter(|f| f.engine == EngineKind::Exhaustive.name())
        .map(|f| f.executions[0])
        .collect();
    exhaustive.sort_unstable();
    md += &format!(
        "\n### Executions per second\n\nEach fixed program under each engine with {FIXED_BUDGET} of the catalogue's budgets (the exhaustive engine's search, bounded at 2 preemptions, is not scaled): executions per second over a whole run, setup included, median of {FIXED_RUNS} runs. The exhaustive engine finishes its bounded search of a fixed program in {} executions (median; {} to {}), so for most programs its figure is mostly setup, and noisy.\n\n",
        exhaustive[exhaustive.len() / 2],
        exhaustive[0],
        exhaustive[exhaustive.len() - 1],
    );
    md += &header("entry");
    for row in fixed.chunks(engines.len()) {
        let cells: Vec<String> = row
            .iter()
            .map(|f| {
                let failed = if f.clean { "" } else { " (failed!)" };
                format!("{:.0}{failed}", f.per_sec)
            })
            .collect();
        md += &format!("| {} | {} |\n", row[0].entry, cells.join(" | "));
    }
    md
}

fn buggy_cell(b: &Buggy) -> String {
    let of = format!("{}/{}", b.found, b.runs.len());
    match (b.median_executions, b.median_ms) {
        (Some(executions), Some(ms)) => {
            let time = if ms < 10.0 {
                format!("{ms:.1} ms")
            } else {
                format!("{ms:.0} ms")
            };
            let unclaimed = if b.unclaimed { " *" } else { "" };
            format!("{executions:.0} / {time} ({of}){unclaimed}")
        }
        _ if b.cannot_see => "cannot see".to_owned(),
        _ => format!("not found ({of})"),
    }
}
