//! The exploration tree: one node per scheduling point of the current execution, with the
//! wakeup tree of what is still to explore there, what is explored (done), and the sleep set
//! it was reached with.

use smallvec::SmallVec;

use super::access::{Access, Footprint, Found, Tid, conflict};
use super::wakeup::Branch;

/// Threads, in ascending order.
pub(crate) type Threads = SmallVec<[Tid; 8]>;

/// Threads with the footprints of their steps from a node.
pub(crate) type Asleep = SmallVec<[(Tid, Footprint); 4]>;

#[derive(Debug)]
pub(crate) struct Node {
    /// Threads that can take a step here.
    pub enabled: Threads,
    /// The thread the current execution runs here: the first branch of `wakeup`.
    pub chosen: Tid,
    /// Its step's accesses (known once the step ends).
    pub footprint: Footprint,
    /// What its atomic operation found, if it ran one.
    pub found: Option<Found>,
    /// The thread that ran the step before, and whether it could have gone on: switching away
    /// from it is a preemption.
    pub previous: Option<(Tid, bool)>,
    /// Sequences to explore from here, the one being explored first (its continuation has
    /// moved to the next node).
    pub wakeup: Vec<Branch>,
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

    /// Threads covered here, asleep on arrival or explored, with their steps.
    pub(crate) fn covered(&self) -> impl Iterator<Item = &(Tid, Footprint)> {
        self.sleep.iter().chain(&self.done)
    }

    /// The sleep set a child reached by `footprint` inherits: the threads asleep or done here
    /// whose steps commute with it.
    pub(crate) fn child_sleep(&self, footprint: &[Access]) -> Asleep {
        self.covered()
            .filter(|(_, f)| !conflict(f, footprint))
            .cloned()
            .collect()
    }

    /// Closes the branch just run, explored (its thread joins the sleep set of the branches
    /// after it) or not (it could not start), and moves to the next one within `bound`
    /// preemptions. `Err(true)` if the bound left one out.
    pub(crate) fn next_branch(
        &mut self,
        explored: bool,
        bound: Option<usize>,
    ) -> Result<Tid, bool> {
        let footprint = std::mem::take(&mut self.footprint);
        if explored {
            self.done.push((self.chosen, footprint));
        }
        if !self.wakeup.is_empty() {
            self.wakeup.remove(0);
        }
        let mut pruned = false;
        while let Some(branch) = self.wakeup.first() {
            let t = branch.thread;
            let preemptions = self.preemptions + usize::from(self.preempts(t));
            if bound.is_some_and(|b| preemptions > b) {
                pruned = true;
                self.wakeup.remove(0);
                continue;
            }
            self.chosen = t;
            return Ok(t);
        }
        Err(pruned)
    }
}
