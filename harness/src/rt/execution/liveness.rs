//! Who may still go on: what a timer, a spurious wakeup and a failure's report ask of the
//! threads that have not finished.

use std::sync::atomic::Ordering::Relaxed;

use super::Execution;

/// Yields in a row, with the clock standing still and no wait for a wake between them, after
/// which a thread counts as waiting for time (see [`Execution::time_may_pass`]). A loop that
/// does work and yields between its steps yields fewer times than this before its work is
/// done, as a rule; one that yields more lets a sleep fire before it ends, as a real clock
/// may. Below the DPOR engine's `IDLE_SPINS`, so time passes before that engine takes a
/// spinner for one waiting on a thread it put to sleep.
const SPINS_LET_TIME_PASS: u32 = 100;
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
    ///
    /// A thread that has yielded [`SPINS_LET_TIME_PASS`] times in a row while the clock stood
    /// still counts as waiting too: it spins, waiting for something only time brings (a task
    /// polling `is_finished` with `yield_now` while the task sleeps). tokio's paused clock
    /// would never move for it (a hang), its real clock moves while it spins.
    pub(crate) fn time_may_pass(
        &self,
        me: ThreadIdx,
        timers: ObjId,
        has_token: impl Fn(ThreadIdx) -> bool,
    ) -> bool {
        !self.another_may_go_on(me, Some(timers), has_token, |i| self.spins_for_time(i))
    }

    /// `thread` yielded, with no wait for a wake since its last yield.
    pub(crate) fn note_yield(&self, thread: ThreadIdx) {
        let slot = self.threads.slot(thread);
        let now = self.clock();
        if slot.spin_clock.load(Relaxed) == now {
            slot.spins.fetch_add(1, Relaxed);
        } else {
            slot.spin_clock.store(now, Relaxed);
            slot.spins.store(1, Relaxed);
        }
    }

    /// `thread` waits for a wake: it does not spin.
    pub(crate) fn note_waiting(&self, thread: ThreadIdx) {
        self.threads.slot(thread).spins.store(0, Relaxed);
    }

    /// Whether `thread` spins waiting for time (see [`time_may_pass`](Self::time_may_pass)).
    pub(crate) fn spins_for_time(&self, thread: ThreadIdx) -> bool {
        let slot = self.threads.slot(thread);
        slot.spin_clock.load(Relaxed) == self.clock()
            && slot.spins.load(Relaxed) >= SPINS_LET_TIME_PASS
    }

    /// Whether a thread other than `me` can go on without a step of `me`'s once `me` has
    /// released `releasing` (the mutex of a condition variable's wait). A thread blocked in a
    /// lock call counts as going on while no thread holds that lock (it was only paused
    /// before taking it), and one waiting for its token while the token is there (`has_token`:
    /// it was woken).
    /// Threads for which `waits_anyway` holds count as waiting, whatever they do.
    pub(crate) fn another_may_go_on(
        &self,
        me: ThreadIdx,
        releasing: Option<ObjId>,
        has_token: impl Fn(ThreadIdx) -> bool,
        waits_anyway: impl Fn(ThreadIdx) -> bool,
    ) -> bool {
        let held: Vec<ObjId> = (0..self.threads.len())
            .filter(|&i| !self.is_finished(i))
            .flat_map(|i| self.with_state(&self.threads.slot(i).held, |held| held.locks()))
            .filter(|&lock| Some(lock) != releasing)
            .collect();
        (0..self.threads.len())
            .filter(|&i| i != me && !self.is_finished(i) && !waits_anyway(i))
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
