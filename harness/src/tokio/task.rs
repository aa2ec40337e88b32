//! Tokio-shaped tasks (`tokio::task`): [`spawn`], [`JoinHandle`], [`JoinSet`], [`yield_now`].

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

pub use super::task_local::{AccessError, LocalKey, TaskLocalFuture};
pub use crate::future::{JoinError, JoinHandle, spawn, yield_now};

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

    /// Spawns `task` into the set.
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.tasks.push(spawn(task));
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

    /// Polls for a finished task's output, as [`join_next`](Self::join_next).
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.tasks.is_empty() {
            return Poll::Ready(None);
        }
        for i in 0..self.tasks.len() {
            if let Poll::Ready(output) = Pin::new(&mut self.tasks[i]).poll(cx) {
                self.tasks.swap_remove(i);
                return Poll::Ready(Some(output));
            }
        }
        Poll::Pending
    }

    /// A finished task's output without waiting: `None` if none has finished.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        let i = self.tasks.iter().position(JoinHandle::is_finished)?;
        let mut task = self.tasks.swap_remove(i);
        let waker = std::task::Waker::noop();
        match Pin::new(&mut task).poll(&mut Context::from_waker(waker)) {
            Poll::Ready(output) => Some(output),
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
