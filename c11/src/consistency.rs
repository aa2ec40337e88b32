//! Whether an execution graph is consistent under RC11 (Lahav, Vafeiadis, Kang, Hur and Dreyer,
//! "Repairing sequential consistency in C/C++11", PLDI 2017), the model Rust's atomics
//! follow, or under sequential consistency.
//!
//! With `po` program order (initial writes before everything), `rf` reads-from, `co`
//! coherence order, `fr = rf⁻¹; co` (from-reads), `rmw` a read-modify-write's read to its
//! write, and `eco = (rf ∪ co ∪ fr)⁺`:
//!
//! - `rs = [W]; (po|loc)?; [W]; (rf; rmw)*` (release sequences),
//!   `sw = [⊒rel]; ([F]; po)?; rs; rf; [R]; (po; [F])?; [⊒acq]`, `hb = (po ∪ sw)⁺`;
//! - coherence: `hb; eco?` is irreflexive;
//! - atomicity: `rmw ∩ (fr; co)` is empty;
//! - no thin air: `po ∪ rf` is acyclic;
//! - SC: `psc = psc_base ∪ psc_F` is acyclic, where `scb = po ∪ po|≠loc; hb; po|≠loc ∪ hb|loc
//!   ∪ co ∪ fr`, `psc_base = ([E_sc] ∪ [F_sc]; hb?); scb; ([E_sc] ∪ hb?; [F_sc])` and
//!   `psc_F = [F_sc]; (hb ∪ hb; eco; hb); [F_sc]`.
//!
//! Sequential consistency is RC11 with every access and fence `SeqCst` (RC11's guarantee:
//! a program whose every atomic is `SeqCst` has only sequentially consistent behaviours).
//!
//! [`judge_added`] judges a graph made by adding events to a consistent one by a walk back
//! from them, falling back to [`judge`] when the walk finds a cycle. [`judge`] judges each
//! graph afresh: a graph whose every access and fence is `SeqCst` by
//! sequential consistency's one acyclicity (see [`judge`]), any other by the relations above
//! as bit matrices, `hb` built in a topological order of `po ∪ rf` rather than by a closure,
//! with no relation composed that the graph does not need (`eco` only with `SeqCst` fences;
//! `po|≠loc; hb; po|≠loc` pair by pair, see `Relations::psc_acyclic`), so that judging a
//! graph of `n` events without `SeqCst` fences costs `O(n²)`. [`by_relations`] computes each
//! relation exactly as written above, as the tests' oracle.

mod definition;
mod rel;
mod relations;

pub use definition::{by_relations, co_floor_by_relations};

use self::relations::Relations;
use crate::graph::{EventId, Graph, Label, Loc, Ordering, Tid, in_view};

/// Which memory model a graph is judged by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Model {
    /// RC11: what Rust's atomics promise.
    #[default]
    Rc11,
    /// Sequential consistency: every access as if `SeqCst`.
    Sc,
}

/// What [`judge`] says of a graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Consistent,
    /// Consistent but for atomicity: two read-modify-writes read the same write.
    AtomicityOnly,
    Inconsistent,
}

/// Whether `graph` is consistent under `model`, or consistent but for atomicity.
///
/// A graph whose every atomic access and fence is `SeqCst` (and every graph under
/// [`Model::Sc`]) is judged as sequential consistency defines it (Shasha and Snir: `po ∪ rf
/// ∪ co ∪ fr` is acyclic), one search of a sparse graph instead of RC11's relations: for
/// such graphs RC11 is exactly sequential consistency (Lahav et al., PLDI 2017, §4), which a
/// test checks against [`by_relations`].
pub fn judge(graph: &Graph, model: Model) -> Verdict {
    if model == Model::Sc || all_seq_cst(graph) {
        return judge_sc(graph);
    }
    let relations = Relations::of(graph, model);
    match (relations.atomic(), relations.rc11()) {
        (_, false) => Verdict::Inconsistent,
        (true, true) => Verdict::Consistent,
        (false, true) => Verdict::AtomicityOnly,
    }
}

/// [`judge`] of a graph made from one that is consistent but perhaps for atomicity by adding
/// thread `first.thread`'s events from `first` on (a read, with its read-modify-write's
/// write; or a write), reading from or placed after any write, at the cost of the graph's
/// length rather than its square, when the order `po ∪ asw ∪ rf ∪ co ∪ fr` has no cycle
/// through them ([`Graph::sc_cycle_through`]); by [`judge`] when it has one.
///
/// Why that is enough: the new events have no successor in `po`, `rf` or `hb`, so among the
/// other events `hb` is as it was, and so are `co`, `fr` and `eco` (an `eco` path through a
/// new event joins two events `eco` already joined). Every coherence, `po ∪ rf` or `psc`
/// pair the new events add has a path in that order through one of them (each of `hb`,
/// `eco` and `scb` is in the order's transitive closure: `sw` runs along `po` and `rf`). So
/// a cycle of any of those relations that was not there before closes a cycle of the order
/// through a new event; with none, the graph is consistent but perhaps for atomicity, which
/// a pass over the coherence orders decides.
pub fn judge_added(graph: &Graph, model: Model, first: EventId) -> Verdict {
    if model == Model::Sc || all_seq_cst(graph) {
        return judge_sc(graph);
    }
    let verdict = if graph.sc_cycle_through(first) {
        judge(graph, model)
    } else if atomic(graph) {
        Verdict::Consistent
    } else {
        Verdict::AtomicityOnly
    };
    if graph.checks_derived() {
        assert_eq!(verdict, judge(graph, model), "{first} added");
    }
    verdict
}

/// Atomicity: each read-modify-write's write comes right after the write its read reads in
/// coherence order (`rmw ∩ (fr; co)` is empty).
fn atomic(graph: &Graph) -> bool {
    graph.locations().all(|(_, co)| {
        co.windows(2).all(|pair| {
            let (before, write) = (pair[0], pair[1]);
            match graph.label(write) {
                Label::Write { rmw: true, .. } => {
                    let read = EventId {
                        thread: write.thread,
                        index: write.index - 1,
                    };
                    matches!(graph.label(read), Label::Read { rf, .. } if rf == before)
                }
                _ => true,
            }
        })
    })
}

/// Whether every atomic access and fence of `graph` is `SeqCst` (a read-modify-write's read
/// that did not write has its failure ordering).
fn all_seq_cst(graph: &Graph) -> bool {
    let all = graph.all_seq_cst();
    if graph.checks_derived() {
        assert_eq!(
            all,
            graph
                .events()
                .all(|(id, _)| ordering_of_event(graph, id).is_none_or(Ordering::is_seq_cst))
        );
    }
    all
}

/// The ordering event `id` of `graph` has ([`Label::ordering`]).
pub(crate) fn ordering_of_event(graph: &Graph, id: EventId) -> Option<Ordering> {
    graph.label(id).ordering(graph.wrote(id))
}

/// The strongest ordering a new read with `ord` and failure ordering `fail_ord` may have:
/// whether it fails is not known before the write it reads is chosen.
pub(crate) fn strongest(ord: Ordering, fail_ord: Option<Ordering>) -> Ordering {
    fail_ord.filter(|&f| f == Ordering::SeqCst).unwrap_or(ord)
}

/// Sequential consistency: `po ∪ asw ∪ rf ∪ co ∪ fr` is acyclic, searched on the transitive
/// reduction of each (a thread's next event, a location's next write, a read to the write
/// after the one it reads), one edge or two per event; and atomicity ([`atomic`]).
fn judge_sc(graph: &Graph) -> Verdict {
    let threads = graph.thread_count();
    let mut first = Vec::with_capacity(threads + 1);
    let mut n = 0;
    for t in 0..threads {
        first.push(n);
        n += graph.thread(t as Tid).len();
    }
    // Initial writes: numbered after the threads' events, in location order.
    let locations: Vec<(Loc, &[EventId])> = graph.locations().collect();
    let index = |id: EventId| -> usize {
        if id.is_init() {
            n + locations
                .binary_search_by_key(&id.index, |&(loc, _)| loc)
                .expect("a known location")
        } else {
            first[id.thread as usize] + id.index as usize
        }
    };
    let total = n + locations.len();
    let mut edges: Vec<(usize, usize)> = Vec::with_capacity(3 * total);
    // The write after each write in coherence order.
    let mut co_next = vec![usize::MAX; total];
    for (_, order) in &locations {
        for pair in order.windows(2) {
            let (a, b) = (index(pair[0]), index(pair[1]));
            co_next[a] = b;
            edges.push((a, b));
        }
    }
    for t in 0..threads as Tid {
        let events = graph.thread(t);
        for (i, event) in events.iter().enumerate() {
            let at = first[t as usize] + i;
            if i + 1 < events.len() {
                edges.push((at, at + 1));
            }
            match event.label {
                Label::Read { rf, .. } => {
                    let w = index(rf);
                    edges.push((w, at));
                    if co_next[w] != usize::MAX {
                        edges.push((at, co_next[w]));
                    }
                }
                Label::Spawn { child } if !graph.thread(child).is_empty() => {
                    edges.push((at, first[child as usize]));
                }
                label @ (Label::Join { .. } | Label::TakeOver { .. }) => {
                    let id = EventId {
                        thread: t,
                        index: i as u32,
                    };
                    for before in graph.awaited_by(id, label) {
                        edges.push((first[before.thread as usize] + before.index as usize, at));
                    }
                }
                _ => {}
            }
        }
    }
    match (acyclic(total, &edges), atomic(graph)) {
        (false, _) => Verdict::Inconsistent,
        (true, true) => Verdict::Consistent,
        (true, false) => Verdict::AtomicityOnly,
    }
}

/// Whether the graph of `n` nodes and `edges` has no cycle.
pub(super) fn acyclic(n: usize, edges: &[(usize, usize)]) -> bool {
    topological_order(n, edges).is_some()
}

/// The nodes in an order every edge goes forward in (Kahn's algorithm), or `None` if there
/// is a cycle.
fn topological_order(n: usize, edges: &[(usize, usize)]) -> Option<Vec<usize>> {
    // Edges grouped by source (counting sort).
    let mut start = vec![0usize; n + 1];
    let mut into = vec![0u32; n];
    for &(a, b) in edges {
        start[a + 1] += 1;
        into[b] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut targets = vec![0usize; edges.len()];
    for &(a, b) in edges {
        targets[fill[a]] = b;
        fill[a] += 1;
    }
    let mut free: Vec<usize> = (0..n).filter(|&a| into[a] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(a) = free.pop() {
        order.push(a);
        for &b in &targets[start[a]..start[a + 1]] {
            into[b] -= 1;
            if into[b] == 0 {
                free.push(b);
            }
        }
    }
    (order.len() == n).then_some(order)
}

/// Whether `graph` is consistent under `model`.
pub fn is_consistent(graph: &Graph, model: Model) -> bool {
    judge(graph, model) == Verdict::Consistent
}

/// Whether `graph` is consistent under `model` but perhaps for atomicity: two
/// read-modify-writes reading the same write. The exploration adds such a graph's second
/// read-modify-write anyway, since its write may be read by the first one's read instead (a
/// backward revisit), which is a consistent graph.
pub fn is_consistent_but_atomicity(graph: &Graph, model: Model) -> bool {
    judge(graph, model) != Verdict::Inconsistent
}

/// How a new event is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// By coherence alone, its floor found along happens-before (RC11, no `SeqCst` event).
    Hb,
    /// By coherence alone, its floor found along `po ∪ rf ∪ co ∪ fr` (sequential
    /// consistency: the model, or RC11 on a graph whose every event is `SeqCst`).
    Sc,
    /// By [`judge`], on the whole graph.
    Full,
}

/// How a new event with ordering `ord` (the strongest it may have) is judged. A new event
/// has no successors, so the only cycles it can close run from a write coherence puts after
/// the one it reads (or after itself) to an event before it, which is what its floor
/// ([`crate::floor::co_floor`], of the event right before it) rules out; so a read may read
/// from every write from the floor on, and a write take every place after it, but for a
/// read-modify-write's atomicity (see [`rmw_follows`]). "Before" is happens-before under
/// RC11 when no event is `SeqCst` (no `psc`; what the event's own reads-from adds to
/// happens-before, a release write's synchronisation with an acquire read, brings only
/// writes coherence already puts before the write it reads), and the order `po ∪ rf ∪ co ∪
/// fr` under sequential consistency. Mixed graphs are judged in full, but for an event that
/// is not `SeqCst` in a graph with no `SeqCst` fence (it closes no `psc` cycle).
pub fn check_for(graph: &Graph, model: Model, ord: Ordering) -> Check {
    match model {
        Model::Sc => Check::Sc,
        Model::Rc11 if ord == Ordering::SeqCst => {
            if all_seq_cst(graph) {
                Check::Sc
            } else {
                Check::Full
            }
        }
        // `psc` relates `SeqCst` accesses, and `SeqCst` fences through happens-before. A new
        // event has no successor in `po`, `rf` or `hb`, so the relations among the other
        // events stay as they were, and a new `psc` edge needs the new event at an end, or
        // reached by `hb` from a `SeqCst` fence in the middle of one (`[F_sc]; hb; e; scb`).
        // So an event that is not `SeqCst`, in a graph with no `SeqCst` fence, can close no
        // `psc` cycle: coherence is all it can break, checked as with no `SeqCst` at all.
        Model::Rc11 => {
            let seq_cst_fence = graph.has_seq_cst_fence();
            if graph.checks_derived() {
                assert_eq!(
                    seq_cst_fence,
                    graph.events().any(|(id, event)| {
                        matches!(event.label, Label::Fence { .. })
                            && ordering_of_event(graph, id).is_some_and(Ordering::is_seq_cst)
                    })
                );
            }
            if seq_cst_fence {
                Check::Full
            } else {
                Check::Hb
            }
        }
    }
}

/// Whether a read-modify-write's write comes right after `write` in its location's
/// coherence order (its read read `write`, atomicity holding): a new write placed right
/// after `write` breaks atomicity.
pub fn rmw_follows(graph: &Graph, write: EventId) -> bool {
    let Some(loc) = graph.label(write).loc() else {
        return false;
    };
    let co = graph.co(loc);
    co.iter()
        .rposition(|&w| w == write)
        .and_then(|at| co.get(at + 1))
        .is_some_and(|&next| matches!(graph.label(next), Label::Write { rmw: true, .. }))
}

/// Whether `graph`, made from a consistent one by giving its newest event `event` a choice
/// its run offered (a write to read from, with the read's own write if it has one; a place in
/// coherence order), is consistent: where [`check_for`] allows (the run offers no choice
/// before [`crate::floor::co_floor`]), unless it breaks a read-modify-write's atomicity, by
/// its write coming between another one's and the write that one read, or by being placed
/// there; by [`judge`] otherwise.
pub fn still_consistent(graph: &Graph, model: Model, event: EventId) -> bool {
    let (ord, atomicity) = match graph.label(event) {
        Label::Read { ord, fail_ord, .. } => {
            let own_write = EventId {
                thread: event.thread,
                index: event.index + 1,
            };
            let breaks = graph.wrote(event) && rmw_follows(graph, own_write);
            (strongest(ord, fail_ord), breaks)
        }
        Label::Write { ord, .. } => (ord, rmw_follows(graph, event)),
        _ => return is_consistent(graph, model),
    };
    match check_for(graph, model, ord) {
        Check::Hb | Check::Sc => !atomicity,
        Check::Full => judge_added(graph, model, event) == Verdict::Consistent,
    }
}

/// For `access`, a plain access (an `UnsafeCell`'s) or a non-atomic access to an atomic's
/// location (its `get_mut`, made a relaxed load or store of the graph): an access of another
/// thread to the same memory, one of the two writing, that happens neither before nor after
/// it: a data race. (For atomic accesses on both sides, no race: call it only for plain
/// accesses and non-atomic ones.)
pub fn race_with(graph: &Graph, model: Model, access: EventId) -> Option<EventId> {
    race_among(graph, model, access, |_| true)
}

/// [`race_with`] for an atomic access, against the non-atomic accesses `others` only (an
/// atomic's `get_mut` before it).
pub fn race_with_any_of(
    graph: &Graph,
    model: Model,
    access: EventId,
    others: &[EventId],
) -> Option<EventId> {
    race_among(graph, model, access, |id| others.contains(&id))
}

fn race_among(
    graph: &Graph,
    model: Model,
    access: EventId,
    candidate: impl Fn(EventId) -> bool,
) -> Option<EventId> {
    let (memory, write) = memory_of(graph.label(access))?;
    let conflicts = |(other, event): (EventId, &crate::graph::Event)| {
        other.thread != access.thread
            && memory_of(event.label).is_some_and(|(m, w)| m == memory && (w || write))
            && candidate(other)
    };
    // Most accesses have no conflicting one in another thread: one look at the events,
    // before computing views or the relations of the whole graph (the square of its size).
    if !graph.events().any(conflicts) {
        return None;
    }
    let view = |id| match model {
        Model::Rc11 => graph.hb_view(id),
        // Every access `SeqCst`: each read synchronises with the write it reads.
        Model::Sc => graph.porf_view(id),
    };
    if let Some(at) = view(access) {
        let race = graph.events().find_map(|(other, event)| {
            let ordered = in_view(at, other) || view(other).is_some_and(|v| in_view(v, access));
            (conflicts((other, event)) && !ordered).then_some(other)
        });
        if graph.checks_derived() {
            assert_eq!(
                race,
                race_by_relations(graph, model, access, memory, write, candidate),
                "{access}"
            );
        }
        return race;
    }
    race_by_relations(graph, model, access, memory, write, candidate)
}

/// [`race_among`] by the relations of the whole graph.
fn race_by_relations(
    graph: &Graph,
    model: Model,
    access: EventId,
    memory: Result<u32, Loc>,
    write: bool,
    candidate: impl Fn(EventId) -> bool,
) -> Option<EventId> {
    let relations = Relations::of(graph, model);
    let hb = relations.happens_before()?;
    let at = relations.ids.iter().position(|&id| id == access)?;
    relations.ids.iter().enumerate().find_map(|(b, &other)| {
        if !candidate(other) {
            return None;
        }
        let racy = match memory_of(relations.labels[b]) {
            Some((m, w)) => m == memory && (w || write),
            None => false,
        };
        let ordered = hb.has(b, at) || hb.has(at, b);
        (racy && other.thread != access.thread && !ordered).then_some(other)
    })
}

/// Memory an access touches: a cell (`Ok`) or a location (`Err`); and whether it writes.
fn memory_of(label: Label) -> Option<(Result<u32, Loc>, bool)> {
    match label {
        Label::Plain { cell, write } => Some((Ok(cell), write)),
        Label::Read { loc, .. } => Some((Err(loc), false)),
        Label::Write { loc, .. } => Some((Err(loc), true)),
        _ => None,
    }
}

/// `label` with every ordering `SeqCst`.
fn as_seq_cst(label: Label) -> Label {
    match label {
        Label::Read {
            loc,
            rf,
            exclusive,
            fail_ord,
            ..
        } => Label::Read {
            loc,
            ord: Ordering::SeqCst,
            rf,
            fail_ord: fail_ord.map(|_| Ordering::SeqCst),
            exclusive,
        },
        Label::Write { loc, val, rmw, .. } => Label::Write {
            loc,
            val,
            ord: Ordering::SeqCst,
            rmw,
        },
        Label::Fence { .. } => Label::Fence {
            ord: Ordering::SeqCst,
        },
        other @ (Label::Spawn { .. }
        | Label::Join { .. }
        | Label::GiveUp { .. }
        | Label::TakeOver { .. }
        | Label::Plain { .. }) => other,
    }
}
