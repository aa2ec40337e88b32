//! The exploration tree: one node per scheduling point of the current execution, with the
//! wakeup tree of what is still to explore there, what is explored (done), and the sleep set
//! it was reached with.

use smallvec::SmallVec;

use super::access::{Access, Footprint, Found, Tid, conflict};
use super::wakeup::Branch;

/// A set of threads, one bit each: a search's every step makes one, and threads are small
/// numbers, so below 64 of them it allocates nothing.
#[derive(Clone)]
pub(crate) struct Threads(SmallVec<[u64; 1]>);

impl Default for Threads {
    fn default() -> Self {
        Threads(smallvec::smallvec![0])
    }
}

impl Threads {
    #[inline]
    pub(crate) fn insert(&mut self, t: Tid) {
        let word = t / 64;
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (t % 64);
    }

    pub(crate) fn remove(&mut self, t: Tid) {
        if let Some(word) = self.0.get_mut(t / 64) {
            *word &= !(1 << (t % 64));
        }
    }

    pub(crate) fn contains(&self, t: Tid) -> bool {
        self.0
            .get(t / 64)
            .is_some_and(|word| word & (1 << (t % 64)) != 0)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|&word| word == 0)
    }

    /// The threads, in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Tid> + '_ {
        self.0.iter().enumerate().flat_map(|(at, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    at * 64 + bit
                })
            })
        })
    }
}

impl FromIterator<Tid> for Threads {
    fn from_iter<I: IntoIterator<Item = Tid>>(threads: I) -> Self {
        let mut set = Threads::default();
        let mut low = 0u64;
        for t in threads {
            if t < 64 {
                low |= 1 << t;
            } else {
                set.insert(t);
            }
        }
        set.0[0] = low;
        set
    }
}

impl std::fmt::Debug for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

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
    /// The wakeup tree here is `chosen` (its step `footprint`) followed by `after`, then the
    /// branches of `later`, in order. The next node takes `after` once it is made; most nodes
    /// have no `later`, so a node allocates no tree of its own.
    pub after: Vec<Branch>,
    pub later: Vec<Branch>,
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
        let mut pruned = false;
        while !self.later.is_empty() {
            let branch = self.later.remove(0);
            let t = branch.thread;
            let preemptions = self.preemptions + usize::from(self.preempts(t));
            if bound.is_some_and(|b| preemptions > b) {
                pruned = true;
                continue;
            }
            self.chosen = t;
            self.after = branch.children;
            return Ok(t);
        }
        Err(pruned)
    }
}
