//! A stack of entries per OS thread, each found by the model thread that pushed it.
//!
//! The model engines run every model thread on one OS thread and may switch in the middle of
//! what a thread keeps on such a stack (a poll that blocks, a panic that unwinds through an
//! operation), so a std `thread_local!` stack holds the entries of several model threads at
//! once: each is found by its model thread (`rt::current_thread`; `None` outside
//! explorations), almost always the last, which is looked at first. Entries of an earlier
//! execution that never ended (it was abandoned) are dropped at the next push.
//!
//! Lookups ([`ThreadStack::innermost`], [`ThreadStack::any`]) find nothing in a stack that is
//! borrowed already (the panic hook asks while a panic unwinds); a push or pop never meets one.

use std::cell::RefCell;

use super::event::ThreadIdx;

/// A model thread of an execution (`rt::current_thread`); `None` outside explorations.
pub(crate) type Thread = Option<(u64, ThreadIdx)>;

/// See the module docs; meant for a `thread_local!`. Every poll pushes and pops here (its
/// runtime context, its catch of a task's panic), so the accesses are `#[inline]`: inlined, an
/// entry is built and taken apart in place (out of line they cost 1% more of an async run).
pub(crate) struct ThreadStack<T>(RefCell<Vec<(Thread, T)>>);

impl<T> ThreadStack<T> {
    pub(crate) const fn new() -> ThreadStack<T> {
        ThreadStack(RefCell::new(Vec::new()))
    }

    /// Pushes `value` for `thread`, dropping the entries of other executions first.
    #[inline]
    pub(crate) fn push(&self, thread: Thread, value: T) {
        let mut entries = self.0.borrow_mut();
        let exec = thread.map(|t| t.0);
        if entries
            .first()
            .is_some_and(|(of, _)| of.map(|t| t.0) != exec)
        {
            entries.retain(|(of, _)| of.map(|t| t.0) == exec);
        }
        entries.push((thread, value));
    }

    /// Removes `thread`'s innermost entry.
    #[inline]
    pub(crate) fn pop(&self, thread: Thread) -> Option<T> {
        let mut entries = self.0.borrow_mut();
        if entries.last().is_some_and(|(of, _)| *of == thread) {
            return entries.pop().map(|(_, value)| value);
        }
        let i = entries.iter().rposition(|(of, _)| *of == thread)?;
        Some(entries.remove(i).1)
    }

    /// Runs `f` on `thread`'s innermost entry for which `which` holds, if any.
    #[inline]
    pub(crate) fn innermost<R>(
        &self,
        thread: Thread,
        which: impl Fn(&T) -> bool,
        f: impl FnOnce(&mut T) -> R,
    ) -> Option<R> {
        let mut entries = self.0.try_borrow_mut().ok()?;
        let (_, value) = entries
            .iter_mut()
            .rev()
            .find(|(of, value)| *of == thread && which(value))?;
        Some(f(value))
    }

    /// Whether an entry of any model thread satisfies `which`.
    pub(crate) fn any(&self, which: impl Fn(Thread, &T) -> bool) -> bool {
        self.0
            .try_borrow()
            .is_ok_and(|entries| entries.iter().any(|(of, value)| which(*of, value)))
    }
}
