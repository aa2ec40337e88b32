//! The locks of `tapestry::tokio` as a deadlock among tasks is reported with.

use crate::rt::event::ThreadIdx;

/// Which thread waits for which lock of `tapestry::tokio` (a lock known by its address), and
/// which threads hold each: what a deadlock among tasks is reported with.
#[derive(Debug, Default)]
pub(crate) struct AsyncLocks {
    waiting: Vec<(ThreadIdx, usize)>,
    holding: Vec<(usize, ThreadIdx)>,
}

impl AsyncLocks {
    pub(crate) fn wait(&mut self, thread: ThreadIdx, lock: usize) {
        self.waiting.retain(|&(t, _)| t != thread);
        self.waiting.push((thread, lock));
    }

    pub(crate) fn done_waiting(&mut self, thread: ThreadIdx, lock: usize) {
        self.waiting.retain(|&w| w != (thread, lock));
    }

    pub(crate) fn hold(&mut self, thread: ThreadIdx, lock: usize) {
        self.holding.push((lock, thread));
    }

    /// One hold of `lock` ends: `thread`'s if it has one (a guard may be dropped elsewhere).
    pub(crate) fn release(&mut self, thread: ThreadIdx, lock: usize) {
        let at = self
            .holding
            .iter()
            .position(|&h| h == (lock, thread))
            .or_else(|| self.holding.iter().position(|&(l, _)| l == lock));
        if let Some(at) = at {
            self.holding.remove(at);
        }
    }

    /// `Some(holder)` if `thread` waits for a lock (`holder`: who holds it, if known).
    pub(super) fn waits_for(&self, thread: ThreadIdx) -> Option<Option<ThreadIdx>> {
        let &(_, lock) = self.waiting.iter().find(|&&(t, _)| t == thread)?;
        Some(
            self.holding
                .iter()
                .find(|&&(l, h)| l == lock && h != thread)
                .map(|&(_, h)| h),
        )
    }
}
