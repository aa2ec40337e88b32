//! Race detection over one finished execution, and the wakeup sequences it adds (optimal DPOR,
//! Abdulla, Aronis, Jonsson and Sagonas, POPL 2014, Algorithm 2).
//!
//! Steps are ordered by happens-before: program order, spawn and join, and conflicting
//! accesses in the order they ran. Two steps of different threads *race* when they conflict
//! and nothing else orders them: the second could have run first. For each race `e ⋖ e'`, the
//! steps after `e` that do not depend on it, then `e'`, reverse it; unless a thread asleep
//! before `e` can start that sequence (it was explored), it goes into the wakeup tree there.

use std::collections::HashMap;

use smallvec::SmallVec;

use super::access::{Access, Class, Footprint, Obj, Tid};
use super::tree::Node;
use super::wakeup::{self, Event};

/// A vector clock: per thread, one past the index of its latest step known to have happened
/// before.
type Clock = Vec<u32>;

fn join(into: &mut Clock, other: &Clock) {
    if into.len() < other.len() {
        into.resize(other.len(), 0);
    }
    for (a, b) in into.iter_mut().zip(other) {
        *a = (*a).max(*b);
    }
}

/// Whether step `step` of thread `thread` happened before what `clock` has seen.
fn saw(clock: &Clock, thread: Tid, step: usize) -> bool {
    clock.get(thread).is_some_and(|&c| c as usize > step)
}

/// Reads since the last write, and that write: the accesses a new one may be ordered after.
#[derive(Debug, Default)]
struct History {
    last_write: Option<usize>,
    /// The write before the last one.
    prior_write: Option<usize>,
    reads: Vec<usize>,
}

impl History {
    fn add(&mut self, class: Class, step: usize) {
        match class {
            Class::Write => {
                self.prior_write = self.last_write.replace(step);
                self.reads.clear();
            }
            Class::Read => self.reads.push(step),
        }
    }

    /// What an access of `class` is ordered after.
    fn before(&self, class: Class) -> impl Iterator<Item = usize> + '_ {
        let reads = match class {
            Class::Write => &self.reads[..],
            Class::Read => &[],
        };
        self.last_write.into_iter().chain(reads.iter().copied())
    }

    /// The steps an access of `class` races with directly: for a write, the reads since the
    /// last write (they read from it, so it is ordered before them), or else that write.
    fn candidates(&self, class: Class) -> impl Iterator<Item = usize> + '_ {
        let reads = match class {
            Class::Write => &self.reads[..],
            Class::Read => &[],
        };
        let write = if reads.is_empty() {
            self.last_write
        } else {
            None
        };
        write.into_iter().chain(reads.iter().copied())
    }
}

/// Adds to the nodes' wakeup trees what the races of the execution they describe ask for.
pub(crate) fn analyse(nodes: &mut [Node]) {
    let mut clocks: Vec<Clock> = Vec::with_capacity(nodes.len());
    let mut threads: Vec<Clock> = Vec::new();
    let mut last_step: Vec<Option<usize>> = Vec::new();
    let mut spawned: HashMap<Tid, Clock> = HashMap::new();
    let mut all: HashMap<Obj, History> = HashMap::new();
    let mut acquisitions: HashMap<Obj, History> = HashMap::new();
    let mut races: Vec<(usize, usize)> = Vec::new();

    for i in 0..nodes.len() {
        let t = nodes[i].chosen;
        if t >= threads.len() {
            threads.resize(t + 1, Clock::new());
            last_step.resize(t + 1, None);
        }
        if last_step[t].is_none()
            && let Some(parent) = spawned.remove(&t)
        {
            join(&mut threads[t], &parent);
        }
        // The thread's clock before this step: a step it has not seen may race with this one.
        let before = threads[t].clone();
        let mut clock = before.clone();
        for &access in &nodes[i].footprint {
            if let Access::Join(child) = access
                && let Some(Some(last)) = last_step.get(child)
            {
                join(&mut clock, &clocks[*last]);
            }
            let Some((obj, class)) = access.on() else {
                continue;
            };
            for j in all.entry(obj).or_default().before(class) {
                join(&mut clock, &clocks[j]);
            }
            if access.orders_only() {
                continue;
            }
            let history = if access.acquires() {
                acquisitions.entry(obj).or_default()
            } else {
                all.entry(obj).or_default()
            };
            let candidates: SmallVec<[usize; 4]> = match access {
                Access::Take(_) => reversible_give(nodes, history, obj).into_iter().collect(),
                _ => history.candidates(class).collect(),
            };
            for j in candidates {
                if nodes[j].chosen != t && !saw(&before, nodes[j].chosen, j) {
                    races.push((j, i));
                }
            }
        }
        if clock.len() <= t {
            clock.resize(t + 1, 0);
        }
        clock[t] = i as u32 + 1;
        for &access in &nodes[i].footprint {
            if let Access::Spawn(child) = access {
                spawned.insert(child, clock.clone());
            }
            if let Some((obj, class)) = access.on() {
                all.entry(obj).or_default().add(class, i);
                if access.acquires() {
                    acquisitions.entry(obj).or_default().add(class, i);
                }
            }
        }
        threads[t] = clock.clone();
        last_step[t] = Some(i);
        clocks.push(clock);
    }

    races.sort_unstable();
    races.dedup();
    for (e, e2) in races {
        reverse(nodes, &clocks, e, e2);
    }
}

/// The give a take of token `obj` races with, if it could have run before it: the token's last
/// write, when that is a give and the write before it a give too (the token was there without
/// it). A take that found the token thanks to its last give alone could not have run earlier:
/// like a lock's acquisition after a release, that race is not reversible.
fn reversible_give(nodes: &[Node], history: &History, obj: Obj) -> Option<usize> {
    let gives =
        |step: Option<usize>| step.is_some_and(|s| nodes[s].footprint.contains(&Access::Give(obj)));
    history
        .last_write
        .filter(|&give| gives(Some(give)) && gives(history.prior_write))
}

/// Makes sure the state before step `e` explores `v`: the steps after `e` that do not depend
/// on it, then `e2`, which reverses their race.
fn reverse(nodes: &mut [Node], clocks: &[Clock], e: usize, e2: usize) {
    let after_e = |k: usize| saw(&clocks[k], nodes[e].chosen, e);
    let mut v: Vec<Event> = (e + 1..e2)
        .filter(|&k| !after_e(k))
        .map(|k| (nodes[k].chosen, nodes[k].footprint.clone()))
        .collect();
    v.push((nodes[e2].chosen, reversed(&nodes[e], &nodes[e2])));
    let node = &mut nodes[e];
    let explored = node
        .covered()
        .any(|(t, f)| wakeup::weak_initial(&v, *t, f).is_some());
    if !explored {
        wakeup::insert(&mut node.wakeup, v);
    }
}

/// The footprint of step `e2` when it runs before step `e`, with which it races: what a
/// compare-exchange does depends on the value it reads, and before `e` it reads the value `e`
/// found (nothing between them in `v` writes the atomic: `e` is its last write before `e2`, or
/// a read after that write). The steps of `v` before `e2` do not depend on `e`, so they run as
/// they ran.
///
/// The footprint must be exact, not conservative. Abdulla et al. (POPL 2014, Algorithm 2)
/// decide weak initials of `v`, against the sleeping threads and the wakeup tree's branches,
/// with the happens-before relation of the execution `E'.v` itself, where `e2` runs before `e`;
/// and a wakeup tree holds no sequence of which an earlier sibling is a weak initial (their
/// definition of wakeup trees, section 6). With a failing exchange taken for a write, such a
/// redundant branch goes in; later races are taken to be covered by it, while inside it the
/// sibling it duplicates, asleep, is taken to cover its races, and an execution is lost
/// (`tests/dpor.rs`, `failing_exchanges_explore_every_trace`).
fn reversed(e: &Node, e2: &Node) -> Footprint {
    let mut footprint = e2.footprint.clone();
    let (Some(found), Some(exchange)) = (e.found, e2.found) else {
        return footprint;
    };
    let Some(expected) = exchange.expected.filter(|_| exchange.obj == found.obj) else {
        return footprint;
    };
    let obj = found.obj;
    let now = if found.value == expected {
        Access::Write(obj)
    } else {
        Access::Read(obj)
    };
    for access in &mut footprint {
        if matches!(*access, Access::Read(o) | Access::Write(o) if o == obj) {
            *access = now;
        }
    }
    footprint
}
