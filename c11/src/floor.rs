//! How far back in a location's coherence order a new event may read or be placed
//! ([`co_floor`]): the latest write to the location that the event before it (its
//! thread's previous one, or its spawn) has in its happens-before view
//! ([`Graph::hb_view`]), each thread's latest access in the view giving that thread's last
//! write. The exploration asks it for every event it adds to a graph without `SeqCst`
//! events ([`crate::consistency::check_for`]), so it costs about the number of threads, not
//! the size of the graph.
//!
//! Where the graph's views are not exact (a graph built by hand that gave a read in the
//! middle of its thread another write), the floor is found by walking back from the event
//! along happens-before's immediate edges: program order, a spawn before the child's first
//! event, a child's last event before its join, and synchronisation: into an acquiring read
//! from the latest releasing event before each write of its release sequence's chain
//! ([`Graph::release_before`]), and into an acquiring fence likewise for the reads before it
//! since the thread's previous acquiring fence. A debug build checks every answer on a small
//! graph against the relations.
//!
//! Under sequential consistency ([`sc_floor`]) the order is `po ∪ asw ∪ rf ∪ co ∪ fr`:
//! from the views of [`Graph::sc_view`] on graphs of 64 events or more, else by a walk along
//! its immediate edges (the write a read reads, a write's predecessor in coherence order and
//! that predecessor's reads).

use std::collections::HashMap;

use crate::consistency::{Model, ordering_of_event};
use crate::graph::{EventId, Graph, Label, Loc, Tid};

/// The position (in [`Graph::co`]) of the latest write to `loc` that happens before `event`
/// under RC11
/// (or is `event`), or that a read happening before it (or `event`) reads from; 0 (the
/// initial write) for none. Coherence puts each such write before any write a later event of
/// `event`'s thread reads, and before its later writes, so the exploration tries no earlier
/// place.
pub fn co_floor(graph: &Graph, loc: Loc, event: EventId) -> usize {
    let floor = match graph.hb_view(event) {
        Some(view) => floor_in(graph, loc, view),
        None => Walk::new(graph, None).floor(loc, event),
    };
    if graph.checks_derived() {
        assert_eq!(
            floor,
            crate::consistency::co_floor_by_relations(graph, Model::Rc11, loc, event),
            "{event:?} at {loc}"
        );
    }
    floor
}

/// The position of the latest write to `loc` that an event in `view` writes or reads:
/// coherence orders the writes a thread's accesses to a location write or read as the
/// accesses (`po|loc`), so each thread's latest access in the view has its last.
fn floor_in(graph: &Graph, loc: Loc, view: &[u32]) -> usize {
    let latest: Vec<EventId> = (0..view.len() as Tid)
        .filter_map(|t| graph.latest_access(t, loc, view[t as usize]))
        .map(|id| match graph.label(id) {
            Label::Read { rf, .. } => rf,
            _ => id,
        })
        .collect();
    let co = graph.co(loc);
    co.iter().rposition(|w| latest.contains(w)).unwrap_or(0)
}

/// [`co_floor`] under sequential consistency: the position of the latest write to `loc`
/// that comes before `event` (or is `event`) in `po ∪ asw ∪ rf ∪ co ∪ fr`, whose acyclicity
/// sequential consistency is; a new event after `event` that reads from or is placed before
/// it would close a cycle through it.
pub fn sc_floor(graph: &Graph, loc: Loc, event: EventId) -> usize {
    // A small graph is walked faster than its views are computed: they are computed again
    // after each revisit, where a small program's runs are short.
    const VIEWS_FROM: usize = 64;
    if graph.event_count() < VIEWS_FROM {
        return sc_floor_by_walk(graph, loc, event);
    }
    let Some(view) = graph.sc_view(event) else {
        return sc_floor_by_walk(graph, loc, event);
    };
    let floor = floor_in(graph, loc, &view);
    if graph.checks_derived() {
        assert_eq!(
            floor,
            sc_floor_by_walk(graph, loc, event),
            "{event:?} at {loc}"
        );
    }
    floor
}

/// [`sc_floor`] by a walk back from `event`.
fn sc_floor_by_walk(graph: &Graph, loc: Loc, event: EventId) -> usize {
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
        // Per thread, its latest event at `loc` the walk reaches: coherence orders the
        // writes a thread's accesses to a location write or read as the accesses (`po|loc`),
        // so the latest one's write is its thread's last in coherence order.
        let mut latest = vec![None; self.graph.thread_count()];
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
                    latest[t] = Some(write);
                }
                self.predecessors(id, label);
            }
        }
        // The latest of those writes: looked for from the end, where it usually is.
        let co = self.graph.co(loc);
        co.iter()
            .rposition(|w| latest.contains(&Some(*w)))
            .unwrap_or(0)
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
                let Some(at) = co.iter().rposition(|&w| w == id) else {
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
            if let Some(release) = self.graph.release_before(at) {
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

    fn acquires(&self, id: EventId) -> bool {
        ordering_of_event(self.graph, id).is_some_and(|o| o.acquires())
    }
}
