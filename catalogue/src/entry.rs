//! What the catalogue knows about each program.

use tapestry::{EngineKind, FailureKind};

/// A bug class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Two threads' steps interleave where one thread's steps must be indivisible.
    Atomicity,
    /// A weak memory ordering lets a thread see writes in an order no interleaving gives.
    MemoryOrdering,
    /// Threads wait for each other in a cycle.
    Deadlock,
    /// Threads keep running but make no progress.
    Liveness,
    /// A higher-level design flaw built from correct primitives.
    Pattern,
}

/// One catalogued program.
#[derive(Debug)]
pub struct Entry {
    /// Short `snake_case` name.
    pub name: &'static str,
    /// The bug class.
    pub category: Category,
    /// One sentence: what goes wrong.
    pub summary: &'static str,
    /// The failure the buggy program has.
    pub kind: FailureKind,
    /// The buggy program.
    pub buggy: fn(),
    /// The fixed program.
    pub fixed: fn(),
    /// Engines expected to find the bug within their default budgets.
    pub found_by: &'static [EngineKind],
    /// Engines that cannot find it, and why.
    pub missed_by: &'static [(EngineKind, &'static str)],
}
