//! # condvar_lost_wakeup (not written yet)
//!
//! A placeholder: the catalogue's tests skip entries whose summary is `TODO`.

use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "condvar_lost_wakeup",
    category: Category::Deadlock,
    summary: "TODO",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &[],
    missed_by: &[],
    source: include_str!("condvar_lost_wakeup.rs"),
};

/// Not written yet.
pub fn buggy() {}

/// Not written yet.
pub fn fixed() {}
