//! What the locks and semaphores of `tapestry::tokio` tell the runtime: which task waits for
//! which (known by its address) and which hold each, so that tasks stuck waiting for one are
//! reported as the deadlock they are, with the holder, rather than as a lost wakeup.

use crate::rt;

/// The running task returns `Pending` waiting for `lock`.
pub(crate) fn waiting(lock: usize) {
    rt::async_locks(|locks, me| locks.wait(me, lock));
}

/// The running task no longer waits for `lock` (it got it, or gave up).
pub(crate) fn done_waiting(lock: usize) {
    rt::async_locks(|locks, me| locks.done_waiting(me, lock));
}

/// The running task took `lock`.
pub(crate) fn holding(lock: usize) {
    rt::async_locks(|locks, me| locks.hold(me, lock));
}

/// A hold of `lock` ended.
pub(crate) fn released(lock: usize) {
    rt::async_locks(|locks, me| locks.release(me, lock));
}

/// The running task took the async lock whose state `state` guards (a `tapestry::tokio`
/// mutex's), asked for at `site`: for lock-order prediction, it holds that lock until
/// [`gave_back`], as a thread holds a facade mutex.
pub(crate) fn took<T: ?Sized>(
    state: &crate::sync::Mutex<T>,
    site: &'static std::panic::Location<'static>,
) {
    rt::async_lock_taken(state.bound().obj, site);
}

/// The async lock whose state `state` guards was released, by any task (a guard moves with
/// its future).
pub(crate) fn gave_back<T: ?Sized>(state: &crate::sync::Mutex<T>) {
    rt::async_lock_released(state.bound().obj);
}
