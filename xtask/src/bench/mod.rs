//! Benchmarks. Every figure is the median of several runs, and each comparison runs its
//! baseline and its subject alternately in the same process, so that machine noise cancels.
//!
//! Each section measures one thing and hands back its part of `BENCHMARKS.md` and of
//! `benchmarks.json`; `run` puts them together with the machine and the date.

mod c11;
mod deep;
mod first_bug;
mod lincheck;
mod optimum;
mod overhead;

pub use c11::c11_probe;
pub use overhead::{Probe, probe};
mod parallel;
mod production;
mod stress;
mod tasks;

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

#[derive(clap::Args)]
pub struct Args {
    /// Runs of each measurement; the median is reported.
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
    /// Executions per run of the overhead measurements.
    #[arg(long, default_value_t = 5_000)]
    pub executions: u64,
    /// Run only these sections (by name; see `--list`). Default: all.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// List the sections and exit.
    #[arg(long)]
    pub list: bool,
    /// Where to write BENCHMARKS.md and benchmarks.json.
    #[arg(long, default_value = ".")]
    pub out: std::path::PathBuf,
}

/// One section of the page: its Markdown and its figures.
pub struct Section {
    /// The section's name in `benchmarks.json` and `--only`.
    pub name: &'static str,
    /// Markdown, starting with a `## ` heading.
    pub markdown: String,
    /// The figures, for `benchmarks.json`.
    pub json: Value,
}

type Measure = fn(&Args) -> Result<Section>;

/// Every section, in page order.
const SECTIONS: &[(&str, Measure)] = &[
    ("overhead", overhead::overhead),
    ("detector", overhead::detector),
    ("parallel", parallel::parallel),
    ("first_bug", first_bug::first_bug),
    ("deep", deep::deep),
    ("optimum", optimum::optimum),
    ("c11", c11::c11),
    ("stress", stress::stress),
    ("production", production::production),
    ("async", tasks::tasks),
    ("lincheck", lincheck::lincheck),
];

pub fn run(args: &Args) -> Result<()> {
    if args.list {
        for (name, _) in SECTIONS {
            println!("{name}");
        }
        return Ok(());
    }
    for name in &args.only {
        if !SECTIONS.iter().any(|(n, _)| n == name) {
            let names: Vec<_> = SECTIONS.iter().map(|(n, _)| *n).collect();
            bail!(
                "no benchmark section `{name}`; the sections are {}",
                names.join(", ")
            );
        }
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: benchmarks built without optimisations; `cargo xtask` builds in release"
        );
    }
    let started = std::time::Instant::now();
    let mut sections = Vec::new();
    for (name, measure) in SECTIONS {
        if args.only.is_empty() || args.only.iter().any(|n| n == name) {
            eprintln!("bench: {name} ...");
            let section_start = std::time::Instant::now();
            sections.push(measure(args).with_context(|| format!("benchmark section `{name}`"))?);
            eprintln!("bench: {name} took {:.0?}", section_start.elapsed());
        }
    }
    let (machine, date) = (machine(), date());
    let mut page = format!(
        "# Benchmarks\n\nMeasured on {machine} on {date} with `cargo xtask bench` (release build, {:.1} min). Each figure is the median of several runs; where two things are compared, they ran alternately in one process so that machine noise cancels. `benchmarks.json` holds the same figures.\n\n",
        started.elapsed().as_secs_f64() / 60.0
    );
    let mut json = Map::new();
    json.insert("machine".into(), machine.into());
    json.insert("date".into(), date.into());
    for section in sections {
        page += &section.markdown;
        if !page.ends_with("\n\n") {
            page.push('\n');
        }
        json.insert(section.name.into(), section.json);
    }
    println!("{page}");
    std::fs::write(
        args.out.join("BENCHMARKS.md"),
        page.trim_end().to_owned() + "\n",
    )
    .context("writing BENCHMARKS.md")?;
    std::fs::write(
        args.out.join("benchmarks.json"),
        serde_json::to_string_pretty(&Value::Object(json))? + "\n",
    )
    .context("writing benchmarks.json")?;
    Ok(())
}

/// The median of `times` (which it sorts).
pub fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The median of `values` (which it sorts): the middle one, or the mean of the two middle ones.
pub fn median_f64(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cores} cores, {cpu}")
}

fn date() -> String {
    std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown date".to_owned(), |d| d.trim().to_owned())
}
