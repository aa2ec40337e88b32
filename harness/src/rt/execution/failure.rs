//! A failure as the runtime first saw it, and how an execution records the first one.

use std::sync::atomic::Ordering::Relaxed;

use super::Execution;
use crate::kinds::FailureKind;
use crate::rt::event::{BlockReason, Blocked, ThreadIdx, WakerNote};
use crate::rt::lock_order::Edge;
use crate::rt::priority::Inversion;
use crate::rt::race::Race;

/// A failure as the runtime first saw it; the explorer turns it into a `Failure`.
#[derive(Clone, Debug)]
pub(crate) struct FailureRecord {
    pub kind: FailureKind,
    pub message: String,
    pub thread: ThreadIdx,
    /// The task `thread` was polling when it failed, when a thread polls tasks that have no
    /// thread of their own (the stress engine's executor: `future/executor.rs`).
    pub task: Option<String>,
    /// `file:line:column` of the panic, when there was one.
    pub location: Option<String>,
    /// What each blocked thread was blocked on when the failure happened.
    pub blocked: Vec<(ThreadIdx, Blocked)>,
    /// The threads that had not finished when the failure happened.
    pub unfinished: Vec<ThreadIdx>,
    /// What a detector found, for the failures it reports.
    pub detail: Option<Detail>,
}

impl FailureRecord {
    /// A failure of `kind` on `thread`, saying `message`, with nothing more known yet (where
    /// threads were blocked is filled in when it is recorded).
    pub(crate) fn new(kind: FailureKind, message: String, thread: ThreadIdx) -> FailureRecord {
        FailureRecord {
            kind,
            message,
            thread,
            task: None,
            location: None,
            blocked: Vec::new(),
            unfinished: Vec::new(),
            detail: None,
        }
    }
}

/// The structured finding behind a detector's failure; the explorer puts it into words.
#[derive(Clone, Debug)]
pub(crate) enum Detail {
    /// A data race: the two accesses.
    Race(Race),
    /// A potential deadlock: the cycle of lock orders.
    Cycle(Vec<Edge>),
    /// An unbounded priority inversion: the three threads and the lock.
    Inversion(Inversion),
    /// A lost wakeup: what last happened to each waiting task's waker, by task.
    Wakers(Vec<(ThreadIdx, WakerNote)>),
}

impl Execution {
    /// Records `record` unless a failure was recorded first. Returns whether it was recorded.
    pub(crate) fn record_failure(&self, mut record: FailureRecord) -> bool {
        let mut slot = self.failure.lock();
        if slot.is_some() {
            return false;
        }
        let threads = self.blocked_threads();
        record.unfinished = threads.iter().map(|&(t, _)| t).collect();
        record.blocked = threads
            .into_iter()
            .filter_map(|(t, b)| Some((t, b?)))
            .collect();
        // A task waiting for a lock of `tapestry::tokio` waits for a release that will not
        // come: a deadlock, said as one with the lock's holder.
        {
            let locks = self.async_locks.lock();
            for (thread, blocked) in &mut record.blocked {
                if blocked.reason == BlockReason::Wake
                    && let Some(holder) = locks.waits_for(*thread)
                {
                    blocked.reason = BlockReason::AsyncLock;
                    blocked.target = holder.unwrap_or(u32::MAX);
                }
            }
        }
        // Everything left waits for a wake: a task's wakeup was lost, whatever the engine that
        // saw nothing could run calls it.
        if record.kind == FailureKind::Deadlock
            && !record.blocked.is_empty()
            && record
                .blocked
                .iter()
                .all(|(_, b)| b.reason == BlockReason::Wake)
        {
            record.kind = FailureKind::LostWakeup;
            record.message =
                "every unfinished task waits for a wake that nothing will send".to_owned();
            // Where each task waits: the await point one of tapestry's futures noted, else
            // where its poll loop runs (`block_on`, `spawn`).
            for (thread, blocked) in &mut record.blocked {
                if let Some(at) = self.pending_at(*thread, false) {
                    blocked.site = Some(at);
                }
            }
            let notes: Vec<_> = record
                .blocked
                .iter()
                .filter_map(|&(thread, _)| {
                    Some((thread, (*self.threads.slot(thread).waker.lock())?))
                })
                .collect();
            if record.detail.is_none() && !notes.is_empty() {
                record.detail = Some(Detail::Wakers(notes));
            }
        }
        *slot = Some(record);
        self.failed.store(true, Relaxed);
        self.set_over();
        true
    }

    pub(crate) fn failure(&self) -> Option<FailureRecord> {
        self.failure.lock().clone()
    }
}
