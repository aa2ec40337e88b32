//! `cargo xtask <command>`: project automation.
//!
//! - `ci`: what CI runs, in the same order: format check, clippy, the test suite.
//! - `bench`: the benchmarks; writes `BENCHMARKS.md` and `benchmarks.json`.
//! - `probe`: one subject of the overhead benchmark alone, to run under a profiler.
//! - `soak`: the catalogue's tests with budgets ten times larger (or `--budget N`).
//! - `screenshots`: renders `tapestry report` in headless Chromium, one PNG per page.
//! - `quickstart`: a new crate of the README's Quick Start lines, built and tested as a user would.
//! - `loom-suite`: loom's own test suite, unchanged, under tapestry-loom and under loom.
//! - `loom-crates`: the loom tests of published crates, likewise.
//! - `production`: tapestry without `explore` (clippy, tests, docs), and a new library crate with
//!   the README's two dependency lines: its build is tapestry alone, its tests explore.

mod bench;
mod lincheck_crates;
mod loom_crates;
mod loom_rename;
mod loom_suite;
mod production;
mod quickstart;
mod scratch;
mod screenshots;

use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "tapestry's project automation")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Format check, clippy and the test suite, as CI runs them.
    Ci,
    /// Runs the benchmarks and writes BENCHMARKS.md and benchmarks.json.
    Bench(bench::Args),
    /// Runs one subject of the overhead benchmark alone, to run under a profiler (e.g.
    /// `valgrind --tool=callgrind target/release/xtask probe random`).
    Probe {
        subject: bench::Probe,
        /// Executions to run.
        #[arg(long, default_value_t = 300)]
        executions: u64,
    },
    /// One search of the `c11` benchmark section, in a process of its own (for its peak
    /// memory): prints what it did as a JSON line.
    #[command(hide = true)]
    C11Probe {
        /// c11, dpor or loom.
        engine: String,
        /// readers, lastzero or counter.
        program: String,
        size: usize,
        /// seqcst or relaxed.
        ordering: String,
    },
    /// Runs the catalogue's tests with larger budgets (release build).
    Soak {
        /// How much larger than the catalogue's budgets.
        #[arg(long, default_value_t = 10.0)]
        budget: f64,
    },
    /// Renders `tapestry report` in headless Chromium: one PNG per page (needs Debian's
    /// `chromium`).
    Screenshots(screenshots::Args),
    /// Builds a new crate from the README's Quick Start, exactly as written (the git address
    /// pointing at this checkout), and checks that its test finds the planted bug.
    Quickstart,
    /// Checks the production configuration (no `explore`): tapestry's clippy, tests and docs
    /// without it, then a new library crate with the README's two dependency lines, whose own
    /// build must be tapestry alone and whose test must find the bug planted in its code.
    Production,
    /// Runs loom's own test suite, unchanged, under tapestry-loom and under loom: how many
    /// tests end with loom's verdict, and executions and time per file.
    LoomSuite(loom_suite::Args),
    /// Runs the loom tests of published crates, unchanged, under tapestry-loom and under loom.
    LoomCrates(loom_crates::Args),
    /// Builds a new crate written as loom's users write theirs, with `loom` renamed to
    /// tapestry-loom, and checks that its loom test finds, saves and replays its planted bug.
    LoomRename,
    /// Checks a published data structure (concurrent-queue, built on tapestry-loom) for
    /// linearizability with tapestry-lincheck.
    LincheckCrates,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Ci => ci(),
        Cmd::Bench(args) => bench::run(&args),
        Cmd::Probe {
            subject,
            executions,
        } => {
            let elapsed = bench::probe(subject, executions);
            eprintln!("{subject:?}: {executions} executions in {elapsed:.2?}");
            Ok(())
        }
        Cmd::C11Probe {
            engine,
            program,
            size,
            ordering,
        } => bench::c11_probe(&engine, &program, size, &ordering),
        Cmd::Soak { budget } => soak(budget),
        Cmd::Screenshots(args) => screenshots::run(&args),
        Cmd::Quickstart => quickstart::run(),
        Cmd::Production => production::run(),
        Cmd::LoomSuite(args) => loom_suite::run(&args),
        Cmd::LoomCrates(args) => loom_crates::run(&args),
        Cmd::LoomRename => loom_rename::run(),
        Cmd::LincheckCrates => lincheck_crates::run(),
    }
}

fn ci() -> Result<()> {
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(&["test", "--workspace"])
}

fn soak(budget: f64) -> Result<()> {
    // SAFETY: single-threaded here; the variable is read by the child cargo and its tests.
    unsafe { std::env::set_var("TAPESTRY_BUDGET", budget.to_string()) };
    cargo(&[
        "test",
        "--release",
        "-p",
        "tapestry-catalogue",
        "--test",
        "entries",
    ])
}

fn cargo(args: &[&str]) -> Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
