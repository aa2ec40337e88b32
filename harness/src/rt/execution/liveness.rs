//! Who may still go on: what a timer, a spurious wakeup and a failure's report ask of the
//! threads that have not finished.

use super::Execution;
use crate::rt::event::{BlockReason, Blocked, ObjId, ThreadIdx};

impl Execution {
    /// Whether a thread other than `me` has not finished and is not blocked in a facade
    /// operation (it may be runnable; a thread marked blocked may be too, about to return).
    pub(crate) fn another_may_run(&self, me: ThreadIdx) -> bool {
        (0..self.threads.len()).any(|i| i != me && self.may_run(i))
    }

    /// Whether a timer may fire now, as on tokio's paused clock (`future::timer`): no thread but
    /// `me` can go on without another's step (see [`another_may_go_on`](Self::another_may_go_on)).
    /// `me` asks holding the lock `timers`: a thread waiting for it is on its way (woken, say),
    /// and goes on.
    pub(crate) fn time_may_pass(
        &self,
        me: ThreadIdx,
        timers: ObjId,
        has_token: impl Fn(ThreadIdx) -> bool,
    ) -> bool {
        !self.another_may_go_on(me, Some(timers), has_token)
    }

    /// Whether a thread other than `me` can go on without a step of `me`'s once `me` has
    /// released `releasing` (the mutex of a condition variable's wait). A thread blocked in a
    /// lock call counts as going on while no thread holds that lock (it was only paused
    /// before taking it), and one waiting for its token while the token is there (`has_token`:
    /// it was woken).
    pub(crate) fn another_may_go_on(
        &self,
        me: ThreadIdx,
        releasing: Option<ObjId>,
        has_token: impl Fn(ThreadIdx) -> bool,
    ) -> bool {
        let held: Vec<ObjId> = (0..self.threads.len())
            .filter(|&i| !self.is_finished(i))
            .flat_map(|i| self.with_state(&self.threads.slot(i).held, |held| held.locks()))
            .filter(|&lock| Some(lock) != releasing)
            .collect();
        (0..self.threads.len())
            .filter(|&i| i != me && !self.is_finished(i))
            .any(|i| match self.threads.slot(i).blocked() {
                None => true,
                Some(b) => match b.reason {
                    BlockReason::Lock | BlockReason::Read | BlockReason::Write => {
                        !held.contains(&b.target)
                    }
                    BlockReason::Wake | BlockReason::Park => has_token(i),
                    _ => false,
                },
            })
    }

    /// The threads that have not finished and are not blocked in a facade operation.
    pub(crate) fn unblocked_threads(&self) -> Vec<ThreadIdx> {
        (0..self.threads.len())
            .filter(|&i| self.may_run(i))
            .collect()
    }

    fn may_run(&self, idx: ThreadIdx) -> bool {
        !self.is_finished(idx) && self.threads.slot(idx).blocked().is_none()
    }

    /// The unfinished threads and what each is blocked on (`None`: running or runnable).
    pub(crate) fn blocked_threads(&self) -> Vec<(ThreadIdx, Option<Blocked>)> {
        (0..self.threads.len())
            .filter(|&i| !self.is_finished(i))
            .map(|i| (i, self.threads.slot(i).blocked()))
            .collect()
    }
}
