//! Synchronisation primitives: std's, with the explore facade's extras.
//!
//! `Arc`, `Weak`, guards, results, `OnceLock` and `LazyLock` are std's own. `Mutex`, `RwLock`,
//! `Condvar`, `Barrier`, `Once`, `PiMutex` and the atomics are `#[repr(transparent)]`
//! wrappers of std's, for their `named` constructors; their guards are std's, so a
//! [`Condvar`] waits on std's [`MutexGuard`].

pub mod atomic;
mod barrier;
mod condvar;
pub mod mpsc;
mod mutex;
mod once;
mod rwlock;

pub use std::sync::{
    Arc, BarrierWaitResult, LazyLock, LockResult, MutexGuard, OnceLock, OnceState, PoisonError,
    RwLockReadGuard, RwLockWriteGuard, TryLockError, TryLockResult, WaitTimeoutResult, Weak,
};

pub use barrier::Barrier;
pub use condvar::Condvar;
pub use mutex::{Mutex, PiMutex};
pub use once::Once;
pub use rwlock::RwLock;
