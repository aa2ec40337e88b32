//! The relations of one execution graph as bit matrices, built for [`judge`](super::judge):
//! `po`, `rf`, `co`, `fr`, thread creation and joining, and what RC11 composes of them
//! (`hb`, `psc`), composing no relation the graph does not need.

use super::rel::Rel;
use super::*;

/// The base relations of a graph, its events numbered `0..n`: the initial writes first, then
/// each thread's events in program order.
pub(super) struct Relations {
    pub(super) ids: Vec<EventId>,
    pub(super) labels: Vec<Label>,
    /// Per event: the first and one past the last number of its thread's events (the
    /// initial writes: `0..0`).
    pub(super) thread_of: Vec<(usize, usize)>,
    /// Per read: the write it reads from.
    pub(super) rf_of: Vec<Option<usize>>,
    /// Per event: the ordering it has (see [`Relations::ordering`]).
    pub(super) orderings: Vec<Option<Ordering>>,
    pub(super) po: Rel,
    /// Thread creation and joining: a spawn before the child's events, the child's events
    /// before a join of it; and an object's give-ups before its take-over.
    pub(super) asw: Rel,
    pub(super) rf: Rel,
    pub(super) co: Rel,
    pub(super) fr: Rel,
    /// Per read-modify-write's read, its write.
    pub(super) rmw: Vec<(usize, usize)>,
    /// How many initial writes: events `0..inits`.
    pub(super) inits: usize,
    /// Per event: the events `asw` orders right before it (a spawn before its child's first
    /// event, a joined thread's last event before the join, the give-ups before a take-over).
    pub(super) asw_before: Vec<Vec<usize>>,
}

impl Relations {
    pub(super) fn of(graph: &Graph, model: Model) -> Relations {
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
        let mut asw_before = vec![Vec::new(); n];
        let mut rf_of = vec![None; n];
        let mut rmw = Vec::new();
        for (a, &id) in ids.iter().enumerate() {
            match labels[a] {
                Label::Read { rf: w, .. } => {
                    rf.add(index(w), a);
                    rf_of[a] = Some(index(w));
                }
                Label::Spawn { child } => {
                    let start = first[child as usize];
                    let len = graph.thread(child).len();
                    for b in start..start + len {
                        asw.add(a, b);
                    }
                    if len > 0 {
                        asw_before[start].push(a);
                    }
                }
                label @ (Label::Join { .. } | Label::TakeOver { .. }) => {
                    // Each awaited event and its thread's events before it.
                    for before in graph.awaited_by(id, label) {
                        let start = first[before.thread as usize];
                        for b in start..=start + before.index as usize {
                            asw.add(b, a);
                        }
                        asw_before[a].push(start + before.index as usize);
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

    pub(super) fn n(&self) -> usize {
        self.ids.len()
    }

    /// The ordering event `a` has: a read that may fail and was not followed by its write
    /// failed, and has its failure ordering.
    pub(super) fn ordering(&self, a: usize) -> Option<Ordering> {
        let wrote = self.rmw.iter().any(|&(r, _)| r == a);
        self.labels[a]
            .ordering(wrote)
            .filter(|_| !self.ids[a].is_init())
    }

    pub(super) fn is_fence(&self, a: usize) -> bool {
        matches!(self.labels[a], Label::Fence { .. })
    }

    pub(super) fn same_loc(&self, a: usize, b: usize) -> bool {
        let (x, y) = (self.labels[a].loc(), self.labels[b].loc());
        x.is_some() && x == y
    }

    /// `sw`, as pairs (see the module docs), but only those `hb` needs: into each acquiring
    /// read or the first acquiring fence after it, from each write of the release sequence's
    /// chain, the latest releasing event of its thread that makes it a release sequence's
    /// (itself, an earlier releasing write to the location, or a releasing fence before it).
    /// Earlier ones reach the same events through program order. Linear in the graph but
    /// for the chains of read-modify-writes.
    pub(super) fn synchronises_with(&self) -> Vec<(usize, usize)> {
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
    pub(super) fn porf_edges(&self) -> Vec<(usize, usize)> {
        let n = self.n();
        let mut edges = Vec::with_capacity(3 * n);
        for b in self.inits..n {
            edges.extend(self.po_asw_before(b).chain(self.rf_of[b]).map(|a| (a, b)));
        }
        edges
    }

    /// The events right before `b` in `po ∪ asw`: its thread's previous event (the initial
    /// writes, before a thread's first), and the one `asw` puts right before it.
    pub(super) fn po_asw_before(&self, b: usize) -> impl Iterator<Item = usize> {
        let (start, _) = self.thread_of[b];
        let po = if b < self.inits {
            0..0
        } else if b > start {
            b - 1..b
        } else {
            0..self.inits
        };
        po.chain(self.asw_before[b].iter().copied())
    }

    /// `hb = (po ∪ asw ∪ sw)⁺`; `None` if `po ∪ asw ∪ rf` has a cycle (a value out of thin
    /// air).
    pub(super) fn happens_before(&self) -> Option<Rel> {
        Some(self.happens_before_inverse()?.transpose())
    }

    /// `hb⁻¹`: row `b` holds every `a` that happens before `b`. Built in a topological order
    /// of `po ∪ asw ∪ rf`, which `sw` runs along, each row from its immediate predecessors'.
    pub(super) fn happens_before_inverse(&self) -> Option<Rel> {
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
    pub(super) fn atomic(&self) -> bool {
        self.rmw
            .iter()
            .all(|&(r, w)| !self.fr.successors(r).any(|x| self.co.has(x, w)))
    }

    /// RC11's axioms but atomicity (see the module docs).
    pub(super) fn rc11(&self) -> bool {
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
    pub(super) fn psc_acyclic(&self, hb: &Rel, eco: Option<&Rel>) -> bool {
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
