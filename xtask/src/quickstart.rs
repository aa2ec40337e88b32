//! `cargo xtask quickstart`: a new crate made of the README's Quick Start, exactly as written
//! (only the git address points at this checkout), built and tested as a first-time user
//! would: the test must fail with the lost update the Quick Start plants, and save its schedule.

use std::path::{Path, PathBuf};
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    let readme = std::fs::read_to_string(root.join("README.md"))?;
    let QuickStart { manifest, test } = quick_start(&readme)?;
    let url = "https://github.com/tapestry-rs/tapestry";
    ensure!(
        manifest.contains(url),
        "the Quick Start's dependency line no longer names {url}"
    );
    let local = format!("file://{}", root.display());
    let dir = scratch_dir()?;
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
    std::fs::write(dir.join("tests/counter.rs"), test)?;
    eprintln!("$ cargo test (in {})", dir.display());
    let output = Command::new(env!("CARGO"))
        .arg("test")
        .current_dir(&dir)
        // The workspace's dependencies, built with the same profile, are reused.
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .context("running cargo test in the scratch crate")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        !output.status.success(),
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
    Ok(())
}

/// A fresh folder outside the workspace (a crate inside it would belong to it).
fn scratch_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tapestry-quickstart-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(dir)
}
