//! Concurrent data structures, each in a buggy and a fixed version, checked for
//! linearizability against a sequential model with `tapestry-lincheck`: scenarios of a few
//! operations generated and shrunk by proptest, every interleaving of each explored by
//! tapestry. Each module's docs are its lesson.

mod lost_refill;
mod map_insert_if_absent;
mod racy_pop;
mod seqlock_torn_read;
mod split_increment;

use tapestry_lincheck::Failed;

/// One structure of the catalogue.
#[derive(Debug)]
pub struct Structure {
    /// Its name, the name of its module.
    pub name: &'static str,
    /// One sentence: what goes wrong.
    pub summary: &'static str,
    /// Checks the buggy version (`true`) or the fixed one: the shrunk failing scenario, if any.
    pub check: fn(buggy: bool) -> Result<(), Found>,
    /// The module's source: its docs are the lesson.
    pub source: &'static str,
}

/// What a failed check found.
#[derive(Debug)]
pub struct Found {
    /// Operations in the shrunk scenario.
    pub operations: usize,
    /// The shrunk scenario's failure: its table, then tapestry's trace.
    pub failure: String,
    /// The whole report (with the engines' times).
    pub report: String,
}

fn found<Op>(result: Result<(), Box<Failed<Op>>>) -> Result<(), Found> {
    result.map_err(|failed| Found {
        operations: failed.scenario.len(),
        failure: failed
            .report
            .failure()
            .map(ToString::to_string)
            .unwrap_or_default(),
        report: failed.to_string(),
    })
}

/// Every structure, in the catalogue's order.
pub static STRUCTURES: &[Structure] = &[
    split_increment::STRUCTURE,
    lost_refill::STRUCTURE,
    racy_pop::STRUCTURE,
    map_insert_if_absent::STRUCTURE,
    seqlock_torn_read::STRUCTURE,
];
