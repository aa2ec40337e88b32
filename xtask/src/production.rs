//! `cargo xtask production`: the configuration a library ships, without `explore`.
//!
//! First tapestry's own checks of it: clippy, the tests (`facade_parity.rs` compiled against
//! the production facade, `production.rs`) and the docs, each with `--no-default-features`.
//! Then a new library crate with the README's two dependency lines (the git address pointing at
//! this checkout's commit), whose code uses `tapestry::sync` and loses an update: its normal
//! dependency tree must be tapestry alone, its own build (and a binary that runs it) must get
//! the facade as std, `#[tapestry::test]` in it must be a compile error naming the feature, and
//! its `cargo test` must explore the same code and find the lost update in it.

use crate::scratch;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

/// The library: request statistics, with the Quick Start's bug in its own code.
const LIBRARY: &str = r#"//! Request statistics, written against tapestry's facade: std in this crate's own build,
//! explored in its tests.

use tapestry::sync::Mutex;
use tapestry::sync::atomic::{AtomicUsize, Ordering};

/// Counts requests and keeps the last path.
#[derive(Debug, Default)]
pub struct Stats {
    hits: AtomicUsize,
    last: Mutex<Option<String>>,
}

impl Stats {
    /// Records one request.
    pub fn record(&self, path: &str) {
        // A bug: a load and a store where one `fetch_add` was needed.
        let seen = self.hits.load(Ordering::SeqCst);
        self.hits.store(seen + 1, Ordering::SeqCst);
        *self.last.lock().unwrap() = Some(path.to_owned());
    }

    /// The requests recorded.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Whether the facade this crate was built against explores.
pub const EXPLORE: bool = tapestry::EXPLORE;

// Misuse: a tapestry test in code built without `explore`.
#[cfg(feature = "misuse")]
#[tapestry::test]
fn misplaced() {}
"#;

/// The library's production binary: it runs the library on real threads.
const BINARY: &str = r#"fn main() {
    let stats = tapestry::sync::Arc::new(stats::Stats::default());
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let stats = stats.clone();
            tapestry::thread::spawn(move || stats.record(&format!("/{i}")))
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    println!("explore: {}, hits: {}", stats::EXPLORE, stats.hits());
}
"#;

/// The library's test, as its author writes it.
const TEST: &str = r#"use stats::Stats;
use tapestry::sync::Arc;
use tapestry::thread;

#[tapestry::test]
fn two_requests_count_twice() {
    assert!(stats::EXPLORE, "the tests get the facade with `explore`");
    let stats = Arc::new(Stats::default());
    let s = stats.clone();
    let t = thread::spawn(move || s.record("/a"));
    stats.record("/b");
    t.join().unwrap();
    assert_eq!(stats.hits(), 2, "a hit was lost");
}
"#;

/// Crates that must never be in a production build of a library using the facade.
const HEAVY: &[&str] = &[
    "loom",
    "shuttle",
    "insta",
    "generator",
    "corosensei",
    "parking_lot",
    "tapestry-macros",
];

/// The README's `## Production builds` section's Cargo.toml lines.
fn readme_lines(readme: &str) -> Result<String> {
    let section = readme
        .split("\n## Production builds")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .context("the README has no `## Production builds` section")?;
    let start = section
        .find("```toml\n")
        .context("no ```toml block in the README's Production builds")?
        + "```toml\n".len();
    let len = section[start..]
        .find("```")
        .context("an unclosed block in the README's Production builds")?;
    Ok(section[start..start + len].to_owned())
}

pub(crate) fn run() -> Result<()> {
    let started = Instant::now();
    let root = scratch::workspace_root()?;
    own_checks(&root)?;
    eprintln!(
        "production: tapestry's own checks without explore took {:.0?}",
        started.elapsed()
    );
    let library = Instant::now();
    scratch_library(&root)?;
    eprintln!(
        "production: the scratch library took {:.0?}; all {:.0?}",
        library.elapsed(),
        started.elapsed()
    );
    Ok(())
}

/// clippy, tests and docs of tapestry itself without `explore` (the crate docs' examples are
/// the explore tutorial: `--tests` leaves them out).
fn own_checks(root: &Path) -> Result<()> {
    let cargo = |args: &[&str], env: &[(&str, &str)]| -> Result<()> {
        eprintln!("$ cargo {}", args.join(" "));
        let status = Command::new(env!("CARGO"))
            .args(args)
            .current_dir(root)
            .envs(env.iter().copied())
            .status()
            .context("running cargo")?;
        ensure!(status.success(), "`cargo {}` failed", args.join(" "));
        Ok(())
    };
    let plain = ["-p", "tapestry-harness", "--no-default-features"];
    cargo(
        &[
            &["clippy"],
            &plain[..],
            &["--all-targets", "--", "-D", "warnings"],
        ]
        .concat(),
        &[],
    )?;
    cargo(&[&["test"], &plain[..], &["--tests"]].concat(), &[])?;
    cargo(
        &[&["doc"], &plain[..], &["--no-deps"]].concat(),
        &[("RUSTDOCFLAGS", "-D warnings")],
    )
}

fn scratch_library(root: &Path) -> Result<()> {
    let readme = std::fs::read_to_string(root.join("README.md"))?;
    let lines = readme_lines(&readme)?;
    let url = "https://github.com/tapestry-rs/tapestry";
    ensure!(
        lines.contains(url) && lines.contains("default-features = false"),
        "the README's Production builds lines no longer name {url} with `default-features = false`"
    );
    let dir = scratch::dir("production")?;
    std::fs::create_dir_all(dir.join("src/bin"))?;
    std::fs::create_dir_all(dir.join("tests"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"stats\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[features]\nmisuse = []\n\n{}",
            lines.replace(url, &format!("file://{}", root.display()))
        ),
    )?;
    std::fs::write(dir.join("src/lib.rs"), LIBRARY)?;
    std::fs::write(dir.join("src/bin/serve.rs"), BINARY)?;
    std::fs::write(dir.join("tests/stats.rs"), TEST)?;
    let cargo = |args: &[&str]| scratch::cargo(&dir, root, args, &[]);

    let (ok, tree, stderr) = cargo(&["tree", "-e", "normal", "--prefix", "none"])?;
    ensure!(ok, "cargo tree failed:\n{stderr}");
    eprint!("{tree}");
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for heavy in HEAVY {
        ensure!(
            !crates.contains(heavy),
            "the production build depends on {heavy}:\n{tree}"
        );
    }
    ensure!(
        crates == ["stats", "tapestry-harness"],
        "the production build depends on more than tapestry:\n{tree}"
    );

    let (ok, stdout, stderr) = cargo(&["run", "--bin", "serve"])?;
    ensure!(
        ok,
        "the library's production build failed:\n{stdout}\n{stderr}"
    );
    ensure!(
        stdout.starts_with("explore: false,"),
        "the library's own build got the facade with explore: {stdout}"
    );
    eprintln!("production: the library's own build runs on the std facade ({stdout:?})");

    let (ok, stdout, stderr) = cargo(&["build", "--features", "misuse"])?;
    for expected in [
        "the item is gated behind the `explore` feature",
        "`#[tapestry::test]` needs tapestry's feature \"explore\": `features = [\"explore\"]` on the dev-dependency",
    ] {
        ensure!(
            !ok && stderr.contains(expected),
            "#[tapestry::test] without explore did not fail saying `{expected}`:\n{stdout}\n{stderr}"
        );
    }
    // What the user reads: the error and rustc's note, which quotes tapestry's lines.
    let error = stderr
        .lines()
        .skip_while(|l| !l.starts_with("error"))
        .take_while(|l| !l.starts_with("error: could not compile"))
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!("{error}");
    eprintln!(
        "production: #[tapestry::test] without explore is a compile error naming the feature"
    );

    let (ok, stdout, stderr) = cargo(&["test", "--test", "stats"])?;
    ensure!(
        !ok,
        "the library's test passed, but its code loses an update:\n{stdout}\n{stderr}"
    );
    for expected in [
        "tapestry found a panic in `stats::two_requests_count_twice`",
        "a hit was lost",
        // The trace steps through the library's own code, explored.
        "src/lib.rs:",
    ] {
        if !stdout.contains(expected) {
            bail!("the library's failing test does not say `{expected}`:\n{stdout}\n{stderr}");
        }
    }
    let trace: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("src/lib.rs:") || l.contains("tapestry found"))
        .collect();
    eprintln!("{}", trace.join("\n"));
    eprintln!("production: the library's test explores its code and finds the lost update");
    Ok(())
}
