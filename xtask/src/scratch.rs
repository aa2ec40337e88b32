//! Scratch crates outside the workspace, built and run as a user would (`quickstart`,
//! `production`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

/// A fresh folder `tapestry-<name>-<pid>` outside the workspace (a crate inside it would
/// belong to it).
pub(crate) fn dir(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tapestry-{name}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(dir)
}

/// Runs `cargo args` in the scratch crate at `dir` with `env` and no `TAPESTRY_*` knob of
/// ours; returns whether it succeeded, its standard output and its standard error. The
/// workspace's target folder (at `root`) is reused: tapestry's build for the same commit and
/// profile is already there.
pub(crate) fn cargo(
    dir: &Path,
    root: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<(bool, String, String)> {
    eprintln!("$ cargo {} (in {})", args.join(" "), dir.display());
    let mut command = Command::new(env!("CARGO"));
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("CARGO_MANIFEST_DIR");
    for (var, _) in std::env::vars().filter(|(var, _)| var.starts_with("TAPESTRY_")) {
        command.env_remove(var);
    }
    let output = command.envs(env.iter().copied()).output()?;
    Ok((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}
