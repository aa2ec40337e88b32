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
    /// The test target of its loom tests.
    test: &'static str,
    /// `LOOM_MAX_PREEMPTIONS`, as the crate's own CI sets it (unbounded if `None`).
    preemptions: Option<&'static str>,
    /// Features its loom tests need besides `loom`.
    features: &'static str,
}

const SUBJECTS: &[Subject] = &[
    Subject {
        name: "concurrent-queue",
        version: "2.5.0",
        cfg: "loom",
        test: "loom",
        // smol-rs's CI runs its loom tests with at most two preemptions.
        preemptions: Some("2"),
        features: "loom",
    },
    Subject {
        name: "oneshot",
        version: "0.1.13",
        cfg: "oneshot_loom",
        test: "loom",
        preemptions: None,
        features: "loom",
    },
    Subject {
        name: "oneshot",
        version: "0.2.1",
        cfg: "oneshot_loom",
        test: "loom",
        preemptions: None,
        // 0.2 has no default features; its async tests need `async`.
        features: "loom,async,std",
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

#[derive(clap::Args)]
pub struct Args {
    /// Write the results as a Markdown section to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<()> {
    let root = scratch::workspace_root()?;
    let base = scratch::dir("loom-crates")?;
    let mut table = String::from(
        "| crate | loom tests | pass under tapestry-loom | tapestry-loom executions | tapestry-loom time | pass under loom | loom executions | loom time |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut outputs = Vec::new();
    for subject in SUBJECTS {
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
        let ours = run_subject(&renamed, &root, subject, true)?;
        let loom = run_subject(&as_published, &root, subject, false)?;
        let count = |run: &FileRun| run.tests.values().filter(|v| v.as_str() == "ok").count();
        let all = ours.tests.len();
        table.push_str(&format!(
            "| {} {} | {all} | {}/{all} | {} | {:.1} s | {}/{} | {} | {:.1} s |\n",
            subject.name,
            subject.version,
            count(&ours),
            ours.executions.map_or("-".to_owned(), |n| n.to_string()),
            ours.time.as_secs_f64(),
            count(&loom),
            loom.tests.len(),
            loom.executions.map_or("-".to_owned(), |n| n.to_string()),
            loom.time.as_secs_f64(),
        ));
        outputs.push((format!("{}-{}", subject.name, subject.version), ours));
    }
    println!("{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(
            path,
            format!(
                "## loom-crates\n\nThe loom tests of published crates, by `cargo xtask \
                 loom-crates`: each crate's published source, fetched by cargo, built with its \
                 loom `--cfg` and its `loom` feature (and the features its loom tests need: \
                 oneshot 0.2, `async` and `std`), run with the `LOOM_MAX_PREEMPTIONS` \
                 its CI uses (concurrent-queue: 2), once as published and once with its \
                 `loom` dependency renamed to `tapestry-loom` (the only edit); tests run one at \
                 a time, release profile. Times are of `cargo test` on the target, the build \
                 excluded.\n\n{table}"
            ),
        )?;
    }
    let mut unexpected = Vec::new();
    for (name, run) in &outputs {
        for (test, verdict) in &run.tests {
            let test = format!("{name}::{test}");
            match (verdict.as_str(), FINDINGS.contains(&test.as_str())) {
                ("FAILED", false) => unexpected.push(format!("{test} failed")),
                ("ok", true) => unexpected.push(format!("{test} passed: off `FINDINGS` with it")),
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

/// Runs the subject's loom tests in `dir`, built with its `--cfg` (in a target folder of its
/// own: the flag changes every crate's build).
fn run_subject(dir: &Path, root: &Path, subject: &Subject, ours: bool) -> Result<FileRun> {
    let rustflags = format!("--cfg {}", subject.cfg);
    let target = dir.with_extension("target");
    let target = target.display().to_string();
    let stats = dir.join("loom.stats");
    let mut env = vec![
        ("RUSTFLAGS", rustflags.as_str()),
        ("CARGO_TARGET_DIR", target.as_str()),
    ];
    if let Some(bound) = subject.preemptions {
        env.push(("LOOM_MAX_PREEMPTIONS", bound));
    }
    let target_args = [
        "test",
        "--release",
        "--features",
        subject.features,
        "--test",
        subject.test,
    ];
    let mut build = target_args.to_vec();
    build.push("--no-run");
    let (ok, _, stderr) = scratch::cargo(dir, root, &build, &env)?;
    if !ok {
        bail!("building {}'s loom tests failed:\n{stderr}", subject.name);
    }
    run_tests(target_args.to_vec(), env, ours, &stats, |args, env| {
        scratch::cargo(dir, root, args, env)
    })
}
