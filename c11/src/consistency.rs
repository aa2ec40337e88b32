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
//! The check judges each graph afresh: a graph whose every access and fence is `SeqCst` by
//! sequential consistency's one acyclicity (see [`judge`]), any other by the relations above
//! as bit matrices, `hb` built in a topological order of `po ∪ rf` rather than by a closure,
//! with no relation composed that the graph does not need (`eco` only with `SeqCst` fences;
//! `po|≠loc; hb; po|≠loc` pair by pair, see `Relations::psc_acyclic`), so that judging a
//! graph of `n` events without `SeqCst` fences costs `O(n²)`. [`by_relations`] computes each
//! relation exactly as written above, as the tests' oracle.

mod definition;
mod rel;

pub use definition::{by_relations, co_floor_by_relations};

use self::rel::Rel;
use crate::graph::{EventId, Graph, Label, Loc, Ordering, Tid};

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

/// Whether every atomic access and fence of `graph` is `SeqCst` (a read-modify-write's read
/// that did not write has its failure ordering).
fn all_seq_cst(graph: &Graph) -> bool {
    graph
        .events()
        .all(|(id, _)| ordering_of_event(graph, id).is_none_or(Ordering::is_seq_cst))
}

/// The ordering event `id` of `graph` has ([`ordering_of`]).
pub(crate) fn ordering_of_event(graph: &Graph, id: EventId) -> Option<Ordering> {
    ordering_of(graph.label(id), graph.wrote(id))
}

/// The strongest ordering a new read with `ord` and failure ordering `fail_ord` may have:
/// whether it fails is not known before the write it reads is chosen.
pub(crate) fn strongest(ord: Ordering, fail_ord: Option<Ordering>) -> Ordering {
    fail_ord.filter(|&f| f == Ordering::SeqCst).unwrap_or(ord)
}

/// The ordering an event with `label` has (none: not an atomic access or fence); the read
/// of a read-modify-write that did not write (`wrote`) failed, and has its failure ordering.
fn ordering_of(label: Label, wrote: bool) -> Option<Ordering> {
    match label {
        Label::Read {
            ord,
            fail_ord,
            exclusive,
            ..
        } => Some(if exclusive && !wrote {
            fail_ord.unwrap_or(ord)
        } else {
            ord
        }),
        Label::Write { ord, .. } | Label::Fence { ord } => Some(ord),
        Label::Spawn { .. } | Label::Join { .. } | Label::Plain { .. } => None,
    }
}

/// Sequential consistency: `po ∪ asw ∪ rf ∪ co ∪ fr` is acyclic, searched on the transitive
/// reduction of each (a thread's next event, a location's next write, a read to the write
/// after the one it reads), one edge or two per event; and atomicity: each
/// read-modify-write's write comes right after the write its read reads.
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
    let mut atomic = true;
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
                    if let Some(Label::Write { rmw: true, .. }) = events.get(i + 1).map(|e| e.label)
                    {
                        atomic &= co_next[w] == at + 1;
                    }
                }
                Label::Spawn { child } if !graph.thread(child).is_empty() => {
                    edges.push((at, first[child as usize]));
                }
                Label::Join { child } if !graph.thread(child).is_empty() => {
                    edges.push((first[child as usize] + graph.thread(child).len() - 1, at));
                }
                _ => {}
            }
        }
    }
    match (acyclic(total, &edges), atomic) {
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
            let seq_cst_fence = graph.events().any(|(id, event)| {
                matches!(event.label, Label::Fence { .. })
                    && ordering_of_event(graph, id).is_some_and(Ordering::is_seq_cst)
            });
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
        .position(|&w| w == write)
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
        Check::Full => is_consistent(graph, model),
    }
}

/// A plain access of another thread to the same cell as `access`, one of the two writing,
/// that happens neither before nor after it: a data race.
pub fn race_with(graph: &Graph, model: Model, access: EventId) -> Option<EventId> {
    let Label::Plain { cell, write } = graph.label(access) else {
        return None;
    };
    let relations = Relations::of(graph, model);
    let hb = relations.happens_before()?;
    let at = relations.ids.iter().position(|&id| id == access)?;
    relations.ids.iter().enumerate().find_map(|(b, &other)| {
        let racy = match relations.labels[b] {
            Label::Plain { cell: c, write: w } => c == cell && (w || write),
            _ => false,
        };
        let ordered = hb.has(b, at) || hb.has(at, b);
        (racy && other.thread != access.thread && !ordered).then_some(other)
    })
}

/// The base relations of a graph, its events numbered `0..n`: the initial writes first, then
/// each thread's events in program order.
struct Relations {
    ids: Vec<EventId>,
    labels: Vec<Label>,
    /// Per event: the first and one past the last number of its thread's events (the
    /// initial writes: `0..0`).
    thread_of: Vec<(usize, usize)>,
    /// Per read: the write it reads from.
    rf_of: Vec<Option<usize>>,
    /// Per event: the ordering it has (see [`Relations::ordering`]).
    orderings: Vec<Option<Ordering>>,
    po: Rel,
    /// Thread creation and joining: a spawn before the child's events, the child's events
    /// before a join of it.
    asw: Rel,
    rf: Rel,
    co: Rel,
    fr: Rel,
    /// Per read-modify-write's read, its write.
    rmw: Vec<(usize, usize)>,
    /// How many initial writes: events `0..inits`.
    inits: usize,
    /// Per event: the event `asw` orders right before it (a spawn before its child's first
    /// event, a joined thread's last event before the join).
    asw_before: Vec<Option<usize>>,
}

impl Relations {
    fn of(graph: &Graph, model: Model) -> Relations {
        let locations: Vec<(Loc, &[EventId])> = graph.locations().collect();
        let mut ids: Vec<EventId> = locations
            .iter()
            .map(|&(loc, _)| EventId::init(loc))
            .collect();
        let mut first = vec![0usize; graph.thread_count()];
        for (t, start) in first.iter_mut().enumerate() {
            *start = ids.len();
            ids.extend((0..graph.thread(t as Tid).len()).map(|index| EventId {
                thread: t as Tid,
                index: index as u32,
            }));
        }
        let index = |id: EventId| -> usize {
            if id.is_init() {
                locations
                    .binary_search_by_key(&id.index, |&(loc, _)| loc)
                    .expect("a known location")
            } else {
                first[id.thread as usize] + id.index as usize
            }
        };
        let n = ids.len();
        let labels: Vec<Label> = ids
            .iter()
            .map(|&id| {
                let label = graph.label(id);
                match model {
                    Model::Rc11 => label,
                    Model::Sc => as_seq_cst(label),
                }
            })
            .collect();
        let thread_of: Vec<(usize, usize)> = ids
            .iter()
            .map(|id| {
                if id.is_init() {
                    (0, 0)
                } else {
                    let start = first[id.thread as usize];
                    (start, start + graph.thread(id.thread).len())
                }
            })
            .collect();
        let (mut po, mut asw, mut rf, mut co, mut fr) = (
            Rel::new(n),
            Rel::new(n),
            Rel::new(n),
            Rel::new(n),
            Rel::new(n),
        );
        let inits = locations.len();
        for (a, &(_, end)) in thread_of.iter().enumerate() {
            let after = if a < inits { inits..n } else { a + 1..end };
            po.add_range(a, after);
        }
        let mut asw_before = vec![None; n];
        let mut rf_of = vec![None; n];
        let mut rmw = Vec::new();
        for (a, &id) in ids.iter().enumerate() {
            match labels[a] {
                Label::Read { rf: w, .. } => {
                    rf.add(index(w), a);
                    rf_of[a] = Some(index(w));
                }
                Label::Spawn { child } | Label::Join { child } => {
                    let spawn = matches!(labels[a], Label::Spawn { .. });
                    let start = first[child as usize];
                    let len = graph.thread(child).len();
                    for b in start..start + len {
                        if spawn {
                            asw.add(a, b);
                        } else {
                            asw.add(b, a);
                        }
                    }
                    if spawn && len > 0 {
                        asw_before[start] = Some(a);
                    } else if !spawn && len > 0 {
                        asw_before[a] = Some(start + len - 1);
                    }
                }
                Label::Write { rmw: true, .. } if !id.is_init() => rmw.push((a - 1, a)),
                _ => {}
            }
        }
        for (_, order) in &locations {
            for (i, &w) in order.iter().enumerate() {
                for &later in &order[i + 1..] {
                    co.add(index(w), index(later));
                }
            }
        }
        // fr: a read to every write after the one it reads from.
        for (a, &source) in rf_of.iter().enumerate() {
            if let Some(w) = source {
                let (start, words) = (a * co.words, co.words);
                fr.bits[start..start + words].copy_from_slice(co.row(w));
            }
        }
        let mut relations = Relations {
            ids,
            labels,
            thread_of,
            rf_of,
            orderings: Vec::new(),
            po,
            asw,
            rf,
            co,
            fr,
            rmw,
            inits,
            asw_before,
        };
        relations.orderings = (0..n).map(|a| relations.ordering(a)).collect();
        relations
    }

    fn n(&self) -> usize {
        self.ids.len()
    }

    /// The ordering event `a` has: a read that may fail and was not followed by its write
    /// failed, and has its failure ordering.
    fn ordering(&self, a: usize) -> Option<Ordering> {
        let wrote = self.rmw.iter().any(|&(r, _)| r == a);
        ordering_of(self.labels[a], wrote).filter(|_| !self.ids[a].is_init())
    }

    fn is_fence(&self, a: usize) -> bool {
        matches!(self.labels[a], Label::Fence { .. })
    }

    fn same_loc(&self, a: usize, b: usize) -> bool {
        let (x, y) = (self.labels[a].loc(), self.labels[b].loc());
        x.is_some() && x == y
    }

    /// `sw`, as pairs (see the module docs), but only those `hb` needs: into each acquiring
    /// read or the first acquiring fence after it, from each write of the release sequence's
    /// chain, the latest releasing event of its thread that makes it a release sequence's
    /// (itself, an earlier releasing write to the location, or a releasing fence before it).
    /// Earlier ones reach the same events through program order. Linear in the graph but
    /// for the chains of read-modify-writes.
    fn synchronises_with(&self) -> Vec<(usize, usize)> {
        let n = self.n();
        let releases = |a: usize| self.orderings[a].is_some_and(Ordering::releases);
        let acquires = |a: usize| self.orderings[a].is_some_and(Ordering::acquires);
        // Per event: the latest releasing fence before it in its thread, the first acquiring
        // fence after it, and (for a write) the latest releasing write to its location at or
        // before it.
        let (mut fence_before, mut fence_after) = (vec![None; n], vec![None; n]);
        let mut release_write: Vec<Option<usize>> = vec![None; n];
        let mut latest: Vec<(Loc, usize)> = Vec::new();
        for a in self.inits..n {
            let (start, _) = self.thread_of[a];
            if a == start {
                latest.clear();
            } else {
                let before = a - 1;
                fence_before[a] = if self.is_fence(before) && releases(before) {
                    Some(before)
                } else {
                    fence_before[before]
                };
            }
            if let Label::Write { loc, .. } = self.labels[a] {
                if releases(a) {
                    latest.retain(|&(l, _)| l != loc);
                    latest.push((loc, a));
                }
                release_write[a] = latest.iter().find(|&&(l, _)| l == loc).map(|&(_, w)| w);
            }
        }
        for a in (self.inits..n).rev() {
            let after = a + 1;
            if after < self.thread_of[a].1 {
                fence_after[a] = if self.is_fence(after) && acquires(after) {
                    Some(after)
                } else {
                    fence_after[after]
                };
            }
        }
        let mut read_of_write = vec![None; n];
        for &(read, write) in &self.rmw {
            read_of_write[write] = Some(read);
        }
        let mut sw = Vec::new();
        for (r, &fence) in fence_after.iter().enumerate() {
            let Some(source) = self.rf_of[r] else {
                continue;
            };
            let Some(to) = (if acquires(r) { Some(r) } else { fence }) else {
                continue;
            };
            // Back along `rf; rmw` from the write read: each is in the release sequences of
            // the writes before it (bounded: a cycle is thin air, refused before).
            let mut at = Some(source);
            for _ in 0..n {
                let Some(c) = at.filter(|&c| c >= self.inits) else {
                    break;
                };
                if let Some(from) = release_write[c].max(fence_before[c]) {
                    sw.push((from, to));
                }
                at = read_of_write[c].and_then(|read| self.rf_of[read]);
            }
        }
        sw
    }

    /// `po ∪ asw ∪ rf` by their transitive reductions where they have one (a thread's
    /// next event, a spawn to the child's first event, the child's last to a join), and an
    /// initial write to each thread's first event: the same paths, a few edges per event.
    fn porf_edges(&self) -> Vec<(usize, usize)> {
        let n = self.n();
        let mut edges = Vec::with_capacity(3 * n);
        for b in self.inits..n {
            edges.extend(self.po_asw_before(b).chain(self.rf_of[b]).map(|a| (a, b)));
        }
        edges
    }

    /// The events right before `b` in `po ∪ asw`: its thread's previous event (the initial
    /// writes, before a thread's first), and the one `asw` puts right before it.
    fn po_asw_before(&self, b: usize) -> impl Iterator<Item = usize> {
        let (start, _) = self.thread_of[b];
        let po = if b < self.inits {
            0..0
        } else if b > start {
            b - 1..b
        } else {
            0..self.inits
        };
        po.chain(self.asw_before[b])
    }

    /// `hb = (po ∪ asw ∪ sw)⁺`; `None` if `po ∪ asw ∪ rf` has a cycle (a value out of thin
    /// air).
    fn happens_before(&self) -> Option<Rel> {
        Some(self.happens_before_inverse()?.transpose())
    }

    /// `hb⁻¹`: row `b` holds every `a` that happens before `b`. Built in a topological order
    /// of `po ∪ asw ∪ rf`, which `sw` runs along, each row from its immediate predecessors'.
    fn happens_before_inverse(&self) -> Option<Rel> {
        let n = self.n();
        let order = topological_order(n, &self.porf_edges())?;
        let mut into: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (a, b) in self.synchronises_with() {
            into[b].push(a);
        }
        let mut hb = Rel::new(n);
        for &b in &order {
            let mut preds = std::mem::take(&mut into[b]);
            preds.extend(self.po_asw_before(b));
            for a in preds {
                hb.add(b, a);
                hb.or_row(b, a);
            }
        }
        Some(hb)
    }

    /// Atomicity: no write comes between a read-modify-write's read's write and its own
    /// write in coherence order (`rmw ∩ (fr; co)` is empty).
    fn atomic(&self) -> bool {
        self.rmw
            .iter()
            .all(|&(r, w)| !self.fr.successors(r).any(|x| self.co.has(x, w)))
    }

    /// RC11's axioms but atomicity (see the module docs).
    fn rc11(&self) -> bool {
        let n = self.n();
        // No thin air (or `None`).
        let Some(hb_inverse) = self.happens_before_inverse() else {
            return false;
        };
        // `eco = rf ∪ (co ∪ fr); rf?`: `co` is transitive, `fr; co ⊆ fr`, `rf; fr ⊆ co`,
        // and nothing reads a read, so no longer path adds a pair.
        let mut cofr = self.co.clone();
        cofr.union(&self.fr);
        // Coherence: `hb; eco` is irreflexive: no `b` reaches by `eco` an event that happens
        // before it (`hb` is irreflexive, since `porf` is acyclic and `sw` runs along it).
        // The `(co ∪ fr); rf` part without composing it: a read `r` before `b` that reads a
        // write `b` reaches by `co ∪ fr`.
        let incoherent = (0..n).any(|b| {
            let before = hb_inverse.row(b);
            let meets = |row: &[u64]| row.iter().zip(before).any(|(x, y)| x & y != 0);
            meets(cofr.row(b))
                || meets(self.rf.row(b))
                || hb_inverse
                    .successors(b)
                    .any(|r| self.rf_of[r].is_some_and(|w| cofr.has(b, w)))
        });
        if incoherent {
            return false;
        }
        let sc = |a: usize| self.orderings[a].is_some_and(Ordering::is_seq_cst);
        if (0..n).all(|a| !sc(a)) {
            return true;
        }
        // `eco` itself only for `SeqCst` fences' `psc_F`.
        let fences = (0..n).any(|a| sc(a) && self.is_fence(a));
        let eco = fences.then(|| {
            let mut eco = cofr.then(&self.rf);
            eco.union(&cofr);
            eco.union(&self.rf);
            eco
        });
        self.psc_acyclic(&hb_inverse.transpose(), eco.as_ref())
    }

    /// SC: `psc` is acyclic (see the module docs), given `hb`, and `eco` when the graph has a
    /// `SeqCst` fence (`None`: it has none). `psc` relates `SeqCst` events only, so of the
    /// relations it is made of only the rows its left side reaches are computed: those of
    /// `SeqCst` accesses and of what `SeqCst` fences happen before.
    fn psc_acyclic(&self, hb: &Rel, eco: Option<&Rel>) -> bool {
        let n = self.n();
        let sc = |a: usize| self.orderings[a].is_some_and(Ordering::is_seq_cst);
        let fence = |a: usize| sc(a) && self.is_fence(a);
        let e_sc = Rel::identity_on(n, |a| sc(a) && !self.is_fence(a));
        // With `SeqCst` fences, `psc_base`'s left side: `[E_sc] ∪ [F_sc]; hb?`.
        let fenced = eco.map(|eco| {
            let f_sc = Rel::identity_on(n, fence);
            let mut left = e_sc.clone();
            left.union(&f_sc.then(&hb.reflexive()));
            (eco, f_sc, left)
        });
        // The rows of `scb` that `left; scb` reads.
        let needed: Vec<bool> = match &fenced {
            None => (0..n).map(sc).collect(),
            Some((_, _, left)) => {
                let mut needed = vec![false; n];
                for a in 0..n {
                    for b in left.successors(a) {
                        needed[b] = true;
                    }
                }
                needed
            }
        };
        let keep = |a: usize| needed[a];
        // `po|≠loc; hb; po|≠loc` from `a` to `b` is `c hb d`, `c` the first event after `a`
        // in its thread not at `a`'s location, `d` the last before `b` not at `b`'s: a later
        // `c'` or an earlier `d'` only has fewer `hb` pairs (`po ⊆ hb`).
        let first_after = |a: usize| (a + 1..self.thread_of[a].1).find(|&c| !self.same_loc(a, c));
        // (The initial writes, before every event in `po`, happen after none: never a `d`.)
        let last_before: Vec<Option<usize>> = (0..n)
            .map(|b| {
                let start = self.thread_of[b].0;
                let thread = if b < self.inits { 0..0 } else { start..b };
                thread.rev().find(|&d| !self.same_loc(b, d))
            })
            .collect();
        let mut po_hb_po = Rel::new(n);
        for a in (self.inits..n).filter(|&a| keep(a)) {
            if let Some(c) = first_after(a) {
                for (b, d) in last_before.iter().enumerate() {
                    if d.is_some_and(|d| hb.has(c, d)) {
                        po_hb_po.add(a, b);
                    }
                }
            }
        }
        let mut scb = self.po.clone();
        scb.union(&po_hb_po);
        scb.union(&hb.filter(|a, b| keep(a) && self.same_loc(a, b)));
        scb.union(&self.co);
        scb.union(&self.fr);
        let Some((eco, f_sc, left)) = fenced else {
            // `[E_sc]; scb; [E_sc]`: `scb` between `SeqCst` accesses, no composing needed.
            return scb.filter(|a, b| sc(a) && sc(b)).acyclic();
        };
        let mut right = e_sc;
        right.union(&hb.reflexive().then(&f_sc));
        let mut psc = left.then(&scb).then(&right);
        let mut hb_eco_hb = hb.then_on(eco, fence).then_on(hb, fence);
        hb_eco_hb.union(hb);
        psc.union(&f_sc.then(&hb_eco_hb).then(&f_sc));
        psc.acyclic()
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
        other @ (Label::Spawn { .. } | Label::Join { .. } | Label::Plain { .. }) => other,
    }
}
