//! Execution graphs: each thread's events in program order, which write each read reads from
//! (`rf`), and the order of the writes to each location (`co`, coherence order).
//!
//! Every event also has a *stamp*, the order in which the exploration added it. The
//! exploration ([`crate::explore`]) uses stamps to know what was added after what; the model
//! ([`crate::consistency`]) ignores them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use self::derived::{Derived, Index};
use self::sc_views::ScViews;

mod derived;
mod sc_views;

/// A thread: `0..` in the order the threads were created.
pub type Tid = u32;
/// A memory location (an atomic), named by its user.
pub type Loc = u32;
/// A value, as bits.
pub type Val = u64;

/// The thread of the initial writes, one per location, which happen before everything.
pub const INIT: Tid = Tid::MAX;

/// The ordering of an atomic access or fence, as `std::sync::atomic::Ordering`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ordering {
    Relaxed,
    Release,
    Acquire,
    AcqRel,
    SeqCst,
}

impl Ordering {
    /// Whether it releases: `Release`, `AcqRel`, `SeqCst`.
    pub fn releases(self) -> bool {
        matches!(
            self,
            Ordering::Release | Ordering::AcqRel | Ordering::SeqCst
        )
    }

    /// Whether it acquires: `Acquire`, `AcqRel`, `SeqCst`.
    pub fn acquires(self) -> bool {
        matches!(
            self,
            Ordering::Acquire | Ordering::AcqRel | Ordering::SeqCst
        )
    }

    pub fn is_seq_cst(self) -> bool {
        self == Ordering::SeqCst
    }
}

/// An event: the `index`th of thread `thread`; an initial write is `(INIT, location)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId {
    pub thread: Tid,
    pub index: u32,
}

impl EventId {
    /// The initial write of `loc`.
    pub fn init(loc: Loc) -> EventId {
        EventId {
            thread: INIT,
            index: loc,
        }
    }

    pub fn is_init(self) -> bool {
        self.thread == INIT
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_init() {
            write!(f, "init({})", self.index)
        } else {
            write!(f, "T{}#{}", self.thread, self.index)
        }
    }
}

/// What an event does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// A load, or the read of a read-modify-write.
    Read {
        loc: Loc,
        ord: Ordering,
        /// The write it reads from.
        rf: EventId,
        /// For the read of a read-modify-write that may fail (a `compare_exchange`): its
        /// ordering when it fails, which it has when no write follows it.
        fail_ord: Option<Ordering>,
        /// Whether it is the read of a read-modify-write: a write follows it, if it succeeds.
        exclusive: bool,
    },
    /// A store, or the write of a read-modify-write (`rmw`: the event before it in its
    /// thread is that read).
    Write {
        loc: Loc,
        val: Val,
        ord: Ordering,
        rmw: bool,
    },
    Fence {
        ord: Ordering,
    },
    /// Starts thread `child`: everything before it in this thread happens before the child's
    /// events.
    Spawn {
        child: Tid,
    },
    /// Waits for thread `child` to end: the child's events happen before it.
    Join {
        child: Tid,
    },
    /// A reference to shared object `obj` given up (a reference-counted pointer's drop that
    /// is not the last): it happens before the object's [`Label::TakeOver`]. Between two
    /// give-ups there is no order: the decrements of a reference count release, and only the
    /// one that reaches zero acquires.
    GiveUp {
        obj: u32,
    },
    /// Shared object `obj` taken over by the thread that holds its only reference (the last
    /// drop, or a uniqueness check that succeeds): every [`Label::GiveUp`] of `obj` happens
    /// before it. Its user names a new object for the give-ups that come after.
    TakeOver {
        obj: u32,
    },
    /// A plain (non-atomic) access to memory `cell`, a number of its own (an `UnsafeCell`):
    /// it reads from nothing the model chooses, and two of them, one writing, that nothing
    /// orders by happens-before are a data race.
    Plain {
        cell: u32,
        write: bool,
    },
}

impl Label {
    /// The location it accesses (none: a fence).
    pub fn loc(&self) -> Option<Loc> {
        match *self {
            Label::Read { loc, .. } | Label::Write { loc, .. } => Some(loc),
            Label::Fence { .. }
            | Label::Spawn { .. }
            | Label::Join { .. }
            | Label::GiveUp { .. }
            | Label::TakeOver { .. }
            | Label::Plain { .. } => None,
        }
    }

    pub fn is_read(&self) -> bool {
        matches!(self, Label::Read { .. })
    }

    /// The ordering it has (none: not an atomic access or fence); the read of a
    /// read-modify-write that did not write (`wrote`) failed, and has its failure ordering.
    pub fn ordering(&self, wrote: bool) -> Option<Ordering> {
        match *self {
            Label::Read {
                ord,
                fail_ord,
                exclusive,
                ..
            } => Some(if exclusive && !wrote {
                fail_ord.unwrap_or(ord)
            } else {
                ord
            }),
            Label::Write { ord, .. } | Label::Fence { ord } => Some(ord),
            Label::Spawn { .. }
            | Label::Join { .. }
            | Label::GiveUp { .. }
            | Label::TakeOver { .. }
            | Label::Plain { .. } => None,
        }
    }

    pub fn is_write(&self) -> bool {
        matches!(self, Label::Write { .. })
    }
}

/// What a read-modify-write writes, given the value its read read (`None`: nothing, a
/// failed `compare_exchange`).
pub type Change = Arc<dyn Fn(Val) -> Option<Val> + Send + Sync>;

/// An event of a thread, with what the exploration knows of it.
#[derive(Clone)]
pub struct Event {
    pub label: Label,
    /// For the read of a read-modify-write: what it writes, so that the exploration can add
    /// the write when it changes what the read reads.
    pub change: Option<Change>,
    /// When it was added (see the module docs).
    pub stamp: u32,
    /// Whether, when it was added or last revisited, it took the greatest choice: a read
    /// the `co`-last write, a write the `co`-last place (the exploration's maximality test).
    pub added_max: bool,
    /// Whether a write added later may make it read from that write (a backward revisit);
    /// not for events that a backward revisit kept as the prefix of its write.
    pub revisitable: bool,
    /// What the graph derives from the events before it (see [`derived`]).
    derived: Derived,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("label", &self.label)
            .field("stamp", &self.stamp)
            .field("added_max", &self.added_max)
            .field("revisitable", &self.revisitable)
            .finish_non_exhaustive()
    }
}

/// An execution graph (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Graph {
    threads: Vec<Vec<Event>>,
    /// Per location: its initial value and its writes in coherence order, the initial write
    /// first.
    locs: BTreeMap<Loc, Location>,
    next_stamp: u32,
    /// Per thread, the `Spawn` event that names it, if the graph has one (asked for at every
    /// walk back through a thread's first event).
    spawns: Vec<Option<EventId>>,
    index: Index,
    sc: ScViews,
}

#[derive(Clone, Debug)]
struct Location {
    init: Val,
    co: Vec<EventId>,
}

impl Graph {
    /// A graph of `threads` threads with no events, and the locations `locs` with their
    /// initial values.
    pub fn new(threads: usize, locs: &[(Loc, Val)]) -> Graph {
        Graph {
            threads: vec![Vec::new(); threads],
            locs: locs
                .iter()
                .map(|&(loc, init)| {
                    (
                        loc,
                        Location {
                            init,
                            co: vec![EventId::init(loc)],
                        },
                    )
                })
                .collect(),
            next_stamp: 0,
            spawns: vec![None; threads],
            index: Index::default(),
            sc: ScViews::default(),
        }
    }

    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// A thread for a new spawn: the lowest-numbered one no `Spawn` of the graph names and
    /// that has no events (a revisit deleted the spawn that made it), or a new one.
    pub fn add_thread(&mut self) -> Tid {
        let free = (1..self.threads.len() as Tid)
            .find(|&t| self.spawned_at(t).is_none() && self.threads[t as usize].is_empty());
        free.unwrap_or_else(|| {
            self.threads.push(Vec::new());
            self.spawns.push(None);
            self.threads.len() as Tid - 1
        })
    }

    /// Adds location `loc`, starting as `init`, unless the graph has it already.
    pub fn add_location(&mut self, loc: Loc, init: Val) {
        self.locs.entry(loc).or_insert_with(|| Location {
            init,
            co: vec![EventId::init(loc)],
        });
    }

    /// Makes `loc`, which the graph has, start as `init`.
    pub(crate) fn set_init(&mut self, loc: Loc, init: Val) {
        if let Some(location) = self.locs.get_mut(&loc) {
            location.init = init;
        }
    }

    /// Where thread `child` was spawned: the `Spawn` event that names it.
    pub fn spawned_at(&self, child: Tid) -> Option<EventId> {
        self.spawns.get(child as usize).copied().flatten()
    }

    /// The events of other threads that event `id` (with `label`) waits for, besides its
    /// thread's previous event and its read's write: a join's child's last event, a
    /// take-over's give-ups. Each happens before it.
    pub fn awaited_by(&self, id: EventId, label: Label) -> Vec<EventId> {
        match label {
            Label::Join { child } => self.threads[child as usize]
                .len()
                .checked_sub(1)
                .map(|last| EventId {
                    thread: child,
                    index: last as u32,
                })
                .into_iter()
                .collect(),
            Label::TakeOver { obj } => self
                .events()
                .filter(|&(other, e)| e.label == Label::GiveUp { obj } && other.thread != id.thread)
                .map(|(other, _)| other)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The events of thread `t`, in program order.
    pub fn thread(&self, t: Tid) -> &[Event] {
        &self.threads[t as usize]
    }

    /// Event `id` (none for an initial write, which has no [`Event`]).
    pub fn event(&self, id: EventId) -> Option<&Event> {
        if id.is_init() {
            return None;
        }
        self.threads.get(id.thread as usize)?.get(id.index as usize)
    }

    pub(crate) fn event_mut(&mut self, id: EventId) -> &mut Event {
        &mut self.threads[id.thread as usize][id.index as usize]
    }

    /// The label of `id`; an initial write's is a relaxed write of the initial value.
    pub fn label(&self, id: EventId) -> Label {
        match self.event(id) {
            Some(event) => event.label,
            None => Label::Write {
                loc: id.index,
                val: self.locs[&id.index].init,
                ord: Ordering::Relaxed,
                rmw: false,
            },
        }
    }

    /// Whether `read` is the read of a read-modify-write that wrote: its thread's next event is
    /// that read-modify-write's write (one that did not write failed).
    pub fn wrote(&self, read: EventId) -> bool {
        let next = EventId {
            thread: read.thread,
            index: read.index + 1,
        };
        !read.is_init()
            && self
                .event(next)
                .is_some_and(|e| matches!(e.label, Label::Write { rmw: true, .. }))
    }

    /// The stamp of `id`; initial writes come before everything.
    pub fn stamp(&self, id: EventId) -> Option<u32> {
        self.event(id).map(|e| e.stamp)
    }

    /// The value write `id` writes.
    pub fn value(&self, id: EventId) -> Val {
        match self.label(id) {
            Label::Write { val, .. } => val,
            other => panic!("{id} is no write: {other:?}"),
        }
    }

    /// The locations, each with its writes in coherence order.
    pub fn locations(&self) -> impl Iterator<Item = (Loc, &[EventId])> {
        self.locs.iter().map(|(&loc, l)| (loc, l.co.as_slice()))
    }

    /// The writes to `loc` in coherence order.
    pub fn co(&self, loc: Loc) -> &[EventId] {
        &self.locs[&loc].co
    }

    pub fn has_location(&self, loc: Loc) -> bool {
        self.locs.contains_key(&loc)
    }

    /// Every event but the initial writes, in no particular order.
    pub fn events(&self) -> impl Iterator<Item = (EventId, &Event)> {
        self.threads.iter().enumerate().flat_map(|(t, events)| {
            events.iter().enumerate().map(move |(i, e)| {
                (
                    EventId {
                        thread: t as Tid,
                        index: i as u32,
                    },
                    e,
                )
            })
        })
    }

    /// Adds `label` as the next event of thread `t`, with the next stamp; a write is placed
    /// last in its location's coherence order, and the read of a read-modify-write's write
    /// must be the event before it. (With [`Graph::set_rf`] and [`Graph::place_after`], a
    /// graph can be built by hand, to ask whether it is consistent.)
    pub fn push(&mut self, t: Tid, label: Label) -> EventId {
        let id = EventId {
            thread: t,
            index: self.threads[t as usize].len() as u32,
        };
        let derived = self.derive(id, label);
        self.threads[t as usize].push(Event {
            label,
            change: None,
            stamp: self.next_stamp,
            added_max: true,
            revisitable: true,
            derived,
        });
        self.next_stamp += 1;
        if let Label::Spawn { child } = label {
            if self.spawns.len() <= child as usize {
                self.spawns.resize(child as usize + 1, None);
            }
            self.spawns[child as usize] = Some(id);
        }
        if let Label::Write { loc, .. } = label {
            self.locs
                .get_mut(&loc)
                .expect("a known location")
                .co
                .push(id);
        }
        if let Label::Read { loc, rf, .. } = label {
            self.sc.add_reader(rf, id);
            if self.co(loc).last() != Some(&rf) {
                self.sc.changed();
            }
        }
        id
    }

    /// Takes back what was pushed since thread `t` had `len` events and the next stamp was
    /// `stamp` (only thread `t`'s events were pushed): a trial undone.
    pub(crate) fn undo_to(&mut self, t: Tid, len: usize, stamp: u32) {
        let written: Vec<Loc> = self.threads[t as usize][len..]
            .iter()
            .filter_map(|e| match e.label {
                Label::Write { loc, .. } => Some(loc),
                _ => None,
            })
            .collect();
        for loc in written {
            let co = &mut self.locs.get_mut(&loc).expect("a known location").co;
            co.retain(|id| id.thread != t || (id.index as usize) < len);
        }
        self.truncate(t, len);
        self.next_stamp = stamp;
    }

    pub(crate) fn next_stamp(&self) -> u32 {
        self.next_stamp
    }

    /// Places write `w` right after `after` in its location's coherence order.
    pub fn place_after(&mut self, w: EventId, after: EventId) {
        let loc = self.label(w).loc().expect("a write");
        let co = &mut self.locs.get_mut(&loc).expect("a known location").co;
        let was_last = co.last() == Some(&w);
        // Looked for from the end, where a new write and its place usually are.
        if let Some(at) = co.iter().rposition(|&x| x == w) {
            co.remove(at);
        }
        let at = co.iter().rposition(|&x| x == after).expect("in co") + 1;
        co.insert(at, w);
        if !(was_last && at + 1 == co.len()) {
            self.sc.changed();
        }
    }

    /// Makes read `r` read from `w`.
    pub fn set_rf(&mut self, r: EventId, w: EventId) {
        if let Label::Read { rf, .. } = &mut self.event_mut(r).label {
            let old = std::mem::replace(rf, w);
            self.sc.forget_reader(old, r);
            self.sc.add_reader(w, r);
            self.sc.changed();
            self.rederive_read(r);
        }
    }

    /// Keeps only the events `keep` says to keep, which must hold, per thread, a prefix.
    pub(crate) fn retain(&mut self, keep: impl Fn(EventId, &Event) -> bool) {
        for t in 0..self.threads.len() {
            let kept = self.threads[t]
                .iter()
                .enumerate()
                .take_while(|&(i, e)| {
                    keep(
                        EventId {
                            thread: t as Tid,
                            index: i as u32,
                        },
                        e,
                    )
                })
                .count();
            self.truncate(t as Tid, kept);
        }
        let lens: Vec<u32> = self.threads.iter().map(|t| t.len() as u32).collect();
        for location in self.locs.values_mut() {
            location
                .co
                .retain(|id| id.is_init() || id.index < lens[id.thread as usize]);
        }
    }

    /// The events that happen before `e` through program order, reads-from, spawns, joins and
    /// take-overs, `e` included: per thread, how many of its first events (its `porf` prefix).
    pub fn porf_prefix(&self, e: EventId) -> Vec<u32> {
        let Some(view) = self.porf_view(e) else {
            return self.porf_walk(e);
        };
        let mut view = view.to_vec();
        view.resize(self.threads.len(), 0);
        if self.checks_derived() {
            assert_eq!(view, self.porf_walk(e), "{e}");
        }
        view
    }

    /// [`Graph::porf_prefix`] by a walk back from `e`.
    fn porf_walk(&self, e: EventId) -> Vec<u32> {
        let mut view = vec![0u32; self.threads.len()];
        let mut todo = vec![e];
        while let Some(id) = todo.pop() {
            if id.is_init() || view[id.thread as usize] > id.index {
                continue;
            }
            let from = view[id.thread as usize];
            view[id.thread as usize] = id.index + 1;
            if from == 0
                && let Some(spawn) = self.spawned_at(id.thread)
            {
                todo.push(spawn);
            }
            for index in from..=id.index {
                let event = EventId {
                    thread: id.thread,
                    index,
                };
                match self.label(event) {
                    Label::Read { rf, .. } => todo.push(rf),
                    label => todo.extend(self.awaited_by(event, label)),
                }
            }
        }
        view
    }
}

/// Whether `id` is within `view` (per thread, a prefix length); initial writes always are.
pub fn in_view(view: &[u32], id: EventId) -> bool {
    id.is_init() || view.get(id.thread as usize).is_some_and(|&n| id.index < n)
}
