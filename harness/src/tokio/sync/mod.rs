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
