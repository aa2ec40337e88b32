//! An order in which to run a graph's events that is an interleaving under sequential
//! consistency, when the graph has one: program order, spawns and joins, reads-from,
//! coherence and from-reads (a read before every write coherence puts after the one it read)
//! all respected. A run that follows it shows a sequentially consistent graph as the
//! interleaving a reader expects, each read reading the latest write before it; a graph that
//! needs weak memory has no such order, and its trace shows which reads did not.
//!
//! The queries a run's scheduler makes of it are here too: which thread's next event is the
//! order's next ([`Execution::preferred_thread`]), and whether a thread's next event may run
//! yet ([`Execution::replay_ready`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::graph::{EventId, Graph, Label, Tid};
use crate::run::Execution;

/// The graph's events in an order that respects program order, spawns, joins, `rf`, `co` and
/// `fr`, taking the lowest-numbered thread's event first where several may come next; `None`
/// if the graph has none (a cycle: it is no sequentially consistent execution).
pub fn sc_order(graph: &Graph) -> Option<Vec<EventId>> {
    let threads = graph.thread_count();
    let mut offsets = Vec::with_capacity(threads + 1);
    offsets.push(0);
    for t in 0..threads {
        offsets.push(offsets[t] + graph.thread(t as u32).len());
    }
    let n = offsets[threads];
    let node = |e: EventId| offsets[e.thread as usize] + e.index as usize;
    // Each write's successor in its location's coherence order (the initial writes' are
    // looked up in `co`).
    let mut co_next = vec![usize::MAX; n];
    let mut edges: Vec<(usize, usize)> = Vec::with_capacity(4 * n);
    for (_, co) in graph.locations() {
        for pair in co.windows(2) {
            if !pair[0].is_init() {
                co_next[node(pair[0])] = node(pair[1]);
                edges.push((node(pair[0]), node(pair[1])));
            }
        }
    }
    for (id, event) in graph.events() {
        let me = node(id);
        if id.index as usize + 1 < graph.thread(id.thread).len() {
            edges.push((me, me + 1));
        }
        match event.label {
            Label::Spawn { child } if !graph.thread(child).is_empty() => {
                edges.push((me, offsets[child as usize]));
            }
            label @ (Label::Join { .. } | Label::TakeOver { .. }) => {
                edges.extend(
                    graph
                        .awaited_by(id, label)
                        .into_iter()
                        .map(|e| (node(e), me)),
                );
            }
            Label::Read { loc, rf, .. } => {
                let next = if rf.is_init() {
                    graph.co(loc).get(1).map(|&w| node(w))
                } else {
                    edges.push((node(rf), me));
                    Some(co_next[node(rf)]).filter(|&w| w != usize::MAX)
                };
                if let Some(next) = next {
                    edges.push((me, next));
                }
            }
            _ => {}
        }
    }
    // The edges grouped by their source (a counting sort): `targets[first[v]..first[v + 1]]`
    // are `v`'s successors.
    let mut first = vec![0_u32; n + 1];
    let mut before = vec![0_u32; n];
    for &(from, to) in &edges {
        first[from + 1] += 1;
        before[to] += 1;
    }
    for v in 0..n {
        first[v + 1] += first[v];
    }
    let mut targets = vec![0_u32; edges.len()];
    let mut fill = first.clone();
    for &(from, to) in &edges {
        targets[fill[from] as usize] = to as u32;
        fill[from] += 1;
    }
    let id_of = |i: usize| {
        let t = offsets.partition_point(|&o| o <= i) - 1;
        EventId {
            thread: t as u32,
            index: (i - offsets[t]) as u32,
        }
    };
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| before[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(id_of(i));
        for &j in &targets[first[i] as usize..first[i + 1] as usize] {
            let j = j as usize;
            before[j] -= 1;
            if before[j] == 0 {
                ready.push(Reverse(j));
            }
        }
    }
    (order.len() == n).then_some(order)
}

/// The order a run of a graph takes its events in (the engine's scheduler asks).
impl Execution<'_> {
    /// Whether thread `t`'s next event is one the graph has (`Some`), and if so whether the
    /// run may take it now: a read only once the write it reads from has run, so that what
    /// the program keeps outside the atomics (memory a pointer in one points to, an
    /// `UnsafeCell`) is written before it is read; a take-over once its give-ups have (the
    /// program's own count says whether its thread holds the last reference). `None`: the thread is past the graph.
    pub fn replay_ready(&mut self, t: Tid) -> Option<bool> {
        let label = self.next_label(t)?;
        let ready = match label {
            Label::Read { rf, .. } => rf.is_init() || self.done(rf.thread) > rf.index,
            Label::TakeOver { .. } => {
                let id = EventId {
                    thread: t,
                    index: self.done(t),
                };
                let awaited = self.graph().awaited_by(id, label);
                awaited.iter().all(|e| self.done(e.thread) > e.index)
            }
            _ => true,
        };
        Some(ready)
    }

    /// The thread whose next event is the graph's next one in its sequentially consistent
    /// order ([`sc_order`]), if the graph has one: a run that takes such events
    /// first (they are always [`replay_ready`](Self::replay_ready)) shows the graph as an
    /// interleaving, every read reading the latest write before it, whenever the graph is one.
    pub fn preferred_thread(&mut self) -> Option<Tid> {
        if self.run().sc_order.is_none() {
            let order = sc_order(self.graph());
            self.run().sc_order = Some(order);
        }
        loop {
            let run = self.run();
            let Some(Some(order)) = &run.sc_order else {
                return None;
            };
            let &next = order.get(run.sc_next)?;
            if self.done(next.thread) <= next.index {
                return (self.done(next.thread) == next.index).then_some(next.thread);
            }
            self.run().sc_next += 1;
        }
    }
}
