//! # relaxed_spinlock (not written yet)
//!
//! A placeholder: the catalogue's tests skip entries whose summary is `TODO`.

use tapestry::{EngineKind, FailureKind};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "relaxed_spinlock",
    category: Category::MemoryOrdering,
    summary: "TODO",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &[],
    missed_by: &[],
    source: include_str!("relaxed_spinlock.rs"),
};

/// Not written yet.
pub fn buggy() {}

/// Not written yet.
pub fn fixed() {}
