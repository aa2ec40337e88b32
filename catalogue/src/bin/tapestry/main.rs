//! `tapestry`: study and hunt the catalogue of concurrency bugs.
//!
//! - `tapestry list` — the entries.
//! - `tapestry show <name>` — an entry's lesson, code, and minimal failing interleaving.
//! - `tapestry hunt [<name>... | --all]` — runs entries under engines and prints the
//!   bug-finding matrix (text, Markdown or JSON).
//! - `tapestry replay <file|folder>...` — replays the saved schedules of catalogue programs;
//!   of a user's tests, whose program the CLI cannot run, prints the trace saved with them.
//! - `tapestry report [--out <dir>]` — a static HTML site: the matrix, and each entry's lesson,
//!   code and failing interleaving drawn as a swimlane diagram; or, with `--schedule
//!   <file|folder>`, the failures saved in schedule files, drawn from the traces they keep.
//! - `tapestry schedules [--orphans] [<folder>]` — a package's schedule files and entries;
//!   with `--orphans`, those of tests that no longer exist (see `schedules.rs`).

mod html;
mod matrix;
mod quiet;
mod report;
mod schedules;
mod show;
mod variants;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use tapestry::{EngineKind, Shard};
use tapestry_catalogue::hunt::{self, Settings, Variant};
use tapestry_catalogue::{ENTRIES, Entry};

#[derive(Parser)]
#[command(
    name = "tapestry",
    version,
    about = "Study and hunt tapestry's catalogue of concurrency bugs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the catalogue's entries.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show an entry: the lesson, the buggy and fixed code, and the minimal failing interleaving.
    Show {
        /// The entry's name (see `tapestry list`).
        name: String,
    },
    /// Run entries under engines and print what each engine found, where, and how fast.
    Hunt {
        /// Entries to hunt (see `tapestry list`).
        names: Vec<String>,
        /// Hunt every entry.
        #[arg(long, conflicts_with = "names")]
        all: bool,
        /// Engines to run (repeat, or separate with commas); default: all.
        #[arg(long = "engine", value_delimiter = ',', value_parser = parse_engine)]
        engines: Vec<EngineKind>,
        /// Seed of the random, PCT, priority and stress engines.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// How many programs to hunt at once. More than one shares the cores between stress runs.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
        jobs: u64,
        /// Worker threads for each random, PCT and priority run (its schedules are split
        /// between them; the schedules run are the same for any number).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
        workers: u64,
        /// Run only this machine's share `i/n` of the random, PCT and priority schedules, so
        /// that n machines together run n times as many (also `TAPESTRY_SHARD`).
        #[arg(long, env = "TAPESTRY_SHARD", value_parser = parse_shard)]
        shard: Option<Shard>,
        /// Scales every engine's budget (10 for a long hunt).
        #[arg(long, default_value_t = 1.0)]
        budget: f64,
        /// Save the failing schedule of each buggy program in this directory.
        #[arg(long)]
        save: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Replay saved schedules and print their traces. A catalogue program's (saved by `hunt
    /// --save`) runs again; a schedule of your own test prints the trace saved with it, since
    /// only your test binary can run your program (the output says how to replay it there).
    Replay {
        /// `.schedule` files, or folders of them (such as `tapestry-schedules`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the schedule files a package keeps and their entries; with `--orphans`, only the
    /// files and entries that no test replays (their test was renamed or deleted, or they are
    /// filed under another test), exiting with 1 if there are any.
    ///
    /// The tests that exist are found by building the package's test binaries (`cargo test
    /// --no-run`, with the arguments after `--`) and listing each one's tests (`--list`); run
    /// it in the package. Or give them with `--tests`.
    Schedules {
        /// The folder of schedule files.
        #[arg(default_value = "tapestry-schedules", env = "TAPESTRY_SCHEDULE_DIR")]
        dir: PathBuf,
        /// Only the files and entries of tests that do not exist.
        #[arg(long)]
        orphans: bool,
        /// With --orphans: a file listing the tests that exist, one full path a line
        /// (`my_crate::module::test`; `-` reads standard input), instead of asking cargo.
        #[arg(long, requires = "orphans")]
        tests: Option<PathBuf>,
        /// With --orphans: arguments for `cargo test --no-run`, after `--` (`-- -p my-crate
        /// --all-features`).
        #[arg(last = true, requires = "orphans", conflicts_with = "tests")]
        cargo_args: Vec<String>,
    },
    /// Write a static HTML report: the bug-finding matrix and, per entry, the lesson, the code
    /// and the minimal failing interleaving drawn as a swimlane diagram. With `--schedule`,
    /// draw the failures saved in schedule files instead.
    Report {
        /// Entries to include (default: all).
        names: Vec<String>,
        /// The directory to write the site to (created if needed).
        #[arg(long, default_value = "tapestry-report")]
        out: PathBuf,
        /// The matrix to show: a file written by `tapestry hunt --all --format json`. Without
        /// it, the report runs the hunt itself (about a minute on 2 cores for every entry).
        #[arg(long)]
        matrix: Option<PathBuf>,
        /// Scales the budgets of the hunt the report runs (without --matrix).
        #[arg(long, default_value_t = 1.0)]
        budget: f64,
        /// How many programs the report's hunt runs at once.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
        jobs: u64,
        /// Draw the failures saved in this schedule file, or in every schedule file of this
        /// folder, from the trace each keeps, without running the program (repeat for several);
        /// the site then shows only these. Any package's schedules, not only the catalogue's.
        #[arg(long = "schedule", conflicts_with_all = ["names", "matrix"])]
        schedules: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
}

fn parse_engine(text: &str) -> Result<EngineKind, String> {
    text.parse()
        .map_err(|e: tapestry::ParseKindError| e.to_string())
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    text.parse()
        .map_err(|e: tapestry::ParseShardError| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    quiet::silence_engines();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            quiet::say(&format!("error: {error:#}"));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::List { format } => {
            print!("{}", matrix::list(ENTRIES, format));
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { name } => {
            print!("{}", show::show(find(&name)?));
            Ok(ExitCode::SUCCESS)
        }
        Command::Hunt {
            names,
            all,
            engines,
            seed,
            jobs,
            workers,
            shard,
            budget,
            save,
            format,
        } => {
            if !(budget.is_finite() && budget > 0.0) {
                bail!("--budget must be a positive number, like 0.5 or 10; got {budget}");
            }
            let entries: Vec<&'static Entry> = match (all, names.is_empty()) {
                (true, _) => ENTRIES.iter().collect(),
                (false, true) => {
                    bail!("name the entries to hunt (see `tapestry list`), or pass --all")
                }
                (false, false) => names.iter().map(|n| find(n)).collect::<Result<_>>()?,
            };
            let engines = if engines.is_empty() {
                EngineKind::ALL.to_vec()
            } else {
                engines
            };
            let settings = Settings {
                engines: engines.clone(),
                seed,
                budget,
                save,
                shard: shard.unwrap_or_default(),
                workers: workers as usize,
            };
            hunt_entries(&entries, &settings, jobs as usize, format)
        }
        Command::Replay { files } => replay(&files),
        Command::Schedules {
            dir,
            orphans,
            tests,
            cargo_args,
        } => {
            if !orphans {
                return schedules::list(&dir);
            }
            let tests = match tests {
                Some(file) => schedules::Tests::File(file),
                None => schedules::Tests::Cargo(cargo_args),
            };
            schedules::orphans(&dir, &tests)
        }
        Command::Report {
            names,
            out,
            matrix,
            budget,
            jobs,
            schedules,
        } => {
            let pages = if !schedules.is_empty() {
                report::schedules(&out, &schedule_files(&schedules)?)?
            } else {
                if !(budget.is_finite() && budget > 0.0) {
                    bail!("--budget must be a positive number, like 0.5 or 10; got {budget}");
                }
                let entries: Vec<&'static Entry> = if names.is_empty() {
                    ENTRIES.iter().collect()
                } else {
                    names.iter().map(|n| find(n)).collect::<Result<_>>()?
                };
                let cells = match matrix {
                    Some(file) => {
                        let text = std::fs::read_to_string(&file)
                            .with_context(|| format!("reading {}", file.display()))?;
                        matrix::from_json(&text).with_context(|| file.display().to_string())?
                    }
                    None => {
                        let settings = Settings {
                            budget,
                            ..Settings::default()
                        };
                        run_hunt(&entries, &settings, jobs as usize)
                    }
                };
                report::catalogue(&out, &entries, &cells)?
            };
            println!(
                "wrote {} pages to {}; open {}",
                pages.len(),
                out.display(),
                out.join("index.html").display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The entry called `name`, or an error that suggests the nearest name.
fn find(name: &str) -> Result<&'static Entry> {
    if let Some(entry) = tapestry_catalogue::entry(name) {
        return Ok(entry);
    }
    let nearest = ENTRIES
        .iter()
        .map(|e| e.name)
        .min_by_key(|n| strsim::damerau_levenshtein(n, name));
    match nearest {
        Some(nearest) if strsim::damerau_levenshtein(nearest, name) <= nearest.len() / 3 + 1 => {
            bail!("no entry `{name}`; did you mean `{nearest}`? (`tapestry list` lists them)")
        }
        _ => bail!("no entry `{name}`; `tapestry list` lists them"),
    }
}

fn hunt_entries(
    entries: &[&'static Entry],
    settings: &Settings,
    jobs: usize,
    format: Format,
) -> Result<ExitCode> {
    let cells = run_hunt(entries, settings, jobs);
    let out = match format {
        Format::Text => matrix::text(&cells, &settings.engines),
        Format::Markdown => matrix::markdown(&cells, &settings.engines),
        Format::Json => matrix::json(&cells)?,
    };
    print!("{out}");
    let broken = cells.iter().filter(|c| !c.verdict.as_claimed()).count();
    if broken > 0 {
        quiet::say(&format!("{broken} result(s) broke the catalogue's claims"));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Hunts the buggy and fixed programs of `entries` under the settings' engines, with a progress
/// bar.
fn run_hunt(entries: &[&'static Entry], settings: &Settings, jobs: usize) -> Vec<hunt::Cell> {
    let work: Vec<_> = entries
        .iter()
        .flat_map(|&e| {
            [Variant::Buggy, Variant::Fixed]
                .into_iter()
                .map(move |v| (e, v))
        })
        .flat_map(|(e, v)| settings.engines.iter().map(move |&k| (e, v, k)))
        .collect();
    let progress = Progress::new(work.len() as u64);
    let cells = hunt::hunt_all(&work, settings, jobs, &|cell| progress.done(cell));
    progress.finish();
    cells
}

/// A progress bar on a terminal; one plain line per finished run when piped.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: u64) -> Progress {
        let Some(terminal) = quiet::terminal() else {
            return Progress(None);
        };
        let target = indicatif::ProgressDrawTarget::term_like(Box::new(terminal));
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), target);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
                .expect("a valid template"),
        );
        Progress(Some(bar))
    }

    fn done(&self, cell: &hunt::Cell) {
        let line = format!(
            "{} {} {}: {} ({} executions, {})",
            cell.entry,
            cell.variant.name(),
            cell.engine,
            matrix::verdict(&cell.verdict),
            cell.executions,
            matrix::duration(cell.elapsed)
        );
        match &self.0 {
            Some(bar) => {
                bar.set_message(line);
                bar.inc(1);
            }
            None => quiet::say(&line),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// The schedule files of `paths`: files as given, folders' `.schedule` files.
fn schedule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let found = tapestry::saved::files(path)
            .with_context(|| format!("{}: no such file or folder", path.display()))?;
        if found.is_empty() {
            bail!("{}: no schedule files in it", path.display());
        }
        files.extend(found);
    }
    Ok(files)
}

fn replay(paths: &[PathBuf]) -> Result<ExitCode> {
    for file in schedule_files(paths)? {
        let saved = tapestry::saved::read(&file)?;
        if saved.is_empty() {
            bail!("{}: no such file, or no schedules in it", file.display());
        }
        for failure in saved {
            println!(
                "== {} ({} engine, {}: {}) from {}",
                failure.test,
                failure.engine,
                failure.kind,
                failure.replay,
                file.display()
            );
            match catalogue_program(&failure.test)? {
                Some(program) => match tapestry::Explorer::new()
                    .max_steps(tapestry_catalogue::hunt::MAX_STEPS)
                    .replay(&failure.replay, program)
                {
                    Err(diverged) => println!("{diverged}\n"),
                    Ok(report) => match report.failure() {
                        Some(found) => println!("{}\n", found.trace()),
                        None => println!("no failure now\n"),
                    },
                },
                None => print_saved(&file, &failure),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The program of `test` if it names a catalogue program (`catalogue::<entry>::<buggy|fixed>`).
fn catalogue_program(test: &str) -> Result<Option<fn()>> {
    let Some((name, variant)) = test
        .strip_prefix("catalogue::")
        .and_then(|rest| rest.rsplit_once("::"))
    else {
        return Ok(None);
    };
    let entry = find(name)?;
    let variant = match variant {
        "buggy" => Variant::Buggy,
        "fixed" => Variant::Fixed,
        other => bail!("`{other}` in `{test}` is neither `buggy` nor `fixed`"),
    };
    Ok(Some(variant.program(entry)))
}

/// A schedule of a user's test: the CLI cannot run the program, so it prints the trace saved
/// with it, and how to replay it with the test.
fn print_saved(file: &std::path::Path, failure: &tapestry::saved::SavedFailure) {
    let how = match failure.replay {
        tapestry::Replay::Stress { .. } => {
            "A stress failure cannot be replayed step by step; its test hunts again with the saved seed and budget"
        }
        _ => "Its test replays it step by step",
    };
    println!(
        "Not a catalogue program: this CLI cannot run your test's program, so this is the trace saved with the schedule. {how}:"
    );
    match header_command(file) {
        // A relative path in it is relative to the package, where `cargo test` runs tests.
        Some(command) if command.starts_with("TAPESTRY_REPLAY=/") => println!("    {command}"),
        Some(command) => println!("    {command}\n(in the package's folder)"),
        None => println!(
            "    TAPESTRY_REPLAY={} cargo test <test> -- --exact",
            file.display()
        ),
    }
    match &failure.timeline {
        Some(timeline) => println!("\n{timeline}"),
        None => println!(
            "\n(an older tapestry saved it without its trace as data; the trace is in the file's comments)\n"
        ),
    }
}

/// The replay command a schedule file's header names.
fn header_command(file: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    lines.find(|l| l.starts_with("# Replay them alone"))?;
    Some(lines.next()?.strip_prefix('#')?.trim().to_owned())
}
