//! Synchronisation primitives, shaped like [`std::sync`].
//!
//! Outside an exploration each type behaves as std's. Inside one, each operation is a point
//! where the engine may switch threads, and is recorded for the trace. Objects belong to the
//! execution that created them: create them inside the test body.

mod arc;
pub mod atomic;
mod barrier;
mod condvar;
mod guarded_data;
pub mod mpsc;
mod mutex;
mod once;
mod once_lock;
mod pi_mutex;
mod rwlock;

pub use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

pub use arc::{Arc, Weak};
pub use barrier::{Barrier, BarrierWaitResult};
pub use condvar::{Condvar, WaitTimeoutResult};
pub(crate) use guarded_data::GuardedData;
pub use mutex::{Mutex, MutexGuard};
pub use once::{Once, OnceState};
pub use once_lock::{LazyLock, OnceLock};
pub use pi_mutex::PiMutex;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
