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

use crate::consistency::{Model, Verdict, judge_added, still_consistent};
use crate::estimate::{Estimate, Sampler};
use crate::graph::{EventId, Graph, Label, Loc, Tid, Val, in_view};
use crate::run::Execution;

/// An exploration of a program with a fixed number of threads and locations.
#[derive(Debug)]
pub struct Explorer {
    pub(crate) model: Model,
    pub(crate) threads: usize,
    locs: Vec<(Loc, Val)>,
    started: bool,
    pub(crate) stack: Vec<State>,
    pub(crate) stats: Stats,
    /// Set when the exploration only samples random paths ([`Explorer::sampling`]).
    pub(crate) sampler: Option<Sampler>,
    /// The run under way, if any.
    pub(crate) run: Option<RunState>,
}

/// Where a run is: per thread, how many of its events in the graph it has run; whether it
/// found no consistent choice for an event.
#[derive(Debug, Default)]
pub(crate) struct RunState {
    pub(crate) done: Vec<u32>,
    pub(crate) blocked: bool,
    /// The graph's sequentially consistent order, once asked for (`None` inside: it has
    /// none), and how far into it the run has certainly gone ([`crate::order`]).
    pub(crate) sc_order: Option<Option<Vec<EventId>>>,
    pub(crate) sc_next: usize,
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
pub(crate) struct State {
    pub(crate) graph: Graph,
    pub(crate) work: Vec<Revisit>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Revisit {
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
            run: None,
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

    /// Whether this exploration samples random paths ([`Explorer::sampling`]).
    pub fn is_sampling(&self) -> bool {
        self.sampler.is_some()
    }

    /// The estimate from the paths a sampling exploration has run so far.
    pub fn estimate(&self) -> Option<Estimate> {
        self.sampler.as_ref()?.estimate()
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// How many graphs the exploration keeps now: the one being run and those it will
    /// revisit. TruSt's memory is this many graphs, each as large as the program's runs,
    /// however many executions there are.
    pub fn graphs_kept(&self) -> usize {
        self.stack.len()
    }

    /// The next run, or `None` once every consistent graph has been run.
    pub fn next_execution(&mut self) -> Option<Execution<'_>> {
        if let Some(sampler) = &mut self.sampler {
            if !std::mem::take(&mut sampler.restart) {
                self.stack.clear();
                self.push_empty_graph();
            }
            return Some(self.start_run());
        }
        if !self.started {
            self.started = true;
            self.push_empty_graph();
            return Some(self.start_run());
        }
        loop {
            let state = self.stack.last_mut()?;
            let Some(revisit) = state.work.pop() else {
                self.stack.pop();
                continue;
            };
            if self.revisit(revisit) {
                return Some(self.start_run());
            }
        }
    }

    /// Starts a path (or the exploration) at the graph with no events.
    fn push_empty_graph(&mut self) {
        self.stack.push(State {
            graph: Graph::new(self.threads, &self.locs),
            work: Vec::new(),
        });
    }

    fn start_run(&mut self) -> Execution<'_> {
        self.run = Some(RunState::default());
        Execution::new(self)
    }

    /// The run under way (the one [`Explorer::next_execution`] last gave), until it is
    /// finished: for a caller that cannot keep the [`Execution`] borrowed.
    pub fn execution(&mut self) -> Option<Execution<'_>> {
        self.run.as_ref()?;
        Some(Execution::new(self))
    }

    /// Makes `revisit` on the top graph (or on a new graph above it); whether the result is
    /// consistent, to be run. A revisited read of a read-modify-write gets its write at once:
    /// if that breaks atomicity (another read-modify-write read the same write), the graph is
    /// not run, but the write's backward revisits are recorded first.
    pub(crate) fn revisit(&mut self, revisit: Revisit) -> bool {
        let model = self.model;
        let state = self.stack.last_mut().expect("a state");
        let graph = &mut state.graph;
        let stamp = graph.stamp(revisit.event()).expect("an added event");
        graph.retain(|_, e| e.stamp <= stamp);
        match revisit {
            Revisit::Read { read, rf } => {
                graph.set_rf(read, rf);
                graph.event_mut(read).added_max = false;
                let found = add_rmw_write(graph, read);
                state.work.extend(found);
                still_consistent(&state.graph, model, read)
            }
            Revisit::Co { write, after } => {
                graph.place_after(write, after);
                graph.event_mut(write).added_max = false;
                if !still_consistent(graph, model, write) {
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
                // A graph with no revisit left is done with once the new one is made from it:
                // taken rather than copied, or a chain of backward revisits, each graph's
                // last, would keep a graph per execution on the stack.
                let mut next = if state.work.is_empty() {
                    self.stack.pop().expect("a state").graph
                } else {
                    graph.clone()
                };
                next.retain(|id, _| in_view(&view, id));
                next.set_rf(read, write);
                let loc = next.label(write).loc().expect("a write");
                let co_last = next.co(loc).last() == Some(&write);
                next.event_mut(read).added_max = co_last;
                let ids: Vec<EventId> = next.events().map(|(id, _)| id).collect();
                for id in ids {
                    if in_view(&prefix, id) {
                        next.event_mut(id).revisitable = false;
                    }
                }
                // What stays of the graph is a `porf`-closed part of a consistent graph, so
                // consistent itself, and `read`, its thread's last event, has no successor:
                // judged as an event added to it.
                if judge_added(&next, model, read) == Verdict::Inconsistent {
                    return false;
                }
                let work = add_rmw_write(&mut next, read);
                let consistent = judge_added(&next, model, read) == Verdict::Consistent;
                self.stack.push(State { graph: next, work });
                consistent
            }
        }
    }
}

/// If `read` is the read of a read-modify-write that writes, given what it now reads, adds
/// its write: right after the write it reads from in coherence order. Returns the write's
/// backward revisits.
pub(crate) fn add_rmw_write(graph: &mut Graph, read: EventId) -> Vec<Revisit> {
    match push_rmw_write(graph, read) {
        Some(write) => backward_revisits(graph, write),
        None => Vec::new(),
    }
}

/// [`add_rmw_write`]'s write, without its backward revisits: the write, if any.
pub(crate) fn push_rmw_write(graph: &mut Graph, read: EventId) -> Option<EventId> {
    let change = graph.event(read).and_then(|e| e.change.clone())?;
    let Label::Read { loc, ord, rf, .. } = graph.label(read) else {
        return None;
    };
    let val = change(graph.value(rf))?;
    let write = graph.push(
        read.thread,
        Label::Write {
            loc,
            val,
            ord,
            rmw: true,
        },
    );
    graph.place_after(write, rf);
    graph.event_mut(write).added_max = graph.co(loc).last() == Some(&write);
    Some(write)
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
pub(crate) fn backward_revisits(graph: &Graph, write: EventId) -> Vec<Revisit> {
    let loc = graph.label(write).loc().expect("a write");
    let prefix = graph.porf_prefix(write);
    // Per thread, its accesses to the location past the prefix, in program order: not a
    // look at every event of the graph for each write (a long run's square).
    let reads = prefix.iter().enumerate().flat_map(|(t, &from)| {
        let mut accesses: Vec<EventId> = graph.accesses_from(t as Tid, loc, from).collect();
        accesses.reverse();
        accesses
    });
    reads
        .filter(|&read| {
            graph
                .event(read)
                .is_some_and(|e| e.revisitable && e.label.is_read())
        })
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
