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
