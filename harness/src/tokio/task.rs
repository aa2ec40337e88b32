//! Tokio-shaped tasks (`tokio::task`): [`spawn`], [`JoinHandle`], [`AbortHandle`], [`JoinSet`],
//! [`yield_now`], task [`Id`]s ([`id`], [`try_id`]), and blocking code ([`spawn_blocking`],
//! [`block_in_place`]).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

pub use super::task_local::{AccessError, LocalKey, TaskLocalFuture};
pub use crate::future::{AbortHandle, Id, JoinError, JoinHandle, spawn, spawn_blocking, yield_now};

/// The id of the task that calls it (in a `spawn_blocking` closure, that closure's), as
/// tokio's `task::id`.
///
/// # Panics
/// Outside a task, as tokio's: also in the body of an async test and in a `block_on`, which
/// are no tasks (use [`try_id`] there).
#[track_caller]
pub fn id() -> Id {
    try_id().expect("Can't get a task id when not inside a task")
}

/// The id of the task that calls it, or `None` outside a task, as tokio's `task::try_id`.
pub fn try_id() -> Option<Id> {
    crate::future::task_id()
}

/// Runs `f` on the calling thread, which blocks meanwhile, as tokio's `block_in_place`. Inside
/// a task's poll, that poll gives its worker of the modelled runtime back first, so that the
/// other tasks go on while `f` blocks, as tokio hands the worker's core to another thread; the
/// rest of the poll holds no worker. Outside the runtime (no task, no `block_on`) it just
/// calls `f`, as tokio's.
///
/// # Panics
/// In a poll on a one-worker runtime (`workers = 1`, `Builder::new_current_thread`,
/// `#[tokio::test]`'s default flavor), as tokio's panics on a `current_thread` runtime. A tokio
/// `multi_thread` runtime with `worker_threads = 1` is modelled as one worker too, so the call
/// panics there, where tokio's would not.
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    crate::future::block_in_place(f)
}

/// A set of tasks spawned into it, awaited in the order they finish, as tokio's `JoinSet`.
/// Dropping the set aborts the tasks still in it.
#[derive(Debug)]
pub struct JoinSet<T> {
    tasks: Vec<JoinHandle<T>>,
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet { tasks: Vec::new() }
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet::default()
    }

    /// Spawns `task` into the set; returns a handle that aborts it (the set still returns the
    /// task, as cancelled, from `join_next`).
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(spawn(task))
    }

    /// Runs `f` as [`spawn_blocking`] does, into the set; returns a handle that aborts it
    /// before it starts (once it started, an abort does nothing).
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(spawn_blocking(f))
    }

    fn insert(&mut self, task: JoinHandle<T>) -> AbortHandle {
        let abort = task.abort_handle();
        self.tasks.push(task);
        abort
    }

    /// The number of tasks in the set (finished ones not yet joined included).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set has no tasks.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits for one of the tasks to finish and returns its output (or why it has none);
    /// `None` if the set is empty.
    #[track_caller]
    pub fn join_next(&mut self) -> impl std::future::Future<Output = Option<Result<T, JoinError>>> {
        crate::future::await_point(async move { poll_fn(|cx| self.poll_join_next(cx)).await })
    }

    /// As [`join_next`](Self::join_next), with the id of the task that finished (an error
    /// has it too: [`JoinError::id`]).
    #[track_caller]
    pub fn join_next_with_id(
        &mut self,
    ) -> impl std::future::Future<Output = Option<Result<(Id, T), JoinError>>> {
        crate::future::await_point(
            async move { poll_fn(|cx| self.poll_join_next_with_id(cx)).await },
        )
    }

    /// Polls for a finished task's output, as [`join_next`](Self::join_next).
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|joined| joined.map(|output| output.map(|(_, output)| output)))
    }

    /// Polls for a finished task's output and id, as
    /// [`join_next_with_id`](Self::join_next_with_id).
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.tasks.is_empty() {
            return Poll::Ready(None);
        }
        for i in 0..self.tasks.len() {
            let id = self.tasks[i].id();
            if let Poll::Ready(output) = Pin::new(&mut self.tasks[i]).poll(cx) {
                self.tasks.swap_remove(i);
                return Poll::Ready(Some(output.map(|output| (id, output))));
            }
        }
        Poll::Pending
    }

    /// A finished task's output without waiting: `None` if none has finished.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|output| output.map(|(_, output)| output))
    }

    /// A finished task's output and id without waiting: `None` if none has finished.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        let i = self.tasks.iter().position(JoinHandle::is_finished)?;
        let mut task = self.tasks.swap_remove(i);
        let id = task.id();
        let waker = std::task::Waker::noop();
        match Pin::new(&mut task).poll(&mut Context::from_waker(waker)) {
            Poll::Ready(output) => Some(output.map(|output| (id, output))),
            Poll::Pending => unreachable!("a finished task's handle is ready"),
        }
    }

    /// Waits for every task and returns their outputs in the order they finished.
    ///
    /// # Panics
    /// If a task panicked (with its panic) or was aborted, as tokio's.
    #[track_caller]
    pub fn join_all(mut self) -> impl std::future::Future<Output = Vec<T>> {
        crate::future::await_point(async move {
            let mut outputs = Vec::with_capacity(self.len());
            while let Some(output) = self.join_next().await {
                match output {
                    Ok(output) => outputs.push(output),
                    Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                    Err(error) => panic!("a task of a `JoinSet::join_all` failed: {error}"),
                }
            }
            outputs
        })
    }

    /// Aborts every task in the set; they stay in it until joined.
    pub fn abort_all(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }

    /// Aborts every task and waits for them all to finish.
    #[track_caller]
    pub fn shutdown(&mut self) -> impl std::future::Future<Output = ()> {
        crate::future::await_point(async move {
            self.abort_all();
            while self.join_next().await.is_some() {}
        })
    }

    /// Removes every task from the set without aborting them: they run on.
    pub fn detach_all(&mut self) {
        self.tasks.clear();
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
