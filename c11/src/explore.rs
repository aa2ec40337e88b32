//! The exploration: every consistent execution graph of a program, each once, with memory that
//! does not grow with the number of executions. The algorithm is TruSt (Kokologiannakis,
//! Marmanis, Gladstein and Vafeiadis, "Truly Stateless, Optimal Dynamic Partial Order
//! Reduction", POPL 2022), for a model with an explicit coherence order (RC11).
//!
//! The program runs again for each graph ([`Explorer::next_execution`] gives the run its
//! graph): each thread replays its events in the graph (a read returns the value of the write
//! it reads from), and every event past the graph is added to it. The run decides which
//! thread goes next (the lowest-numbered one that can, for instance); it must be a function
//! of the graph alone. Adding an event records the other choices it had:
//!
//! - a read reads from the `co`-last write of its location it consistently can; each other
//!   write it could read from is a *forward revisit*;
//! - a write goes last in coherence order; each other consistent place is a forward revisit
//!   (the write of a read-modify-write goes right after the write its read reads from);
//! - a write may also be read by a read added before it, which is not in its `porf` prefix: a
//!   *backward revisit*, which keeps the events added before that read and the write's `porf`
//!   prefix, and deletes the rest. To visit each graph once, it is made only if every deleted
//!   event (and the read) was added *maximally*, as the exploration would have added it
//!   without any revisit: a read reading the `co`-last write, a write placed `co`-last, not
//!   read by, nor reading from, what was added after it (the paper's maximal extension).
//!
//! Pending revisits are kept per graph on a stack, in the order of the stamps of the events
//! they revisit (a run adds events in stamp order, and a revisit's own backward revisits go
//! on top): the latest is taken first, after deleting what was added after its event. A backward revisit starts a
//! new graph on a stack, which is explored to the end before the graph under it goes on.

use crate::consistency::{Model, is_consistent, is_consistent_but_atomicity};
use crate::estimate::{Estimate, Sampler};
use crate::graph::{EventId, Graph, Label, Loc, Ordering, Tid, Val, in_view};

/// An exploration of a program with a fixed number of threads and locations.
#[derive(Debug)]
pub struct Explorer {
    model: Model,
    threads: usize,
    locs: Vec<(Loc, Val)>,
    started: bool,
    stack: Vec<State>,
    stats: Stats,
    /// Set when the exploration only samples random paths ([`Explorer::sampling`]).
    sampler: Option<Sampler>,
}

/// What an exploration has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Runs that reached their end ([`Execution::finish`]): one per consistent graph.
    pub complete: u64,
    /// Runs that stopped because no consistent choice was left for an event.
    pub blocked: u64,
}

/// A graph and the revisits still to make of it.
#[derive(Debug)]
struct State {
    graph: Graph,
    work: Vec<Revisit>,
}

#[derive(Clone, Copy, Debug)]
enum Revisit {
    /// Read `read` reads from `rf` instead.
    Read { read: EventId, rf: EventId },
    /// Write `write` goes right after `after` in coherence order instead.
    Co { write: EventId, after: EventId },
    /// Read `read`, added before `write`, reads from it.
    Backward { read: EventId, write: EventId },
}

impl Revisit {
    /// The event whose addition it changes: what is added after it is deleted first.
    fn event(self) -> EventId {
        match self {
            Revisit::Read { read, .. } => read,
            Revisit::Co { write, .. } | Revisit::Backward { write, .. } => write,
        }
    }
}

impl Explorer {
    /// An exploration of a program of `threads` threads whose locations start as `locs` say,
    /// under `model`.
    pub fn new(threads: usize, locs: &[(Loc, Val)], model: Model) -> Explorer {
        Explorer {
            model,
            threads,
            locs: locs.to_vec(),
            started: false,
            stack: Vec::new(),
            stats: Stats::default(),
            sampler: None,
        }
    }

    /// An exploration that runs random paths of the exploration tree instead, to estimate
    /// how many executions the complete one has ([`Explorer::estimate`]); it never ends by
    /// itself. The same seed, the same paths.
    pub fn sampling(threads: usize, locs: &[(Loc, Val)], model: Model, seed: u64) -> Explorer {
        Explorer {
            sampler: Some(Sampler::new(seed)),
            ..Explorer::new(threads, locs, model)
        }
    }

    /// The estimate from the paths a sampling exploration has run so far.
    pub fn estimate(&self) -> Option<Estimate> {
        self.sampler.as_ref()?.estimate()
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The next run, or `None` once every consistent graph has been run.
    pub fn next_execution(&mut self) -> Option<Execution<'_>> {
        if let Some(sampler) = &mut self.sampler {
            if !std::mem::take(&mut sampler.restart) {
                self.stack.clear();
                self.stack.push(State {
                    graph: Graph::new(self.threads, &self.locs),
                    work: Vec::new(),
                });
            }
            return Some(Execution::new(self));
        }
        if !self.started {
            self.started = true;
            self.stack.push(State {
                graph: Graph::new(self.threads, &self.locs),
                work: Vec::new(),
            });
            return Some(Execution::new(self));
        }
        loop {
            let state = self.stack.last_mut()?;
            let Some(revisit) = state.work.pop() else {
                self.stack.pop();
                continue;
            };
            if self.revisit(revisit) {
                return Some(Execution::new(self));
            }
        }
    }

    /// Makes `revisit` on the top graph (or on a new graph above it); whether the result is
    /// consistent, to be run.
    fn revisit(&mut self, revisit: Revisit) -> bool {
        let model = self.model;
        let state = self.stack.last_mut().expect("a state");
        let graph = &mut state.graph;
        let stamp = graph.stamp(revisit.event()).expect("an added event");
        graph.retain(|_, e| e.stamp <= stamp);
        match revisit {
            Revisit::Read { read, rf } => {
                graph.set_rf(read, rf);
                graph.event_mut(read).added_max = false;
                is_consistent(graph, model)
            }
            Revisit::Co { write, after } => {
                graph.place_after(write, after);
                graph.event_mut(write).added_max = false;
                if !is_consistent(graph, model) {
                    return false;
                }
                let found = backward_revisits(graph, write);
                state.work.extend(found);
                true
            }
            Revisit::Backward { read, write } => {
                let mut view = kept_by(graph, read, write);
                view[read.thread as usize] = read.index + 1;
                let prefix = graph.porf_prefix(write);
                let mut next = graph.clone();
                next.retain(|id, _| in_view(&view, id));
                next.set_rf(read, write);
                let loc = graph.label(write).loc().expect("a write");
                let co_last = next.co(loc).last() == Some(&write);
                next.event_mut(read).added_max = co_last;
                let ids: Vec<EventId> = next.events().map(|(id, _)| id).collect();
                for id in ids {
                    if in_view(&prefix, id) {
                        next.event_mut(id).revisitable = false;
                    }
                }
                if !is_consistent(&next, model) {
                    return false;
                }
                self.stack.push(State {
                    graph: next,
                    work: Vec::new(),
                });
                true
            }
        }
    }
}

/// What a backward revisit of `read` by `write` keeps: the events added before `read`, and
/// `write`'s `porf` prefix (per thread, a prefix length).
fn kept_by(graph: &Graph, read: EventId, write: EventId) -> Vec<u32> {
    let before = graph.stamp(read).expect("an added read");
    let mut view = graph.porf_prefix(write);
    for (t, len) in view.iter_mut().enumerate() {
        let added_before = graph
            .thread(t as Tid)
            .iter()
            .take_while(|e| e.stamp < before)
            .count() as u32;
        *len = (*len).max(added_before);
    }
    view
}

/// The backward revisits that write `write`, just added (or just moved in coherence order),
/// makes: each read of its location added before it, outside its `porf` prefix, whose
/// revisit is a maximal extension.
fn backward_revisits(graph: &Graph, write: EventId) -> Vec<Revisit> {
    let loc = graph.label(write).loc().expect("a write");
    let prefix = graph.porf_prefix(write);
    graph
        .events()
        .filter(|&(id, e)| {
            e.revisitable
                && e.label.is_read()
                && e.label.loc() == Some(loc)
                && !in_view(&prefix, id)
        })
        .map(|(read, _)| read)
        .filter(|&read| is_maximal_extension(graph, read, write))
        .map(|read| Revisit::Backward { read, write })
        .collect()
}

/// Whether the events a backward revisit of `read` by `write` deletes, and `read` itself,
/// were each added maximally (see the module docs): only then is the revisit the one way the
/// exploration reaches the graph it makes.
fn is_maximal_extension(graph: &Graph, read: EventId, write: EventId) -> bool {
    let view = kept_by(graph, read, write);
    let loc = graph.label(write).loc().expect("a write");
    let co = graph.co(loc);
    let is_rmw = matches!(graph.label(write), Label::Write { rmw: true, .. });
    // The write's next in coherence order stays: revisits must not differ only in where the
    // write is placed.
    if !is_rmw
        && let Some(next) = co.iter().skip_while(|&&w| w != write).nth(1)
        && !in_view(&view, *next)
    {
        return false;
    }
    let stamp = |id: EventId| graph.stamp(id).unwrap_or(0);
    graph
        .events()
        .filter(|&(id, _)| id == read || !in_view(&view, id))
        .all(|(id, event)| {
            if !event.added_max {
                return false;
            }
            let Some(at) = event.label.loc() else {
                return true;
            };
            // What it wrote or read from is `co`-last among what stays.
            let own = match event.label {
                Label::Read { rf, .. } => rf,
                _ => id,
            };
            let later = graph.co(at).iter().skip_while(|&&w| w != own).skip(1);
            if later.clone().any(|&w| w != write && in_view(&view, w)) {
                return false;
            }
            // A read that a deleted write revisited.
            match event.label {
                Label::Read { rf, .. } => {
                    in_view(&view, rf) || rf.is_init() || stamp(rf) < event.stamp
                }
                _ => true,
            }
        })
}

/// One run of the program: the graph it replays and extends.
#[derive(Debug)]
pub struct Execution<'e> {
    explorer: &'e mut Explorer,
    /// Per thread, how many of its events in the graph it has run.
    done: Vec<u32>,
    blocked: bool,
}

impl<'e> Execution<'e> {
    fn new(explorer: &'e mut Explorer) -> Execution<'e> {
        let threads = explorer.threads;
        Execution {
            explorer,
            done: vec![0; threads],
            blocked: false,
        }
    }

    fn state(&mut self) -> &mut State {
        self.explorer.stack.last_mut().expect("a state")
    }

    /// The graph so far.
    pub fn graph(&self) -> &Graph {
        &self.explorer.stack.last().expect("a state").graph
    }

    /// Thread `t`'s next event if the graph has it already: it is replayed.
    fn replayed(&mut self, t: Tid, expect: impl FnOnce(&Label) -> bool) -> Option<EventId> {
        let index = self.done[t as usize];
        let id = EventId { thread: t, index };
        let label = self.graph().event(id)?.label;
        assert!(
            expect(&label),
            "tapestry-c11: thread {t} did not do what it did when the graph was made (its \
             event {index} was {label:?}): the program must do the same given the same values"
        );
        self.done[t as usize] += 1;
        Some(id)
    }

    /// Adds `label` as thread `t`'s next event.
    fn add(&mut self, t: Tid, label: Label) -> EventId {
        self.done[t as usize] += 1;
        self.state().graph.push(t, label)
    }

    fn block(&mut self) {
        self.blocked = true;
    }

    /// Whether a step found no consistent choice: the run must stop.
    pub fn is_blocked(&self) -> bool {
        self.blocked
    }

    /// Which of `options` branches (the first is the one an exploration takes first) this
    /// run takes: the first, unless sampling.
    fn choose(&mut self, options: usize) -> usize {
        match &mut self.explorer.sampler {
            Some(sampler) => sampler.pick(options),
            None => 0,
        }
    }

    fn sampling(&self) -> bool {
        self.explorer.sampler.is_some()
    }

    /// The backward revisits a write just added makes: kept for later, or, when sampling,
    /// one of them or none taken now. Whether the run goes on (`consistent`: whether it
    /// could without a revisit).
    fn branch(&mut self, backward: Vec<Revisit>, consistent: bool) -> bool {
        if !self.sampling() {
            self.state().work.extend(backward);
            if !consistent {
                self.block();
            }
            return consistent;
        }
        let pick = self.choose(1 + backward.len());
        if pick == 0 {
            if !consistent {
                self.block();
            }
            return consistent;
        }
        // The path goes on from the revisited graph, run again; a revisit that is not
        // consistent is a branch with no execution under it.
        self.block();
        if self.explorer.revisit(backward[pick - 1]) {
            let revisited = self.explorer.stack.pop().expect("the revisited graph");
            self.explorer.stack.clear();
            self.explorer.stack.push(revisited);
            self.explorer.sampler.as_mut().expect("sampling").restart = true;
        }
        false
    }

    /// Thread `t` loads `loc` with `ord`: the value, or `None` if no write can be read
    /// consistently (the run is blocked).
    pub fn load(&mut self, t: Tid, loc: Loc, ord: Ordering) -> Option<Val> {
        self.read(t, loc, ord, None, |_| None)
    }

    /// Thread `t` stores `val` to `loc` with `ord`; `None` if that cannot be consistent.
    pub fn store(&mut self, t: Tid, loc: Loc, val: Val, ord: Ordering) -> Option<()> {
        if self
            .replayed(t, |l| matches!(*l, Label::Write { loc: at, val: v, rmw: false, .. } if at == loc && v == val))
            .is_some()
        {
            return Some(());
        }
        let model = self.explorer.model;
        let write = self.add(
            t,
            Label::Write {
                loc,
                val,
                ord,
                rmw: false,
            },
        );
        let graph = &mut self.state().graph;
        if !is_consistent(graph, model) {
            self.block();
            return None;
        }
        // Its consistent places in coherence order: last first.
        let co = graph.co(loc).to_vec();
        let mut places = vec![co[co.len() - 2]];
        for &after in &co[..co.len() - 2] {
            graph.place_after(write, after);
            if is_consistent(graph, model) {
                places.push(after);
            }
        }
        let pick = self.choose(places.len());
        let graph = &mut self.state().graph;
        graph.place_after(write, places[pick]);
        graph.event_mut(write).added_max = pick == 0;
        let backward = backward_revisits(graph, write);
        if !self.sampling() {
            let others = places[1..]
                .iter()
                .map(|&after| Revisit::Co { write, after });
            self.state().work.extend(others);
        }
        self.branch(backward, true).then_some(())
    }

    /// Thread `t`'s read-modify-write of `loc`: reads a value `old`, and writes `change(old)`
    /// unless it is `None` (a failed `compare_exchange`, which is a read with `fail_ord`, or
    /// `ord` if none is given). Returns `old`, or `None` if the run is blocked.
    pub fn rmw(
        &mut self,
        t: Tid,
        loc: Loc,
        ord: Ordering,
        fail_ord: Option<Ordering>,
        change: impl Fn(Val) -> Option<Val>,
    ) -> Option<Val> {
        self.read(t, loc, ord, Some(fail_ord), change)
    }

    /// A load (`exclusive` none) or the read of a read-modify-write, and its write.
    fn read(
        &mut self,
        t: Tid,
        loc: Loc,
        ord: Ordering,
        exclusive: Option<Option<Ordering>>,
        change: impl Fn(Val) -> Option<Val>,
    ) -> Option<Val> {
        let model = self.explorer.model;
        let label = |rf| Label::Read {
            loc,
            ord,
            rf,
            fail_ord: exclusive.flatten(),
            exclusive: exclusive.is_some(),
        };
        let rmw_ord = ord;
        let write_of = |val: Val| Label::Write {
            loc,
            val,
            ord: rmw_ord,
            rmw: true,
        };
        if let Some(read) = self.replayed(
            t,
            |l| matches!(*l, Label::Read { loc: at, .. } if at == loc),
        ) {
            let graph = self.graph();
            let Label::Read { rf, .. } = graph.label(read) else {
                unreachable!("replayed a read")
            };
            let old = graph.value(rf);
            if let Some(new) = change(old) {
                // Its write: replayed, or added again after a revisit of the read deleted it.
                if self.replayed(t, |l| *l == write_of(new)).is_none()
                    && !self.add_rmw_write(t, rf, write_of(new))
                {
                    return None;
                }
            }
            return Some(old);
        }
        // Which writes it can read from, consistently (with its write, if it makes one).
        let co = self.graph().co(loc).to_vec();
        let read = EventId {
            thread: t,
            index: self.done[t as usize],
        };
        let mut consistent = Vec::new();
        {
            let graph = &mut self.state().graph;
            for &w in co.iter().rev() {
                let mut trial = graph.clone();
                trial.push(t, label(w));
                if let Some(new) = change(trial.value(w)) {
                    let write = trial.push(t, write_of(new));
                    trial.place_after(write, w);
                }
                if is_consistent_but_atomicity(&trial, model) {
                    consistent.push(w);
                }
            }
        }
        if consistent.is_empty() {
            self.block();
            return None;
        }
        let rf = consistent[self.choose(consistent.len())];
        let added = self.add(t, label(rf));
        debug_assert_eq!(added, read);
        let sampling = self.sampling();
        let state = self.state();
        state.graph.event_mut(read).added_max = co.last() == Some(&rf);
        if !sampling {
            let others = consistent[1..].iter().map(|&rf| Revisit::Read { read, rf });
            state.work.extend(others);
        }
        let old = state.graph.value(rf);
        if let Some(new) = change(old)
            && !self.add_rmw_write(t, rf, write_of(new))
        {
            return None;
        }
        Some(old)
    }

    /// Adds the write of thread `t`'s read-modify-write, whose read reads from `rf`: right
    /// after `rf` in coherence order. Its backward revisits are recorded even if the graph
    /// breaks atomicity (another read-modify-write read `rf` too): one of them, that other
    /// read reading this write, is the consistent graph. Whether the run may go on.
    fn add_rmw_write(&mut self, t: Tid, rf: EventId, label: Label) -> bool {
        let model = self.explorer.model;
        let write = self.add(t, label);
        let graph = &mut self.state().graph;
        graph.place_after(write, rf);
        let loc = label.loc().expect("a write");
        graph.event_mut(write).added_max = graph.co(loc).last() == Some(&write);
        let backward = backward_revisits(graph, write);
        let consistent = is_consistent(graph, model);
        self.branch(backward, consistent)
    }

    /// Thread `t`'s fence of `ord`; `None` if that cannot be consistent.
    pub fn fence(&mut self, t: Tid, ord: Ordering) -> Option<()> {
        if self.replayed(t, |l| *l == Label::Fence { ord }).is_some() {
            return Some(());
        }
        let model = self.explorer.model;
        self.add(t, Label::Fence { ord });
        if !is_consistent(&self.state().graph, model) {
            self.block();
            return None;
        }
        Some(())
    }

    /// Ends the run: counted as complete, unless it was blocked. (When sampling, a run the
    /// path's backward revisit stopped is not counted: the next run goes on along it.)
    pub fn finish(self) -> bool {
        if let Some(sampler) = &mut self.explorer.sampler {
            if sampler.restart {
                return false;
            }
            sampler.end_path(!self.blocked);
        }
        let stats = &mut self.explorer.stats;
        if self.blocked {
            stats.blocked += 1;
        } else {
            stats.complete += 1;
        }
        !self.blocked
    }
}
