//! Lock-order deadlock prediction, as the Linux kernel's lockdep does: every time a thread
//! blocks to take a lock while holding others, the pair "held, then taken" is an edge of a
//! graph. A cycle in the graph is a deadlock waiting for the right interleaving, even when the
//! execution that drew it did not deadlock.
//!
//! Only blocking, exclusive acquisitions are edge targets: a `try_lock` cannot block, and read
//! locks alone cannot deadlock with each other. A cycle needs at least two threads, and no lock
//! that every edge's thread held around both acquisitions (a gate lock makes the orders
//! mutually exclusive).

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

/// The lock-order graph of one execution.
#[derive(Debug, Default)]
pub(crate) struct LockGraph {
    edges: Vec<Edge>,
}

impl LockGraph {
    pub(crate) fn clear(&mut self) {
        self.edges.clear();
    }

    /// `thread`, holding `held`, is about to block to take `lock`: adds its edges, and returns
    /// a cycle one of them closes, if any.
    pub(crate) fn acquiring(
        &mut self,
        thread: ThreadIdx,
        held: &Held,
        lock: ObjId,
        site: Site,
    ) -> Option<Vec<Edge>> {
        let held = &held.0;
        let mut cycle = None;
        for &(from, from_site) in held.iter().filter(|&&(from, _)| from != lock) {
            if self
                .edges
                .iter()
                .any(|e| e.from == from && e.to == lock && e.thread == thread)
            {
                continue;
            }
            let gates = held
                .iter()
                .map(|&(l, _)| l)
                .filter(|&l| l != from)
                .collect();
            self.edges.push(Edge {
                from,
                to: lock,
                thread,
                from_site,
                to_site: site,
                gates,
            });
            cycle = cycle.or_else(|| self.cycle_through(self.edges.len() - 1));
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

    /// Whether the threads of a cycle could really wait for each other: at least two of them,
    /// and no gate lock held by all of them around their edges.
    fn deadlockable(&self, path: &[usize]) -> bool {
        let edges: Vec<&Edge> = path.iter().map(|&i| &self.edges[i]).collect();
        let two_threads = edges.iter().any(|e| e.thread != edges[0].thread);
        let gated = edges[0]
            .gates
            .iter()
            .any(|g| edges.iter().all(|e| e.gates.contains(g)));
        two_threads && !gated
    }
}

#[cfg(test)]
mod tests {
    use std::panic::Location;

    use super::*;

    fn site() -> Site {
        Location::caller()
    }

    /// Runs a script of (thread, lock, take or release) and returns whether a cycle showed.
    fn run(script: &[(ThreadIdx, ObjId, bool)]) -> bool {
        let mut graph = LockGraph::default();
        let mut held: Vec<Held> = (0..10).map(|_| Held::default()).collect();
        let mut found = false;
        for &(thread, lock, take) in script {
            let held = &mut held[thread as usize];
            if take {
                found |= graph.acquiring(thread, held, lock, site()).is_some();
                held.acquired(lock, site());
            } else {
                held.released(lock);
            }
        }
        found
    }

    #[test]
    fn cycles_are_found_and_orders_gates_and_lone_threads_are_not() {
        const A: ObjId = 1;
        const B: ObjId = 2;
        const C: ObjId = 3;
        const GATE: ObjId = 9;
        type Script<'a> = &'a [(ThreadIdx, ObjId, bool)];
        let cases: &[(&str, Script, bool)] = &[
            (
                "ABBA",
                &[
                    (0, A, true),
                    (0, B, true),
                    (0, B, false),
                    (0, A, false),
                    (1, B, true),
                    (1, A, true),
                ],
                true,
            ),
            (
                "same order",
                &[
                    (0, A, true),
                    (0, B, true),
                    (0, B, false),
                    (0, A, false),
                    (1, A, true),
                    (1, B, true),
                ],
                false,
            ),
            (
                "one thread, both orders",
                &[
                    (0, A, true),
                    (0, B, true),
                    (0, B, false),
                    (0, A, false),
                    (0, B, true),
                    (0, A, true),
                ],
                false,
            ),
            (
                "three philosophers",
                &[
                    (0, A, true),
                    (0, B, true),
                    (0, B, false),
                    (0, A, false),
                    (1, B, true),
                    (1, C, true),
                    (1, C, false),
                    (1, B, false),
                    (2, C, true),
                    (2, A, true),
                ],
                true,
            ),
            (
                "behind a gate",
                &[
                    (0, GATE, true),
                    (0, A, true),
                    (0, B, true),
                    (0, B, false),
                    (0, A, false),
                    (0, GATE, false),
                    (1, GATE, true),
                    (1, B, true),
                    (1, A, true),
                ],
                false,
            ),
        ];
        for &(name, script, cycle) in cases {
            assert_eq!(run(script), cycle, "{name}");
        }
    }
}
