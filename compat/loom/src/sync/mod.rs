//! `loom::sync`: tapestry's std-shaped primitives, loom's [`Notify`], locks whose guards are
//! not `#[must_use]` (as loom's), and atomics with loom's extra methods.

pub mod atomic;
mod locks;
mod notify;

pub use locks::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use notify::Notify;
pub use tapestry::sync::{
    Arc, Barrier, BarrierWaitResult, LockResult, TryLockResult, WaitTimeoutResult, mpsc,
};
