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
//! # Checking a data structure
//!
//! [`Lincheck`] checks a concurrent object against a model, the way Lincheck does on the JVM:
//! it generates scenarios (operations run before the threads start, by 2 threads in
//! parallel, and after they are joined), explores every interleaving of each with tapestry's
//! DPOR engine, checks every execution's results, and shrinks a failing scenario to the
//! fewest operations. The object is written against tapestry's facade (`tapestry::sync`), as
//! for any tapestry test. A complete check, to copy:
//!
//! ```
//! use std::collections::VecDeque;
//!
//! use proptest::prelude::*;
//! use tapestry::sync::Mutex;
//! use tapestry_lincheck::{Lincheck, Sequential};
//!
//! /// The operations, with their arguments.
//! #[derive(Clone, Copy, Debug, PartialEq, Eq)]
//! enum Op {
//!     Push(u8),
//!     Pop,
//! }
//!
//! /// The object under test: a queue behind one lock.
//! struct Queue {
//!     items: Mutex<VecDeque<u8>>,
//! }
//!
//! impl Queue {
//!     fn call(&self, op: &Op) -> Option<u8> {
//!         match *op {
//!             Op::Push(v) => {
//!                 self.items.lock().unwrap().push_back(v);
//!                 None
//!             }
//!             Op::Pop => self.items.lock().unwrap().pop_front(),
//!         }
//!     }
//! }
//!
//! /// What it should behave like: a `VecDeque`, one operation at a time.
//! fn model() -> Sequential<VecDeque<u8>, Op, Option<u8>> {
//!     Sequential::new(VecDeque::new(), |q, op| match *op {
//!         Op::Push(v) => {
//!             q.push_back(v);
//!             None
//!         }
//!         Op::Pop => q.pop_front(),
//!     })
//! }
//!
//! let ops = prop_oneof![(0u8..3).prop_map(Op::Push), Just(Op::Pop)];
//! Lincheck::new(model, || Queue { items: Mutex::new(VecDeque::new()) }, Queue::call)
//!     .scenarios(20)
//!     .check(ops);
//! ```
//!
//! A failure panics with the shrunk scenario: a table with one column per thread and what
//! each operation returned, the longest sequential order the model agrees with and what the
//! model would have returned next, then tapestry's interleaving with source lines. The
//! catalogue's data structures (`tapestry-catalogue`, `structures`) show five such failures,
//! one of them found only under weak memory: give the check an explorer with the exhaustive
//! engine ([`Lincheck::explorer`]), and each thread's calls are then ordered by the thread
//! alone, since the order a model checker schedules events in is no order of time
//! ([`History::without_real_time`]).
//!
//! [`Lincheck::validate`] also checks the object's own invariants after every execution, and
//! [`Lincheck::non_blocking`] checks that no call waits for another thread: a call that
//! waits for a lock another thread holds, or on a condition variable, could never complete
//! were that thread suspended there for good (obstruction-freedom, the weakest of the
//! non-blocking progress conditions). A register behind a `Mutex` is linearizable and fails
//! it; one built on `compare_exchange` passes.
//!
//! A failing [`Lincheck::check`] is kept as a `#[tapestry::test]`'s failure is: before the
//! test fails, its schedule file (`tapestry-schedules/<module path>/<test>.schedule`, beside
//! the package's sources) gets the failing schedule and, as the entry's `input`, what makes
//! the shrunk scenario again without exploring anything: the seed, the case, and whether each
//! exploration of the shrinking failed or passed (`lincheck seed=0 case=3 shrink=FFPF
//! scenario=<fingerprint>`). Every later run replays it first, and `TAPESTRY_REPLAY=<file>`
//! replays it alone; an entry whose scenario is no longer generated the same way (the
//! operations or sizes changed) or whose schedule no longer fits is named, as a stale
//! schedule is. [`Lincheck::run`] saves nothing: it returns the failure.
//!
//! # The checker
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

/// A model made of a sequential type and a function: for the common case of an object that
/// should behave like a std collection behind one lock, the collection and what each
/// operation does to it.
///
/// ```
/// use std::collections::VecDeque;
/// use tapestry_lincheck::{Model, Sequential};
///
/// let mut queue = Sequential::new(VecDeque::new(), |q: &mut VecDeque<u8>, op: &Option<u8>| {
///     match op {
///         Some(v) => {
///             q.push_back(*v);
///             None
///         }
///         None => q.pop_front(),
///     }
/// });
/// assert_eq!(queue.apply(&Some(1)), None);
/// assert_eq!(queue.apply(&None), Some(1));
/// ```
#[derive(Debug)]
pub struct Sequential<S, Op, Ret> {
    state: S,
    apply: fn(&mut S, &Op) -> Ret,
}

impl<S, Op, Ret> Sequential<S, Op, Ret> {
    /// The model whose state starts as `state`, which `apply` changes.
    pub fn new(state: S, apply: fn(&mut S, &Op) -> Ret) -> Self {
        Sequential { state, apply }
    }
}

impl<S: Clone, Op, Ret> Clone for Sequential<S, Op, Ret> {
    fn clone(&self) -> Self {
        Sequential {
            state: self.state.clone(),
            apply: self.apply,
        }
    }
}

impl<S: PartialEq, Op, Ret> PartialEq for Sequential<S, Op, Ret> {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

impl<S: Eq, Op, Ret> Eq for Sequential<S, Op, Ret> {}

impl<S: std::hash::Hash, Op, Ret> std::hash::Hash for Sequential<S, Op, Ret> {
    fn hash<H: std::hash::Hasher>(&self, hasher: &mut H) {
        self.state.hash(hasher);
    }
}

impl<S, Op, Ret> Model for Sequential<S, Op, Ret>
where
    S: Clone + Eq + std::hash::Hash,
    Op: std::fmt::Debug,
    Ret: std::fmt::Debug + PartialEq,
{
    type Op = Op;
    type Ret = Ret;
    fn apply(&mut self, op: &Op) -> Ret {
        (self.apply)(&mut self.state, op)
    }
}
