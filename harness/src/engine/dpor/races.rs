//! Race detection over one finished execution, and the wakeup sequences it adds (optimal DPOR,
//! Abdulla, Aronis, Jonsson and Sagonas, POPL 2014, Algorithm 2).
//!
//! Steps are ordered by happens-before: program order, spawn and join, and conflicting
//! accesses in the order they ran. Two steps of different threads *race* when they conflict
//! and nothing else orders them: the second could have run first. For each race `e ⋖ e'`, the
//! steps after `e` that do not depend on it, then `e'`, reverse it; unless a thread asleep
//! before `e` can start that sequence (it was explored), it goes into the wakeup tree there.

use smallvec::SmallVec;

use super::access::{Access, Class, Footprint, Obj};
use super::tree::Node;
use super::wakeup::{self, Event};

/// Vector clocks, each a row of `width` entries (one per thread): one past the index of the
/// thread's latest step known to have happened before. One flat table, kept from execution to
/// execution, so that analysing one allocates nothing once the first has grown it.
#[derive(Debug, Default)]
struct Clocks {
    width: usize,
    rows: Vec<u32>,
}

impl Clocks {
    fn reset(&mut self, width: usize, rows: usize) {
        self.width = width;
        self.rows.clear();
        self.rows.resize(width * rows, 0);
    }

    fn get(&self, row: usize, thread: usize) -> u32 {
        self.rows[row * self.width + thread]
    }

    fn set(&mut self, row: usize, thread: usize, value: u32) {
        self.rows[row * self.width + thread] = value;
    }

    /// Whether step `step` of thread `thread` happened before what row `row` has seen.
    fn saw(&self, row: usize, thread: usize, step: usize) -> bool {
        self.get(row, thread) as usize > step
    }

    /// Two distinct rows, the first mutable.
    fn pair(&mut self, into: usize, from: usize) -> (&mut [u32], &[u32]) {
        let w = self.width;
        if into < from {
            let (low, high) = self.rows.split_at_mut(from * w);
            (&mut low[into * w..][..w], &high[..w])
        } else {
            let (low, high) = self.rows.split_at_mut(into * w);
            (&mut high[..w], &low[from * w..][..w])
        }
    }

    fn join(&mut self, into: usize, from: usize) {
        let (into, from) = self.pair(into, from);
        for (a, b) in into.iter_mut().zip(from) {
            *a = (*a).max(*b);
        }
    }

    fn copy(&mut self, into: usize, from: usize) {
        let (into, from) = self.pair(into, from);
        into.copy_from_slice(from);
    }
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
    fn clear(&mut self) {
        self.last_write = None;
        self.prior_write = None;
        self.reads.clear();
    }

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

/// The race analysis of finished executions, with its working memory (kept by the search, so
/// that thousands of executions reuse it).
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// Rows `0..steps`: each step's clock; then each thread's latest clock; then the clock
    /// each thread was spawned with.
    clocks: Clocks,
    spawned: Vec<bool>,
    last_step: Vec<Option<usize>>,
    /// Per object, every access; and lock acquisitions alone.
    all: Vec<History>,
    acquisitions: Vec<History>,
    races: Vec<(usize, usize)>,
    /// The sequence reversing the race at hand (`reverse`).
    sequence: Vec<Event>,
}

impl Analysis {
    /// Adds to the nodes' wakeup trees what the races of the execution they describe ask for.
    /// Steps before `new_from` repeat the execution analysed before this one, so the races
    /// among them were reversed then (their happens-before depends on that prefix alone): only
    /// races with a later step are looked for.
    pub(crate) fn analyse(&mut self, nodes: &mut [Node], new_from: usize) {
        let (width, objects) = extent(nodes);
        let steps = nodes.len();
        let thread_row = |t: usize| steps + t;
        let spawn_row = |t: usize| steps + width + t;
        self.clocks.reset(width, steps + 2 * width);
        self.spawned.clear();
        self.spawned.resize(width, false);
        self.last_step.clear();
        self.last_step.resize(width, None);
        for histories in [&mut self.all, &mut self.acquisitions] {
            if histories.len() < objects {
                histories.resize_with(objects, History::default);
            }
            histories[..objects].iter_mut().for_each(History::clear);
        }
        self.races.clear();
        let Analysis {
            clocks,
            spawned,
            last_step,
            all,
            acquisitions,
            races,
            sequence,
        } = self;

        for i in 0..steps {
            let t = nodes[i].chosen;
            if last_step[t].is_none() && std::mem::take(&mut spawned[t]) {
                clocks.join(thread_row(t), spawn_row(t));
            }
            // The thread's clock before this step (its row, unchanged until the step ends): a
            // step it has not seen may race with this one.
            clocks.copy(i, thread_row(t));
            for &access in &nodes[i].footprint {
                if let Access::Join(child) = access
                    && let Some(Some(last)) = last_step.get(child)
                {
                    clocks.join(i, *last);
                }
                let Some((obj, class)) = access.on() else {
                    continue;
                };
                let obj_at = obj as usize;
                for j in all[obj_at].before(class) {
                    clocks.join(i, j);
                }
                if access.orders_only() || i < new_from {
                    continue;
                }
                let history = if access.acquires() {
                    &acquisitions[obj_at]
                } else {
                    &all[obj_at]
                };
                let candidates: SmallVec<[usize; 4]> = match access {
                    Access::Take(_) => reversible_give(nodes, history, obj).into_iter().collect(),
                    _ => history.candidates(class).collect(),
                };
                for j in candidates {
                    let other = nodes[j].chosen;
                    if other != t && !clocks.saw(thread_row(t), other, j) {
                        races.push((j, i));
                    }
                }
            }
            clocks.set(i, t, i as u32 + 1);
            for &access in &nodes[i].footprint {
                if let Access::Spawn(child) = access {
                    clocks.copy(spawn_row(child), i);
                    spawned[child] = true;
                }
                if let Some((obj, class)) = access.on() {
                    all[obj as usize].add(class, i);
                    if access.acquires() {
                        acquisitions[obj as usize].add(class, i);
                    }
                }
            }
            clocks.copy(thread_row(t), i);
            last_step[t] = Some(i);
        }

        races.sort_unstable();
        races.dedup();
        for &(e, e2) in races.iter() {
            reverse(nodes, clocks, e, e2, sequence);
        }
    }
}

/// How many threads and objects the execution names: one past the largest of each.
fn extent(nodes: &[Node]) -> (usize, usize) {
    let mut threads = 0;
    let mut objects = 0;
    for node in nodes {
        threads = threads.max(node.chosen + 1);
        for &access in &node.footprint {
            match access {
                Access::Spawn(t) | Access::Join(t) => threads = threads.max(t + 1),
                _ => {}
            }
            if let Some((obj, _)) = access.on() {
                objects = objects.max(obj as usize + 1);
            }
        }
    }
    (threads, objects)
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
/// `v` is working memory, reused from race to race.
fn reverse(nodes: &mut [Node], clocks: &Clocks, e: usize, e2: usize, v: &mut Vec<Event>) {
    let after_e = |k: usize| clocks.saw(k, nodes[e].chosen, e);
    v.clear();
    v.extend(
        (e + 1..e2)
            .filter(|&k| !after_e(k))
            .map(|k| (nodes[k].chosen, nodes[k].footprint.clone())),
    );
    v.push((nodes[e2].chosen, reversed(&nodes[e], &nodes[e2])));
    let node = &mut nodes[e];
    let explored = node
        .covered()
        .any(|(t, f)| wakeup::weak_initial(v, *t, f).is_some());
    if !explored {
        wakeup::insert_at(node, v);
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
