//! One run of a program under an [`Explorer`]: each thread's operations, replayed from the
//! graph while it has them and added to it past its end (see [`crate::explore`]).

use std::ops::Range;
use std::sync::Arc;

use crate::consistency::{
    Check, Verdict, check_for, is_consistent, judge_added, rmw_follows, strongest,
};
use crate::explore::{
    Explorer, Revisit, RunState, State, add_rmw_write, backward_revisits, push_rmw_write,
};
use crate::floor::{co_floor, sc_floor};
use crate::graph::{Change, EventId, Graph, Label, Loc, Ordering, Tid, Val};

mod other_events;

/// A location with more writes than this has the places a new event may not take computed
/// first ([`co_floor`]), sparing a consistency check per place: with fewer, the checks cost
/// less than computing it.
const FLOOR_FROM: usize = 4;

/// The first place in `loc`'s coherence order that an event of thread `t` after its first
/// `len` events may read from or be placed after, by `check` ([`co_floor`] or [`sc_floor`]
/// of the event right before it: its previous one, or for its first the spawn that started
/// it). Judged in full, 0 where the location has too few writes for computing it to pay.
fn floor(graph: &Graph, loc: Loc, t: Tid, len: u32, check: Check) -> usize {
    if check == Check::Full && graph.co(loc).len() <= FLOOR_FROM {
        return 0;
    }
    let before = match len.checked_sub(1) {
        Some(index) => Some(EventId { thread: t, index }),
        None => graph.spawned_at(t),
    };
    before.map_or(0, |event| match check {
        Check::Sc => sc_floor(graph, loc, event),
        // A graph judged in full is RC11's: under SC every graph is judged by `Check::Sc`.
        Check::Hb | Check::Full => co_floor(graph, loc, event),
    })
}

/// One run of the program: the graph it replays and extends. Dropping it leaves the run
/// under way ([`Explorer::execution`] gives it back); [`Execution::finish`] ends it.
#[derive(Debug)]
pub struct Execution<'e> {
    explorer: &'e mut Explorer,
}

impl<'e> Execution<'e> {
    pub(crate) fn new(explorer: &'e mut Explorer) -> Execution<'e> {
        Execution { explorer }
    }

    fn state(&mut self) -> &mut State {
        self.explorer.stack.last_mut().expect("a state")
    }

    pub(crate) fn run(&mut self) -> &mut RunState {
        self.explorer.run.as_mut().expect("a run under way")
    }

    /// The graph so far.
    pub fn graph(&self) -> &Graph {
        &self.explorer.stack.last().expect("a state").graph
    }

    /// Thread `t`'s next event if the graph has it already: it is replayed.
    fn replayed(&mut self, t: Tid, expect: impl FnOnce(&Label) -> bool) -> Option<EventId> {
        let index = self.done(t);
        let id = EventId { thread: t, index };
        let label = self.graph().event(id)?.label;
        assert!(
            expect(&label),
            "tapestry-c11: thread {t} did not do what it did when the graph was made (its \
             event {index} was {label:?}): the program must do the same given the same values"
        );
        self.run().done[t as usize] += 1;
        Some(id)
    }

    pub(crate) fn done(&mut self, t: Tid) -> u32 {
        let done = &mut self.run().done;
        if done.len() <= t as usize {
            done.resize(t as usize + 1, 0);
        }
        done[t as usize]
    }

    /// The graph's label of thread `t`'s next event, if the graph has it (the run replays it).
    pub(crate) fn next_label(&mut self, t: Tid) -> Option<Label> {
        let index = self.done(t);
        self.graph()
            .event(EventId { thread: t, index })
            .map(|e| e.label)
    }

    /// Write `write`, replayed, writes `val` in this run: the same value as when the graph
    /// was made, but for what differs between runs of the same program (the address of a
    /// new allocation, published through an `AtomicPtr`). Its readers read it after it ran.
    fn rewrite(&mut self, write: EventId, val: Val) {
        if let Label::Write { val: old, .. } = &mut self.state().graph.event_mut(write).label {
            *old = val;
        }
    }

    /// Adds `label` as thread `t`'s next event.
    fn add(&mut self, t: Tid, label: Label) -> EventId {
        self.done(t);
        self.run().done[t as usize] += 1;
        self.state().graph.push(t, label)
    }

    fn block(&mut self) {
        self.run().blocked = true;
    }

    /// Whether a step found no consistent choice: the run must stop.
    pub fn is_blocked(&self) -> bool {
        self.explorer.run.as_ref().is_some_and(|r| r.blocked)
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
        let go_on = usize::from(consistent);
        if go_on + backward.len() == 0 {
            self.block();
            return false;
        }
        let pick = self.choose(go_on + backward.len());
        if pick < go_on {
            return true;
        }
        self.block();
        self.sample(backward[pick - go_on]);
        false
    }

    /// Takes `revisit` on the sampled path: the next run goes on from the graph it makes. A
    /// revisit that re-adds a read-modify-write's write branches again, as the exploration
    /// does, between going on (if the graph it makes can run) and that write's backward
    /// revisits; with neither, the path ends here.
    fn sample(&mut self, mut revisit: Revisit) {
        loop {
            let runs = self.explorer.revisit(revisit);
            let top = self.explorer.stack.pop().expect("a state");
            self.explorer.stack.clear();
            self.explorer.stack.push(top);
            let children = std::mem::take(&mut self.state().work);
            let go_on = usize::from(runs);
            if go_on + children.len() == 0 {
                return;
            }
            let pick = self.choose(go_on + children.len());
            if pick < go_on {
                self.explorer.sampler.as_mut().expect("sampling").restart = true;
                return;
            }
            revisit = children[pick - go_on];
        }
    }

    /// Thread `t` loads `loc` with `ord`: the value, or `None` if the run is blocked.
    pub fn load(&mut self, t: Tid, loc: Loc, ord: Ordering) -> Option<Val> {
        self.read(t, loc, ord, None, None)
    }

    /// A load after which thread `t` goes on only with a value `accept` takes, and otherwise
    /// waits for another write (a condition variable's notification): it reads a refused
    /// value only from the `co`-latest write, the one place where it waits for a write that
    /// comes later (see [`Execution::last_read_is_latest`]); reading an older refused one
    /// would only make a graph that never runs to its end.
    pub fn await_load(
        &mut self,
        t: Tid,
        loc: Loc,
        ord: Ordering,
        accept: impl Fn(Val) -> bool + 'static,
    ) -> Option<Val> {
        self.read(t, loc, ord, None, Some(&accept))
    }

    /// A read-modify-write that waits, as [`Execution::await_load`] does, while `change`
    /// refuses the value (a lock's acquisition).
    pub fn await_rmw(
        &mut self,
        t: Tid,
        loc: Loc,
        ord: Ordering,
        change: impl Fn(Val) -> Option<Val> + Send + Sync + 'static,
    ) -> Option<Val> {
        let change: Change = Arc::new(change);
        let accept = change.clone();
        let accept = move |v| accept(v).is_some();
        self.read(t, loc, ord, Some((Some(ord), change)), Some(&accept))
    }

    /// Thread `t`'s read-modify-write of `loc`: reads a value `old`, and writes
    /// `change(old)` unless it is `None` (a failed `compare_exchange`, which is a read with
    /// `fail_ord`, or `ord` if none is given). Returns `old`, or `None` if the run is blocked.
    pub fn rmw(
        &mut self,
        t: Tid,
        loc: Loc,
        ord: Ordering,
        fail_ord: Option<Ordering>,
        change: impl Fn(Val) -> Option<Val> + Send + Sync + 'static,
    ) -> Option<Val> {
        self.read(t, loc, ord, Some((fail_ord, Arc::new(change))), None)
    }

    /// A load (`exclusive` none) or the read of a read-modify-write, and its write.
    fn read(
        &mut self,
        t: Tid,
        loc: Loc,
        ord: Ordering,
        exclusive: Option<(Option<Ordering>, Change)>,
        accept: Option<&dyn Fn(Val) -> bool>,
    ) -> Option<Val> {
        let model = self.explorer.model;
        let is_exclusive = exclusive.is_some();
        if let Some(read) = self.replayed(
            t,
            |l| matches!(*l, Label::Read { loc: at, .. } if at == loc),
        ) {
            let graph = self.graph();
            let Label::Read { rf, .. } = graph.label(read) else {
                unreachable!("replayed a read")
            };
            let old = graph.value(rf);
            // Its write, added with it (see `Explorer::revisit`).
            if graph.wrote(read)
                && let Some(write) = self.replayed(t, |_| true)
            {
                let new = exclusive.as_ref().and_then(|(_, change)| change(old));
                self.rewrite(write, new.unwrap_or(old));
            }
            return Some(old);
        }
        let fail_ord = exclusive.as_ref().and_then(|(f, _)| *f);
        let change = exclusive.map(|(_, change)| change);
        let label = |rf| Label::Read {
            loc,
            ord,
            rf,
            fail_ord,
            exclusive: is_exclusive,
        };
        // Which writes it can read from: consistently, or but for atomicity (another
        // read-modify-write read it too, which a backward revisit of this one's write
        // repairs), co-latest first.
        let (mut consistent, mut atomicity_only) = (Vec::new(), Vec::new());
        let graph = &mut self.state().graph;
        let (len, stamp) = (graph.thread(t).len(), graph.next_stamp());
        let check = check_for(graph, model, strongest(ord, fail_ord));
        let fast = check != Check::Full;
        // No write before those coherence puts before what the thread did so far.
        let floor = floor(graph, loc, t, len as u32, check);
        let co = graph.co(loc)[floor..].to_vec();
        let latest = *co.last().expect("the initial write at least");
        for &w in co.iter().rev() {
            // Read last in coherence order, a new event has no edge out of it (no `po`,
            // `rf`, `co`, `fr` or `hb` successor) and can close no cycle: a consistent graph
            // extended so stays consistent, under every model (the square of the graph spared,
            // at each event of a long run).
            if w == latest && !fast {
                consistent.push(w);
                continue;
            }
            if fast {
                // Only atomicity left: a write of this read-modify-write's would come between
                // another one's write and the write that one read.
                let writes = change.as_ref().is_some_and(|c| c(graph.value(w)).is_some());
                if writes && rmw_follows(graph, w) {
                    atomicity_only.push(w);
                } else {
                    consistent.push(w);
                }
                continue;
            }
            // Each choice tried on the graph itself, and taken back.
            let read = graph.push(t, label(w));
            graph.event_mut(read).change = change.clone();
            push_rmw_write(graph, read);
            match judge_added(graph, model, read) {
                Verdict::Consistent => consistent.push(w),
                Verdict::AtomicityOnly => atomicity_only.push(w),
                Verdict::Inconsistent => {}
            }
            graph.undo_to(t, len, stamp);
        }
        // A waiting read's refused values: only the first choice (see `await_load`).
        if let Some(accept) = accept {
            let graph = self.graph();
            let first = consistent.first().copied();
            consistent.retain(|&w| Some(w) == first || accept(graph.value(w)));
            atomicity_only.retain(|&w| accept(graph.value(w)));
        }
        let rf = if self.sampling() {
            let all: Vec<EventId> = consistent.iter().chain(&atomicity_only).copied().collect();
            if all.is_empty() {
                self.block();
                return None;
            }
            all[self.choose(all.len())]
        } else {
            let Some(&rf) = consistent.first() else {
                self.block();
                return None;
            };
            rf
        };
        let read = self.add(t, label(rf));
        let sampling = self.sampling();
        let state = self.state();
        state.graph.event_mut(read).change = change;
        state.graph.event_mut(read).added_max = co.last() == Some(&rf);
        if !sampling {
            let others = consistent[1..]
                .iter()
                .chain(&atomicity_only)
                .map(|&rf| Revisit::Read { read, rf });
            state.work.extend(others);
        }
        let old = state.graph.value(rf);
        let added = state.graph.thread(t).len();
        let backward = add_rmw_write(&mut state.graph, read);
        if state.graph.thread(t).len() > added {
            self.run().done[t as usize] += 1;
            let consistent = if fast || rf == latest {
                consistent.contains(&rf)
            } else {
                judge_added(self.graph(), model, read) == Verdict::Consistent
            };
            if rf == latest && self.graph().checks_derived() {
                assert!(
                    is_consistent(self.graph(), model),
                    "{read} read the latest write"
                );
            }
            if !self.branch(backward, consistent) {
                return None;
            }
        }
        Some(old)
    }

    /// Thread `t` stores `val` to `loc` with `ord`; `None` if the run is blocked.
    pub fn store(&mut self, t: Tid, loc: Loc, val: Val, ord: Ordering) -> Option<()> {
        if let Some(write) = self.replayed(
            t,
            |l| matches!(*l, Label::Write { loc: at, rmw: false, .. } if at == loc),
        ) {
            self.rewrite(write, val);
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
        let check = check_for(graph, model, ord);
        let fast = check != Check::Full;
        if graph.checks_derived() {
            assert!(is_consistent(graph, model), "{write} placed last");
        }
        // Its consistent places in coherence order: last first (always consistent, as a read
        // of the latest write is: see `read`); none before the writes coherence puts before
        // it.
        let floor = floor(graph, loc, t, write.index, check);
        let all = graph.co(loc);
        let co = all[floor.min(all.len() - 2)..].to_vec();
        let mut places = vec![co[co.len() - 2]];
        for &after in &co[..co.len() - 2] {
            if fast {
                // Not between a read-modify-write's write and the write its read read.
                if !rmw_follows(graph, after) {
                    places.push(after);
                }
                continue;
            }
            graph.place_after(write, after);
            if judge_added(graph, model, write) == Verdict::Consistent {
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

    /// Thread `t`'s fence of `ord`: never blocks the run (a new fence keeps a consistent graph
    /// consistent), `Option` as the other operations.
    pub fn fence(&mut self, t: Tid, ord: Ordering) -> Option<()> {
        if self.replayed(t, |l| *l == Label::Fence { ord }).is_some() {
            return Some(());
        }
        // A new fence has no edge out of it: it keeps a consistent graph consistent (see
        // `read`).
        let fence = self.add(t, Label::Fence { ord });
        let (graph, model) = (self.graph(), self.explorer.model);
        if graph.checks_derived() {
            assert!(is_consistent(graph, model), "{fence} added");
        }
        Some(())
    }

    /// Thread `t`'s latest event run in this run: for a read-modify-write that wrote, its
    /// write (its read is the event before).
    pub fn last_event(&mut self, t: Tid) -> Option<EventId> {
        let done = self.done(t);
        done.checked_sub(1)
            .map(|index| EventId { thread: t, index })
    }

    /// How many events thread `t` has run so far in this run.
    pub fn events_run(&mut self, t: Tid) -> u32 {
        self.done(t)
    }

    /// Whether thread `t`'s events `earlier` and `later` (ranges of its event indices) are the
    /// same reads: each only reads, none empty, the same locations read from the same writes,
    /// in the same order. A spin loop whose iteration repeats the one before does nothing
    /// new, and waits for another write (see `tapestry`'s c11 engine).
    pub fn same_reads(&self, t: Tid, earlier: Range<u32>, later: Range<u32>) -> bool {
        let events = self.graph().thread(t);
        let reads = |range: Range<u32>| -> Option<Vec<(Loc, EventId)>> {
            let slice = events.get(range.start as usize..range.end as usize)?;
            slice
                .iter()
                .map(|e| match e.label {
                    Label::Read { loc, rf, .. } => Some((loc, rf)),
                    _ => None,
                })
                .collect()
        };
        match (reads(earlier), reads(later)) {
            (Some(a), Some(b)) => !a.is_empty() && a == b,
            _ => false,
        }
    }

    /// Whether thread `t`'s last event is a read of the `co`-latest write of its location: a
    /// thread that stopped there to wait for another value (a lock's release, a notification)
    /// waits for ever in this execution; one whose read is older waits for a write the graph
    /// has, and another graph has it read that write instead.
    pub fn last_read_is_latest(&self, t: Tid) -> bool {
        let graph = self.graph();
        let Some(last) = graph.thread(t).last() else {
            return false;
        };
        match last.label {
            Label::Read { loc, rf, .. } => graph.co(loc).last() == Some(&rf),
            _ => false,
        }
    }

    /// Ends the run as one that is not an execution of the program: a thread stopped to wait
    /// at a read that another graph has reading a later write (see
    /// [`Execution::last_read_is_latest`]). Counted as blocked.
    pub fn abandon(self) {
        if let Some(run) = self.explorer.run.as_mut() {
            run.blocked = true;
        }
        self.finish();
    }

    /// Ends the run: counted as complete, unless it was blocked. (When sampling, a run the
    /// path's backward revisit stopped is not counted: the next run goes on along it.)
    pub fn finish(self) -> bool {
        let blocked = self.explorer.run.take().is_some_and(|r| r.blocked);
        if let Some(sampler) = &mut self.explorer.sampler {
            if sampler.restart {
                return false;
            }
            sampler.end_path(!blocked);
        }
        let stats = &mut self.explorer.stats;
        if blocked {
            stats.blocked += 1;
        } else {
            stats.complete += 1;
        }
        !blocked
    }
}
