//! `cargo xtask loom-suite`: loom 0.7.3's own test suite (the `tests/*.rs` its published
//! crate ships, fetched by cargo), compiled unchanged in a scratch crate whose `loom` is
//! `tapestry-loom`, and again against loom itself; per file, how many tests end with loom's
//! own verdict (`#[should_panic]` ones panic, the others pass), and the executions and time
//! under each. Nothing of loom's is copied into this repository.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::scratch;

/// The loom release whose suite runs.
const LOOM: &str = "0.7.3";

/// loom's tests that do not end with loom's verdict under tapestry-loom, each for a reason
/// the crate docs of `tapestry-loom` give ("loom's own tests"). The command fails if another
/// test does not, or if one of these does after all (then this list is out of date).
const EXCEPTIONS: &[&str] = &[
    "atomic::invalid_unsync_load_relaxed",
    "atomic::lazy_static_arc_shutdown",
    "futures::spurious_poll",
    "thread_api::initial_thread",
];

#[derive(clap::Args)]
pub struct Args {
    /// Test files to run (names without `.rs`, comma-separated); default: all of them.
    #[arg(long, value_delimiter = ',')]
    files: Vec<String>,
    /// Run only under tapestry-loom, not under loom itself.
    #[arg(long)]
    tapestry_only: bool,
    /// Build and run in the release profile.
    #[arg(long)]
    release: bool,
    /// Run tapestry-loom's models under these engines only (comma-separated names, as
    /// `TAPESTRY_LOOM_ENGINES` takes them: `c11` for the c11 engine alone).
    #[arg(long)]
    engines: Option<String>,
    /// Write the results as a Markdown section to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

/// One test file's results under one crate.
#[derive(Default)]
pub(crate) struct FileRun {
    /// Each test's libtest verdict: `ok`, `FAILED` or `ignored`.
    pub tests: BTreeMap<String, String>,
    pub executions: Option<u64>,
    pub time: Duration,
    /// The output, kept to show what failed.
    pub output: String,
}

pub fn run(args: &Args) -> Result<()> {
    let root = scratch::workspace_root()?;
    let base = scratch::dir("loom-suite")?;
    let real = base.join("loom");
    write_crate(
        &real,
        &format!("loom = {{ version = \"={LOOM}\", features = [\"futures\"] }}"),
    )?;
    let source = loom_source(&real, &root)?;
    let ours = base.join("tapestry-loom");
    let path = root.join("compat/loom");
    write_crate(
        &ours,
        &format!(
            "loom = {{ package = \"tapestry-loom\", path = {:?} }}",
            path.display().to_string()
        ),
    )?;
    let mut files = test_files(&source)?;
    if !args.files.is_empty() {
        for wanted in &args.files {
            if !files.contains(wanted) {
                bail!(
                    "loom {LOOM} has no test file `{wanted}.rs` (it has: {})",
                    files.join(", ")
                );
            }
        }
        files.retain(|f| args.files.contains(f));
    }
    for dir in [&real, &ours] {
        std::fs::create_dir_all(dir.join("tests"))?;
        for file in &files {
            let name = format!("{file}.rs");
            std::fs::copy(
                source.join("tests").join(&name),
                dir.join("tests").join(&name),
            )?;
        }
    }
    let mut rows = Vec::new();
    for file in &files {
        let tapestry = run_file(
            &ours,
            &root,
            file,
            args.release,
            (true, args.engines.as_deref()),
        )?;
        let loom = if args.tapestry_only {
            None
        } else {
            Some(run_file(&real, &root, file, args.release, (false, None))?)
        };
        rows.push((file.clone(), tapestry, loom));
    }
    let table = table(&rows);
    println!("{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, section(&table))?;
    }
    let mut unexpected = Vec::new();
    let mut show = false;
    for (file, run, _) in &rows {
        for (test, verdict) in &run.tests {
            let name = format!("{file}::{test}");
            let excepted = EXCEPTIONS.contains(&name.as_str());
            match (verdict.as_str(), excepted) {
                ("FAILED", false) => {
                    unexpected.push(format!("{name} did not end with loom's verdict"));
                    show = true;
                }
                ("ok", true) => unexpected.push(format!(
                    "{name} now ends with loom's verdict: take it off `EXCEPTIONS` and the \
                     crate docs"
                )),
                _ => {}
            }
        }
        if show {
            eprintln!("{}", run.output);
            show = false;
        }
    }
    if !unexpected.is_empty() {
        bail!("under tapestry-loom:\n  {}", unexpected.join("\n  "));
    }
    Ok(())
}

/// A scratch crate depending on `loom` as `dependency`, with the features loom's tests ask
/// for (`futures`) and their dev-dependencies, its dependencies optimised as tapestry's
/// README asks (and as loom's own README advises for loom).
fn write_crate(dir: &Path, dependency: &str) -> Result<()> {
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(dir.join("src/lib.rs"), "")?;
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("suite");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}-suite\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             publish = false\n\n[workspace]\n\n[features]\ndefault = [\"futures\"]\n\
             futures = []\n\n[dependencies]\n{dependency}\n\n[dev-dependencies]\n\
             futures-util = \"0.3\"\n\n[profile.dev.package.\"*\"]\nopt-level = 2\n"
        ),
    )?;
    Ok(())
}

/// Where cargo put loom's source: its published crate, with its tests.
fn loom_source(dir: &Path, root: &Path) -> Result<PathBuf> {
    let source = scratch::package_source(dir, root, "loom", LOOM)?;
    if !source.join("tests").is_dir() {
        bail!("loom's source at {} has no tests folder", source.display());
    }
    Ok(source)
}

/// The names of loom's test files, sorted.
fn test_files(source: &Path) -> Result<Vec<String>> {
    let mut files: Vec<String> = std::fs::read_dir(source.join("tests"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Runs one test file's tests one at a time; `ours`: under tapestry-loom (with `engines`, if
/// given, for `TAPESTRY_LOOM_ENGINES`), counting its executions.
fn run_file(
    dir: &Path,
    root: &Path,
    file: &str,
    release: bool,
    (ours, engines): (bool, Option<&str>),
) -> Result<FileRun> {
    let mut build = vec!["test", "--no-run", "--test", file];
    if release {
        build.push("--release");
    }
    let (ok, _, stderr) = scratch::cargo(dir, root, &build, &[])?;
    if !ok {
        bail!("building {file} failed:\n{stderr}");
    }
    let mut test: Vec<&str> = vec!["test", "--test", file];
    if release {
        test.push("--release");
    }
    let stats = dir.join(format!("{file}.stats"));
    let env = engines
        .map(|engines| vec![("TAPESTRY_LOOM_ENGINES", engines)])
        .unwrap_or_default();
    run_tests(test, env, ours, &stats, |args, env| {
        scratch::cargo(dir, root, args, env)
    })
}

/// Runs `cargo test` with `args` (`test` and the target) and `env`, its tests one at a time,
/// and reads what they did: under tapestry-loom (`ours`) its executions from the stats file
/// `stats`; under loom, the iterations it logs at the end of each model (`--nocapture`).
pub(crate) fn run_tests<'a>(
    mut args: Vec<&'a str>,
    mut env: Vec<(&'a str, &'a str)>,
    ours: bool,
    stats: &'a Path,
    cargo: impl FnOnce(&[&str], &[(&str, &str)]) -> Result<(bool, String, String)>,
) -> Result<FileRun> {
    let _ = std::fs::remove_file(stats);
    let stats_path = stats.to_str().context("a stats path in UTF-8")?;
    args.extend(["--", "--test-threads=1"]);
    if ours {
        env.push(("TAPESTRY_LOOM_STATS", stats_path));
        // Measured runs search every time: no schedule saved and replayed first next time.
        env.push(("TAPESTRY_SAVE", "0"));
    } else {
        args.push("--nocapture");
        env.push(("LOOM_LOG", "loom::model=info"));
    }
    let start = Instant::now();
    let (_, stdout, stderr) = cargo(&args, &env)?;
    let time = start.elapsed();
    let output = format!("{stdout}\n{stderr}");
    Ok(FileRun {
        tests: verdicts(&stdout),
        executions: if ours {
            executions(stats)
        } else {
            loom_iterations(&output)
        },
        time,
        output,
    })
}

/// Each test's verdict from libtest's output: `test name ... ok`, or, when the test printed
/// (loom's count of iterations, under `--nocapture`), the verdict alone on a later line.
fn verdicts(stdout: &str) -> BTreeMap<String, String> {
    let mut verdicts = BTreeMap::new();
    let mut pending: Option<String> = None;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, verdict)) = rest.split_once(" ... ")
        {
            let name = name.trim_end_matches(" - should panic").to_owned();
            // A model's own line may come first on the verdict's line: thingbuf's
            // `(240000 iterations) ok`.
            match verdict.trim().rsplit(' ').next().unwrap_or("") {
                verdict @ ("ok" | "FAILED" | "ignored") => {
                    verdicts.insert(name, verdict.to_owned());
                }
                // Output the test printed comes first; the verdict follows on a line of its
                // own.
                _ => pending = Some(name),
            }
            continue;
        }
        // A line of the test's output may end without a newline before the verdict.
        let word = line.trim().rsplit(' ').next().unwrap_or("");
        if matches!(word, "ok" | "FAILED" | "ignored")
            && let Some(name) = pending.take()
        {
            verdicts.insert(name, word.to_owned());
        }
    }
    verdicts
}

/// The iterations loom reported for a file's models that completed (`Completed in N
/// iterations`, logged under `LOOM_LOG=loom::model=info`).
fn loom_iterations(output: &str) -> Option<u64> {
    let counts: Vec<u64> = output
        .lines()
        .filter_map(|line| {
            let rest = line.split("Completed in ").nth(1)?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect();
    (!counts.is_empty()).then(|| counts.iter().sum())
}

/// The executions tapestry-loom's models of a file ran, from its stats file.
fn executions(stats: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(stats).ok()?;
    Some(
        text.lines()
            .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum(),
    )
}

fn table(rows: &[(String, FileRun, Option<FileRun>)]) -> String {
    let mut out = String::from(
        "| file | tests | loom's verdict under tapestry-loom | tapestry-loom executions | tapestry-loom time | loom's own verdicts | loom executions | loom time |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let (mut all, mut right) = (0, 0);
    for (file, ours, loom) in rows {
        let ok = ours.tests.values().filter(|v| v.as_str() == "ok").count();
        let run = ours
            .tests
            .values()
            .filter(|v| v.as_str() != "ignored")
            .count();
        all += run;
        right += ok;
        let (loom_ok, loom_executions, loom_time) = match loom {
            Some(loom) => (
                format!(
                    "{}/{}",
                    loom.tests.values().filter(|v| v.as_str() == "ok").count(),
                    loom.tests
                        .values()
                        .filter(|v| v.as_str() != "ignored")
                        .count()
                ),
                loom.executions.map_or("-".to_owned(), |n| n.to_string()),
                format!("{:.1} s", loom.time.as_secs_f64()),
            ),
            None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
        };
        let _ = writeln!(
            out,
            "| {file} | {run} | {ok}/{run} | {} | {:.1} s | {loom_ok} | {loom_executions} | \
             {loom_time} |",
            ours.executions.map_or("-".to_owned(), |n| n.to_string()),
            ours.time.as_secs_f64(),
        );
    }
    let _ = writeln!(
        out,
        "\n{right} of {all} tests end with loom's verdict under tapestry-loom ({:.1}%); the \
         others are the documented exceptions of `tapestry-loom`'s crate docs.",
        100.0 * right as f64 / all.max(1) as f64
    );
    out
}

fn section(table: &str) -> String {
    format!(
        "## loom-suite\n\nloom {LOOM}'s own test suite (`tests/*.rs` of its published crate, \
         fetched by cargo), compiled unchanged by `cargo xtask loom-suite` in a scratch crate \
         whose `loom` is `tapestry-loom`, and in one whose `loom` is loom itself; tests run one \
         at a time. A test ends with loom's verdict when libtest says `ok` (a `#[should_panic]` \
         test panicked). Executions: tapestry-loom's over every engine it ran; loom's, the iterations \
         it reports for models that completed (a model that failed reports none). Times are of \
         `cargo test` on the file, the build excluded.\n\n{table}"
    )
}

#[cfg(test)]
mod tests {
    use super::verdicts;

    #[test]
    fn verdicts_are_read_alone_after_output_and_after_a_models_own_line() {
        let stdout = "test a ... ok\n\
                      test b ... (240000 iterations) ok\n\
                      test c ... printed something\n\
                      Completed in 12 iterations\n\
                      FAILED\n\
                      test d ... ignored\n";
        let found = verdicts(stdout);
        let expected = [("a", "ok"), ("b", "ok"), ("c", "FAILED"), ("d", "ignored")];
        assert_eq!(
            found
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            expected
        );
    }
}
