//! The crate's layers (ARCHITECTURE.md, "Layers"): no import runs upwards. Checked on the
//! source, since Rust allows any module of a crate to use any other.

use std::path::{Path, PathBuf};

/// A layer (a module, as a file or a folder of `harness/src`) and the modules of the crate
/// it may use besides itself.
const LAYERS: &[(&str, &[&str])] = &[
    ("kinds", &[]),
    ("rt", &["kinds"]),
    ("trace", &["rt"]),
    ("sync", &["kinds", "rt", "cell", "thread", "time"]),
    ("thread", &["rt"]),
    ("time", &["kinds", "rt"]),
    ("cell", &["rt"]),
    ("hint", &["rt"]),
    ("alloc", &["rt"]),
    (
        "engine",
        &["kinds", "rt", "schedule", "trace", "cell", "thread", "sync"],
    ),
    // `thread_local` is the facade's exported macro (of `thread`), at the crate's root.
    (
        "future",
        &["kinds", "rt", "sync", "thread", "thread_local", "time"],
    ),
    (
        "tokio",
        &[
            "future",
            "sync",
            "thread",
            "thread_local",
            "time",
            "__tokio_select",
            "__tokio_join",
            "__tokio_try_join",
            "__tokio_pin",
            "__tokio_task_local",
        ],
    ),
    ("schedule", &[]),
    ("notice", &[]),
];

fn files(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(path).unwrap() {
            all.extend(files(&entry.unwrap().path()));
        }
        all
    } else {
        vec![path.to_owned()]
    }
}

/// The modules of the crate named in `source` outside comments (`crate::x`), with a line. An
/// exported macro's `$crate::x` is no import: it names the crate's root for the macro's users
/// (`thread_local!` calls itself and its helper that way).
fn uses(source: &str) -> Vec<(String, String)> {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .flat_map(|line| {
            let from_macro = |i: usize| line[..i].ends_with('$');
            line.match_indices("crate::")
                .filter(move |&(i, _)| !from_macro(i))
                .map(move |(i, _)| {
                    let module: String = line[i + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    (module, line.trim().to_owned())
                })
        })
        .collect()
}

#[test]
fn no_import_runs_upwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/src");
    let mut wrong = Vec::new();
    for &(layer, allowed) in LAYERS {
        let root = if src.join(layer).is_dir() {
            src.join(layer)
        } else {
            src.join(format!("{layer}.rs"))
        };
        let paths = files(&root);
        assert!(!paths.is_empty(), "no source for `{layer}`");
        for path in paths {
            let source = std::fs::read_to_string(&path).unwrap();
            for (module, line) in uses(&source) {
                if module != layer && !allowed.contains(&module.as_str()) {
                    wrong.push(format!("{}: `{line}` uses `{module}`", path.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that run upwards:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_a_use() {
    let found = uses("use crate::failure::Failure;\n// crate::report in a comment\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "failure");
}
