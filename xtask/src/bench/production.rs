//! The production facade against std: `harness/benches/production.rs`, built without
//! `explore` on its own (`cargo bench -p tapestry-harness --no-default-features`), so that no
//! crate of the workspace that enables `explore` unifies it back in. The benchmark checks
//! `tapestry::EXPLORE` itself and says which configuration it measured; this section refuses
//! any other than the production one.

use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde::Serialize;

use super::{Args, Section};

/// What a benchmark case measures, for the table.
const CASES: &[(&str, &str, &str)] = &[
    ("mutex", "`Mutex` lock, unlock", "none"),
    ("mutex_contended", "`Mutex` lock, unlock", "2 threads"),
    ("rwlock_read", "`RwLock` read", "none"),
    ("rwlock_read_contended", "`RwLock` read", "2 threads"),
    ("rwlock_write", "`RwLock` write", "none"),
    ("rwlock_write_contended", "`RwLock` write", "2 threads"),
    ("fetch_add", "`AtomicU64::fetch_add`", "none"),
    ("fetch_add_contended", "`AtomicU64::fetch_add`", "2 threads"),
    (
        "compare_exchange",
        "`AtomicU64::compare_exchange` increment",
        "none",
    ),
    (
        "compare_exchange_contended",
        "`AtomicU64::compare_exchange` increment",
        "2 threads",
    ),
    ("arc_clone_drop", "`Arc` clone, drop", "none"),
    ("arc_clone_drop_contended", "`Arc` clone, drop", "2 threads"),
    ("channel", "`mpsc` send, recv", "one thread"),
    (
        "channel_contended",
        "`mpsc` send, recv",
        "producer, consumer",
    ),
    ("notify_one", "`Condvar::notify_one`, no waiter", "none"),
    (
        "notify_one_contended",
        "`Condvar::notify_one`, no waiter",
        "2 threads",
    ),
];

/// The ratio the production facade must not exceed.
const TARGET: f64 = 1.05;

#[derive(Serialize)]
struct Time {
    case: String,
    std_ns: f64,
    tapestry_ns: f64,
    ratio: f64,
    /// std's code compiled a second time: what layout and noise alone make of the case.
    twin_ns: f64,
    twin_ratio: f64,
    /// The share of a two-thread run during which both threads ran (0 for one thread).
    overlap: f64,
}

#[derive(Serialize)]
struct Size {
    tapestry: String,
    std: String,
    tapestry_bytes: usize,
    std_bytes: usize,
}

pub fn production(args: &Args) -> Result<Section> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Four times the usual runs: the contended cases are noisy on two shared cores.
    let runs = (4 * args.runs + 1).to_string();
    let bench = [
        "bench",
        "--quiet",
        "-p",
        "tapestry-harness",
        "--no-default-features",
        "--bench",
        "production",
        "--",
        "--runs",
        &runs,
    ];
    eprintln!("$ cargo {}", bench.join(" "));
    let output = Command::new(env!("CARGO"))
        .args(bench)
        .current_dir(&root)
        .output()
        .context("running cargo bench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "the production benchmark failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let (mut config, mut times, mut sizes) = (None, Vec::new(), Vec::new());
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["config", c] => config = Some(c.to_string()),
            [
                "time",
                case,
                std_ns,
                tapestry_ns,
                ratio,
                twin_ns,
                twin_ratio,
                overlap,
            ] => times.push(Time {
                case: case.to_string(),
                std_ns: std_ns.parse()?,
                tapestry_ns: tapestry_ns.parse()?,
                ratio: ratio.parse()?,
                twin_ns: twin_ns.parse()?,
                twin_ratio: twin_ratio.parse()?,
                overlap: overlap.parse()?,
            }),
            ["size", tapestry, std, tapestry_bytes, std_bytes] => sizes.push(Size {
                tapestry: tapestry.to_string(),
                std: std.to_string(),
                tapestry_bytes: tapestry_bytes.parse()?,
                std_bytes: std_bytes.parse()?,
            }),
            _ => {}
        }
    }
    ensure!(
        config.as_deref() == Some("production"),
        "the benchmark measured the {config:?} configuration, not production"
    );
    ensure!(
        times.len() == CASES.len(),
        "the benchmark reported {} cases, expected {}:\n{stdout}",
        times.len(),
        CASES.len()
    );
    let mut markdown = String::from("## Production builds: the facade without `explore`\n\n");
    markdown += &format!(
        "A library depends on tapestry with `default-features = false`, so its shipped build has the facade without the engines: std itself, re-exported or wrapped in `#[repr(transparent)]` types with `#[inline]` methods. `harness/benches/production.rs` writes each workload once and compiles it three times: against `std::sync`, against `tapestry::sync` built that way (the benchmark checks `tapestry::EXPLORE` is false), and against `std::sync` again, the control. The three run in turn, {runs} runs each, an operation repeated a million times or more per run, on an object alone in its cache lines. ns/op are medians; a ratio is the median of each run's time against std's in the same run. Contended cases run two threads on the same object, released together; they contend only while both run, and \"both ran\" is the median share of a run during which they did (other work on this shared machine can keep one waiting for a core). `Arc`, `mpsc` and the guards are std's own types here; `Mutex`, `RwLock`, `Condvar` and the atomics are wrappers, whose workloads compile to the same instructions as std's (in the disassembly of this benchmark when this section was written: 14 of 16 identical, 2 differing only in which registers they use). The control's ratio is what code placement and this machine's noise alone make of a case: a contended lock's threads either hand it over on every operation or run in turns, and which they do changes from run to run. Target: at most {TARGET:.2}x everywhere.\n\n"
    );
    markdown += "| operation | contention | both ran | std ns/op | tapestry ns/op | ratio | control: std again | its ratio |\n|---|---|---:|---:|---:|---:|---:|---:|\n";
    for t in &times {
        let (what, contention) = CASES
            .iter()
            .find(|(case, _, _)| *case == t.case)
            .map(|(_, what, contention)| (*what, *contention))
            .with_context(|| format!("an unknown case {}", t.case))?;
        let flag = if t.ratio > TARGET {
            " (over target)"
        } else {
            ""
        };
        let both = if t.overlap > 0.0 {
            format!("{:.0}%", 100.0 * t.overlap)
        } else {
            "-".to_owned()
        };
        markdown += &format!(
            "| {what} | {contention} | {both} | {:.1} | {:.1} | {:.2}x{flag} | {:.1} | {:.2}x |\n",
            t.std_ns, t.tapestry_ns, t.ratio, t.twin_ns, t.twin_ratio
        );
    }
    let worst = |ratio: fn(&Time) -> f64| times.iter().map(ratio).fold(0.0, f64::max);
    markdown += &format!(
        "\nWorst ratio: {:.2}x (uncontended {:.2}x); the control's worst: {:.2}x.\n\n",
        worst(|t| t.ratio),
        times
            .iter()
            .filter(|t| !t.case.ends_with("_contended"))
            .map(|t| t.ratio)
            .fold(0.0, f64::max),
        worst(|t| t.twin_ratio)
    );
    markdown += "Sizes (`size_of`), which `harness/tests/production.rs` also checks, with alignment:\n\n| tapestry type | std type | tapestry bytes | std bytes |\n|---|---|---:|---:|\n";
    for s in &sizes {
        markdown += &format!(
            "| `{}` | `{}` | {} | {} |\n",
            s.tapestry, s.std, s.tapestry_bytes, s.std_bytes
        );
    }
    let differ: Vec<_> = sizes
        .iter()
        .filter(|s| s.tapestry_bytes != s.std_bytes)
        .map(|s| s.tapestry.as_str())
        .collect();
    ensure!(
        differ.is_empty(),
        "facade types larger than std's: {differ:?}"
    );
    Ok(Section {
        name: "production",
        markdown,
        json: serde_json::json!({ "runs": runs, "target": TARGET, "times": times, "sizes": sizes }),
    })
}
