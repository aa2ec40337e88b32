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
    insta::assert_snapshot!(name, found.failure);
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
