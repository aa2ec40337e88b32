//! The end of an async test, as the end of `#[tokio::test]`: tasks still running when the
//! test's future returns are aborted (dropped at the await point where they wait) and their
//! threads joined (under the stress engine, the executor's tasks waited for), so the
//! execution ends with every task finished.

use std::sync::{Arc, Mutex, PoisonError};

use super::task::Abort;
use crate::rt;

/// Spawned tasks not yet shut down: the execution they belong to (`None` outside
/// explorations), their abort, their thread (`None`: a task of the stress engine's executor).
type Entry = (
    Option<u64>,
    Arc<dyn Abort>,
    Option<crate::thread::JoinHandle<()>>,
);

static TASKS: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn tasks() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    TASKS.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn register(task: Arc<dyn Abort>, thread: Option<crate::thread::JoinHandle<()>>) {
    let exec = rt::current_thread().map(|(exec, _)| exec);
    let mut tasks = tasks();
    // Entries of executions that are over (failed before their end, or ran their tasks
    // under `block_on`, which does not shut them down) are dropped: their threads are gone with
    // their execution. They are the oldest, so while the first entry is of this execution (or
    // of none) there are none.
    let stale = |of: &Option<u64>| of.is_some_and(|of| Some(of) != exec && !rt::is_live(of));
    if tasks.first().is_some_and(|(of, ..)| *of != exec) {
        tasks.retain(|(of, task, _)| {
            let keep = !stale(of);
            if !keep {
                task.forget_output();
            }
            keep
        });
    }
    tasks.push((exec, task, thread));
}

/// Aborts the running execution's tasks (or, outside explorations, this process's) and joins
/// their threads, until none is left: a task's drop may spawn another.
pub(super) fn shut_down() {
    let exec = rt::current_thread().map(|(exec, _)| exec);
    loop {
        let mine: Vec<Entry> = {
            let mut tasks = tasks();
            let (mine, others) = tasks.drain(..).partition(|(of, ..)| *of == exec);
            *tasks = others;
            mine
        };
        if mine.is_empty() {
            return;
        }
        for (_, task, _) in &mine {
            task.abort();
        }
        let mut on_executor = false;
        for (_, _, thread) in mine {
            match thread {
                // A task that panicked failed the execution already; outside explorations its
                // handle has the panic.
                Some(thread) => drop(thread.join()),
                None => on_executor = true,
            }
        }
        if on_executor {
            super::executor::wait_until_idle();
        }
    }
}
