//! Lock-order deadlock prediction, as the Linux kernel's lockdep does: every time a thread
//! blocks to take a lock while holding others, the pair "held, then taken" is an edge of a
//! graph. A cycle in the graph is a deadlock waiting for the right interleaving, even when the
//! execution that drew it did not deadlock.
//!
//! Only blocking, exclusive acquisitions are edge targets: a `try_lock` cannot block, and read
//! locks alone cannot deadlock with each other.
//!
//! # Which cycles are reported
//!
//! A deadlock along a cycle has every edge's thread waiting at once, each at the edge's
//! *point* (where it asks for the edge's second lock) while holding its first. So a cycle is
//! reported only if
//!
//! - no lock was held by every edge's thread around its edge (a gate lock makes the orders
//!   mutually exclusive), and
//! - no edge's point happens before another's: if `e`'s does before `f`'s, `f`'s thread cannot
//!   reach its point while `e`'s still waits at its own. Two edges of one thread are always
//!   ordered, so this also asks for two threads or more, and rejects a chain that one thread
//!   let go of halfway (`a` then `b`, release `a`, then `c`).
//!
//! Comparing points (rather than one edge's point with the other's first acquisition) is what
//! the deadlock needs, and orders no more: if `e`'s point happens before `f`'s only through
//! something `f`'s thread waited for while holding its first lock, that wait is a deadlock of
//! its own (which the engines find as a `Deadlock`), not this one.
//!
//! # Which synchronisation orders two points
//!
//! Happens-before in the *order view* of the vector clocks (`race.rs`, `Views::ORDER`): every
//! edge the race detector models (spawn and join, channel messages, barriers, `Once`, atomics
//! by their orderings and fences, the last `Arc` drop, and lock handoffs, which also carry a
//! condition variable's handoff through its mutex) except the release-to-acquire handoffs of
//! locks that *nest*: that took part in a lock-order edge of this execution, held or taken
//! ([`Nesting`]). The cycle's own locks must not count: when one thread runs `a; b` and lets
//! both go before another runs `b; a`, the second `lock b` acquires what the first `unlock b`
//! released, so with every edge the first section happens before the second; the next
//! interleaving takes them the other way, or deadlocks. Predicting that deadlock from the lucky
//! interleaving is the predictor's whole point. Every lock of a cycle nests, and for a cycle of
//! two edges both locks nest from the first edge's point on, so no path between the two points
//! can use them. Locks that never nest (a mutex guarding a flag, a condition variable's mutex)
//! order points like any synchronisation: what they order is usually the program's logic (a
//! waiter that finds the flag already set learns it through the mutex alone), which the clocks
//! cannot tell from luck.
//!
//! A prediction compares edges of one execution only: their clocks mean nothing across
//! executions. A real lock-order deadlock leaves its edges unordered in the execution that
//! deadlocks, and in every one that orders them only through the cycle's own locks; a model
//! engine feeds every execution it explores to the predictor, so the interleavings that take a
//! lock that does not nest the other way round predict it.
//!
//! Each edge keeps its latest occurrence (per thread, locks and gate locks): a later edge can
//! only be ordered after it (a point's clock is read before the edge is recorded), and the
//! latest occurrence is the one least likely to happen before the later edge.
//!
//! # What it costs
//!
//! Nothing while no thread takes a lock holding another: the order view starts at an
//! execution's first edge (`Execution::keep_clocks`). Comparing edge `e`, recorded first, with
//! a later `f`: "`e`'s point happens before `f`'s" is a path that starts at `e`'s point, so
//! after the view started; "`f`'s before `e`'s" would need a path that ends before `f` was
//! recorded, so it never holds (both are checked anyway). From the first edge on, every
//! synchronisation of the execution updates the order view, and once the exploration has a
//! prediction no execution records edges or starts the view.
//!
//! # What it still gets wrong
//!
//! False alarms (a cycle reported that cannot deadlock):
//! - points ordered through a lock that had nested before it handed over (a flag under a
//!   mutex that some thread once took while holding another lock): from its first edge on,
//!   its handoffs are ignored, whatever they order;
//! - points ordered by what the clocks do not see: synchronisation outside the facade,
//!   timing (a sleep), or the values a program reads (a relaxed flag); under the exhaustive
//!   engine, an atomic load that reads an older store (loom's weak memory) gets the newest
//!   store's clock.
//!
//! Misses (a deadlock not predicted in an execution that shows its cycle; others may):
//! - a cycle of three or more edges whose points are ordered through one of its locks before
//!   that lock first nested, or whose edges were concurrent only in earlier occurrences;
//! - a condition variable's wait and wake hand its mutex over in the order view until a lock
//!   frame has used that mutex's clock since the view started, even if the mutex nests.

use super::clock::VectorClock;
use super::event::{ObjId, Site, ThreadIdx};

/// "`thread` held `from` (taken at `from_site`) while it blocked to take `to` (at `to_site`)".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    pub from: ObjId,
    pub to: ObjId,
    pub thread: ThreadIdx,
    pub from_site: Site,
    pub to_site: Site,
    /// The other locks the thread held meanwhile.
    gates: Vec<ObjId>,
    /// The thread's clock at the edge's point (in the order view).
    clock: VectorClock,
}

impl Edge {
    /// Whether this edge's point happens before `other`'s.
    fn happens_before(&self, other: &Edge) -> bool {
        self.clock.epoch(self.thread).happens_before(&other.clock)
    }

    fn concurrent_with(&self, other: &Edge) -> bool {
        !self.happens_before(other) && !other.happens_before(self)
    }
}

/// The locks one thread holds, with where it took them. Kept per thread, so that taking a lock
/// while holding none (the common case) touches no shared state.
#[derive(Debug, Default)]
pub(crate) struct Held(Vec<(ObjId, Site)>);

impl Held {
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// Whether taking `lock` now would add an edge: some other lock is held.
    #[inline]
    pub(crate) fn orders(&self, lock: ObjId) -> bool {
        self.0.iter().any(|&(held, _)| held != lock)
    }

    /// Whether `lock` is held.
    pub(crate) fn holds(&self, lock: ObjId) -> bool {
        self.0.iter().any(|&(held, _)| held == lock)
    }

    /// The locks held.
    pub(crate) fn locks(&self) -> Vec<ObjId> {
        self.0.iter().map(|&(lock, _)| lock).collect()
    }

    /// The thread now holds `lock`.
    #[inline]
    pub(crate) fn acquired(&mut self, lock: ObjId, site: Site) {
        self.0.push((lock, site));
    }

    /// The thread released `lock`.
    #[inline]
    pub(crate) fn released(&mut self, lock: ObjId) {
        // Locks are mostly released in the reverse order of taking them.
        if self.0.last().is_some_and(|&(last, _)| last == lock) {
            self.0.pop();
        } else if let Some(i) = self.0.iter().rposition(|&(l, _)| l == lock) {
            self.0.remove(i);
        }
    }
}

/// The locks that nest in one execution: each was held, or taken, by an edge. The order view
/// skips their handoffs (see the module docs). A set of object numbers, which are dense.
#[derive(Debug, Default)]
pub(crate) struct Nesting(Vec<u64>);

impl Nesting {
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    fn insert(&mut self, lock: ObjId) {
        let (word, bit) = (lock as usize / 64, lock % 64);
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    /// The locks of the edges a thread holding `held` adds by taking `lock`.
    pub(crate) fn add(&mut self, held: &Held, lock: ObjId) {
        self.insert(lock);
        for &(held, _) in &held.0 {
            self.insert(held);
        }
    }

    pub(crate) fn contains(&self, lock: ObjId) -> bool {
        self.0
            .get(lock as usize / 64)
            .is_some_and(|word| word & (1 << (lock % 64)) != 0)
    }
}

/// The lock-order graph of one execution.
#[derive(Debug, Default)]
pub(crate) struct LockGraph {
    edges: Vec<Edge>,
}

impl LockGraph {
    pub(crate) fn clear(&mut self) {
        self.edges.clear();
    }

    /// `thread`, holding `held`, is about to block to take `lock`, its clock (order view)
    /// `clock`: adds its edges, and returns a cycle one of them closes, if any.
    pub(crate) fn acquiring(
        &mut self,
        thread: ThreadIdx,
        held: &Held,
        lock: ObjId,
        site: Site,
        clock: &VectorClock,
    ) -> Option<Vec<Edge>> {
        let held = &held.0;
        let mut cycle = None;
        for &(from, from_site) in held.iter().filter(|&&(from, _)| from != lock) {
            let gates = || held.iter().map(|&(l, _)| l).filter(move |&l| l != from);
            let same = |e: &Edge| {
                (e.from, e.to, e.thread) == (from, lock, thread)
                    && e.gates.len() == gates().count()
                    && gates().all(|g| e.gates.contains(&g))
            };
            let index = match self.edges.iter().position(same) {
                // No synchronisation since it last showed: it orders nothing it did not.
                Some(i) if self.edges[i].clock == *clock => continue,
                Some(i) => {
                    let edge = &mut self.edges[i];
                    edge.clock.clone_from(clock);
                    (edge.from_site, edge.to_site) = (from_site, site);
                    i
                }
                None => {
                    self.edges.push(Edge {
                        from,
                        to: lock,
                        thread,
                        from_site,
                        to_site: site,
                        gates: gates().collect(),
                        clock: clock.clone(),
                    });
                    self.edges.len() - 1
                }
            };
            // A cycle through the edge leaves `lock` by another edge.
            if cycle.is_none() && self.edges.iter().any(|e| e.from == lock) {
                cycle = self.cycle_through(index);
            }
        }
        cycle
    }

    /// A cycle of edges that starts with edge `first`, if its end leads back to its start along
    /// edges of other threads (depth-first; these graphs have a handful of edges).
    fn cycle_through(&self, first: usize) -> Option<Vec<Edge>> {
        let start = &self.edges[first];
        let mut path = vec![first];
        self.extend(start.from, &mut path)
            .then(|| path.iter().map(|&i| self.edges[i].clone()).collect())
    }

    fn extend(&self, home: ObjId, path: &mut Vec<usize>) -> bool {
        let last = &self.edges[*path.last().expect("the path starts with an edge")];
        if last.to == home {
            return self.deadlockable(path);
        }
        for (i, edge) in self.edges.iter().enumerate() {
            let visited = path.iter().any(|&p| self.edges[p].from == edge.from);
            if edge.from != last.to || visited {
                continue;
            }
            path.push(i);
            if self.extend(home, path) {
                return true;
            }
            path.pop();
        }
        false
    }

    /// Whether the threads of a cycle could really wait for each other: no edge's point
    /// happens before another's (so at least two threads), and no gate lock held by all of
    /// them around their edges.
    fn deadlockable(&self, path: &[usize]) -> bool {
        let edges: Vec<&Edge> = path.iter().map(|&i| &self.edges[i]).collect();
        let concurrent = edges
            .iter()
            .enumerate()
            .all(|(i, e)| edges[i + 1..].iter().all(|f| e.concurrent_with(f)));
        let gated = edges[0]
            .gates
            .iter()
            .any(|g| edges.iter().all(|e| e.gates.contains(g)));
        concurrent && !gated
    }
}

#[cfg(test)]
mod tests {
    use std::panic::Location;

    use super::*;

    fn site() -> Site {
        Location::caller()
    }

    /// One step of a script.
    #[derive(Clone, Copy)]
    enum Step {
        Take(ThreadIdx, ObjId),
        Release(ThreadIdx, ObjId),
        /// The first thread synchronises with the second (a join, a message): the second
        /// learns what the first knew, and the first starts a new epoch.
        Sync(ThreadIdx, ThreadIdx),
    }
    use Step::*;

    /// Runs a script and returns whether a cycle showed. Every thread starts an epoch of its
    /// own; only `Sync` orders threads (lock handoffs do not count, as for locks that nest).
    fn run(script: &[Step]) -> bool {
        let mut graph = LockGraph::default();
        let mut held: Vec<Held> = (0..10).map(|_| Held::default()).collect();
        let mut clocks: Vec<VectorClock> = (0..10)
            .map(|t| {
                let mut clock = VectorClock::default();
                clock.tick(t);
                clock
            })
            .collect();
        let mut found = false;
        for &step in script {
            match step {
                Take(t, lock) => {
                    let (held, clock) = (&mut held[t as usize], &clocks[t as usize]);
                    found |= graph.acquiring(t, held, lock, site(), clock).is_some();
                    held.acquired(lock, site());
                }
                Release(t, lock) => held[t as usize].released(lock),
                Sync(from, to) => {
                    let sent = clocks[from as usize].clone();
                    clocks[from as usize].tick(from);
                    clocks[to as usize].join(&sent);
                }
            }
        }
        found
    }

    const A: ObjId = 1;
    const B: ObjId = 2;
    const C: ObjId = 3;
    const GATE: ObjId = 9;

    /// Thread `t` takes `first` then `second`, and releases both.
    fn section(t: ThreadIdx, first: ObjId, second: ObjId) -> [Step; 4] {
        [
            Take(t, first),
            Take(t, second),
            Release(t, second),
            Release(t, first),
        ]
    }

    #[test]
    fn unordered_cycles_are_found_and_orders_gates_lone_threads_and_ordered_sections_are_not() {
        let ab = section(0, A, B);
        let ba = section(1, B, A);
        let cases: &[(&str, Vec<Step>, bool)] = &[
            ("ABBA", [ab, ba].concat(), true),
            ("same order", [ab, section(1, A, B)].concat(), false),
            (
                "one thread, both orders",
                [ab, section(0, B, A)].concat(),
                false,
            ),
            (
                "three philosophers",
                [ab, section(1, B, C), section(2, C, A)].concat(),
                true,
            ),
            (
                "behind a gate",
                [
                    &[Take(0, GATE)][..],
                    &ab,
                    &[Release(0, GATE), Take(1, GATE)],
                    &ba,
                ]
                .concat(),
                false,
            ),
            (
                "ordered by a join after the first section",
                [&ab[..], &[Sync(0, 1)], &ba].concat(),
                false,
            ),
            (
                "a sync before the first section orders nothing",
                [&[Sync(0, 1)][..], &ab, &ba].concat(),
                true,
            ),
            (
                "a sync the other way orders nothing",
                [&ab[..], &[Sync(1, 0)], &ba].concat(),
                true,
            ),
            (
                "a later occurrence of an ordered edge is not ordered",
                [&ab[..], &[Sync(0, 1)], &ba, &ab].concat(),
                true,
            ),
            (
                "a chain let go of halfway",
                [
                    &[Take(0, A), Take(0, B), Release(0, A), Take(0, C)][..],
                    &[Release(0, C), Release(0, B)],
                    &section(1, C, A),
                ]
                .concat(),
                false,
            ),
            (
                "three philosophers, one ordered after another",
                [&ab[..], &[Sync(0, 1)], &section(1, B, C), &section(2, C, A)].concat(),
                false,
            ),
        ];
        let wrong: Vec<&str> = cases
            .iter()
            .filter(|(_, script, cycle)| run(script) != *cycle)
            .map(|&(name, ..)| name)
            .collect();
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn nesting_holds_the_locks_of_edges() {
        let mut nesting = Nesting::default();
        let mut held = Held::default();
        held.acquired(A, site());
        nesting.add(&held, 130);
        assert!(nesting.contains(A) && nesting.contains(130));
        assert!(!nesting.contains(B) && !nesting.contains(1000));
        nesting.clear();
        assert!(!nesting.contains(A));
    }
}
