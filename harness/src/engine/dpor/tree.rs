//! The exploration tree of source-DPOR: one node per scheduling point of the current execution,
//! with the threads still to explore there (backtrack set), those explored (done), and the
//! sleep set it was reached with.

use smallvec::SmallVec;

use super::access::{Footprint, Tid, conflict};

/// Threads, in ascending order.
pub(crate) type Threads = SmallVec<[Tid; 8]>;

/// A thread with the footprint of its step from a node.
pub(crate) type Asleep = SmallVec<[(Tid, Footprint); 4]>;

#[derive(Debug)]
pub(crate) struct Node {
    /// Threads that can take a step here.
    pub enabled: Threads,
    /// The thread the current execution runs here.
    pub chosen: Tid,
    /// Its step's accesses (known once the step ends).
    pub footprint: Footprint,
    /// The thread that ran the step before, and whether it could have gone on: switching away
    /// from it is a preemption.
    pub previous: Option<(Tid, bool)>,
    /// Threads to run from here; `chosen` and the done ones among them.
    pub backtrack: Threads,
    /// Threads whose subtrees from here are explored.
    pub done: Asleep,
    /// Threads whose steps from here lead only to executions explored elsewhere.
    pub sleep: Asleep,
    /// Preemptions on the way to this node.
    pub preemptions: usize,
}

impl Node {
    pub(crate) fn preempts(&self, thread: Tid) -> bool {
        matches!(self.previous, Some((p, true)) if p != thread)
    }

    pub(crate) fn is_asleep(&self, thread: Tid) -> bool {
        self.sleep.iter().any(|(t, _)| *t == thread)
    }

    fn is_done(&self, thread: Tid) -> bool {
        self.done.iter().any(|(t, _)| *t == thread)
    }

    /// The sleep set a child reached by `footprint` inherits: the threads asleep or done here
    /// whose steps commute with it.
    pub(crate) fn child_sleep(&self, footprint: &[crate::engine::dpor::access::Access]) -> Asleep {
        self.sleep
            .iter()
            .chain(&self.done)
            .filter(|(_, f)| !conflict(f, footprint))
            .cloned()
            .collect()
    }

    /// Adds `thread` to the threads to explore from here.
    pub(crate) fn add_backtrack(&mut self, thread: Tid) {
        if let Err(at) = self.backtrack.binary_search(&thread) {
            self.backtrack.insert(at, thread);
        }
    }

    /// The next thread to explore from here: in the backtrack set, not yet explored, not
    /// asleep, and within `bound` preemptions. `Err(true)` if one was left out by the bound.
    pub(crate) fn next_branch(&self, bound: Option<usize>) -> Result<Tid, bool> {
        let mut pruned = false;
        for &t in &self.backtrack {
            if t == self.chosen || self.is_done(t) || self.is_asleep(t) {
                continue;
            }
            let preemptions = self.preemptions + usize::from(self.preempts(t));
            if bound.is_some_and(|b| preemptions > b) {
                pruned = true;
                continue;
            }
            return Ok(t);
        }
        Err(pruned)
    }
}
