//! State the async runtime keeps for each execution (its timers, its workers), made inside the
//! execution on first use so that it is made of facade objects the engines see. Executions of
//! tests running at once in one process each have their own; an execution's state goes once
//! the execution is over.

use std::sync::{Arc, Mutex, PoisonError};

use crate::rt;

pub(super) struct PerExecution<T>(Mutex<Vec<(u64, Arc<T>)>>);

impl<T> PerExecution<T> {
    pub(super) const fn new() -> Self {
        PerExecution(Mutex::new(Vec::new()))
    }

    /// The running execution's, made by `make` on first use.
    pub(super) fn get(&self, make: impl FnOnce() -> T) -> Arc<T> {
        self.get_or(|| Some(make()))
            .expect("`make` always makes one")
    }

    /// The running execution's, made by `make` on first use if it makes one.
    pub(super) fn get_or(&self, make: impl FnOnce() -> Option<T>) -> Option<Arc<T>> {
        let (exec, _) = rt::current_thread().expect("kept for executions only");
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, state)) = all.iter().find(|(of, _)| *of == exec) {
            return Some(state.clone());
        }
        all.retain(|(of, _)| rt::is_live(*of));
        let state = Arc::new(make()?);
        all.push((exec, state.clone()));
        Some(state)
    }
}
