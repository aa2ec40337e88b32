//! `cargo xtask loom-crates`: the loom tests of published crates, run unchanged under
//! tapestry-loom and under loom. Each crate's published source is fetched by cargo and copied
//! into a scratch folder twice: as published, and with one edit of its `Cargo.toml`, the
//! `loom` dependency renamed to `tapestry-loom`. Nothing of those crates is in this repository.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::loom_suite::{FileRun, run_tests};
use crate::scratch;

/// A published crate with a loom test target.
struct Subject {
    name: &'static str,
    version: &'static str,
    /// The `--cfg` its loom code is behind.
    cfg: &'static str,
    /// Other `RUSTFLAGS` its CI builds its loom tests with.
    rustflags: &'static str,
    /// The target its loom tests are in.
    test: Target,
    /// `LOOM_MAX_PREEMPTIONS`, as the crate's own CI sets it (unbounded if `None`).
    preemptions: Option<&'static str>,
    /// `LOOM_MAX_DURATION` in seconds, for both runs, where loom's complete search takes too
    /// long for this command (each of tapestry-loom's engines stops after 60 s by default).
    max_duration: Option<&'static str>,
    /// libtest's filter on test names, where the target has tests that are no loom model.
    filter: Option<&'static str>,
    /// The features its CI's loom run enables (the `loom` feature among them where it has
    /// one); none if empty.
    features: &'static str,
}

/// Where a crate's loom tests are.
enum Target {
    /// An integration test target (`--test NAME`).
    Test(&'static str),
    /// `#[cfg(loom)]` unit tests of the library (`--lib`): every test the library has under
    /// the loom `--cfg` runs, as in the crate's CI.
    Lib,
}

const SUBJECTS: &[Subject] = &[
    Subject {
        name: "concurrent-queue",
        version: "2.5.0",
        cfg: "loom",
        rustflags: "",
        test: Target::Test("loom"),
        // smol-rs's CI runs its loom tests with at most two preemptions.
        max_duration: None,
        filter: None,
        preemptions: Some("2"),
        features: "loom",
    },
    Subject {
        name: "oneshot",
        version: "0.1.13",
        cfg: "oneshot_loom",
        rustflags: "",
        test: Target::Test("loom"),
        max_duration: None,
        filter: None,
        preemptions: None,
        features: "loom",
    },
    Subject {
        name: "oneshot",
        version: "0.2.1",
        cfg: "oneshot_loom",
        rustflags: "",
        test: Target::Test("loom"),
        max_duration: None,
        filter: None,
        preemptions: None,
        // 0.2 has no default features; its async tests need `async`.
        features: "loom,async,std",
    },
    Subject {
        name: "bytes",
        version: "1.12.2",
        cfg: "loom",
        rustflags: "",
        // Its CI: `RUSTFLAGS="--cfg loom -Dwarnings" cargo test --lib` (ci/test-stable.sh). Its
        // loom models are the `fuzz` modules; the library's other unit tests use no loom type.
        test: Target::Lib,
        max_duration: None,
        filter: Some("fuzz"),
        preemptions: None,
        features: "",
    },
    Subject {
        name: "diatomic-waker",
        version: "0.2.3",
        cfg: "diatomic_waker_loom",
        rustflags: "",
        // Its loom workflow (shipped): `cargo test --lib --release --all-features`.
        test: Target::Lib,
        // Its models set preemption bounds of 2 to 5 themselves; loom needs more than 10
        // minutes for the six (tapestry-loom's exhaustive engine, loom's search, stops at its
        // minute in four of them): both runs stop each model after a minute.
        max_duration: Some("60"),
        filter: None,
        preemptions: None,
        features: "alloc",
    },
    Subject {
        name: "event-listener",
        version: "5.4.2",
        cfg: "loom",
        rustflags: "",
        test: Target::Test("loom"),
        // Its loom models spawn no thread: a bound on preemptions changes nothing.
        max_duration: None,
        filter: None,
        preemptions: None,
        features: "loom",
    },
    Subject {
        name: "left-right",
        version: "0.11.8",
        cfg: "loom",
        rustflags: "",
        // Its safety workflow (shipped): `cargo test --release --test loom`.
        test: Target::Test("loom"),
        max_duration: None,
        filter: None,
        preemptions: None,
        features: "",
    },
    Subject {
        name: "parking",
        version: "2.2.1",
        cfg: "loom",
        rustflags: "",
        test: Target::Test("loom"),
        // smol-rs's CI runs its loom tests with at most two preemptions.
        max_duration: None,
        filter: None,
        preemptions: Some("2"),
        features: "loom",
    },
    Subject {
        name: "sharded-slab",
        version: "0.1.7",
        cfg: "loom",
        // Its `bin/loom.sh` (shipped), which its CI runs: release build with debug
        // assertions, `cargo test --release --lib`, at most two preemptions.
        rustflags: "-C debug-assertions=on",
        test: Target::Lib,
        max_duration: None,
        filter: None,
        preemptions: Some("2"),
        features: "",
    },
    Subject {
        name: "st3",
        version: "0.4.1",
        cfg: "st3_loom",
        rustflags: "",
        // Its CI (shipped): `RUSTFLAGS="--cfg st3_loom" cargo test --tests --release` with
        // `LOOM_MAX_PREEMPTIONS=3`. Its one test target, `integration`, holds its loom models
        // under the cfg (`tests/loom.rs`, ported from tokio's work-stealing queue tests, on
        // loom 0.5) and its other tests without it.
        test: Target::Test("integration"),
        max_duration: None,
        filter: None,
        preemptions: Some("3"),
        features: "",
    },
    Subject {
        name: "thingbuf",
        version: "0.1.6",
        cfg: "loom",
        // Its loom workflow: `cargo test --profile loom --lib -- <module>` for each module
        // (together, every test of the library), at most two preemptions. Its `loom` profile
        // is optimised with debug assertions on, which its loom build needs (`Core::new`
        // under `cfg(loom)` sets `has_dropped_slots` only with them).
        rustflags: "-C debug-assertions=on",
        test: Target::Lib,
        max_duration: None,
        filter: None,
        preemptions: Some("2"),
        features: "",
    },
];

/// Tests that fail under tapestry-loom because it finds a real bug that loom does not (see
/// LOOM-SUITE.md). The command fails if another test fails, or if one of these passes.
const FINDINGS: &[&str] = &[
    // oneshot's receiver, polled and then dropped while the sender is waking it, frees the
    // channel the sender still writes (`Receiver::drop`, the UNPARKING branch).
    "oneshot-0.1.13::poll_then_drop_receiver_during_send",
    // The same in oneshot 0.2.1, the latest release (`AsyncReceiver::drop`).
    "oneshot-0.2.1::poll_then_drop_receiver_during_send",
];

/// Tests that fail under tapestry-loom though the crate's code is right: false alarms of
/// tapestry, not fixed yet (see LOOM-SUITE.md). Treated as `FINDINGS` are.
const FALSE_ALARMS: &[&str] = &[];

/// Crates whose loom tests do not compile against tapestry-loom, with the loom API they use
/// that it lacks (see LOOM-SUITE.md). The command fails if another crate's do not compile, or
/// if one of these does.
const DOES_NOT_BUILD: &[(&str, &str)] = &[];

#[derive(clap::Args)]
pub struct Args {
    /// Write the results as a Markdown section to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Run only the crates of these names (every crate if none is given).
    #[arg(long = "crate", value_name = "NAME")]
    crates: Vec<String>,
    /// Run tapestry-loom's models under these engines only (comma-separated names, as
    /// `TAPESTRY_LOOM_ENGINES` takes them: `c11` for the c11 engine alone).
    #[arg(long)]
    engines: Option<String>,
}

pub fn run(args: &Args) -> Result<()> {
    let root = scratch::workspace_root()?;
    let base = scratch::dir("loom-crates")?;
    let mut table = String::from(
        "| crate | loom tests | pass under tapestry-loom | tapestry-loom executions | tapestry-loom time | pass under loom | loom executions | loom time |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut outputs = Vec::new();
    let mut unexpected = Vec::new();
    for subject in SUBJECTS
        .iter()
        .filter(|s| args.crates.is_empty() || args.crates.iter().any(|c| c == s.name))
    {
        let source = fetch_named(subject.name, subject.version, &base, &root)?;
        let as_published = base.join(format!("{}-{}-loom", subject.name, subject.version));
        let renamed = base.join(format!("{}-{}-tapestry", subject.name, subject.version));
        copy_dir(&source, &as_published)?;
        copy_dir(&source, &renamed)?;
        for dir in [&as_published, &renamed] {
            // A lock file a crate ships pins its own dependencies' versions, which tapestry's
            // may not accept: both copies resolve afresh.
            let _ = std::fs::remove_file(dir.join("Cargo.lock"));
            let manifest = dir.join("Cargo.toml");
            let mut text = std::fs::read_to_string(&manifest)?;
            text.push_str("\n[workspace]\n");
            if dir == &renamed {
                text = rename_loom(&text, &root.join("compat/loom"))
                    .with_context(|| format!("{}'s Cargo.toml", subject.name))?;
            }
            std::fs::write(&manifest, text)?;
        }
        let name = format!("{}-{}", subject.name, subject.version);
        let expected_to_build = !DOES_NOT_BUILD.iter().any(|(n, _)| *n == name);
        let ours = match run_subject(
            &renamed,
            &root,
            subject,
            Side::Tapestry(args.engines.as_deref()),
        )? {
            Ok(run) => {
                if !expected_to_build {
                    unexpected.push(format!("{name} builds: off `DOES_NOT_BUILD` with it"));
                }
                Some(run)
            }
            Err(stderr) => {
                if expected_to_build {
                    eprintln!("{stderr}");
                    unexpected.push(format!("{name}'s loom tests do not build"));
                }
                None
            }
        };
        let loom = run_subject(&as_published, &root, subject, Side::Loom)?
            .map_err(|stderr| anyhow::anyhow!("building {name}'s loom tests failed:\n{stderr}"))?;
        let count = |run: &FileRun| run.tests.values().filter(|v| v.as_str() == "ok").count();
        // Tests the crate ignores under its loom `--cfg` are no loom test. Counted over both
        // runs: a run cut short (a crash, a hang's timeout) names fewer, and the other's
        // passes must not read as more than all ("28/9").
        let all = loom
            .tests
            .iter()
            .chain(ours.iter().flat_map(|ours| &ours.tests))
            .filter(|(_, verdict)| verdict.as_str() != "ignored")
            .map(|(test, _)| test)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let (passed, executions, time) = match &ours {
            Some(ours) => (
                format!("{}/{all}", count(ours)),
                ours.executions.map_or("-".to_owned(), |n| n.to_string()),
                format!("{:.1} s", ours.time.as_secs_f64()),
            ),
            None => {
                let missing = DOES_NOT_BUILD
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or("", |(_, missing)| missing);
                (
                    format!("does not build (no {missing})"),
                    "-".to_owned(),
                    "-".to_owned(),
                )
            }
        };
        table.push_str(&format!(
            "| {} {} | {all} | {passed} | {executions} | {time} | {}/{all} | {} | {:.1} s |\n",
            subject.name,
            subject.version,
            count(&loom),
            loom.executions.map_or("-".to_owned(), |n| n.to_string()),
            loom.time.as_secs_f64(),
        ));
        outputs.extend(ours.map(|ours| (name, ours)));
    }
    println!("{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(
            path,
            format!(
                "## loom-crates\n\nThe loom tests of published crates, by `cargo xtask \
                 loom-crates`: each crate's published source, fetched by cargo, built with its \
                 loom `--cfg` (and the other `RUSTFLAGS`, features and target its CI's loom run \
                 uses: see `SUBJECTS` in xtask/src/loom_crates.rs), run with the \
                 `LOOM_MAX_PREEMPTIONS` its CI uses (concurrent-queue, parking, sharded-slab, \
                 thingbuf: 2; st3: 3), once as published and once with its `loom` dependency renamed to \
                 `tapestry-loom` (the only edit); tests run one at a time, release profile. \
                 Times are of `cargo test` on the target, the build \
                 excluded.\n\n{table}"
            ),
        )?;
    }
    for (name, run) in &outputs {
        for (test, verdict) in &run.tests {
            let test = format!("{name}::{test}");
            let listed = FINDINGS.contains(&test.as_str()) || FALSE_ALARMS.contains(&test.as_str());
            match (verdict.as_str(), listed) {
                ("FAILED", false) => unexpected.push(format!("{test} failed")),
                ("ok", true) => unexpected.push(format!(
                    "{test} passed: off `FINDINGS` or `FALSE_ALARMS` with it"
                )),
                _ => {}
            }
        }
    }
    for (_, run) in &outputs {
        if run.tests.values().any(|v| v == "FAILED") {
            eprintln!("{}", run.output);
        }
    }
    if !unexpected.is_empty() {
        bail!("under tapestry-loom: {}", unexpected.join("; "));
    }
    Ok(())
}

/// Where cargo put the published source of `name` at `version`.
pub(crate) fn fetch_named(name: &str, version: &str, base: &Path, root: &Path) -> Result<PathBuf> {
    let dir = base.join(format!("fetch-{name}-{version}"));
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(dir.join("src/lib.rs"), "")?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [workspace]\n\n[dependencies]\n{name} = \"={version}\"\n"
        ),
    )?;
    scratch::package_source(&dir, root, name, version)
}

/// `manifest` with every `loom` dependency table renamed to `tapestry-loom` at `path`.
pub(crate) fn rename_loom(manifest: &str, path: &Path) -> Result<String> {
    let mut out = String::new();
    let mut in_loom = false;
    let mut renamed = 0;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_loom = line.trim_end().ends_with("dependencies.loom]");
            if in_loom {
                renamed += 1;
                out.push_str(line);
                out.push_str(&format!(
                    "\npackage = \"tapestry-loom\"\npath = {:?}\n",
                    path.display().to_string()
                ));
                continue;
            }
        } else if in_loom && line.trim_start().starts_with("version") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if renamed == 0 {
        bail!("no `loom` dependency table");
    }
    Ok(out)
}

pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Which loom a run of a subject's tests is under.
#[derive(Clone, Copy)]
enum Side<'a> {
    Loom,
    /// tapestry-loom, with its default engines or these (`TAPESTRY_LOOM_ENGINES`).
    Tapestry(Option<&'a str>),
}

/// Runs the subject's loom tests in `dir`, built with its `--cfg` (in a target folder of its
/// own under the workspace's: the flag changes every crate's build, and a second run builds
/// only the crate itself again).
///
/// A build that fails gives the compiler's errors: under tapestry-loom, a loom API it lacks.
fn run_subject(
    dir: &Path,
    root: &Path,
    subject: &Subject,
    side: Side<'_>,
) -> Result<std::result::Result<FileRun, String>> {
    let (ours, engines) = match side {
        Side::Loom => (false, None),
        Side::Tapestry(engines) => (true, engines),
    };
    let rustflags = format!("--cfg {} {}", subject.cfg, subject.rustflags);
    let side = if ours { "tapestry" } else { "loom" };
    let target = scratch::target(
        root,
        &format!("loom-crates-{}-{}-{side}", subject.name, subject.version),
    );
    let stats = dir.join("loom.stats");
    let mut env = vec![
        ("RUSTFLAGS", rustflags.trim_end()),
        ("CARGO_TARGET_DIR", target.as_str()),
    ];
    if let Some(bound) = subject.preemptions {
        env.push(("LOOM_MAX_PREEMPTIONS", bound));
    }
    if let Some(seconds) = subject.max_duration {
        env.push(("LOOM_MAX_DURATION", seconds));
    }
    if let Some(engines) = engines {
        env.push(("TAPESTRY_LOOM_ENGINES", engines));
    }
    let mut target_args = vec!["test", "--release"];
    if !subject.features.is_empty() {
        target_args.extend(["--features", subject.features]);
    }
    match subject.test {
        Target::Test(name) => target_args.extend(["--test", name]),
        Target::Lib => target_args.push("--lib"),
    }
    target_args.extend(subject.filter);
    let mut build = target_args.clone();
    build.push("--no-run");
    let (ok, _, stderr) = scratch::cargo(dir, root, &build, &env)?;
    if !ok {
        return Ok(Err(stderr));
    }
    run_tests(target_args, env, ours, &stats, |args, env| {
        scratch::cargo(dir, root, args, env)
    })
    .map(Ok)
}
