//! An execution's end while its threads still run: a failure or an abandoned run ends it,
//! and its threads unwind; what they do then, and who unwinds.

use std::sync::atomic::Ordering::Relaxed;

use super::{Execution, FailureRecord};
use crate::kinds::FailureKind;
use crate::rt::event::ThreadIdx;

impl Execution {
    /// Marks the execution over (see `over`).
    pub(crate) fn set_over(&self) {
        self.over.store(true, Relaxed);
    }

    /// An operation made after the execution is over: one of a thread unwinding out of it
    /// strands that thread once they have made too many (`stranded`), since nothing else can
    /// end a destructor that waits for another thread then. The stranded thread panics on out
    /// of the frame that started it, and its engine ends the exploration with the failure
    /// recorded: the execution's own, or, in a run the engine abandoned (which is no
    /// execution), that the engine cannot go on (its OS thread now counts a panic for ever).
    #[cold]
    #[inline(never)]
    pub(super) fn op_after_end(&self) {
        if !std::thread::panicking() {
            return;
        }
        let made = self.ops_after_end.fetch_add(1, Relaxed) + 1;
        // Not reset: once one thread has been stranded, the others still unwinding are at
        // their first operation after it, rather than each spinning to the bound again.
        if made < crate::rt::stranded::LEAVE_AFTER {
            return;
        }
        if !self.has_failed() {
            let thread = crate::rt::local().map_or(0, |l| l.running());
            let message = format!(
                "a destructor made {made} operations while thread `{}` unwound out of a run \
                 this engine abandoned (a run that is no execution of the program), without \
                 end: as a rule one that waits for another thread, which cannot run then. \
                 tapestry left the thread there, and this engine cannot explore on after that",
                crate::rt::thread_label(thread),
            );
            self.record_failure(FailureRecord::new(
                FailureKind::Unsupported,
                message,
                thread,
            ));
        }
        crate::rt::stranded::strand();
    }

    /// Notes whether thread `idx`'s panic is unwinding (see `rt::panicking`).
    pub(crate) fn set_unwinding(&self, idx: ThreadIdx, unwinding: bool) {
        self.threads.slot(idx).unwinding.store(unwinding, Relaxed);
    }

    /// Notes that thread `idx` unwinds out of this execution, which its engine abandoned.
    pub(crate) fn set_abandoning(&self, idx: ThreadIdx) {
        self.threads.slot(idx).abandoning.store(true, Relaxed);
    }

    /// Whether thread `idx` has begun to unwind out of this execution, abandoned.
    pub(crate) fn is_abandoning(&self, idx: ThreadIdx) -> bool {
        self.threads.slot(idx).abandoning.load(Relaxed)
    }

    /// Whether thread `idx`'s panic is unwinding, as far as the runtime saw it start and end.
    pub(crate) fn is_unwinding(&self, idx: ThreadIdx) -> bool {
        self.threads.slot(idx).unwinding.load(Relaxed)
    }
}
