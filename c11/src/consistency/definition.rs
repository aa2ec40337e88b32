//! RC11 by its definition: every relation computed as the module docs write it, closures by
//! Warshall's algorithm, no shortcut. Slow; the oracle the fast judgement
//! ([`super::judge`], [`crate::floor::co_floor`]) is tested against, and so kept apart from
//! it: of the fast path's code it shares only the base relations (`Relations::of`), `sw` and
//! the atomicity check (and `co_floor_by_relations`, checking the floor's walk, the
//! happens-before that `judge` builds).

use super::rel::Rel;
use super::{Model, Ordering, Relations};
use crate::graph::{EventId, Graph, Label, Loc};

/// Whether `graph` is consistent under `model`, by RC11's relations as the module docs write
/// them, with no shortcut (no sequential consistency for all-`SeqCst` graphs, closures by
/// Warshall's algorithm): the definition the faster [`super::judge`] is tested against, slow.
#[doc(hidden)]
pub fn by_relations(graph: &Graph, model: Model) -> bool {
    let relations = Relations::of(graph, model);
    relations.atomic() && relations.rc11_by_definition()
}

/// [`crate::floor::co_floor`] by happens-before over the whole graph: what a debug build
/// checks the walk against.
#[doc(hidden)]
pub fn co_floor_by_relations(graph: &Graph, model: Model, loc: Loc, event: EventId) -> usize {
    let relations = Relations::of(graph, model);
    let Some(hb_inverse) = relations.happens_before_inverse() else {
        return 0;
    };
    let Some(at) = relations.ids.iter().position(|&id| id == event) else {
        return 0;
    };
    let co = graph.co(loc);
    let place = |id: EventId| co.iter().position(|&w| w == id).unwrap_or(0);
    hb_inverse
        .successors(at)
        .chain([at])
        .filter(|&b| relations.labels[b].loc() == Some(loc))
        .map(|b| match relations.labels[b] {
            Label::Read { rf, .. } => place(rf),
            _ => place(relations.ids[b]),
        })
        .max()
        .unwrap_or(0)
}

impl Relations {
    /// RC11's axioms but atomicity, each relation computed as the module docs write it
    /// (closures by Warshall's algorithm): the definition [`Relations::rc11`] is tested
    /// against.
    fn rc11_by_definition(&self) -> bool {
        let mut porf = self.po.clone();
        porf.union(&self.asw);
        porf.union(&self.rf);
        if !porf.acyclic() {
            return false;
        }
        let mut hb = self.po.clone();
        hb.union(&self.asw);
        for (a, b) in self.synchronises_with() {
            hb.add(a, b);
        }
        let hb = hb.closure();
        let mut eco = self.rf.clone();
        eco.union(&self.co);
        eco.union(&self.fr);
        let eco = eco.closure();
        let irreflexive = |r: &Rel| (0..r.n).all(|a| !r.has(a, a));
        irreflexive(&hb) && irreflexive(&hb.then(&eco)) && self.psc_acyclic_by_definition(&hb, &eco)
    }

    /// `psc` is acyclic, each relation computed as the module docs write it: the definition
    /// [`Relations::psc_acyclic`] is tested against.
    fn psc_acyclic_by_definition(&self, hb: &Rel, eco: &Rel) -> bool {
        let n = self.n();
        let sc = |a: usize| self.orderings[a].is_some_and(Ordering::is_seq_cst);
        let e_sc = Rel::identity_on(n, |a| sc(a) && !self.is_fence(a));
        let f_sc = Rel::identity_on(n, |a| sc(a) && self.is_fence(a));
        let po_other_loc = self.po.filter(|a, b| !self.same_loc(a, b));
        let mut scb = self.po.clone();
        scb.union(&po_other_loc.then(hb).then(&po_other_loc));
        scb.union(&hb.filter(|a, b| self.same_loc(a, b)));
        scb.union(&self.co);
        scb.union(&self.fr);
        let mut left = e_sc.clone();
        left.union(&f_sc.then(&hb.reflexive()));
        let mut right = e_sc;
        right.union(&hb.reflexive().then(&f_sc));
        let mut psc = left.then(&scb).then(&right);
        let mut hb_eco_hb = hb.then(eco).then(hb);
        hb_eco_hb.union(hb);
        psc.union(&f_sc.then(&hb_eco_hb).then(&f_sc));
        psc.acyclic()
    }
}
