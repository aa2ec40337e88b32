//! The values of `tapestry::thread_local!` keys, one per model thread.
//!
//! A std thread-local belongs to an OS thread, and model engines run every model thread on one
//! OS thread: there a `std::thread_local!` would be shared by all of them. So each key's values
//! live here, by execution and model thread, in a store that is itself an OS thread-local: a
//! model thread runs on one OS thread for its whole life (one for all under the model engines,
//! a worker of its own under the stress engine), so its values are only ever touched there,
//! which is what lets values that are not `Send` live here soundly.
//!
//! A value is made on its thread's first access and dropped when the thread exits (before its
//! join returns), last made first, as std does on Linux; a destructor may use other keys, and a
//! key whose value was dropped cannot be used again by that thread. Values of threads that never
//! exit (an execution that failed) are leaked, never dropped: their engine abandoned the
//! execution, and their destructors might use its objects.

use std::any::Any;
use std::cell::RefCell;

use super::event::ThreadIdx;
use super::local;

thread_local! {
    static STORE: RefCell<Store> = const { RefCell::new(Store { exec: 0, threads: Vec::new() }) };
}

/// A key: the address of its std key, unique per `thread_local!` declaration.
pub(crate) type Key = usize;

/// The values of one execution's model threads that ran on this OS thread.
struct Store {
    exec: u64,
    threads: Vec<Values>,
}

#[derive(Default)]
struct Values {
    /// Boxed, so that a value does not move while a `with` closure holds it and another key is
    /// initialised; in the order they were made.
    live: Vec<(Key, Box<dyn Any>)>,
    /// Keys whose value this thread's exit has dropped.
    dropped: Vec<Key>,
}

impl Store {
    /// The values of thread `idx` of execution `exec`; a new execution's store starts empty.
    fn thread(&mut self, exec: u64, idx: ThreadIdx) -> &mut Values {
        if self.exec != exec {
            self.forget();
            self.exec = exec;
        }
        let i = idx as usize;
        if self.threads.len() <= i {
            self.threads.resize_with(i + 1, Values::default);
        }
        &mut self.threads[i]
    }

    /// Leaks what is left: values of threads that never exited (see the module docs).
    fn forget(&mut self) {
        for values in self.threads.drain(..) {
            std::mem::forget(values.live);
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.forget();
    }
}

/// The value of `key` was dropped by its thread's exit (a destructor used it afterwards).
#[derive(Debug)]
pub(crate) struct Dropped;

/// The running model thread's value of `key`, made by `init` on its first access; `None`
/// outside explorations.
///
/// The pointer stays valid until the thread exits: only [`drop_values`] frees a value, and a
/// value being dropped is no longer in the store.
pub(crate) fn value<T: 'static>(
    key: Key,
    init: impl FnOnce() -> T,
) -> Option<Result<*const T, Dropped>> {
    let local = local()?;
    let (exec, me) = (local.exec.id(), local.running());
    let found = STORE.with(|store| {
        let mut store = store.borrow_mut();
        let values = store.thread(exec, me);
        if let Some((_, value)) = values.live.iter().find(|(k, _)| *k == key) {
            return Some(Ok(pointer::<T>(&**value)));
        }
        values.dropped.contains(&key).then_some(Err(Dropped))
    });
    if let Some(found) = found {
        return Some(found);
    }
    // Not borrowed while `init` runs: it may use other keys, or this one.
    let value: Box<dyn Any> = Box::new(init());
    let replaced = STORE.with(|store| {
        let mut store = store.borrow_mut();
        let values = store.thread(exec, me);
        let ptr = pointer::<T>(&*value);
        // An `init` that used its own key made a value already: this one replaces it, as in
        // std.
        let replaced = match values.live.iter().position(|(k, _)| *k == key) {
            Some(i) => Some(std::mem::replace(&mut values.live[i].1, value)),
            None => {
                values.live.push((key, value));
                None
            }
        };
        (ptr, replaced)
    });
    let (ptr, replaced) = replaced;
    drop(replaced);
    Some(Ok(ptr))
}

fn pointer<T: 'static>(value: &dyn Any) -> *const T {
    let value: &T = value
        .downcast_ref()
        .expect("a key's values are all of its type");
    value
}

/// Drops the values of model thread `idx` of execution `exec` as it exits, last made first;
/// destructors may make new values (of keys not dropped yet), which are dropped in turn.
pub(crate) fn drop_values(exec: u64, idx: ThreadIdx) {
    loop {
        let next = STORE.try_with(|store| {
            let mut store = store.borrow_mut();
            let values = store.thread(exec, idx);
            let (key, value) = values.live.pop()?;
            values.dropped.push(key);
            Some(value)
        });
        match next {
            // Dropped outside the borrow: a destructor may use other keys.
            Ok(Some(value)) => drop(value),
            Ok(None) | Err(_) => break,
        }
    }
}
