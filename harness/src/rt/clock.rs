//! Vector clocks: the happens-before order of an execution, as the facade's synchronisation
//! operations create it.

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
        self.0.clone_from(&source.0);
    }
}

impl VectorClock {
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
}
