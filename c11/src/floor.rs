//! How far back in a location's coherence order a new event may read or be placed
//! ([`co_floor`]), found by walking back from the event before it along happens-before's
//! immediate edges, instead of computing happens-before for the whole graph: the exploration
//! asks it for every event it adds to a graph without `SeqCst` events
//! ([`crate::consistency::check_for`]), so it must cost what the walk reaches, not the
//! square of the graph.
//!
//! The edges are those [`crate::consistency`]'s happens-before is built from: program order
//! (a thread's previous event), a spawn before the child's first event, a child's last event
//! before its join, and synchronisation: into an acquiring read from the latest releasing
//! event before each write of its release sequence's chain (that write itself or an earlier
//! releasing write of its thread to the location, or a releasing fence before it), and into
//! an acquiring fence likewise for the reads before it since the thread's previous acquiring
//! fence. A debug build checks every answer against the relations.
//!
//! Under sequential consistency ([`sc_floor`]) the walk follows `po ∪ asw ∪ rf ∪ co ∪ fr`
//! instead, by their immediate edges: the write a read reads, a write's predecessor in
//! coherence order and that predecessor's reads.

use std::collections::HashMap;

use crate::consistency::{Model, ordering_of_event};
use crate::graph::{EventId, Graph, Label, Loc};

/// The position (in [`Graph::co`]) of the latest write to `loc` that happens before `event`
/// under RC11
/// (or is `event`), or that a read happening before it (or `event`) reads from; 0 (the
/// initial write) for none. Coherence puts each such write before any write a later event of
/// `event`'s thread reads, and before its later writes, so the exploration tries no earlier
/// place.
pub fn co_floor(graph: &Graph, loc: Loc, event: EventId) -> usize {
    let floor = Walk::new(graph, None).floor(loc, event);
    debug_assert_eq!(
        floor,
        crate::consistency::co_floor_by_relations(graph, Model::Rc11, loc, event),
        "{event:?} at {loc}"
    );
    floor
}

/// [`co_floor`] under sequential consistency: the position of the latest write to `loc`
/// that comes before `event` (or is `event`) in `po ∪ asw ∪ rf ∪ co ∪ fr`, whose acyclicity
/// sequential consistency is; a new event after `event` that reads from or is placed before
/// it would close a cycle through it.
pub fn sc_floor(graph: &Graph, loc: Loc, event: EventId) -> usize {
    let mut readers: HashMap<EventId, Vec<EventId>> = HashMap::new();
    for (id, e) in graph.events() {
        if let Label::Read { rf, .. } = e.label {
            readers.entry(rf).or_default().push(id);
        }
    }
    Walk::new(graph, Some(readers)).floor(loc, event)
}

struct Walk<'g> {
    graph: &'g Graph,
    /// Under sequential consistency, the readers of each write (for `fr`); `None`: the walk
    /// follows happens-before.
    readers: Option<HashMap<EventId, Vec<EventId>>>,
    /// Per thread, how many of its first events are known to come before the event.
    reached: Vec<u32>,
    /// Events still to take, each with its program-order prefix.
    todo: Vec<EventId>,
}

impl<'g> Walk<'g> {
    fn new(graph: &'g Graph, readers: Option<HashMap<EventId, Vec<EventId>>>) -> Walk<'g> {
        Walk {
            graph,
            readers,
            reached: vec![0; graph.thread_count()],
            todo: Vec::new(),
        }
    }

    fn floor(mut self, loc: Loc, event: EventId) -> usize {
        let co = self.graph.co(loc);
        let place: HashMap<EventId, usize> = co.iter().enumerate().map(|(i, &w)| (w, i)).collect();
        let mut floor = 0;
        self.todo.push(event);
        while let Some(last) = self.todo.pop() {
            let t = last.thread as usize;
            let from = self.reached[t];
            if last.index < from {
                continue;
            }
            self.reached[t] = last.index + 1;
            for index in from..=last.index {
                let id = EventId {
                    thread: last.thread,
                    index,
                };
                let label = self.graph.label(id);
                if label.loc() == Some(loc) {
                    let write = match label {
                        Label::Read { rf, .. } => rf,
                        _ => id,
                    };
                    floor = floor.max(place.get(&write).copied().unwrap_or(0));
                }
                self.predecessors(id, label);
            }
        }
        floor
    }

    /// Queues the immediate happens-before predecessors of `id` other than its thread's
    /// previous event.
    fn predecessors(&mut self, id: EventId, label: Label) {
        if id.index == 0
            && let Some(spawn) = self.graph.spawned_at(id.thread)
        {
            self.todo.push(spawn);
        }
        self.todo.extend(self.graph.awaited_by(id, label));
        if self.readers.is_some() {
            self.sc_predecessors(id, label);
            return;
        }
        match label {
            Label::Read { rf, .. } if self.acquires(id) => self.synchronised_by(rf),
            Label::Fence { .. } if self.acquires(id) => {
                // The reads since the thread's previous acquiring fence; those before it
                // synchronise with that one, and it comes before this one.
                for index in (0..id.index).rev() {
                    let before = EventId {
                        thread: id.thread,
                        index,
                    };
                    match self.graph.label(before) {
                        Label::Fence { .. } if self.acquires(before) => break,
                        Label::Read { rf, .. } if !self.acquires(before) => {
                            self.synchronised_by(rf);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Queues the immediate `rf ∪ co ∪ fr` predecessors of `id`: the write a read reads; the
    /// write before a write in coherence order, and the reads of that one.
    fn sc_predecessors(&mut self, id: EventId, label: Label) {
        match label {
            Label::Read { rf, .. } if !rf.is_init() => self.todo.push(rf),
            Label::Write { loc, .. } => {
                let co = self.graph.co(loc);
                let Some(at) = co.iter().position(|&w| w == id) else {
                    return;
                };
                let Some(&before) = at.checked_sub(1).and_then(|b| co.get(b)) else {
                    return;
                };
                if !before.is_init() {
                    self.todo.push(before);
                }
                let readers = self.readers.as_ref().and_then(|r| r.get(&before));
                self.todo.extend(readers.into_iter().flatten().copied());
            }
            _ => {}
        }
    }

    /// Queues what synchronises with a read of `write` that acquires: back along `rf; rmw`
    /// from `write`, the latest releasing event before each write.
    fn synchronised_by(&mut self, write: EventId) {
        let mut at = write;
        while !at.is_init() {
            if let Some(release) = self.release_before(at) {
                self.todo.push(release);
            }
            let Label::Write { rmw: true, .. } = self.graph.label(at) else {
                break;
            };
            let read = EventId {
                thread: at.thread,
                index: at.index - 1,
            };
            let Label::Read { rf, .. } = self.graph.label(read) else {
                break;
            };
            at = rf;
        }
    }

    /// The latest releasing event of `write`'s thread that heads a release sequence holding
    /// `write`: `write` itself or an earlier releasing write to its location, or a releasing
    /// fence before it.
    fn release_before(&self, write: EventId) -> Option<EventId> {
        let loc = self.graph.label(write).loc();
        (0..=write.index).rev().find_map(|index| {
            let id = EventId {
                thread: write.thread,
                index,
            };
            let label = self.graph.label(id);
            let heads = match label {
                Label::Write { .. } => label.loc() == loc,
                Label::Fence { .. } => index < write.index,
                _ => false,
            };
            (heads && self.releases(id)).then_some(id)
        })
    }

    fn acquires(&self, id: EventId) -> bool {
        ordering_of_event(self.graph, id).is_some_and(|o| o.acquires())
    }

    fn releases(&self, id: EventId) -> bool {
        ordering_of_event(self.graph, id).is_some_and(|o| o.releases())
    }
}
