//! Tokio-shaped synchronisation for tasks (`tokio::sync`): locks, a semaphore, `Notify`, a
//! barrier, a once-cell and channels, with tokio's semantics (see each type).

mod barrier;
pub mod broadcast;
mod mapped_mutex;
mod mapped_rwlock;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod permit;
mod rwlock;
mod semaphore;
mod semaphore_error;
mod waiters;
mod waker_slot;
pub mod watch;

/// A line of user code: where a lock was asked for.
type Site = &'static std::panic::Location<'static>;

/// The `Arc` that `arc` picks out of `guard`, moved out without running the guard's drop
/// (which would unlock): for a guard handing its lock on to another guard.
fn arc_out_of<G, L: ?Sized>(
    guard: G,
    arc: impl FnOnce(&G) -> &std::sync::Arc<L>,
) -> std::sync::Arc<L> {
    let guard = std::mem::ManuallyDrop::new(guard);
    // SAFETY: the guard is never used or dropped again, so the `Arc` moves out of it once.
    unsafe { std::ptr::read(arc(&guard)) }
}

/// The guard that a `try_map` whose closure always picks a part made: each guard's `map` is
/// its `try_map` so.
fn picked<M, G>(mapped: Result<M, G>) -> M {
    mapped.unwrap_or_else(|_| unreachable!("the closure always picks a part"))
}

pub use barrier::{Barrier, BarrierWaitResult};
pub use mapped_mutex::{MappedMutexGuard, OwnedMappedMutexGuard};
pub use mapped_rwlock::{OwnedRwLockMappedWriteGuard, RwLockMappedWriteGuard};
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::Notify;
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};

/// The named futures of this module's types, as `tokio::sync::futures`.
pub mod futures {
    pub use super::notify::{Notified, OwnedNotified};
}
