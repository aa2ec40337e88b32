//! `cargo xtask quickstart`: a new crate made of the README's Quick Start, exactly as written
//! (only the git address points at this checkout), built and tested as a first-time user
//! would: the test must fail with the lost update the Quick Start plants, and save its schedule.
//! Then what a person must read from tapestry reaches them without `--nocapture`: a passing
//! test that an engine could not run says so under `cargo test` (and under `cargo nextest run`
//! when it shows passing tests' output), and a misspelt knob fails the test; and saved
//! schedules that no longer mean what they did (another test's, stale after the fix, orphaned
//! by a rename) are each named.

use crate::scratch;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

/// The README's Quick Start: its Cargo.toml lines and its test.
struct QuickStart {
    manifest: String,
    test: String,
}

fn quick_start(readme: &str) -> Result<QuickStart> {
    let section = readme
        .split("## Quick start")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .context("the README has no `## Quick start` section")?;
    let block = |lang: &str| -> Result<String> {
        let fence = format!("```{lang}\n");
        let start = section
            .find(&fence)
            .with_context(|| format!("no ```{lang} block in the Quick Start"))?
            + fence.len();
        let len = section[start..]
            .find("```")
            .context("an unclosed block in the Quick Start")?;
        Ok(section[start..start + len].to_owned())
    };
    Ok(QuickStart {
        manifest: block("toml")?,
        test: block("rust")?,
    })
}

pub(crate) fn run() -> Result<()> {
    let root = scratch::workspace_root()?;
    let readme = std::fs::read_to_string(root.join("README.md"))?;
    let QuickStart { manifest, test } = quick_start(&readme)?;
    let url = "https://github.com/tapestry-rs/tapestry";
    ensure!(
        manifest.contains(url),
        "the Quick Start's dependency line no longer names {url}"
    );
    let local = format!("file://{}", root.display());
    let dir = scratch::dir("quickstart")?;
    std::fs::create_dir_all(dir.join("tests"))?;
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(dir.join("src/lib.rs"), "")?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"first-try\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n{}",
            manifest.replace(url, &local)
        ),
    )?;
    std::fs::write(dir.join("tests/counter.rs"), &test)?;
    std::fs::write(dir.join("tests/notices.rs"), NOTICES)?;
    let cargo = |args: &[&str], env: &[(&str, &str)]| scratch::cargo(&dir, &root, args, env);
    let (passed, stdout, stderr) = cargo(&["test", "--test", "counter"], &[])?;
    ensure!(
        !passed,
        "the Quick Start's test passed, but it plants a lost update:\n{stdout}\n{stderr}"
    );
    for expected in [
        "tapestry found a panic in `counter::counter_counts_every_thread`",
        "The failing schedule is saved in",
        "TAPESTRY_REPLAY=tapestry-schedules/counter/counter_counts_every_thread.schedule cargo test -p first-try counter_counts_every_thread -- --exact",
    ] {
        if !stdout.contains(expected) {
            bail!("the Quick Start's failure does not say `{expected}`:\n{stdout}\n{stderr}");
        }
    }
    let schedule = dir.join("tapestry-schedules/counter/counter_counts_every_thread.schedule");
    ensure!(
        schedule.exists(),
        "no schedule saved at {}",
        schedule.display()
    );
    eprintln!(
        "quickstart: the README's Quick Start builds, finds its lost update and saves {}",
        schedule.display()
    );
    notices(&cargo)?;
    schedules(&cargo, &root, &dir, &schedule, &test)
}

/// The Quick Start's test with its bug fixed: one `fetch_add` where a load and a store were.
fn fixed(test: &str) -> Result<String> {
    let buggy = "h.store(h.load(Ordering::SeqCst) + 1, Ordering::SeqCst)";
    ensure!(
        test.contains(buggy),
        "the Quick Start's bug is no longer `{buggy}`"
    );
    Ok(test.replace(buggy, "h.fetch_add(1, Ordering::SeqCst)"))
}

/// What the user sees of saved schedules that no longer mean what they did: another test's
/// file given to `TAPESTRY_REPLAY`, another test's entry in a test's file, a schedule that
/// no longer fits after the fix, and a file whose test was renamed. Each is named.
fn schedules(
    cargo: &Cargo<'_>,
    root: &Path,
    dir: &Path,
    schedule: &Path,
    test: &str,
) -> Result<()> {
    let counter = "counter::counter_counts_every_thread";
    let replay = schedule.display().to_string();
    let (passed, stdout, stderr) = cargo(
        &["test", "--test", "notices"],
        &[("TAPESTRY_REPLAY", &replay)],
    )?;
    ensure!(
        !passed && (stdout.contains(counter) || stderr.contains(counter)),
        "TAPESTRY_REPLAY with another test's file did not fail naming its test:\n{stdout}\n{stderr}"
    );
    let slot = dir.join("tapestry-schedules/notices/eight_threads_count.schedule");
    std::fs::create_dir_all(slot.parent().expect("a folder"))?;
    std::fs::copy(schedule, &slot)?;
    let (passed, stdout, stderr) = cargo(&["test", "--test", "notices"], &[])?;
    ensure!(
        !passed && (stdout.contains(counter) || stderr.contains(counter)),
        "another test's entry in a test's file was not named:\n{stdout}\n{stderr}"
    );
    std::fs::remove_file(&slot)?;
    let renamed = dir.join("tapestry-schedules/counter/renamed_away.schedule");
    std::fs::copy(schedule, &renamed)?;
    std::fs::write(dir.join("tests/counter.rs"), fixed(test)?)?;
    let (passed, stdout, stderr) = cargo(&["test", "--test", "counter"], &[])?;
    ensure!(
        !passed && stdout.contains("no longer fit the test"),
        "the fixed test did not name its stale schedule:\n{stdout}\n{stderr}"
    );
    std::fs::remove_file(schedule)?;
    let (passed, stdout, stderr) = cargo(&["test", "--test", "counter"], &[])?;
    ensure!(passed, "the fixed test fails:\n{stdout}\n{stderr}");
    eprintln!("$ tapestry schedules --orphans {}", dir.display());
    let output = Command::new(env!("CARGO"))
        .args([
            "run",
            "--quiet",
            "-p",
            "tapestry-catalogue",
            "--bin",
            "tapestry",
            "--",
        ])
        .args(["schedules", "--orphans"])
        .arg(dir)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .output()?;
    let listed = String::from_utf8_lossy(&output.stdout);
    ensure!(
        !output.status.success() && listed.contains("renamed_away.schedule"),
        "`tapestry schedules --orphans` did not list the renamed test's file:\n{listed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "quickstart: another test's schedules, a stale schedule and an orphaned file are each named"
    );
    Ok(())
}

/// A passing test the exhaustive engine cannot run (eight threads).
const NOTICES: &str = r#"use tapestry::sync::{atomic::{AtomicUsize, Ordering}, Arc};
use tapestry::thread;

#[tapestry::test]
fn eight_threads_count() {
    let hits = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let h = hits.clone();
            thread::spawn(move || {
                h.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(hits.load(Ordering::SeqCst), 8);
}
"#;

type Cargo<'a> = dyn Fn(&[&str], &[(&str, &str)]) -> Result<(bool, String, String)> + 'a;

/// What a person sees of tapestry's notices and of a misspelt knob.
fn notices(cargo: &Cargo<'_>) -> Result<()> {
    let skipped = "the exhaustive engine cannot run this program";
    let (passed, stdout, stderr) = cargo(&["test", "--test", "notices"], &[])?;
    ensure!(passed, "eight_threads_count failed:\n{stdout}\n{stderr}");
    ensure!(
        stderr.contains(skipped),
        "`cargo test` did not show that the exhaustive engine was skipped:\n{stderr}"
    );
    let (passed, stdout, stderr) = cargo(
        &["test", "--test", "notices"],
        &[("TAPESTRY_SCHEDULS", "5")],
    )?;
    let misspelt = "TAPESTRY_SCHEDULS is not a tapestry setting (did you mean TAPESTRY_SCHEDULES?)";
    ensure!(
        !passed && (stdout.contains(misspelt) || stderr.contains(misspelt)),
        "a misspelt knob did not fail the test with its name:\n{stdout}\n{stderr}"
    );
    eprintln!("quickstart: cargo test shows the skipped engine and fails the misspelt knob");
    if cargo(&["nextest", "--version"], &[])?.0 {
        let (passed, stdout, stderr) = cargo(&["nextest", "run", "--test", "notices"], &[])?;
        ensure!(
            passed,
            "nextest: eight_threads_count failed:\n{stdout}\n{stderr}"
        );
        let shown = stdout.contains(skipped) || stderr.contains(skipped);
        let (_, stdout, stderr) = cargo(
            &[
                "nextest",
                "run",
                "--test",
                "notices",
                "--success-output",
                "immediate",
            ],
            &[],
        )?;
        ensure!(
            stdout.contains(skipped) || stderr.contains(skipped),
            "nextest --success-output immediate did not show the notice:\n{stdout}\n{stderr}"
        );
        let (passed, stdout, stderr) = cargo(
            &["nextest", "run", "--test", "notices"],
            &[("TAPESTRY_SCHEDULS", "5")],
        )?;
        ensure!(
            !passed && (stdout.contains(misspelt) || stderr.contains(misspelt)),
            "nextest: a misspelt knob did not fail the test with its name:\n{stdout}\n{stderr}"
        );
        eprintln!(
            "quickstart: nextest fails the misspelt knob; it shows the skipped engine's notice {}",
            if shown {
                "by default"
            } else {
                "with --success-output immediate (not by default)"
            }
        );
    }
    Ok(())
}
