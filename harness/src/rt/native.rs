//! Engine objects outside explorations: plain OS primitives, nothing recorded. The facade adds
//! what std promises on top (poisoning, guards), so facade types behave as std's do.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{
    AtomicRepr, Backend, Execution, RawAtomic, RawCell, RawCondvar, RawJoin, RawMutex, RawRwLock,
    ThreadIdx, atomic_enum,
};

atomic_enum!(StdAtomic, std::sync::atomic, memory);

#[derive(Debug)]
pub(crate) struct Native;

/// The backend of objects created outside explorations.
pub(crate) fn native() -> &'static dyn Backend {
    static NATIVE: Native = Native;
    &NATIVE
}

impl Backend for Native {
    fn spawn(
        &self,
        _exec: &Arc<Execution>,
        _child: ThreadIdx,
        _body: Box<dyn FnOnce() + Send + 'static>,
        _name: Option<&str>,
        _stack_size: Option<usize>,
    ) -> Box<dyn RawJoin> {
        unreachable!("outside explorations the facade spawns std threads itself")
    }

    fn yield_now(&self) {
        std::thread::yield_now();
    }

    fn spin_loop(&self) {
        std::hint::spin_loop();
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn new_mutex(&self) -> Box<dyn RawMutex> {
        Box::new(NativeMutex(parking_lot::Mutex::new(())))
    }

    fn new_rwlock(&self) -> Box<dyn RawRwLock> {
        Box::new(NativeRwLock(parking_lot::RwLock::new(())))
    }

    fn new_condvar(&self) -> Box<dyn RawCondvar> {
        Box::new(NativeCondvar(parking_lot::Condvar::new()))
    }

    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic> {
        Box::new(StdAtomic::new(repr, bits))
    }

    fn new_cell(&self) -> Option<Box<dyn RawCell>> {
        None
    }

    fn fence(&self, order: Ordering) {
        std::sync::atomic::fence(order);
    }
}

/// A parking_lot mutex used without guards: the facade's guard pairs `lock` with `unlock`.
pub(crate) struct NativeMutex(pub(crate) parking_lot::Mutex<()>);

impl RawMutex for NativeMutex {
    fn lock(&self) {
        std::mem::forget(self.0.lock());
    }

    fn try_lock(&self) -> bool {
        self.0.try_lock().map(std::mem::forget).is_some()
    }

    fn unlock(&self) {
        // SAFETY: the facade calls `unlock` only while it holds the lock it took with `lock`.
        unsafe { self.0.force_unlock() }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

pub(crate) struct NativeRwLock(parking_lot::RwLock<()>);

impl RawRwLock for NativeRwLock {
    fn read(&self) {
        std::mem::forget(self.0.read());
    }

    fn try_read(&self) -> bool {
        self.0.try_read().map(std::mem::forget).is_some()
    }

    fn unlock_read(&self) {
        // SAFETY: paired with a `read` or successful `try_read` of this thread (facade guard).
        unsafe { self.0.force_unlock_read() }
    }

    fn write(&self) {
        std::mem::forget(self.0.write());
    }

    fn try_write(&self) -> bool {
        self.0.try_write().map(std::mem::forget).is_some()
    }

    fn unlock_write(&self) {
        // SAFETY: paired with a `write` or successful `try_write` (facade guard).
        unsafe { self.0.force_unlock_write() }
    }
}

pub(crate) struct NativeCondvar(parking_lot::Condvar);

impl NativeCondvar {
    fn with_guard<R>(
        mutex: &dyn RawMutex,
        f: impl FnOnce(&mut parking_lot::MutexGuard<'_, ()>) -> R,
    ) -> R {
        let mutex = mutex
            .as_any()
            .downcast_ref::<NativeMutex>()
            .expect("a condition variable and its mutex come from the same backend");
        // SAFETY: the caller holds `mutex` (it passes the facade guard to `wait`); the guard made
        // here stands in for that hold and is forgotten, not dropped, afterwards.
        let mut guard = unsafe { mutex.0.make_guard_unchecked() };
        let result = f(&mut guard);
        std::mem::forget(guard);
        result
    }
}

impl RawCondvar for NativeCondvar {
    fn wait(&self, mutex: &dyn RawMutex) {
        Self::with_guard(mutex, |guard| self.0.wait(guard));
    }

    fn wait_timeout(&self, mutex: &dyn RawMutex, timeout: Duration) -> bool {
        Self::with_guard(mutex, |guard| self.0.wait_for(guard, timeout).timed_out())
    }

    fn notify_one(&self) {
        self.0.notify_one();
    }

    fn notify_all(&self) {
        self.0.notify_all();
    }
}
