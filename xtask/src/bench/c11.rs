//! The c11 engine against the optimum and against loom: executions, rate and peak memory to
//! exhaust the classic programs (all `SeqCst`, and all `Relaxed`) and a litmus set, with the
//! DPOR engine beside it on the `SeqCst` programs (the same optimum) and loom where it fits.
//!
//! Each search runs in a process of its own (`xtask c11-probe`), so that its peak memory
//! (`VmHWM`) is its own.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use tapestry::Engine;
use tapestry::sync::atomic::Ordering::{self, Relaxed, SeqCst};
use tapestry_catalogue::classic::{self, Classic};

use super::{Args, Section};

/// A search stops after this long (`>`: a lower bound) and the family's larger sizes are
/// skipped for that engine.
const MAX_TIME: Duration = Duration::from_secs(60);

/// What one search did, as its probe process prints it.
#[derive(Serialize, Deserialize)]
pub struct Probed {
    executions: u64,
    complete: bool,
    secs: f64,
    /// Peak resident memory of the process, in KiB.
    peak_kib: u64,
}

#[derive(Serialize)]
struct Row {
    program: String,
    optimum: u64,
    engine: String,
    #[serde(flatten)]
    probed: Probed,
    ratio: f64,
    per_sec: f64,
}

/// The programs: a family, its ordering, and its sizes.
fn programs() -> Vec<(&'static str, Ordering, Vec<usize>)> {
    vec![
        ("readers", SeqCst, (2..=16).step_by(2).collect()),
        ("readers", Relaxed, (2..=16).step_by(2).collect()),
        ("lastzero", SeqCst, (2..=14).step_by(2).collect()),
        ("lastzero", Relaxed, (2..=14).step_by(2).collect()),
        ("counter", SeqCst, (2..=9).collect()),
        ("counter", Relaxed, (2..=9).collect()),
        ("long_run", SeqCst, vec![1_000, 2_000, 4_000, 8_000]),
        ("long_run", Relaxed, vec![1_000, 2_000, 4_000, 8_000]),
        ("locked_reads", SeqCst, vec![100, 200, 400, 800]),
    ]
}

fn build(family: &str, n: usize, ordering: Ordering) -> Result<Classic> {
    Ok(match family {
        "readers" => classic::readers_with(n, ordering),
        "lastzero" => classic::lastzero_with(n, ordering),
        "counter" => classic::counter_with(n, ordering),
        "long_run" => classic::long_run_with(n, ordering),
        "locked_reads" => classic::locked_reads_with(n, ordering),
        other => bail!("no classic program `{other}`"),
    })
}

fn ordering_name(ordering: Ordering) -> &'static str {
    if ordering == SeqCst {
        "seqcst"
    } else {
        "relaxed"
    }
}

pub fn c11(_args: &Args) -> Result<Section> {
    let mut rows = Vec::new();
    for (family, ordering, sizes) in programs() {
        // dpor only explores sequential consistency: the SeqCst programs.
        let mut engines = vec!["c11", "loom"];
        if ordering == SeqCst {
            engines.insert(0, "dpor");
        }
        for engine in engines {
            for &n in &sizes {
                // loom's limit: the body and four spawned threads.
                let threads = match family {
                    "lastzero" => n + 1,
                    "long_run" | "locked_reads" => 2,
                    _ => n,
                };
                if engine == "loom" && threads > 5 {
                    break;
                }
                let c = build(family, n, ordering)?;
                let probed = probe_in_child(engine, family, n, ordering)?;
                let complete = probed.complete;
                rows.push(Row {
                    program: format!("{family}({n}) {}", ordering_name(ordering)),
                    optimum: c.optimum,
                    engine: engine.to_owned(),
                    ratio: probed.executions as f64 / c.optimum as f64,
                    per_sec: probed.executions as f64 / probed.secs,
                    probed,
                });
                if !complete {
                    break;
                }
            }
        }
    }
    let mut md = String::from("## The c11 engine: weak memory against the optimum\n\n");
    md += &format!(
        "Executions to exhaust the classic programs (`tapestry_catalogue::classic`) with every access `SeqCst` and with every access `Relaxed`, each search in a process of its own (peak: its peak resident memory). **c11** is the c11 engine (RC11, TruSt); **dpor** the DPOR engine, sequential consistency only, so on the `SeqCst` programs alone, whose optimum is the same for both; **loom** the exhaustive engine, loom's DFS with no preemption bound, up to its five threads. Optimum: for `SeqCst`, the Mazurkiewicz traces; for `Relaxed`, the RC11 execution graphs, derived in `classic` (readers 2^n, lastzero (n+1) 2^(n-1), counter n!). A search stops after {} s (`>`: a lower bound) and that engine skips the family's larger sizes. GenMC 0.11 on this kind of machine, for scale: readers(16) 65,536 executions in 2.3 s (28k/s), lastzero(14) 69,632 in 9.4 s SC / 10.6 s RC11 (7k/s), counter(9) 362,880 in 26 s SC / 28 s RC11 (13–14k/s), about 95 MB. long_run(n): two executions of about n events each; its time should grow as n, not as its square. locked_reads(n): n + 1 executions of about 5n events, each `SeqCst` increment under a lock (a graph mixing `SeqCst` with acquires and releases); the load's choices are judged per choice.\n\n",
        MAX_TIME.as_secs()
    );
    md += "| program | optimum | engine | executions | ratio | time | exec/s | peak |\n|---|---:|---|---:|---:|---:|---:|---:|\n";
    for r in &rows {
        let p = &r.probed;
        let bound = if p.complete { "" } else { "> " };
        md += &format!(
            "| {} | {} | {} | {bound}{} | {bound}{:.2} | {:.2} s | {:.0} | {:.0} MB |\n",
            r.program,
            r.optimum,
            r.engine,
            p.executions,
            r.ratio,
            p.secs,
            r.per_sec,
            p.peak_kib as f64 / 1024.0
        );
    }
    Ok(Section {
        name: "c11",
        markdown: md,
        json: serde_json::to_value(rows)?,
    })
}

/// Runs `xtask c11-probe` for one search and reads what it printed.
fn probe_in_child(engine: &str, family: &str, n: usize, ordering: Ordering) -> Result<Probed> {
    eprintln!(
        "bench c11: {family}({n}) {} under {engine}",
        ordering_name(ordering)
    );
    let out = Command::new(std::env::current_exe()?)
        .args([
            "c11-probe",
            engine,
            family,
            &n.to_string(),
            ordering_name(ordering),
        ])
        .output()
        .context("running xtask c11-probe")?;
    if !out.status.success() {
        bail!(
            "c11-probe {engine} {family}({n}) failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = String::from_utf8(out.stdout)?;
    Ok(serde_json::from_str(line.trim())?)
}

/// One search, in this process: prints what it did as a JSON line (`xtask c11-probe`).
pub fn c11_probe(engine: &str, family: &str, n: usize, ordering: &str) -> Result<()> {
    let ordering = match ordering {
        "seqcst" => SeqCst,
        "relaxed" => Relaxed,
        other => bail!("ordering `{other}`: seqcst or relaxed"),
    };
    let c = build(family, n, ordering)?;
    let chosen: Engine = match engine {
        "c11" => Engine::c11().unbounded().max_time(MAX_TIME).into(),
        "dpor" => Engine::dpor().unbounded().max_time(MAX_TIME).into(),
        "loom" => Engine::exhaustive()
            .unbounded()
            .iterative(false)
            .max_time(MAX_TIME)
            .into(),
        other => bail!("engine `{other}`: c11, dpor or loom"),
    };
    let (executions, complete, secs) = super::optimum::search(&c, chosen)?;
    let probed = Probed {
        executions,
        complete,
        secs,
        peak_kib: peak_kib(),
    };
    println!("{}", serde_json::to_string(&probed)?);
    Ok(())
}

/// This process's peak resident memory (`VmHWM`), in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}
