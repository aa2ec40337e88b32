//! What a graph derives from its events as it adds them, so that what the exploration asks
//! at every event costs a look instead of a walk back through the graph (a run of `n` events
//! walked back over at each: `n²`, seconds for a run of a few thousand): whether every
//! access is `SeqCst`, where a thread last released, which events happen before an event
//! (its *views*), and each thread's accesses to each location.
//!
//! Architecture invariant: an event's derived data depends only on events the graph had
//! when it was added, and every change to a graph either adds an event or cuts threads to
//! prefixes (which keeps, with an event, everything it derives from: a graph is kept
//! `porf`-closed); so it stays right. The two exceptions are handled where they happen: a
//! read-modify-write's read derives again when its write is added or cut off (its ordering
//! is its failure ordering without it), and a read given another write derives again, when
//! it is its thread's last event (as in every revisit), or else marks the graph's views
//! inexact (graphs built by hand), and the views' users walk instead.

use std::cell::OnceCell;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use smallvec::{SmallVec, smallvec};

use super::{EventId, Graph, Label, Loc, Ordering, Tid};

/// What an event derives, with the events before it.
#[derive(Clone, Debug, Default)]
pub(super) struct Derived {
    sums: Sums,
    releases: Releases,
    /// Computed when first asked for ([`Graph::views`]): a program whose every access is
    /// `SeqCst` asks for few.
    views: OnceCell<Views>,
    /// For an access: its thread's previous access to the same location.
    prev_access: Option<u32>,
}

/// Of a thread's events up to one, how many are atomic accesses or fences that are not
/// `SeqCst`, and how many are `SeqCst` fences: a graph's totals in one look per thread.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    not_seq_cst: u32,
    seq_cst_fences: u32,
}

/// Where an event's thread last released, in the indexes of its events.
#[derive(Clone, Copy, Debug, Default)]
struct Releases {
    /// Its latest releasing fence, up to this event.
    fence: Option<u32>,
    /// For an access: the latest releasing write to its location, up to this event.
    write: Option<u32>,
}

/// Which events come before an event, per thread a prefix length, by two relations.
#[derive(Clone, Debug, Default)]
struct Views {
    /// Two views of as many threads, one allocation: RC11's happens-before, `(po ∪ asw ∪
    /// sw)⁺` (see [`crate::consistency`]), then `(po ∪ asw ∪ rf)⁺` (what a backward revisit
    /// keeps, and happens-before when every access is `SeqCst`); each with the event.
    hb_porf: View,
    /// For a write: what an acquiring read of it synchronises with, joined: the
    /// happens-before views of the releasing events heading the release sequences along its
    /// `rf; rmw` chain back. None for other events.
    sync: SyncView,
}

/// [`Views::sync`], shared where it is an event's happens-before view.
#[derive(Clone, Debug, Default)]
enum SyncView {
    #[default]
    None,
    /// The happens-before view in this [`Views::hb_porf`].
    Hb(View),
    Own(View),
}

impl Views {
    fn hb(&self) -> &[u32] {
        &self.hb_porf[..self.hb_porf.len() / 2]
    }

    fn porf(&self) -> &[u32] {
        &self.hb_porf[self.hb_porf.len() / 2..]
    }

    fn sync(&self) -> Option<&[u32]> {
        match &self.sync {
            SyncView::None => None,
            SyncView::Hb(both) => Some(&both[..both.len() / 2]),
            SyncView::Own(view) => Some(view),
        }
    }
}

/// Per thread, how many of its first events; shared, as a graph is cloned at each revisit.
type View = Arc<[u32]>;

/// The graph's indexes of its events.
#[derive(Clone, Debug, Default)]
pub(super) struct Index {
    /// Per thread and location, the index of the thread's latest access to it (the others
    /// linked from it, [`Derived::prev_access`]).
    last_access: FxHashMap<(Tid, Loc), u32>,
    /// A read was given another write while events came after it in its thread.
    views_inexact: bool,
}

/// Joins `view` into `into`, which has at least as many threads.
fn join(into: &mut [u32], view: &[u32]) {
    for (a, &b) in into.iter_mut().zip(view) {
        *a = (*a).max(b);
    }
}

impl Graph {
    /// What the new event `id` with `label` derives; indexes it.
    pub(super) fn derive(&mut self, id: EventId, label: Label) -> Derived {
        if let (Label::Write { rmw: true, .. }, Some(index)) = (label, id.index.checked_sub(1)) {
            // Its read wrote after all: it has its own ordering, not its failure ordering.
            let read = EventId {
                thread: id.thread,
                index,
            };
            self.rederive(read, true);
        }
        let prev_access = label
            .loc()
            .and_then(|loc| self.index.last_access.insert((id.thread, loc), id.index));
        Derived {
            sums: self.sums_of(id, label, false),
            releases: self.releases_of(id, label, prev_access),
            views: OnceCell::new(),
            prev_access,
        }
    }

    /// Derives event `id` again, as the read of a read-modify-write that wrote (`wrote`) or
    /// not.
    fn rederive(&mut self, id: EventId, wrote: bool) {
        let Some(event) = self.event(id) else {
            return;
        };
        let sums = self.sums_of(id, event.label, wrote);
        let derived = &mut self.event_mut(id).derived;
        derived.sums = sums;
        derived.views = OnceCell::new();
    }

    /// Read `read` was given another write: derives it again, or marks the views inexact.
    pub(super) fn rederive_read(&mut self, read: EventId) {
        if read.index as usize + 1 == self.thread(read.thread).len() {
            self.rederive(read, false);
        } else {
            self.index.views_inexact = true;
        }
    }

    fn sums_of(&self, id: EventId, label: Label, wrote: bool) -> Sums {
        let before = id.index.checked_sub(1).map(|index| EventId {
            thread: id.thread,
            index,
        });
        let mut sums = before.map_or(Sums::default(), |b| self.derived(b).sums);
        let ord = label.ordering(wrote);
        if ord.is_some_and(|o| !o.is_seq_cst()) {
            sums.not_seq_cst += 1;
        }
        if matches!(label, Label::Fence { .. }) && ord.is_some_and(Ordering::is_seq_cst) {
            sums.seq_cst_fences += 1;
        }
        sums
    }

    fn derived(&self, id: EventId) -> &Derived {
        &self.threads[id.thread as usize][id.index as usize].derived
    }

    /// Event `id`'s views, computed first if they are not, with those of the events they
    /// derive from (by a loop: a long run's chain of them would overflow the stack).
    fn views(&self, id: EventId) -> &Views {
        if let Some(views) = self.derived(id).views.get() {
            return views;
        }
        let mut todo: SmallVec<[EventId; 16]> = smallvec![id];
        while let Some(&next) = todo.last() {
            if self.derived(next).views.get().is_some() {
                todo.pop();
                continue;
            }
            let before = todo.len();
            todo.extend(
                self.derives_from(next)
                    .into_iter()
                    .filter(|&e| self.derived(e).views.get().is_none()),
            );
            if todo.len() == before {
                let views = self.views_of(next);
                let _ = self.derived(next).views.set(views);
                todo.pop();
            }
        }
        self.derived(id).views.get().expect("just computed")
    }

    /// The events whose views event `id`'s are made of ([`Graph::views_of`]), besides those
    /// before them in their threads.
    fn derives_from(&self, id: EventId) -> SmallVec<[EventId; 4]> {
        let label = self.label(id);
        let mut from: SmallVec<[EventId; 4]> = self.before(id).into_iter().collect();
        match label {
            Label::Join { .. } | Label::TakeOver { .. } => from.extend(self.awaited_by(id, label)),
            Label::Read { rf, .. } => from.push(rf),
            Label::Fence { .. } => from.extend(self.acquired_by_fence(id).map(|(_, rf)| rf)),
            _ => {}
        }
        from.retain(|e| !e.is_init());
        from
    }

    /// The event right before `id` in happens-before's program order: its thread's previous
    /// one, or for its first the spawn that started it.
    pub(super) fn before(&self, id: EventId) -> Option<EventId> {
        match id.index.checked_sub(1) {
            Some(index) => Some(EventId {
                thread: id.thread,
                index,
            }),
            None => self.spawned_at(id.thread),
        }
    }

    /// For `fence`, if it acquires: the reads that do not acquire since its thread's previous
    /// acquiring fence (those before it synchronise with that one, which comes before this
    /// one), each with the write it reads.
    fn acquired_by_fence(&self, fence: EventId) -> impl Iterator<Item = (EventId, EventId)> {
        let acquiring = |id: EventId| {
            self.label(id)
                .ordering(self.wrote(id))
                .is_some_and(Ordering::acquires)
        };
        let reads = if acquiring(fence) { fence.index } else { 0 };
        (0..reads)
            .rev()
            .map(move |index| EventId {
                thread: fence.thread,
                index,
            })
            .take_while(move |&id| {
                !(matches!(self.label(id), Label::Fence { .. }) && acquiring(id))
            })
            .filter_map(move |id| match self.label(id) {
                Label::Read { rf, .. } if !acquiring(id) => Some((id, rf)),
                _ => None,
            })
    }

    /// The views of event `id`, from those of the events it derives from, computed.
    fn views_of(&self, id: EventId) -> Views {
        let label = self.label(id);
        let releases = self.derived(id).releases;
        let computed = |e: EventId| self.derived(e).views.get().expect("computed first");
        // Views of as many threads as the graph has now (which is at least as many as any
        // view it computed before).
        let threads = self.threads.len();
        let mut both = vec![0u32; 2 * threads];
        let (hb, porf) = both.split_at_mut(threads);
        let before = self.before(id);
        if let Some(before) = before {
            join(hb, computed(before).hb());
            join(porf, computed(before).porf());
        }
        let acquires = label
            .ordering(self.wrote(id))
            .is_some_and(Ordering::acquires);
        match label {
            Label::Join { .. } | Label::TakeOver { .. } => {
                for awaited in self.awaited_by(id, label) {
                    join(hb, computed(awaited).hb());
                    join(porf, computed(awaited).porf());
                }
            }
            Label::Read { rf, .. } if !rf.is_init() => {
                join(porf, computed(rf).porf());
                if acquires && let Some(sync) = computed(rf).sync() {
                    join(hb, sync);
                }
            }
            Label::Fence { .. } => {
                for (_, rf) in self.acquired_by_fence(id) {
                    if !rf.is_init()
                        && let Some(sync) = computed(rf).sync()
                    {
                        join(hb, sync);
                    }
                }
            }
            _ => {}
        }
        let t = id.thread as usize;
        hb[t] = id.index + 1;
        porf[t] = id.index + 1;
        let hb_porf: View = both.into();
        let Label::Write { rmw, .. } = label else {
            return Views {
                hb_porf,
                sync: SyncView::None,
            };
        };
        let head = releases.write.max(releases.fence).map(|index| EventId {
            thread: id.thread,
            index,
        });
        let head = |own: &View| match head {
            Some(head) if head == id => Some(own.clone()),
            Some(head) => Some(computed(head).hb_porf.clone()),
            None => None,
        };
        let chain = match before.filter(|_| rmw).map(|b| self.label(b)) {
            Some(Label::Read { rf, .. }) if !rf.is_init() => computed(rf).sync(),
            _ => None,
        };
        let sync = match (head(&hb_porf), chain) {
            (None, None) => SyncView::None,
            (Some(head), None) => SyncView::Hb(head),
            (head, Some(chain)) => {
                let mut sync = vec![0; threads];
                join(&mut sync, chain);
                if let Some(head) = &head {
                    join(&mut sync, &head[..head.len() / 2]);
                }
                SyncView::Own(sync.into())
            }
        };
        Views { hb_porf, sync }
    }

    /// [`Releases`] of the new event `id` with `label`, after its thread's access
    /// `prev_access` to the same location.
    fn releases_of(&self, id: EventId, label: Label, prev_access: Option<u32>) -> Releases {
        let before = id.index.checked_sub(1).map(|index| {
            self.derived(EventId {
                thread: id.thread,
                index,
            })
            .releases
        });
        let fence = before.and_then(|r| r.fence);
        let releasing = label.ordering(false).is_some_and(Ordering::releases);
        let write = prev_access.and_then(|index| {
            self.derived(EventId {
                thread: id.thread,
                index,
            })
            .releases
            .write
        });
        match label {
            Label::Fence { .. } if releasing => Releases {
                fence: Some(id.index),
                write: None,
            },
            Label::Write { .. } if releasing => Releases {
                fence,
                write: Some(id.index),
            },
            _ => Releases { fence, write },
        }
    }

    /// Forgets thread `t`'s events from the `len`-th on, with the spawns they made (their
    /// writes' places in coherence order are the caller's).
    pub(super) fn truncate(&mut self, t: Tid, len: usize) {
        let events = &self.threads[t as usize];
        for (index, event) in events.iter().enumerate().skip(len).rev() {
            let id = EventId {
                thread: t,
                index: index as u32,
            };
            match event.label {
                Label::Spawn { child } => self.spawns[child as usize] = None,
                Label::Read { rf, .. } => self.sc.forget_reader(rf, id),
                _ => {}
            }
            let Some(loc) = event.label.loc() else {
                continue;
            };
            let last = match event.derived.prev_access {
                Some(prev) => self.index.last_access.insert((t, loc), prev),
                None => self.index.last_access.remove(&(t, loc)),
            };
            debug_assert_eq!(last, Some(index as u32));
        }
        let cut = len < events.len();
        if cut {
            self.sc.changed();
        }
        self.threads[t as usize].truncate(len);
        // A read-modify-write's read whose write was cut off failed after all.
        if let Some(last) = len.checked_sub(1).filter(|_| cut) {
            let read = EventId {
                thread: t,
                index: last as u32,
            };
            if matches!(
                self.label(read),
                Label::Read {
                    exclusive: true,
                    ..
                }
            ) {
                self.rederive(read, false);
            }
        }
    }

    /// Whether every atomic access and fence is `SeqCst` (a read-modify-write's read that
    /// did not write has its failure ordering).
    pub fn all_seq_cst(&self) -> bool {
        self.sums().all(|s| s.not_seq_cst == 0)
    }

    /// Whether the graph has a `SeqCst` fence.
    pub fn has_seq_cst_fence(&self) -> bool {
        self.sums().any(|s| s.seq_cst_fences > 0)
    }

    fn sums(&self) -> impl Iterator<Item = Sums> {
        self.threads
            .iter()
            .map(|events| events.last().map_or(Sums::default(), |e| e.derived.sums))
    }

    /// The latest releasing event of `write`'s thread that heads a release sequence holding
    /// `write`: `write` itself or an earlier releasing write to its location, or a releasing
    /// fence before it (none for an initial write).
    pub fn release_before(&self, write: EventId) -> Option<EventId> {
        let releases = self.event(write)?.derived.releases;
        let index = releases.write.max(releases.fence)?;
        Some(EventId {
            thread: write.thread,
            index,
        })
    }

    /// The events that happen before event `id` under RC11, `id` included (per thread, a
    /// prefix length; threads past its end have none), if the graph's views are exact.
    pub fn hb_view(&self, id: EventId) -> Option<&[u32]> {
        self.event(id).filter(|_| !self.index.views_inexact)?;
        Some(self.views(id).hb())
    }

    /// The events before event `id` in `(po ∪ asw ∪ rf)⁺`, `id` included, if the graph's
    /// views are exact (see [`Graph::hb_view`]).
    pub fn porf_view(&self, id: EventId) -> Option<&[u32]> {
        self.event(id).filter(|_| !self.index.views_inexact)?;
        Some(self.views(id).porf())
    }

    /// Whether a debug build checks what the graph derived against what the relations say
    /// (on small graphs only: checking costs a walk or the relations of the whole graph, at
    /// every event, which would make a long run's test take hours).
    pub fn checks_derived(&self) -> bool {
        const CHECKED_UP_TO: usize = 400;
        cfg!(debug_assertions) && self.event_count() <= CHECKED_UP_TO
    }

    /// How many events the graph has (initial writes aside).
    pub fn event_count(&self) -> usize {
        self.threads.iter().map(Vec::len).sum()
    }

    /// Thread `t`'s accesses to `loc` from its `from`-th event on, the latest first.
    pub fn accesses_from(&self, t: Tid, loc: Loc, from: u32) -> impl Iterator<Item = EventId> {
        let mut next = self.index.last_access.get(&(t, loc)).copied();
        std::iter::from_fn(move || {
            let index = next.filter(|&index| index >= from)?;
            let id = EventId { thread: t, index };
            next = self.derived(id).prev_access;
            Some(id)
        })
    }

    /// Thread `t`'s latest access to `loc` among its first `len` events.
    pub fn latest_access(&self, t: Tid, loc: Loc, len: u32) -> Option<EventId> {
        let mut index = *self.index.last_access.get(&(t, loc))?;
        while index >= len {
            index = self.threads[t as usize][index as usize]
                .derived
                .prev_access?;
        }
        Some(EventId { thread: t, index })
    }
}
