//! Under sequential consistency, the events before an event in `po ∪ asw ∪ rf ∪ co ∪ fr`
//! (per thread a prefix, as `po` is in it): what [`crate::floor::sc_floor`] asks for the
//! last event of a thread at each event a run adds, answered from the views of the events
//! before it instead of a walk back through the whole graph (a long run's square).
//!
//! Unlike happens-before, this order changes for events a graph has: a read of a write that
//! is not the latest comes before the writes after it (`fr`), a write placed before others
//! comes before them (`co`). So the views are kept only while the graph changes by adding
//! events the latest way (a read of the latest write, a write placed last: no edge out of
//! the new event), which is how every run of an exploration adds them; any other change
//! drops them all.
//!
//! The same order, walked back from a thread's newest events, says whether it has a cycle
//! through them ([`Graph::sc_cycle_through`]): what judges a choice that is not the latest
//! one without the whole graph's relations.

use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use super::{EventId, Graph, Label};

/// The views, and what computing them needs.
#[derive(Debug, Default)]
pub(super) struct ScViews {
    /// Per write, the reads that read it (for `fr`).
    readers: FxHashMap<EventId, SmallVec<[EventId; 2]>>,
    /// The views computed since the graph last changed otherwise than the latest way.
    views: RefCell<FxHashMap<EventId, Arc<[u32]>>>,
}

impl Clone for ScViews {
    /// A clone keeps the readers; its views are computed again (a clone is cut at once).
    fn clone(&self) -> ScViews {
        ScViews {
            readers: self.readers.clone(),
            views: RefCell::default(),
        }
    }
}

impl ScViews {
    /// Read `read` reads `rf` now.
    pub(super) fn add_reader(&mut self, rf: EventId, read: EventId) {
        self.readers.entry(rf).or_default().push(read);
    }

    /// Read `read` no longer reads `rf` (it was cut, or given another write; the caller
    /// says the order [`changed`](Self::changed)).
    pub(super) fn forget_reader(&mut self, rf: EventId, read: EventId) {
        if let Some(readers) = self.readers.get_mut(&rf) {
            readers.retain(|r| *r != read);
            if readers.is_empty() {
                self.readers.remove(&rf);
            }
        }
    }

    /// The graph changed otherwise than by an event added the latest way.
    pub(super) fn changed(&mut self) {
        self.views.get_mut().clear();
    }
}

impl Graph {
    /// Event `id`'s view of the order (`None`: the order has a cycle through it, as a graph
    /// that is not consistent may), computed with those of the events before it that are
    /// not, by a loop (a long run's chain would overflow the stack).
    pub fn sc_view(&self, id: EventId) -> Option<Arc<[u32]>> {
        if let Some(view) = self.sc.views.borrow().get(&id) {
            return Some(view.clone());
        }
        let mut todo: SmallVec<[EventId; 16]> = SmallVec::new();
        todo.push(id);
        // Events whose predecessors are queued: meeting one again before it is done is a
        // cycle.
        let mut started = FxHashSet::default();
        while let Some(&next) = todo.last() {
            if self.sc.views.borrow().contains_key(&next) {
                todo.pop();
                continue;
            }
            let before = self.sc_before(next);
            let missing: SmallVec<[EventId; 8]> = {
                let views = self.sc.views.borrow();
                before
                    .iter()
                    .copied()
                    .filter(|e| !views.contains_key(e))
                    .collect()
            };
            if missing.is_empty() {
                let view = self.sc_view_of(next, &before);
                self.sc.views.borrow_mut().insert(next, view);
                todo.pop();
            } else if !started.insert(next) || missing.iter().any(|e| started.contains(e)) {
                return None;
            } else {
                todo.extend(missing);
            }
        }
        self.sc.views.borrow().get(&id).cloned()
    }

    /// Whether the order has a cycle through thread `first.thread`'s events from `first` on
    /// (the newest ones: a read with its read-modify-write's write, or a write), found by a
    /// walk back from the events right before them that looks at each event once: the
    /// length of the graph, where judging it whole costs its square (see
    /// [`crate::consistency::judge_added`]).
    pub fn sc_cycle_through(&self, first: EventId) -> bool {
        let mut walk = CycleWalk {
            graph: self,
            first,
            reached: vec![0; self.threads.len()],
            co_reached: FxHashMap::default(),
            todo: self.before(first).into_iter().collect(),
        };
        for index in first.index..self.thread(first.thread).len() as u32 {
            walk.predecessors(EventId {
                thread: first.thread,
                index,
            });
        }
        // Edges among the new events close no cycle through them on their own.
        let mut todo = std::mem::take(&mut walk.todo);
        todo.retain(|&id| !walk.is_new(id));
        walk.todo = todo;
        walk.reaches_new()
    }

    /// The immediate predecessors of `id` in the order: its thread's previous event (or the
    /// spawn before its first), the events it waits for, the write it reads; for a write,
    /// the write before it in coherence order and the reads of that one.
    fn sc_before(&self, id: EventId) -> SmallVec<[EventId; 4]> {
        let label = self.label(id);
        let mut before: SmallVec<[EventId; 4]> = self.before(id).into_iter().collect();
        match label {
            Label::Join { .. } | Label::TakeOver { .. } => {
                before.extend(self.awaited_by(id, label));
            }
            Label::Read { rf, .. } => before.push(rf),
            Label::Write { loc, .. } => {
                let co = self.co(loc);
                if let Some(at) = co.iter().rposition(|&w| w == id)
                    && let Some(&prev) = at.checked_sub(1).and_then(|p| co.get(p))
                {
                    before.push(prev);
                    if let Some(readers) = self.sc.readers.get(&prev) {
                        before.extend(readers.iter().copied());
                    }
                }
            }
            _ => {}
        }
        before.retain(|e| !e.is_init());
        before
    }

    fn sc_view_of(&self, id: EventId, before: &[EventId]) -> Arc<[u32]> {
        let mut view = vec![0u32; self.threads.len()];
        let views = self.sc.views.borrow();
        for e in before {
            for (a, &b) in view.iter_mut().zip(views[e].iter()) {
                *a = (*a).max(b);
            }
        }
        view[id.thread as usize] = id.index + 1;
        view.into()
    }
}

/// [`Graph::sc_cycle_through`]'s walk back through the order. Per thread it has reached a
/// prefix (`po` is in the order); per location, a prefix of coherence order, with the reads
/// of its writes (a write comes after every write before it in coherence order and every
/// read of one of those: `co` and `fr`).
struct CycleWalk<'g> {
    graph: &'g Graph,
    first: EventId,
    reached: Vec<u32>,
    /// Per location, each write's place in coherence order (made when the walk first meets
    /// the location), and how many of its first writes the walk has reached.
    co_reached: FxHashMap<super::Loc, (FxHashMap<EventId, usize>, usize)>,
    todo: Vec<EventId>,
}

impl CycleWalk<'_> {
    fn is_new(&self, id: EventId) -> bool {
        id.thread == self.first.thread && id.index >= self.first.index
    }

    fn reaches_new(&mut self) -> bool {
        while let Some(id) = self.todo.pop() {
            if id.is_init() {
                continue;
            }
            if self.is_new(id) {
                return true;
            }
            let from = self.reached[id.thread as usize];
            if from > id.index {
                continue;
            }
            self.reached[id.thread as usize] = id.index + 1;
            if from == 0 {
                self.todo.extend(self.graph.spawned_at(id.thread));
            }
            for index in from..=id.index {
                self.predecessors(EventId {
                    thread: id.thread,
                    index,
                });
            }
        }
        false
    }

    /// Queues what comes right before `id` in the order, but its thread's previous event.
    fn predecessors(&mut self, id: EventId) {
        let graph = self.graph;
        match graph.label(id) {
            Label::Read { rf, .. } => self.todo.push(rf),
            label @ (Label::Join { .. } | Label::TakeOver { .. }) => {
                self.todo.extend(graph.awaited_by(id, label));
            }
            Label::Write { loc, .. } => {
                let co = graph.co(loc);
                let (places, done) = self.co_reached.entry(loc).or_insert_with(|| {
                    let places = co.iter().enumerate().map(|(at, &w)| (w, at)).collect();
                    (places, 0)
                });
                let place = places[&id];
                for &before in co.get(*done..place).unwrap_or_default() {
                    self.todo.push(before);
                    if let Some(readers) = graph.sc.readers.get(&before) {
                        self.todo.extend(readers.iter().copied());
                    }
                }
                *done = (*done).max(place);
            }
            _ => {}
        }
    }
}
