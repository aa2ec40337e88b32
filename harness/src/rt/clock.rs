//! Vector clocks: the happens-before order of an execution, as the facade's synchronisation
//! operations create it, in the two views the runtime keeps (see [`Clocks`]).

use super::event::ThreadIdx;

/// For each thread, how many of its synchronisation epochs happen before a point: a point
/// happens before another if its clock is at most the other's, component by component.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct VectorClock(Vec<u32>);

// By hand, for `clone_from`: releasing into an object's clock reuses its buffer instead of
// allocating one at every unlock and release store.
impl Clone for VectorClock {
    fn clone(&self) -> Self {
        VectorClock(self.0.clone())
    }

    fn clone_from(&mut self, source: &Self) {
        // Most often empty: the clock of a view that is not kept.
        if source.0.is_empty() {
            self.0.clear();
        } else {
            self.0.clone_from(&source.0);
        }
    }
}

impl VectorClock {
    pub(crate) const EMPTY: VectorClock = VectorClock(Vec::new());

    pub(crate) fn get(&self, thread: ThreadIdx) -> u32 {
        self.0.get(thread as usize).copied().unwrap_or(0)
    }

    fn slot(&mut self, thread: ThreadIdx) -> &mut u32 {
        let i = thread as usize;
        if i >= self.0.len() {
            self.0.resize(i + 1, 0);
        }
        &mut self.0[i]
    }

    /// Starts a new epoch of `thread`: what it does next does not happen before what it
    /// released until now.
    pub(crate) fn tick(&mut self, thread: ThreadIdx) {
        *self.slot(thread) += 1;
    }

    /// Takes in everything `other` knows.
    pub(crate) fn join(&mut self, other: &VectorClock) {
        if other.0.is_empty() {
            return;
        }
        if other.0.len() > self.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(*theirs);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// `thread`'s current epoch.
    pub(crate) fn epoch(&self, thread: ThreadIdx) -> Epoch {
        Epoch {
            thread,
            time: self.get(thread),
        }
    }
}

/// A point in one thread's history: thread `thread` in its epoch `time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Epoch {
    pub thread: ThreadIdx,
    pub time: u32,
}

impl Epoch {
    /// Whether this point happens before (or is) the point whose clock is `clock`.
    pub(crate) fn happens_before(self, clock: &VectorClock) -> bool {
        self.time <= clock.get(self.thread)
    }
}

/// Which views of happens-before an execution keeps clocks in now; each starts lazily (see
/// `Execution::keep_clocks`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Views(u8);

impl Views {
    pub(crate) const NONE: Views = Views(0);
    /// Every happens-before edge: what the race detector decides by.
    pub(crate) const RACE: Views = Views(1);
    /// Happens-before without the handoffs of locks that nest: what the lock-order predictor
    /// decides by (see `lock_order`).
    pub(crate) const ORDER: Views = Views(2);

    pub(crate) fn from_bits(bits: u8) -> Views {
        Views(bits)
    }

    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    /// Whether any view is kept.
    #[inline]
    pub(crate) fn any(self) -> bool {
        self.0 != 0
    }

    /// Whether every view of `views` is kept.
    #[inline]
    pub(crate) fn has(self, views: Views) -> bool {
        self.0 & views.0 == views.0
    }

    /// These views but `views`.
    #[inline]
    pub(crate) fn without(self, views: Views) -> Views {
        Views(self.0 & !views.0)
    }
}

/// What a point knows, in each view. A view that is not kept stays empty in every clock (no
/// thread ever ticks it), so joining or copying it costs a length check.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Clocks {
    /// Every happens-before edge ([`Views::RACE`]).
    pub race: VectorClock,
    /// Every edge but the handoffs of locks that nest ([`Views::ORDER`]).
    pub order: VectorClock,
}

impl Clone for Clocks {
    fn clone(&self) -> Self {
        Clocks {
            race: self.race.clone(),
            order: self.order.clone(),
        }
    }

    #[inline]
    fn clone_from(&mut self, source: &Self) {
        self.race.clone_from(&source.race);
        self.order.clone_from(&source.order);
    }
}

impl Clocks {
    pub(crate) const EMPTY: Clocks = Clocks {
        race: VectorClock::EMPTY,
        order: VectorClock::EMPTY,
    };

    /// Takes in everything `other` knows, in both views.
    #[inline]
    pub(crate) fn join(&mut self, other: &Clocks) {
        self.race.join(&other.race);
        self.order.join(&other.order);
    }

    #[inline]
    pub(crate) fn clear(&mut self) {
        self.race.clear();
        self.order.clear();
    }

    /// Starts a new epoch of `thread` in each view of `views`.
    #[inline]
    pub(crate) fn tick(&mut self, thread: ThreadIdx, views: Views) {
        if views.has(Views::RACE) {
            self.race.tick(thread);
        }
        if views.has(Views::ORDER) {
            self.order.tick(thread);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_takes_the_maximum_and_tick_starts_an_epoch() {
        let mut a = VectorClock::default();
        a.tick(0);
        a.tick(0);
        let mut b = VectorClock::default();
        b.tick(2);
        a.join(&b);
        assert_eq!((a.get(0), a.get(1), a.get(2)), (2, 0, 1));
        let before = a.epoch(0);
        a.tick(0);
        assert!(before.happens_before(&a));
        assert!(!a.epoch(0).happens_before(&b));
    }

    #[test]
    fn a_view_not_kept_stays_empty() {
        let mut a = Clocks::default();
        a.tick(1, Views::ORDER);
        let mut b = Clocks::default();
        b.tick(0, Views::RACE);
        b.join(&a);
        assert_eq!((b.race.get(0), b.order.get(1)), (1, 1));
        assert_eq!(a.race, VectorClock::default());
    }
}
