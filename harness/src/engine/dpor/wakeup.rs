//! Wakeup trees (Abdulla et al., "Optimal Dynamic Partial Order Reduction", POPL 2014, section
//! 6): for each state, the sequences of steps still to explore from it. Where source-DPOR
//! remembers only the first thread of a reversed race, a wakeup tree keeps the whole sequence
//! that reverses it, so the search follows it and never runs into a state where every thread
//! is asleep.

use super::access::{Access, Footprint, Tid, conflict};
use super::tree::Node;

/// One step: a thread and what it touches.
pub(crate) type Event = (Tid, Footprint);

/// A sequence in a wakeup tree: its first step, and the branches after it (in order).
#[derive(Clone, Debug)]
pub(crate) struct Branch {
    pub thread: Tid,
    pub footprint: Footprint,
    pub children: Vec<Branch>,
}

/// Whether step `a` (a thread and its accesses) must come before a later step `b` of the same
/// sequence.
fn depends((a, a_does): (Tid, &[Access]), (b, b_does): (Tid, &[Access])) -> bool {
    a == b
        || conflict(a_does, b_does)
        || a_does
            .iter()
            .any(|x| matches!(*x, Access::Spawn(c) if c == b))
        || b_does
            .iter()
            .any(|x| matches!(*x, Access::Join(c) if c == a))
}

fn step(e: &Event) -> (Tid, &[Access]) {
    (e.0, &e.1)
}

/// The index of thread `p`'s first step in `w`, if nothing earlier in `w` must precede it:
/// `p` is one of `w`'s *initials*.
fn initial(w: &[Event], p: Tid) -> Option<usize> {
    let first = w.iter().position(|e| e.0 == p)?;
    // A predecessor, however far back the chain, means a direct one: the chain's last link.
    w[..first]
        .iter()
        .all(|e| !depends(step(e), step(&w[first])))
        .then_some(first)
}

/// Whether thread `p`, whose next step touches `next`, can start (an equivalent of) `w`: it is
/// an initial of `w` (`Some(Some(i))`, its step being `w[i]`), or it has no step in `w` and
/// commutes with all of it (`Some(None)`). These are the *weak initials*.
pub(crate) fn weak_initial(w: &[Event], p: Tid, next: &[Access]) -> Option<Option<usize>> {
    if w.iter().any(|e| e.0 == p) {
        return initial(w, p).map(Some);
    }
    let commutes = w.iter().all(|e| !depends((p, next), step(e)));
    commutes.then_some(None)
}

/// Adds `w` to the branches `children`, unless a sequence there already starts an equivalent
/// of it: descends through the first branch whose thread is a weak initial of what is left of
/// `w`, and adds the rest as a new last branch where none is.
pub(crate) fn insert(mut children: &mut Vec<Branch>, w: &mut Vec<Event>) {
    loop {
        if w.is_empty() {
            return;
        }
        let found = children
            .iter()
            .enumerate()
            .find_map(|(at, b)| weak_initial(w, b.thread, &b.footprint).map(|step| (at, step)));
        let Some((at, step)) = found else {
            children.push(chain(w));
            return;
        };
        if children[at].children.is_empty() {
            // A leaf: exploring it explores an equivalent of `w` (or the branch is the one
            // being explored, and the race is reversed by it).
            return;
        }
        if let Some(i) = step {
            w.remove(i);
        }
        children = &mut children[at].children;
    }
}

/// [`insert`] into the wakeup tree of `node`: its first branch is the step it runs, with what
/// the tree says to run after it.
pub(crate) fn insert_at(node: &mut Node, w: &mut Vec<Event>) {
    if w.is_empty() {
        return;
    }
    let Some(step) = weak_initial(w, node.chosen, &node.footprint) else {
        return insert(&mut node.later, w);
    };
    if node.after.is_empty() {
        // A leaf, as in `insert`.
        return;
    }
    if let Some(i) = step {
        w.remove(i);
    }
    insert(&mut node.after, w);
}

/// `w` as a branch with one child after another (`w` is left empty).
fn chain(w: &mut Vec<Event>) -> Branch {
    let mut steps = w.drain(..).rev();
    let (thread, footprint) = steps.next().expect("a non-empty sequence");
    let mut branch = Branch {
        thread,
        footprint,
        children: Vec::new(),
    };
    for (thread, footprint) in steps {
        branch = Branch {
            thread,
            footprint,
            children: vec![branch],
        };
    }
    branch
}
