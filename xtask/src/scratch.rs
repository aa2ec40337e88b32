//! Scratch crates outside the workspace, built and run as a user would (`quickstart`,
//! `production`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

/// The workspace's folder: the scratch crates depend on its crates by path.
pub(crate) fn workspace_root() -> Result<PathBuf> {
    Ok(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?)
}

/// A scratch crate's folder, removed when dropped: CI machines keep their temporary folder
/// between runs, and each run's crates would otherwise pile up there. Build output goes to
/// the workspace's target folder (see [`target`]), not here.
pub(crate) struct Dir(PathBuf);

impl std::ops::Deref for Dir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh folder `tapestry-<name>-<pid>` outside the workspace (a crate inside it would
/// belong to it). Folders of earlier runs whose process is gone are removed first: a run
/// killed before it could clean up leaves its folder behind.
pub(crate) fn dir(name: &str) -> Result<Dir> {
    let temp = std::env::temp_dir();
    let prefix = format!("tapestry-{name}-");
    // Where `/proc` does not list processes, no folder is taken for a dead run's.
    let listed = Path::new("/proc/self").exists();
    for entry in std::fs::read_dir(&temp)?.filter_map(|e| e.ok()) {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let gone = listed
            && pid
                .parse::<u32>()
                .is_ok_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
        if gone {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = temp.join(format!("{prefix}{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(Dir(dir))
}

/// A target folder of its own under the workspace's, for scratch builds whose flags differ
/// from the workspace's (`--cfg loom` changes every crate's build). It lives as long as the
/// checkout, so a second run builds nothing again, and nothing large is left in the
/// temporary folder.
pub(crate) fn target(root: &Path, name: &str) -> String {
    root.join("target")
        .join("scratch")
        .join(name)
        .display()
        .to_string()
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

/// The folder of the published source of package `name` at `version`, which the scratch crate
/// at `dir` depends on: cargo fetches it (`cargo metadata`).
pub(crate) fn package_source(
    dir: &Path,
    root: &Path,
    name: &str,
    version: &str,
) -> Result<PathBuf> {
    let (ok, stdout, stderr) = cargo(dir, root, &["metadata", "--format-version", "1"], &[])?;
    if !ok {
        anyhow::bail!("cargo metadata failed:\n{stderr}");
    }
    let metadata: serde_json::Value = serde_json::from_str(&stdout)?;
    let manifest = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name && p["version"] == version)
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or_else(|| anyhow::anyhow!("cargo metadata lists no {name} {version}"))?;
    Path::new(manifest)
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow::anyhow!("{name}'s manifest has no folder"))
}
