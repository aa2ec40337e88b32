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
//! The check computes every relation afresh as bit matrices: graphs of litmus-test size.

use crate::graph::{EventId, Graph, INIT, Label, Ordering};

/// Which memory model a graph is judged by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Model {
    /// RC11: what Rust's atomics promise.
    #[default]
    Rc11,
    /// Sequential consistency: every access as if `SeqCst`.
    Sc,
}

/// Whether `graph` is consistent under `model`.
pub fn is_consistent(graph: &Graph, model: Model) -> bool {
    Relations::of(graph, model).consistent(true)
}

/// Whether `graph` is consistent under `model` but perhaps for atomicity: two
/// read-modify-writes reading the same write. The exploration adds such a graph's second
/// read-modify-write anyway, since its write may be read by the first one's read instead (a
/// backward revisit), which is a consistent graph.
pub fn is_consistent_but_atomicity(graph: &Graph, model: Model) -> bool {
    Relations::of(graph, model).consistent(false)
}

/// A plain access of another thread to the same cell as `access`, one of the two writing,
/// that happens neither before nor after it: a data race.
pub fn race_with(graph: &Graph, model: Model, access: EventId) -> Option<EventId> {
    let Label::Plain { cell, write } = graph.label(access) else {
        return None;
    };
    let relations = Relations::of(graph, model);
    let hb = relations.happens_before();
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

/// A relation over `n` events, as rows of bits.
#[derive(Clone)]
struct Rel {
    rows: Vec<Vec<u64>>,
}

impl Rel {
    fn new(n: usize) -> Rel {
        Rel {
            rows: vec![vec![0; n.div_ceil(64).max(1)]; n],
        }
    }

    fn add(&mut self, a: usize, b: usize) {
        self.rows[a][b / 64] |= 1 << (b % 64);
    }

    fn has(&self, a: usize, b: usize) -> bool {
        self.rows[a][b / 64] & (1 << (b % 64)) != 0
    }

    fn successors(&self, a: usize) -> impl Iterator<Item = usize> + '_ {
        self.rows[a].iter().enumerate().flat_map(|(w, &bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }

    fn union(&mut self, other: &Rel) {
        for (row, other) in self.rows.iter_mut().zip(&other.rows) {
            for (w, o) in row.iter_mut().zip(other) {
                *w |= o;
            }
        }
    }

    fn or_row(&mut self, a: usize, row: &[u64]) {
        for (w, o) in self.rows[a].iter_mut().zip(row) {
            *w |= o;
        }
    }

    /// `self; other`.
    fn then(&self, other: &Rel) -> Rel {
        let mut out = Rel::new(self.rows.len());
        for a in 0..self.rows.len() {
            for b in self.successors(a).collect::<Vec<_>>() {
                let row = other.rows[b].clone();
                out.or_row(a, &row);
            }
        }
        out
    }

    /// The transitive closure (Warshall, a row at a time).
    fn closure(&self) -> Rel {
        let mut out = self.clone();
        for k in 0..out.rows.len() {
            let row_k = out.rows[k].clone();
            for a in 0..out.rows.len() {
                if out.has(a, k) {
                    out.or_row(a, &row_k);
                }
            }
        }
        out
    }

    fn irreflexive(&self) -> bool {
        (0..self.rows.len()).all(|a| !self.has(a, a))
    }

    fn acyclic(&self) -> bool {
        self.closure().irreflexive()
    }

    /// Pairs `(a, b)` of `self` for which `keep` holds.
    fn filter(&self, keep: impl Fn(usize, usize) -> bool) -> Rel {
        let mut out = Rel::new(self.rows.len());
        for a in 0..self.rows.len() {
            for b in self.successors(a).collect::<Vec<_>>() {
                if keep(a, b) {
                    out.add(a, b);
                }
            }
        }
        out
    }

    fn identity_on(n: usize, keep: impl Fn(usize) -> bool) -> Rel {
        let mut out = Rel::new(n);
        for a in (0..n).filter(|&a| keep(a)) {
            out.add(a, a);
        }
        out
    }

    /// `self ∪ id`.
    fn reflexive(&self) -> Rel {
        let mut out = self.clone();
        for a in 0..out.rows.len() {
            out.add(a, a);
        }
        out
    }

    fn empty_meet(&self, other: &Rel) -> bool {
        self.rows
            .iter()
            .zip(&other.rows)
            .all(|(a, b)| a.iter().zip(b).all(|(x, y)| x & y == 0))
    }
}

/// The base relations of a graph, its events numbered `0..n`.
struct Relations {
    ids: Vec<EventId>,
    labels: Vec<Label>,
    po: Rel,
    /// Thread creation and joining: a spawn before the child's events, the child's events
    /// before a join of it.
    asw: Rel,
    rf: Rel,
    co: Rel,
    fr: Rel,
    rmw: Rel,
}

impl Relations {
    fn of(graph: &Graph, model: Model) -> Relations {
        let mut ids: Vec<EventId> = graph
            .locations()
            .map(|(loc, _)| EventId::init(loc))
            .collect();
        ids.extend(graph.events().map(|(id, _)| id));
        let positions: std::collections::HashMap<EventId, usize> =
            ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        let index = |id: EventId| positions[&id];
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
        let mut asw = Rel::new(n);
        let (mut po, mut rf, mut co, mut fr, mut rmw) = (
            Rel::new(n),
            Rel::new(n),
            Rel::new(n),
            Rel::new(n),
            Rel::new(n),
        );
        for a in 0..n {
            for b in 0..n {
                let (x, y) = (ids[a], ids[b]);
                let ordered = if x.thread == INIT {
                    y.thread != INIT
                } else {
                    x.thread == y.thread && x.index < y.index
                };
                if ordered {
                    po.add(a, b);
                }
            }
        }
        for (a, &id) in ids.iter().enumerate() {
            if let Label::Read { rf: w, .. } = labels[a] {
                rf.add(index(w), a);
            }
            if let Label::Spawn { child } | Label::Join { child } = labels[a] {
                let spawn = matches!(labels[a], Label::Spawn { .. });
                for (b, other) in ids.iter().enumerate() {
                    if other.thread == child {
                        if spawn {
                            asw.add(a, b);
                        } else {
                            asw.add(b, a);
                        }
                    }
                }
            }
            if let Label::Write { rmw: true, .. } = labels[a] {
                let read = EventId {
                    thread: id.thread,
                    index: id.index - 1,
                };
                rmw.add(index(read), a);
            }
        }
        for (_, order) in graph.locations() {
            for (i, &w) in order.iter().enumerate() {
                for &later in &order[i + 1..] {
                    co.add(index(w), index(later));
                }
            }
        }
        // fr: a read to every write after the one it reads from.
        for (a, label) in labels.iter().enumerate() {
            if let Label::Read { rf: w, .. } = *label {
                let later = co.rows[index(w)].clone();
                fr.or_row(a, &later);
            }
        }
        Relations {
            ids,
            labels,
            po,
            asw,
            rf,
            co,
            fr,
            rmw,
        }
    }

    fn n(&self) -> usize {
        self.ids.len()
    }

    /// The ordering event `a` has: a read that may fail and was not followed by its write
    /// failed, and has its failure ordering.
    fn ordering(&self, a: usize) -> Option<Ordering> {
        match self.labels[a] {
            Label::Read {
                ord,
                fail_ord,
                exclusive,
                ..
            } => {
                let succeeded = exclusive && self.rmw.successors(a).next().is_some();
                Some(if succeeded || !exclusive {
                    ord
                } else {
                    fail_ord.unwrap_or(ord)
                })
            }
            Label::Write { ord, .. } | Label::Fence { ord } => Some(ord),
            Label::Spawn { .. } | Label::Join { .. } | Label::Plain { .. } => None,
        }
        .filter(|_| !self.ids[a].is_init())
    }

    fn is_fence(&self, a: usize) -> bool {
        matches!(self.labels[a], Label::Fence { .. })
    }

    fn same_loc(&self, a: usize, b: usize) -> bool {
        let (x, y) = (self.labels[a].loc(), self.labels[b].loc());
        x.is_some() && x == y
    }

    /// `sw`: see the module docs.
    fn synchronises_with(&self) -> Rel {
        let n = self.n();
        let releases = |a: usize| self.ordering(a).is_some_and(Ordering::releases);
        let acquires = |a: usize| self.ordering(a).is_some_and(Ordering::acquires);
        let mut sw = Rel::new(n);
        for r in 0..n {
            let Some(source) = self.rf_source(r) else {
                continue;
            };
            // The writes whose release sequence `source` is in: back along `rf; rmw` from
            // it, and from each, the writes to the location before it in its thread.
            let mut chain = vec![source];
            let mut at = source;
            while let Some(read) = (0..n).find(|&x| self.rmw.has(x, at)) {
                match self.rf_source(read) {
                    Some(w) => {
                        chain.push(w);
                        at = w;
                    }
                    None => break,
                }
            }
            let mut heads = Vec::new();
            for &c in &chain {
                heads.push(c);
                heads.extend((0..n).filter(|&w| {
                    self.labels[w].is_write()
                        && self.po.has(w, c)
                        && self.same_loc(w, c)
                        && !self.ids[w].is_init()
                }));
            }
            let mut from = Vec::new();
            for &h in &heads {
                if releases(h) {
                    from.push(h);
                }
                from.extend(
                    (0..n).filter(|&f| self.is_fence(f) && releases(f) && self.po.has(f, h)),
                );
            }
            let mut to = Vec::new();
            if acquires(r) {
                to.push(r);
            }
            to.extend((0..n).filter(|&f| self.is_fence(f) && acquires(f) && self.po.has(r, f)));
            for &a in &from {
                for &b in &to {
                    sw.add(a, b);
                }
            }
        }
        sw
    }

    fn rf_source(&self, r: usize) -> Option<usize> {
        (0..self.n()).find(|&w| self.rf.has(w, r))
    }

    /// `hb = (po ∪ asw ∪ sw)⁺`.
    fn happens_before(&self) -> Rel {
        let mut hb = self.po.clone();
        hb.union(&self.asw);
        hb.union(&self.synchronises_with());
        hb.closure()
    }

    fn consistent(&self, atomicity: bool) -> bool {
        let n = self.n();
        // No thin air.
        let mut porf = self.po.clone();
        porf.union(&self.asw);
        porf.union(&self.rf);
        if !porf.acyclic() {
            return false;
        }
        let hb = self.happens_before();
        let mut eco = self.rf.clone();
        eco.union(&self.co);
        eco.union(&self.fr);
        let eco = eco.closure();
        // Coherence.
        if !hb.irreflexive() || !hb.then(&eco).irreflexive() {
            return false;
        }
        // Atomicity.
        if atomicity && !self.rmw.empty_meet(&self.fr.then(&self.co)) {
            return false;
        }
        // SC.
        let sc = |a: usize| self.ordering(a).is_some_and(Ordering::is_seq_cst);
        let e_sc = Rel::identity_on(n, |a| sc(a) && !self.is_fence(a));
        let f_sc = Rel::identity_on(n, |a| sc(a) && self.is_fence(a));
        if (0..n).all(|a| !sc(a)) {
            return true;
        }
        let po_other_loc = self.po.filter(|a, b| !self.same_loc(a, b));
        let mut scb = self.po.clone();
        scb.union(&po_other_loc.then(&hb).then(&po_other_loc));
        scb.union(&hb.filter(|a, b| self.same_loc(a, b)));
        scb.union(&self.co);
        scb.union(&self.fr);
        let mut left = e_sc.clone();
        left.union(&f_sc.then(&hb.reflexive()));
        let mut right = e_sc;
        right.union(&hb.reflexive().then(&f_sc));
        let mut psc = left.then(&scb).then(&right);
        let mut hb_eco_hb = hb.then(&eco).then(&hb);
        hb_eco_hb.union(&hb);
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

#[cfg(test)]
mod tests {
    use super::Rel;

    #[test]
    fn closure_and_cycles() {
        let mut r = Rel::new(70);
        r.add(0, 65);
        r.add(65, 3);
        assert!(r.closure().has(0, 3));
        assert!(r.acyclic());
        r.add(3, 0);
        assert!(!r.acyclic());
    }
}
