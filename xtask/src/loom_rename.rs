//! `cargo xtask loom-rename`: a new crate written the way loom's users write theirs (its
//! library imports its atomics from `loom` under `#[cfg(loom)]` and from std otherwise, `loom`
//! is a dependency under `cfg(loom)` as concurrent-queue's, its loom tests are built with
//! `RUSTFLAGS="--cfg loom"`), whose one change is `loom` renamed to `tapestry-loom`. Its loom
//! test must find the lost update its library plants, save the failing schedule beside the
//! tests, and replay it first on the next run; once the library is fixed, the schedule no
//! longer fits and is named, and with it deleted the test passes. Built without the flag, the
//! crate is std alone.

use anyhow::{Result, ensure};

use crate::scratch;

const MANIFEST: &str = r#"[package]
name = "hits"
version = "0.1.0"
edition = "2021"

[target.'cfg(loom)'.dependencies]
loom = { package = "tapestry-loom", path = "TAPESTRY_LOOM" }

[lints.rust]
unexpected_cfgs = { level = "warn", check-cfg = ['cfg(loom)'] }
"#;

const LIBRARY: &str = r#"#[cfg(loom)]
use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicUsize, Ordering};

/// A hit counter shared by threads.
#[derive(Default)]
pub struct Hits(AtomicUsize);

impl Hits {
    pub fn add(&self) {
        let seen = self.0.load(Ordering::SeqCst);
        self.0.store(seen + 1, Ordering::SeqCst);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}
"#;

/// The library's bug and its fix.
const RACY: &str =
    "let seen = self.0.load(Ordering::SeqCst);\n        self.0.store(seen + 1, Ordering::SeqCst);";
const FIXED: &str = "self.0.fetch_add(1, Ordering::SeqCst);";

const LOOM_TEST: &str = r#"#![cfg(loom)]

use hits::Hits;
use loom::sync::Arc;
use loom::thread;

#[test]
fn two_threads_count_two_hits() {
    loom::model(|| {
        let hits = Arc::new(Hits::default());
        let other = hits.clone();
        let adder = thread::spawn(move || other.add());
        hits.add();
        adder.join().unwrap();
        assert_eq!(hits.get(), 2, "a hit was lost");
    });
}
"#;

pub(crate) fn run() -> Result<()> {
    let root = scratch::workspace_root()?;
    let dir = scratch::dir("loom-rename")?;
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("tests"))?;
    let compat = root.join("compat/loom");
    std::fs::write(
        dir.join("Cargo.toml"),
        MANIFEST.replace("TAPESTRY_LOOM", &compat.display().to_string()),
    )?;
    std::fs::write(dir.join("src/lib.rs"), LIBRARY)?;
    std::fs::write(dir.join("tests/loom.rs"), LOOM_TEST)?;
    // `--cfg loom` changes every crate's build: a target folder of its own.
    let target = scratch::target(&root, "cfg-loom");
    let loom_env = [
        ("RUSTFLAGS", "--cfg loom"),
        ("CARGO_TARGET_DIR", target.as_str()),
    ];
    let cargo = |args: &[&str], env: &[(&str, &str)]| scratch::cargo(&dir, &root, args, env);

    let (passed, stdout, stderr) = cargo(&["test"], &[])?;
    ensure!(
        passed,
        "without `--cfg loom` the crate's tests fail:\n{stdout}\n{stderr}"
    );

    let (passed, stdout, stderr) = cargo(&["test", "--test", "loom"], &loom_env)?;
    ensure!(
        !passed,
        "the loom test passed, but the library loses a hit:\n{stdout}\n{stderr}"
    );
    let schedule = "tapestry-schedules/loom/two_threads_count_two_hits.schedule";
    for expected in [
        "a hit was lost",
        "tapestry found a panic in `loom::two_threads_count_two_hits`",
        &format!(
            "TAPESTRY_REPLAY={schedule} cargo test -p hits two_threads_count_two_hits -- --exact"
        ),
    ] {
        ensure!(
            stdout.contains(expected),
            "the loom test's failure does not say `{expected}`:\n{stdout}\n{stderr}"
        );
    }
    ensure!(
        dir.join(schedule).exists(),
        "no schedule saved at {schedule}"
    );
    eprintln!("loom-rename: the renamed loom test finds the lost hit and saves {schedule}");

    let (passed, stdout, stderr) = cargo(&["test", "--test", "loom"], &loom_env)?;
    ensure!(
        !passed
            && stdout
                .contains("a saved schedule of `loom::two_threads_count_two_hits` fails again"),
        "the next run did not replay the saved schedule first:\n{stdout}\n{stderr}"
    );
    eprintln!("loom-rename: the next run replays it first, and fails again");

    std::fs::write(dir.join("src/lib.rs"), LIBRARY.replace(RACY, FIXED))?;
    let (passed, stdout, stderr) = cargo(&["test", "--test", "loom"], &loom_env)?;
    ensure!(
        !passed && stdout.contains("no longer fit the test"),
        "after the fix, the stale schedule was not named:\n{stdout}\n{stderr}"
    );
    std::fs::remove_file(dir.join(schedule))?;
    let (passed, stdout, stderr) = cargo(&["test", "--test", "loom"], &loom_env)?;
    ensure!(
        passed,
        "the fixed library's loom test fails:\n{stdout}\n{stderr}"
    );
    eprintln!(
        "loom-rename: once fixed, the stale schedule is named; without it the loom test passes"
    );
    Ok(())
}
