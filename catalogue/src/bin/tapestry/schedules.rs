//! `tapestry schedules`: the schedule files a package keeps (`tapestry-schedules/`), and with
//! `--orphans` the files and entries no test replays: those of tests that no longer exist
//! (renamed or deleted), and entries filed under another test.
//!
//! Which tests exist comes from the package's own test binaries: `cargo test --no-run
//! --message-format=json` builds them and names each, with its crate, and each binary run
//! with `--list` names its tests (libtest's `name: test` lines). A test's full path is its
//! crate and that name, as `#[tapestry::test]` saves it (`user_tests::abba`). `--tests FILE`
//! (`-` for standard input) gives the list instead, one full path a line.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use tapestry::saved::{self, SavedFailure};

use crate::quiet;

/// Where the names of the tests that exist come from.
pub enum Tests {
    /// Build the package's test binaries with these extra `cargo test` arguments and list
    /// their tests.
    Cargo(Vec<String>),
    /// A file (`-`: standard input) with one test path a line.
    File(PathBuf),
}

/// One schedule file as read: its path, the test it belongs to by its place, and its entries
/// (or why they could not be read).
struct File {
    path: PathBuf,
    owner: Option<String>,
    entries: Result<Vec<SavedFailure>, String>,
}

fn read_folder(dir: &Path) -> Result<Vec<File>> {
    if !dir.is_dir() {
        bail!(
            "{}: no such folder; schedules are saved in `tapestry-schedules/` in the package (or TAPESTRY_SCHEDULE_DIR): run this in the package, or name the folder",
            dir.display()
        );
    }
    let paths = saved::files(dir).with_context(|| format!("reading {}", dir.display()))?;
    Ok(paths
        .into_iter()
        .map(|path| File {
            owner: saved::test_of(dir, &path),
            entries: saved::read(&path).map_err(|e| e.to_string()),
            path,
        })
        .collect())
}

fn entry_line(entry: &SavedFailure) -> String {
    format!(
        "{} ({} engine, {}): replay = {}",
        entry.test, entry.engine, entry.kind, entry.replay
    )
}

/// `tapestry schedules [DIR]`: every file and entry.
pub fn list(dir: &Path) -> Result<ExitCode> {
    let files = read_folder(dir)?;
    let mut broken = 0;
    let mut entries = 0;
    for file in &files {
        println!("{}", file.path.display());
        match &file.entries {
            Ok(read) => {
                entries += read.len();
                for entry in read {
                    println!("  {}", entry_line(entry));
                }
            }
            Err(e) => {
                broken += 1;
                println!("  unreadable: {e}");
            }
        }
    }
    println!(
        "{} schedule file(s), {entries} entr{} in {}",
        files.len(),
        if entries == 1 { "y" } else { "ies" },
        dir.display()
    );
    Ok(if broken > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `tapestry schedules --orphans [DIR]`: the files and entries no test replays. Fails (exit 1)
/// when there are any, so that CI can check.
pub fn orphans(dir: &Path, tests: &Tests) -> Result<ExitCode> {
    let files = read_folder(dir)?;
    let exist = match tests {
        Tests::Cargo(args) => cargo_tests(args)?,
        Tests::File(path) => tests_from(path)?,
    };
    if exist.is_empty() {
        bail!("no tests listed, so every schedule would look orphaned; check the list");
    }
    let mut found = 0;
    let mut unreadable = 0;
    for file in &files {
        let mut lines = Vec::new();
        let owner_exists = file.owner.as_ref().is_some_and(|t| exist.contains(t));
        let entries = match &file.entries {
            Ok(entries) => entries.as_slice(),
            Err(e) => {
                unreadable += 1;
                lines.push(format!("  unreadable: {e}"));
                &[]
            }
        };
        for entry in entries {
            let why = if !exist.contains(&entry.test) {
                "no such test"
            } else if file.owner.as_deref() != Some(entry.test.as_str()) {
                "filed under another test: its own is `<module path>/<test>.schedule`"
            } else {
                continue;
            };
            found += 1;
            lines.push(format!("  {} — {why}", entry_line(entry)));
        }
        if lines.is_empty() {
            continue;
        }
        let whose = match (&file.owner, owner_exists) {
            (Some(owner), true) => {
                format!("the file of `{owner}`, which fails on the entries below until they go")
            }
            (Some(owner), false) => format!("no test `{owner}` replays it"),
            (None, _) => {
                "not at a test's place (`<module path>/<test>.schedule`), so no test replays it"
                    .to_owned()
            }
        };
        let svg = saved::svg_path(&file.path);
        let diagram = if svg.exists() {
            format!(" (and its diagram {})", svg.display())
        } else {
            String::new()
        };
        println!("{}{diagram}: {whose}", file.path.display());
        for line in lines {
            println!("{line}");
        }
    }
    if found == 0 && unreadable == 0 {
        println!(
            "no orphans: every entry of the {} schedule file(s) in {} belongs to one of the {} tests that exist, in its own file",
            files.len(),
            dir.display(),
            exist.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{found} orphaned entr{} ({unreadable} unreadable file(s)) among {} schedule file(s), checked against {} tests. Delete them; if a test was renamed, move its entries to the new test's file and change their `test = ` lines.",
        if found == 1 { "y" } else { "ies" },
        files.len(),
        exist.len()
    );
    Ok(ExitCode::FAILURE)
}

/// The test paths in `path` (`-`: standard input), one a line; `name: test` lines, as libtest
/// lists tests, are read too.
fn tests_from(path: &Path) -> Result<BTreeSet<String>> {
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the tests from standard input")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    Ok(text
        .lines()
        .map(|line| {
            let line = line.trim();
            line.strip_suffix(": test").unwrap_or(line)
        })
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// The tests of the package's test binaries, as `crate::path::name`: builds them with `cargo
/// test --no-run` (and `args`), then lists each binary's tests.
fn cargo_tests(args: &[String]) -> Result<BTreeSet<String>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    quiet::say(&format!(
        "building the test binaries: cargo test --no-run {}",
        args.join(" ")
    ));
    let output = Command::new(&cargo)
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("running cargo")?;
    if !output.status.success() {
        bail!(
            "`cargo test --no-run` failed, so the tests are unknown:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut binaries = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let test_binary =
            message["reason"] == "compiler-artifact" && message["profile"]["test"] == true;
        if let (true, Some(exe), Some(name)) = (
            test_binary,
            message["executable"].as_str(),
            message["target"]["name"].as_str(),
        ) {
            binaries.push((name.replace('-', "_"), PathBuf::from(exe)));
        }
    }
    if binaries.is_empty() {
        bail!(
            "`cargo test --no-run` built no test binary here; run this in your package, or give the tests with --tests"
        );
    }
    let mut tests = BTreeSet::new();
    for (krate, exe) in binaries {
        let listed = Command::new(&exe)
            .args(["--list", "--format", "terse"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .with_context(|| format!("running {} --list", exe.display()))?;
        if !listed.status.success() {
            bail!("{} --list failed", exe.display());
        }
        for line in String::from_utf8_lossy(&listed.stdout).lines() {
            if let Some(name) = line.strip_suffix(": test") {
                tests.insert(format!("{krate}::{name}"));
            }
        }
    }
    Ok(tests)
}
