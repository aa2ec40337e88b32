use std::borrow::Cow;
use std::fmt;
use std::panic::Location;
use std::sync::{LockResult, PoisonError};
use std::time::Duration;

use super::MutexGuard;
use crate::rt::race;
use crate::rt::{
    self, BlockReason, Blocked, Bound, ObjId, ObjKind, Op, RawCondvar, RawMutex, Slot,
};
use crate::time::Instant;

/// A condition variable, as [`std::sync::Condvar`].
///
/// Model engines run no thread for a real length of time: there `wait_timeout` may time out at
/// any point while it waits, and the engines explore both endings, notification and timeout
/// (the crate docs' "Verdicts"); a wait that times out moves the execution's virtual clock to
/// its deadline ([`time`](crate::time)). Under the stress engine and outside explorations it
/// times out as std's does.
pub struct Condvar {
    slot: Slot<Box<dyn RawCondvar>>,
}

/// Whether a timed wait returned because its time ran out, as
/// [`std::sync::WaitTimeoutResult`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait timed out.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    /// Creates a condition variable (a `const fn`, as std's).
    #[track_caller]
    pub const fn new() -> Condvar {
        Condvar {
            slot: Slot::new(Location::caller(), None),
        }
    }

    /// Creates a condition variable that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>) -> Condvar {
        Condvar {
            slot: Slot::new(Location::caller(), Some(name.into())),
        }
    }

    /// This condition variable's engine object in the running context.
    #[inline]
    fn bound(&self) -> &Bound<Box<dyn RawCondvar>> {
        self.slot.get(ObjKind::Condvar, |b| b.new_condvar(), |_| ())
    }

    /// Unlocks the guard's mutex, waits for a notification, and locks it again.
    ///
    /// As std's, the wait may also end without a notification (a spurious wakeup), so check
    /// the condition you wait for in a loop, or use [`wait_while`](Self::wait_while). The
    /// model engines explore spurious wakeups as they do `thread::park`'s: a wait may end at
    /// once or after any steps of the other threads, but only while another thread may still
    /// run, so a notification nobody will send is still reported as a deadlock. The trace
    /// shows `woken ... spuriously`. The stress engine waits as the OS does.
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.wait_ending(guard, Ending::MaySpuriously, BlockReason::Wait)
    }

    /// A wait of tapestry's own, which checks its condition in a loop: it ends only when
    /// notified, since exploring spurious wakeups there would only cost executions. Blocked
    /// for `reason` in reports (the async runtime's workers wait on a condition variable of
    /// their own, `BlockReason::Worker`).
    #[track_caller]
    pub(crate) fn wait_notified<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        reason: BlockReason,
    ) -> LockResult<MutexGuard<'a, T>> {
        self.wait_ending(guard, Ending::Notified, reason)
    }

    #[track_caller]
    fn wait_ending<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        ending: Ending,
        reason: BlockReason,
    ) -> LockResult<MutexGuard<'a, T>> {
        self.wait_for(guard, ending, reason)
            .map(|(guard, _)| guard)
            .map_err(|e| PoisonError::new(e.into_inner().0))
    }

    /// Waits while `condition` holds, re-checking it after every wake-up.
    #[track_caller]
    pub fn wait_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard)?;
        }
        Ok(guard)
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`.
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        self.wait_for(guard, Ending::Timeout(timeout), BlockReason::Wait)
    }

    /// Like [`wait_while`](Self::wait_while), giving up after `timeout` in all.
    #[track_caller]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        timeout: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        // As std's: the time left is measured on the clock (the virtual clock under a model
        // engine) before every wait, so a wait woken after the deadline ends the loop.
        let start = Instant::now();
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                return Ok((guard, WaitTimeoutResult(true)));
            }
            guard = self.wait_timeout(guard, timeout - elapsed)?.0;
        }
    }

    #[track_caller]
    fn wait_for<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        ending: Ending,
        reason: BlockReason,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let site = Location::caller();
        let lock = guard.lock;
        let (lock_bound, me) = (lock.bound(), self.bound());
        let mutex = lock_bound.obj.id;
        // The engine releases and retakes the lock; the guard's own release must not run.
        std::mem::forget(guard);
        // Recorded when the engine has this thread among the waiters, not now: see
        // `rt::record_when_waiting`.
        rt::record_when_waiting(me.obj, site, Op::Wait { mutex });
        race::release(&lock.clock);
        rt::lock_released(lock_bound.obj);
        // Waking up takes the mutex again: a wait while holding another lock orders them.
        rt::lock_acquiring(lock_bound.obj, site);
        let blocked = Blocked::new(reason, me.obj.id);
        let start = rt::virtual_now();
        let (timed_out, _) = rt::blocking(
            me.obj,
            site,
            blocked,
            || {
                let (cv, raw_lock) = (&*me.raw, &*lock_bound.raw);
                let ended = match ending {
                    Ending::Notified => {
                        cv.wait(raw_lock);
                        (false, false)
                    }
                    Ending::MaySpuriously => (false, wait_or_wake_spuriously(cv, raw_lock, mutex)),
                    Ending::Timeout(timeout) => (cv.wait_timeout(raw_lock, timeout), false),
                };
                rt::condvar_woke(ended.1);
                rt::now_waiting();
                rt::lock_acquired(lock_bound.obj, site);
                race::acquire(&lock.clock);
                ended
            },
            |&(timed_out, spurious)| Op::Woken {
                mutex,
                timed_out,
                spurious,
            },
        );
        if let (true, Some(start), Ending::Timeout(timeout)) = (timed_out, start, ending) {
            rt::advance_to(start, timeout);
        }
        let result = WaitTimeoutResult(timed_out);
        match lock.guard(site) {
            Ok(guard) => Ok((guard, result)),
            Err(poisoned) => Err(PoisonError::new((poisoned.into_inner(), result))),
        }
    }

    /// Wakes one waiting thread, if any.
    #[track_caller]
    pub fn notify_one(&self) {
        let me = self.bound();
        rt::op(
            me.obj,
            Location::caller(),
            || me.raw.notify_one(),
            |_| Op::NotifyOne,
        );
    }

    /// Wakes every waiting thread.
    #[track_caller]
    pub fn notify_all(&self) {
        let me = self.bound();
        rt::op(
            me.obj,
            Location::caller(),
            || me.raw.notify_all(),
            |_| Op::NotifyAll,
        );
    }
}

/// How a wait may end besides a notification.
#[derive(Clone, Copy)]
enum Ending {
    /// Only by one: tapestry's own waits (see [`Condvar::wait_notified`]).
    Notified,
    /// Or spuriously, as std's untimed waits may.
    MaySpuriously,
    /// Or when the time is up.
    Timeout(Duration),
}

/// An untimed wait that std lets end spuriously (so code must check its condition in a
/// loop): under a model engine, while another thread may still go on, a timed wait with no
/// time limit, as `thread::park`'s, which may end at once or after any steps of the others.
/// Returns whether it woke spuriously.
///
/// A wait that nobody else can end blocks, so that a lost notification shows as the deadlock
/// it is rather than hide behind a wakeup no program can count on: the timed wait ends when
/// the waiter runs again, which, once nobody else can go on, it does at once. So a wait that
/// ends with nobody else able to go on blocks again, unless the others took steps since it
/// began (while it waited, or while it took the mutex back after its wakeup), which may have
/// been the notification it did not wait for.
fn wait_or_wake_spuriously(cv: &dyn RawCondvar, raw: &dyn RawMutex, mutex: ObjId) -> bool {
    let has_token = crate::thread::has_token;
    if !rt::may_wake_spuriously_releasing(mutex, has_token) {
        cv.wait(raw);
        return false;
    }
    let began = rt::operations_begun();
    if !cv.wait_timeout(raw, Duration::MAX) {
        return false;
    }
    if rt::may_still_wake_spuriously(mutex, has_token) || rt::operations_begun() != began {
        return true;
    }
    cv.wait(raw);
    false
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Self {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
