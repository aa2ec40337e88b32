//! Linearizability checking: does a concurrent object behave like a sequential one?
//!
//! A [`History`] is what threads saw of an object: each operation's call, with the moment it
//! was invoked and the moment it returned (and what it returned). It is *linearizable* with
//! respect to a sequential [`Model`] if every operation can be given one instant between its
//! invocation and its return at which it takes effect, such that the model, applying the
//! operations in the order of those instants, returns what each operation returned
//! (Herlihy and Wing, 1990). [`check`] decides it.
//!
//! ```
//! use tapestry_lincheck::{History, Model, check};
//!
//! /// A register: `Some(v)` writes `v`, `None` reads.
//! #[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
//! struct Register(u32);
//!
//! impl Model for Register {
//!     type Op = Option<u32>;
//!     type Ret = u32;
//!     fn apply(&mut self, op: &Option<u32>) -> u32 {
//!         if let Some(v) = op {
//!             self.0 = *v;
//!         }
//!         self.0
//!     }
//! }
//!
//! // Thread 0 writes 1 while thread 1 reads twice: 1 then 0 cannot be, since the first read
//! // saw the write, which had then taken effect for good.
//! let mut history = History::new();
//! let write = history.invoke(0, Some(1));
//! let first = history.invoke(1, None);
//! history.returns(first, 1);
//! let second = history.invoke(1, None);
//! history.returns(second, 0);
//! history.returns(write, 1);
//! assert!(!check(Register::default(), &history).is_linearizable());
//! ```
//!
//! The checker searches for a linearization depth first, taking at each step only operations
//! invoked before the earliest return still to be placed, and remembers each (set of placed
//! operations, model state) it has explored so as never to explore it twice: the
//! just-in-time linearization of Lowe ("Testing for linearizability", Concurrency and
//! Computation: Practice and Experience, 2017), over Wing and Gong's search.

mod checker;
mod history;
mod report;
mod runner;
mod scenario;

pub use checker::{Verdict, check, check_by_key};
pub use history::{Call, CallId, History};
pub use runner::{Failed, Lincheck};
pub use scenario::{Scenario, Sizes};

/// A sequential specification: the object's state, and what each operation does to it.
///
/// The state is compared and hashed so that the checker can tell when it meets a state again.
pub trait Model: Clone + Eq + std::hash::Hash {
    /// An operation, with its arguments.
    type Op: std::fmt::Debug;
    /// What an operation returns.
    type Ret: std::fmt::Debug + PartialEq;

    /// Applies `op` to the state, and returns what it returns.
    fn apply(&mut self, op: &Self::Op) -> Self::Ret;
}
