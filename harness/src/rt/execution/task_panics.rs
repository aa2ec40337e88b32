//! Panics of tasks that their `JoinHandle` returns as a `JoinError`, as tokio's do: each is
//! noted here when it is caught, and forgotten when a handle returns it. One still noted when
//! the execution ends was seen by nobody (its handle was dropped, or never awaited): tokio
//! would print it and go on, tapestry fails the execution with it, as the failed assertion it
//! almost always is.

use super::{Execution, FailureRecord};

#[derive(Default)]
pub(crate) struct TaskPanics {
    next: u64,
    unseen: Vec<(u64, FailureRecord)>,
}

impl Execution {
    /// Notes the panic of a task that its handle will return; its number, for
    /// [`task_panic_seen`](Self::task_panic_seen).
    pub(crate) fn note_task_panic(&self, record: FailureRecord) -> u64 {
        let mut panics = self.task_panics.lock();
        panics.next += 1;
        let id = panics.next;
        panics.unseen.push((id, record));
        id
    }

    /// The message of the last task panic noted and not returned yet.
    pub(crate) fn last_task_panic(&self) -> Option<String> {
        let panics = self.task_panics.lock();
        panics
            .unseen
            .last()
            .map(|(_, record)| record.message.clone())
    }

    /// A handle returned task panic `id`.
    pub(crate) fn task_panic_seen(&self, id: u64) {
        self.task_panics.lock().unseen.retain(|(of, _)| *of != id);
    }

    /// The first task panic no handle returned, forgotten.
    pub(crate) fn take_unseen_task_panic(&self) -> Option<FailureRecord> {
        let mut panics = self.task_panics.lock();
        (!panics.unseen.is_empty()).then(|| panics.unseen.remove(0).1)
    }

    pub(super) fn forget_task_panics(&self) {
        self.task_panics.lock().unseen.clear();
    }
}
