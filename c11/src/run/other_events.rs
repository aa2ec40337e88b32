//! The events of a run that are no atomic access: spawns and joins, an `Arc`'s give-ups and
//! take-overs, plain (`UnsafeCell`) accesses and non-atomic ones to atomics with the data
//! races they make, and the numbers a run gives its objects, locations and cells.

use crate::graph::{EventId, Label, Loc, Ordering, Tid, Val};
use crate::run::Execution;

impl Execution<'_> {
    /// Thread `t` starts a thread: its number (the same in every run that replays this
    /// spawn).
    pub fn spawn(&mut self, t: Tid) -> Tid {
        if let Some(id) = self.replayed(t, |l| matches!(l, Label::Spawn { .. })) {
            let Label::Spawn { child } = self.graph().label(id) else {
                unreachable!("replayed a spawn")
            };
            return child;
        }
        let child = self.state().graph.add_thread();
        self.add(t, Label::Spawn { child });
        child
    }

    /// Thread `t` has waited for thread `child` to end.
    pub fn join(&mut self, t: Tid, child: Tid) {
        if self.replayed(t, |l| *l == Label::Join { child }).is_none() {
            self.add(t, Label::Join { child });
        }
    }

    /// Thread `t` reads `loc` without an atomic operation (an atomic's `get_mut`, which holds
    /// it exclusively): a relaxed load of the graph; with the other thread's write it races
    /// with, if one does (see [`crate::race_with`]). `None` if the run is blocked.
    pub fn exclusive_load(&mut self, t: Tid, loc: Loc) -> Option<(Val, Option<EventId>)> {
        let val = self.load(t, loc, Ordering::Relaxed)?;
        Some((val, self.race_of_last(t)))
    }

    /// Thread `t` writes `val` to `loc` without an atomic operation (through an atomic's
    /// `get_mut`): a relaxed store of the graph; with the other thread's access it races with,
    /// if one does. `None` if the run is blocked.
    pub fn exclusive_store(&mut self, t: Tid, loc: Loc, val: Val) -> Option<Option<EventId>> {
        self.store(t, loc, val, Ordering::Relaxed)?;
        Some(self.race_of_last(t))
    }

    /// For an atomic access, `access`: one of the non-atomic accesses `others` that it races
    /// with (see [`crate::race_with_any_of`]).
    pub fn race_with_any_of(&self, access: EventId, others: &[EventId]) -> Option<EventId> {
        crate::consistency::race_with_any_of(self.graph(), self.explorer.model, access, others)
    }

    fn race_of_last(&mut self, t: Tid) -> Option<EventId> {
        let access = self.last_event(t)?;
        crate::consistency::race_with(self.graph(), self.explorer.model, access)
    }

    /// Thread `t` gives a reference to shared object `obj` up (see [`Label::GiveUp`]).
    pub fn give_up(&mut self, t: Tid, obj: u32) {
        let label = Label::GiveUp { obj };
        if self.replayed(t, |l| *l == label).is_none() {
            self.add(t, label);
        }
    }

    /// Thread `t` takes shared object `obj` over (see [`Label::TakeOver`]). A run that replays
    /// the event runs it once the give-ups have run ([`Execution::replay_ready`]).
    pub fn take_over(&mut self, t: Tid, obj: u32) {
        let label = Label::TakeOver { obj };
        if self.replayed(t, |l| *l == label).is_none() {
            self.add(t, label);
        }
    }

    /// The shared object of thread `t`'s next event, the first give-up or take-over of this
    /// run of it: the graph's, if the graph has the event, else a new one (named where it is
    /// first used, as [`Execution::location_for`] names locations).
    pub fn object_for(&mut self, t: Tid) -> u32 {
        if let Some(Label::GiveUp { obj } | Label::TakeOver { obj }) = self.next_label(t) {
            return obj;
        }
        self.graph()
            .events()
            .filter_map(|(_, e)| match e.label {
                Label::GiveUp { obj } | Label::TakeOver { obj } => Some(obj + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Thread `t` reads (or writes) plain memory `cell`: the other thread's access that it
    /// races with, if one does (see [`Label::Plain`]).
    pub fn plain(&mut self, t: Tid, cell: u32, write: bool) -> Option<EventId> {
        let label = Label::Plain { cell, write };
        let access = match self.replayed(t, |l| *l == label) {
            Some(id) => id,
            None => self.add(t, label),
        };
        crate::consistency::race_with(self.graph(), self.explorer.model, access)
    }

    /// The location of thread `t`'s next event, the first operation of this run on a
    /// location it has not used before: the graph's location, if the graph has the event,
    /// else a new one starting as `init`. A location is named where it is first used rather
    /// than where it is made: a program may make its objects lazily, by whichever thread
    /// touches one first, and a replay may run its threads in another order than the run
    /// that added the events.
    pub fn location_for(&mut self, t: Tid, init: Val) -> Loc {
        if let Some(loc) = self.next_label(t).and_then(|l| l.loc()) {
            // Its initial value in this run: the same as when the graph was made, but for
            // what differs between runs (an address), as a replayed write's
            // (`Execution::rewrite`).
            self.state().graph.set_init(loc, init);
            return loc;
        }
        let loc = self
            .graph()
            .locations()
            .map(|(l, _)| l + 1)
            .max()
            .unwrap_or(0);
        self.state().graph.add_location(loc, init);
        loc
    }

    /// The plain memory (an `UnsafeCell`) of thread `t`'s next event, the first access of this
    /// run to it: the graph's, if the graph has the event, else a new one (named where it is
    /// first used, as [`Execution::location_for`] names locations).
    pub fn cell_for(&mut self, t: Tid) -> u32 {
        if let Some(Label::Plain { cell, .. }) = self.next_label(t) {
            return cell;
        }
        self.graph()
            .events()
            .filter_map(|(_, e)| match e.label {
                Label::Plain { cell, .. } => Some(cell + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}
