//! A catalogue of concurrency bugs: each entry is a small program written against the
//! `tapestry` facade in a buggy and a fixed version, with a lesson on how the bug happens.
//!
//! The catalogue is tapestry's proof that it finds these bug classes, and a regression suite
//! for every engine.

#![deny(missing_docs)]

pub mod classic;
pub mod deep;
mod entries;
mod entry;
pub mod hunt;
pub mod quiet;
pub mod structures;

pub use entries::ENTRIES;
pub use entry::{Category, Entry, MODEL_ENGINES, MODEL_ENGINES_AND_C11};

/// The entry called `name`.
pub fn entry(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.name == name)
}
