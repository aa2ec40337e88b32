//! Exhaustive exploration against the optimum: how many executions the exhaustive engine
//! (loom, no preemption bound) runs to cover classic programs, against their number of
//! Mazurkiewicz traces, the fewest any exhaustive search needs.

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;
use tapestry::{Engine, Explorer, Outcome};
use tapestry_catalogue::classic::{self, Classic};

use super::{Args, Section};

/// Each program's budget; a search that runs out of it is reported as a lower bound. Counted
/// in executions, so that the page does not depend on the machine's load (lastzero(4) needs
/// 144,074; readers(4) and counter(5) far more); the time limit is a safety net.
const MAX_EXECUTIONS: u64 = 200_000;
const MAX_TIME: Duration = Duration::from_secs(60);

#[derive(Serialize)]
struct Row {
    program: &'static str,
    size: usize,
    optimum: u64,
    executions: u64,
    /// Whether the search finished; if not, `executions` and `ratio` are lower bounds.
    complete: bool,
    ratio: f64,
    per_sec: f64,
    secs: f64,
}

/// Executions to exhaust `readers`, `lastzero` and `counter` at growing sizes.
pub fn optimum(_args: &Args) -> Result<Section> {
    // Up to loom's limit of five threads.
    type Make = fn(usize) -> Classic;
    let families: [(Make, RangeInclusive<usize>); 3] = [
        (classic::readers, 1..=4),
        (classic::lastzero, 1..=4),
        (classic::counter, 2..=5),
    ];
    let mut rows = Vec::new();
    for (make, sizes) in families {
        for n in sizes {
            let row = exhaust(&make(n))?;
            let complete = row.complete;
            rows.push(row);
            // A larger size would run out of budget too.
            if !complete {
                break;
            }
        }
    }
    let mut md = String::from("## Exhaustive exploration against the optimum\n\n");
    md += &format!(
        "Executions the exhaustive engine (loom's DFS, no preemption bound) runs to cover small classic programs (`tapestry_catalogue::classic`), against the optimum: the programs' number of Mazurkiewicz traces, which an optimal partial-order reduction explores exactly once each (ratio 1.0). These are loom's numbers, not an optimal DPOR's: the ratio is what one would bring down to 1.0. `readers(n)`: one writer, n readers of one variable (optimum 2^n); `lastzero(n)`: Abdulla et al.'s benchmark from *Optimal DPOR* (POPL 2014), optimum counted by brute force over every interleaving of an abstract model; `counter(n)`: n threads each doing one `fetch_add` (optimum n!). All accesses `SeqCst`. Rates only for searches of 1,000 executions or more. A search stops after {}k executions or {} s (`>`: a lower bound), and a family's larger sizes are then skipped.\n\n",
        MAX_EXECUTIONS / 1000,
        MAX_TIME.as_secs()
    );
    md += "| program | optimum | executions | ratio | exec/s |\n|---|---:|---:|---:|---:|\n";
    for r in &rows {
        let bound = if r.complete { "" } else { "> " };
        // A search of a few executions takes milliseconds: its rate would be mostly setup.
        let per_sec = if r.executions >= 1_000 {
            format!("{:.0}", r.per_sec)
        } else {
            "–".to_owned()
        };
        md += &format!(
            "| {}({}) | {} | {bound}{} | {bound}{:.1} | {per_sec} |\n",
            r.program, r.size, r.optimum, r.executions, r.ratio
        );
    }
    Ok(Section {
        name: "optimum",
        markdown: md,
        json: serde_json::to_value(rows)?,
    })
}

fn exhaust(c: &Classic) -> Result<Row> {
    let engine = Engine::exhaustive()
        .unbounded()
        .iterative(false)
        .max_executions(MAX_EXECUTIONS)
        .max_time(MAX_TIME);
    let program = c.program.clone();
    let start = Instant::now();
    let report = Explorer::new().engine(engine).run(move || program());
    let secs = start.elapsed().as_secs_f64();
    let run = &report.engines()[0];
    let complete = match run.outcome() {
        Outcome::Passed { complete } => *complete,
        other => bail!("{c:?} should pass, but: {other}\n{report}"),
    };
    let executions = run.executions();
    Ok(Row {
        program: c.name,
        size: c.size,
        optimum: c.optimum,
        executions,
        complete,
        ratio: executions as f64 / c.optimum as f64,
        per_sec: executions as f64 / secs,
        secs,
    })
}
