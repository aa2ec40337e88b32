//! The c11 engine's atomics: each a location of the graph, with what the program holds
//! `&mut` of it lent out, and what threads write once their run is over kept aside.

use std::cell::Cell;
use std::sync::atomic::Ordering;

use tapestry_c11::{EventId, Execution as Run, Label, Loc, Tid, Val};

use super::backend::{Place, data_race, gone, ordering, with_run};
use crate::rt::{self, AtomicRepr, Lent, RawAtomic, RmwOp, WriteBack};

/// An atomic: a location of the graph.
///
/// While the program holds it `&mut` (`get_mut`, `into_inner`) its value is lent from
/// a [`Lent`]: read out with a non-atomic load of the graph and, if the program changed it,
/// written back with a non-atomic store, as the thread that took it (see [`WriteBack`]). Each
/// is a data race unless every other thread's conflicting access to the atomic happens before
/// or after it.
///
/// Once the run is over for the running thread (see [`gone`]: it unwinds out of a failed
/// execution or an abandoned run), its operations are no events of the graph, and what it
/// writes is kept aside in `unwound`: what threads read then, so that destructors running
/// as the run ends see each other's writes (one that waits for another's store can end).
pub(super) struct C11Atomic {
    place: Place,
    lent: Lent,
    repr: AtomicRepr,
    unwound: Cell<Option<u64>>,
}

impl C11Atomic {
    pub(super) fn new(place: Place, repr: AtomicRepr) -> C11Atomic {
        C11Atomic {
            place,
            lent: Lent::default(),
            repr,
            unwound: Cell::new(None),
        }
    }

    /// The value a thread whose run is over reads: the last it or another such thread wrote,
    /// else the graph's latest.
    fn latest(&self) -> u64 {
        self.unwound.get().unwrap_or_else(|| self.place.latest())
    }
}

// SAFETY: the c11 engine runs every model thread on one OS thread (shuttle's), one at a time;
// `Lent` and `unwound` are touched only by the running one.
unsafe impl Send for C11Atomic {}
// SAFETY: as above.
unsafe impl Sync for C11Atomic {}

/// What an atomic operation of thread `me` just did in the graph: the write it read from, if
/// it read, and the write it made, if it wrote.
fn accessed(run: &mut Run<'_>, me: Tid) -> (Option<EventId>, Option<EventId>) {
    let Some(last) = run.last_event(me) else {
        return (None, None);
    };
    let graph = run.graph();
    let read_of = |id| match graph.label(id) {
        Label::Read { rf, .. } => Some(rf),
        _ => None,
    };
    match graph.label(last) {
        Label::Write { rmw: true, .. } => {
            let read = EventId {
                thread: me,
                index: last.index - 1,
            };
            (read_of(read), Some(last))
        }
        Label::Write { .. } => (None, Some(last)),
        Label::Read { rf, .. } => (Some(rf), None),
        _ => (None, None),
    }
}

impl C11Atomic {
    /// The running thread's next operation on this atomic, `op`; the trace learns which
    /// store it read, if it read, and where the store it made is, if it wrote.
    fn access<R>(&self, op: impl FnOnce(&mut Run<'_>, Tid, Loc) -> Option<R>) -> R {
        let (result, (read, wrote), loc) = self.place.event(|run, me, loc| {
            let result = op(run, me, loc)?;
            Some((result, accessed(run, me), loc))
        });
        // The get_mut accesses to this atomic before this access (the exploration usually
        // also runs them after it, in a graph where this reads or writes around them, but not
        // always: a run replays a graph that is no interleaving in an order of its own).
        let non_atomic: Vec<EventId> = {
            let shared = self.place.shared().lock();
            let on_loc = shared.non_atomic.iter().filter(|&&(l, _)| l == loc);
            on_loc.map(|&(_, id)| id).collect()
        };
        if !non_atomic.is_empty() {
            let raced = with_run(self.place.shared(), |run, me| {
                let access = run.last_event(me)?;
                run.race_with_any_of(access, &non_atomic)
            });
            if let Some(other) = raced {
                data_race(
                    self.place.shared(),
                    other,
                    "on an atomic: this thread accesses it atomically",
                    "accessed it without an atomic operation (through `get_mut` or `into_inner`)",
                );
            }
        }
        if let Some(step) = rt::next_step() {
            let mut shared = self.place.shared().lock();
            if let Some(write) = wrote {
                shared.steps.insert(write, step);
            }
            let from = read.and_then(|rf| match rf.is_init() {
                true => Some(None),
                false => shared.steps.get(&rf).map(|&step| Some(step)),
            });
            drop(shared);
            if let Some(from) = from {
                rt::note_read_from(step, from);
            }
        }
        result
    }

    /// A non-atomic access of the running thread, `op` (see [`C11Atomic`]): fails the
    /// execution with a data race if another thread's conflicting access is unordered with it.
    fn exclusive<R>(
        &self,
        op: impl FnOnce(&mut Run<'_>, Tid, Loc) -> Option<(R, Option<EventId>)>,
    ) -> R {
        let (result, raced, access) = self.place.event(|run, me, loc| {
            let (result, raced) = op(run, me, loc)?;
            let access = run.last_event(me).expect("the access just added");
            Some((result, raced, (loc, access)))
        });
        self.place.shared().lock().non_atomic.push(access);
        if let Some(other) = raced {
            data_race(
                self.place.shared(),
                other,
                "on an atomic: this thread accesses it without an atomic operation (through \
                 `get_mut` or `into_inner`)",
                "accesses it",
            );
        }
        result
    }

    /// Writes back what the program wrote through `get_mut`, and ends the lending: before an
    /// operation on the atomic (see [`Lent::end`]).
    #[inline]
    fn end_lending(&self) {
        self.lent.end(self);
    }

    /// A read-modify-write that writes `change(old)`; returns `old`.
    fn rmw(
        &self,
        order: Ordering,
        failure: Option<Ordering>,
        change: impl Fn(Val) -> Option<Val> + Send + Sync + 'static,
    ) -> u64 {
        self.end_lending();
        if gone() {
            let old = self.peek();
            if let Some(new) = change(old) {
                self.unwound.set(Some(new));
            }
            return old;
        }
        let (ord, fail_ord) = (ordering(order), failure.map(ordering));
        self.access(|run, me, loc| run.rmw(me, loc, ord, fail_ord, change))
    }
}

impl RawAtomic for C11Atomic {
    fn load(&self, order: Ordering) -> u64 {
        self.end_lending();
        if gone() {
            return self.peek();
        }
        self.access(|run, me, loc| run.load(me, loc, ordering(order)))
    }

    fn store(&self, bits: u64, order: Ordering) {
        self.end_lending();
        if gone() {
            self.unwound.set(Some(bits));
            return;
        }
        self.access(|run, me, loc| run.store(me, loc, bits, ordering(order)));
    }

    fn swap(&self, bits: u64, order: Ordering) -> u64 {
        self.rmw(order, None, move |_| Some(bits))
    }

    fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
        _weak: bool,
    ) -> Result<u64, u64> {
        let old = self.rmw(success, Some(failure), move |old| {
            (old == current).then_some(new)
        });
        if old == current { Ok(old) } else { Err(old) }
    }

    fn fetch(&self, op: RmwOp, bits: u64, order: Ordering) -> u64 {
        let repr = self.repr;
        self.rmw(order, None, move |old| Some(op.apply(repr, old, bits)))
    }

    fn get_mut(&mut self) -> *mut u8 {
        // Once the run is over and this thread unwinds (a destructor reading what it owns,
        // say): the latest value, and no event, nor a panic, which would abort the process.
        // What is written there then is kept aside (`unwound`).
        let (this, gone) = (&*self, gone());
        this.lent
            .lend(this.repr, this as &dyn WriteBack, !gone, || match gone {
                true => this.latest(),
                false => this.exclusive(|run, me, loc| run.exclusive_load(me, loc)),
            })
    }

    fn peek(&self) -> u64 {
        let lent = self.lent.peek(self.repr);
        lent.unwrap_or_else(|| self.latest())
    }
}

impl WriteBack for C11Atomic {
    fn write_back(&self) {
        if gone() {
            if let Some(bits) = self.lent.changed(self.repr) {
                self.unwound.set(Some(bits));
            }
            return;
        }
        if let Some(bits) = self.lent.changed(self.repr) {
            self.exclusive(|run, me, loc| Some(((), run.exclusive_store(me, loc, bits)?)));
        }
    }
}

impl Drop for C11Atomic {
    fn drop(&mut self) {
        self.lent.forget(self);
    }
}
