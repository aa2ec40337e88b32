//! The memory model Rust's atomics follow, for tapestry: execution graphs, whether one is
//! allowed (RC11, or sequential consistency), and an exploration that visits every allowed
//! graph of a program exactly once.
//!
//! An *execution graph* is what a run of a concurrent program did to memory, without the
//! order in which it happened: each thread's loads, stores, read-modify-writes and fences in
//! program order, which store each load read (*reads-from*), and the order of the stores to
//! each location (*coherence order*). Two runs with the same graph are the same execution as
//! far as any thread can tell. Under sequential consistency a graph is allowed if some
//! interleaving of the threads produces it; under RC11 (the C/C++ model as repaired by Lahav
//! et al., PLDI 2017) more graphs are: a `Relaxed` or `Acquire` load may read an older store
//! than an interleaving would give it, within the rules of [`consistency`].
//!
//! [`Explorer`] runs a program once per allowed graph (the TruSt algorithm, POPL 2022; see
//! [`explore`]). The program is given to it as runs: each run asks the [`Execution`] for
//! every atomic access, in the order its threads take them, and the explorer answers with
//! the value each load reads. [`Explorer::sampling`] runs random paths of the same
//! exploration instead, and [`Explorer::estimate`] says how many executions the complete
//! one would run, with an error bar ([`estimate`]).
//!
//! ```
//! use tapestry_c11::{Explorer, Model, Ordering::Relaxed};
//!
//! // Store buffering: each thread stores 1 to its location, then loads the other's.
//! let (x, y) = (0, 1);
//! let mut explorer = Explorer::new(2, &[(x, 0), (y, 0)], Model::Rc11);
//! let mut outcomes = Vec::new();
//! while let Some(mut run) = explorer.next_execution() {
//!     // Thread 0 runs first, then thread 1: any order that depends on the graph alone.
//!     run.store(0, x, 1, Relaxed).unwrap();
//!     let r0 = run.load(0, y, Relaxed).unwrap();
//!     run.store(1, y, 1, Relaxed).unwrap();
//!     let r1 = run.load(1, x, Relaxed).unwrap();
//!     run.finish();
//!     outcomes.push((r0, r1));
//! }
//! outcomes.sort();
//! // Both loads may miss the other thread's store: four executions, not sequential
//! // consistency's three.
//! assert_eq!(outcomes, [(0, 0), (0, 1), (1, 0), (1, 1)]);
//! ```

pub mod consistency;
pub mod estimate;
pub mod explore;
pub mod floor;
pub mod graph;
pub mod order;
pub mod run;

pub use consistency::{
    Model, is_consistent, is_consistent_but_atomicity, race_with, race_with_any_of,
};
pub use estimate::Estimate;
pub use explore::{Explorer, Stats};
pub use graph::{Change, EventId, Graph, Label, Loc, Ordering, Tid, Val};
pub use run::Execution;
