//! Calls that must not wait for another thread: what tapestry-lincheck's non-blocking check
//! asks of every call of the object under test.
//!
//! An object is non-blocking in the weakest sense, obstruction-free (Herlihy, Luchangco and
//! Moir, 2003), if each of its calls, run alone from any state, completes in a finite number
//! of its own steps. A call that waits for a lock another thread holds, or on a condition
//! variable, does not: suspend the other thread at that point for good, and the call waits
//! for ever. So a thread in a call that must not wait fails its execution when it is about to
//! do either, and the execution that reached that state is the witness: the check reports no
//! object that is obstruction-free. Other waits (a join, a channel, a barrier, a `Once`) are
//! not checked, since whether they wait depends on state this frame does not read; nor is a
//! spin loop that only another thread can end (the step limit and the watchdog see those).
//! Only the model engines check: on real threads (the stress engine) which thread holds a lock
//! is known a moment late.

use super::event::{BlockReason, Blocked, ThreadIdx};
use super::execution::Execution;
use super::{fail, local, real_threads, thread_label};
use crate::kinds::FailureKind;

/// Sets whether the running thread is in a call that must not wait; returns what it was.
/// Nothing outside an execution.
pub(crate) fn forbid_waiting(forbid: bool) -> bool {
    match local() {
        Some(local) => local.exec.forbid_waiting(local.running(), forbid),
        None => false,
    }
}

/// Thread `me`, in a call that must not wait, is about to block as `blocked` says: fails the
/// execution if that waits for another thread.
#[cold]
pub(super) fn check(exec: &Execution, me: ThreadIdx, blocked: &Blocked) {
    // On real threads a lock's holder is known a moment after the lock is let go: the check
    // could see a holder that no longer holds it.
    if real_threads() {
        return;
    }
    let at = blocked
        .site
        .map_or_else(String::new, |site| format!(" at {site}"));
    let why = match blocked.reason {
        BlockReason::Lock | BlockReason::Write => {
            let Some(holder) = exec.holder_other_than(me, blocked.target) else {
                return;
            };
            format!(
                "{} waits for a lock that {} holds{at}: were {} suspended there for good, the \
                 call would never complete",
                thread_label(me),
                thread_label(holder),
                thread_label(holder)
            )
        }
        BlockReason::Wait => format!(
            "{} waits on a condition variable{at}: only another thread's notification ends \
             the wait",
            thread_label(me)
        ),
        _ => return,
    };
    fail(
        FailureKind::Panic,
        format!("a call that must not wait blocks (the object is not non-blocking): {why}"),
    )
}

/// Runs `f` as a call that must not wait for another thread (see the module docs); outside an
/// execution, just runs it.
#[doc(hidden)]
pub fn without_waiting<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the thread's setting, also when `f` unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            forbid_waiting(self.0);
        }
    }
    let _restore = Restore(forbid_waiting(true));
    f()
}
