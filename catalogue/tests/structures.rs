//! The data structures of the catalogue: each buggy version is found by the linearizability
//! check with a scenario of a few operations, whose shrunk failure is snapshotted; each fixed
//! version passes.

use tapestry_catalogue::structures::{STRUCTURES, Structure};

fn structure(name: &str) -> &'static Structure {
    STRUCTURES
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no structure `{name}`"))
}

fn buggy_is_found(name: &str) {
    let found = (structure(name).check)(true).expect_err("the bug is found");
    assert!(
        found.operations <= 4,
        "{name}: shrunk to {} operations:\n{}",
        found.operations,
        found.report
    );
    insta::assert_snapshot!(name, runner_lines_hidden(&found.failure));
}

/// `failure` with the line numbers of tapestry-lincheck's runner (where the scenario's threads
/// are spawned and joined, and its verdict panics) replaced: they move with every edit of the
/// runner, and say nothing about the structure.
fn runner_lines_hidden(failure: &str) -> String {
    const RUNNER: &str = "lincheck/src/runner.rs:";
    let mut out = String::new();
    let mut rest = failure;
    while let Some(at) = rest.find(RUNNER) {
        out.push_str(&rest[..at + RUNNER.len()]);
        rest =
            rest[at + RUNNER.len()..].trim_start_matches(|c: char| c.is_ascii_digit() || c == ':');
        out.push('N');
    }
    out.push_str(rest);
    out
}

fn fixed_passes(name: &str) {
    if let Err(found) = (structure(name).check)(false) {
        panic!("the fix of `{name}` fails:\n{}", found.report);
    }
}

macro_rules! structures {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn buggy_is_found() {
                super::buggy_is_found(stringify!($name));
            }

            #[test]
            fn fixed_passes() {
                super::fixed_passes(stringify!($name));
            }
        }
    )*};
}

structures!(
    split_increment,
    lost_refill,
    racy_pop,
    map_insert_if_absent,
    seqlock_torn_read,
);

#[test]
fn every_structure_is_tested() {
    assert_eq!(STRUCTURES.len(), 5);
}
