//! Locks of model engines whose lock methods hand out guards (loom, shuttle), as raw locks.
//!
//! A raw lock keeps the guard it took in a slot until the facade unlocks. Model engines run all
//! model threads on one OS thread, one at a time, switching only inside their own calls, so a
//! slot is never touched by two threads at once.
//!
//! Every engine call is skipped during [`teardown`](crate::rt::teardown): after loom reports a
//! deadlock it has no running thread, and a call from a destructor would panic during unwinding
//! and abort the whole test process (loom issues #52 and #291).

/// Defines `$mutex` and `$rwlock`: `RawMutex` and `RawRwLock` over the `Mutex` and `RwLock` of
/// the std-shaped module `$m`. Condition variables differ by engine (each backend's own module):
/// the facade must learn when a waiter has joined the waiters.
macro_rules! guarded_locks {
    ($mutex:ident, $rwlock:ident, $($m:ident)::+) => {
        guarded_locks!($mutex, $rwlock, $($m)::+, around = $crate::engine::guarded::direct);
    };
    // `$around` runs each call that takes a lock (which may block in the engine).
    ($mutex:ident, $rwlock:ident, $($m:ident)::+, around = $around:path) => {
        pub(crate) struct $mutex {
            // Declared before `lock`, which it borrows, so it would be dropped first; `Drop` forgets it.
            guard: std::cell::UnsafeCell<Option<$($m)::+::MutexGuard<'static, ()>>>,
            lock: $($m)::+::Mutex<()>,
        }

        // SAFETY: the engine runs every model thread on the OS thread that runs the model, one at a
        // time; the guard slot is only touched by the thread holding the lock.
        unsafe impl Send for $mutex {}
        // SAFETY: as above.
        unsafe impl Sync for $mutex {}

        impl $mutex {
            fn new() -> Self {
                $mutex { guard: std::cell::UnsafeCell::new(None), lock: $($m)::+::Mutex::new(()) }
            }

            #[inline]
            pub(crate) fn keep(&self, guard: $($m)::+::MutexGuard<'_, ()>) {
                // SAFETY: the guard borrows `self.lock`, which lives as long as `self` (boxed, never
                // moved), and `Drop` makes sure the guard never outlives it.
                let guard = unsafe {
                    std::mem::transmute::<$($m)::+::MutexGuard<'_, ()>, $($m)::+::MutexGuard<'static, ()>>(guard)
                };
                // SAFETY: only the thread that now holds the lock touches the slot (see above).
                // Written without dropping what was there: `unlock` took it (a guard still
                // there would have kept the lock locked), so the code that drops one is not
                // on the lock path.
                unsafe { self.guard.get().write(Some(guard)) };
            }

            #[inline]
            pub(crate) fn take(&self) -> Option<$($m)::+::MutexGuard<'static, ()>> {
                // SAFETY: only the thread holding the lock touches the slot.
                unsafe { (*self.guard.get()).take() }
            }
        }

        impl Drop for $mutex {
            fn drop(&mut self) {
                // A guard still here was leaked by the program (`mem::forget` of a facade guard):
                // the lock stays locked, as in std.
                std::mem::forget(self.guard.get_mut().take());
            }
        }

        impl $crate::rt::RawMutex for $mutex {
            fn lock(&self) {
                if $crate::rt::teardown() {
                    return;
                }
                // No `engine_call`: the `rt` frame restores the running thread (see `RawMutex`).
                let guard = $around(|| self.lock.lock()).unwrap_or_else(std::sync::PoisonError::into_inner);
                self.keep(guard);
            }

            fn try_lock(&self) -> bool {
                if $crate::rt::teardown() {
                    return true;
                }
                match $around(|| self.lock.try_lock()) {
                    Ok(guard) => {
                        self.keep(guard);
                        true
                    }
                    Err(_) => false,
                }
            }

            fn unlock(&self) {
                let guard = self.take();
                if $crate::rt::teardown() {
                    std::mem::forget(guard);
                } else {
                    drop(guard);
                }
            }

            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
        }

        struct $rwlock {
            readers: std::cell::UnsafeCell<Vec<$($m)::+::RwLockReadGuard<'static, ()>>>,
            writer: std::cell::UnsafeCell<Option<$($m)::+::RwLockWriteGuard<'static, ()>>>,
            lock: $($m)::+::RwLock<()>,
        }

        // SAFETY: as for the mutex: one OS thread, and no engine call between taking a guard and
        // storing it, so no other model thread runs while a slot is touched.
        unsafe impl Send for $rwlock {}
        // SAFETY: as above.
        unsafe impl Sync for $rwlock {}

        impl Drop for $rwlock {
            fn drop(&mut self) {
                std::mem::forget(std::mem::take(self.readers.get_mut()));
                std::mem::forget(self.writer.get_mut().take());
            }
        }

        impl $rwlock {
            fn new() -> Self {
                $rwlock {
                    readers: std::cell::UnsafeCell::new(Vec::new()),
                    writer: std::cell::UnsafeCell::new(None),
                    lock: $($m)::+::RwLock::new(()),
                }
            }

            fn keep_read(&self, guard: $($m)::+::RwLockReadGuard<'_, ()>) {
                // SAFETY: the guard borrows `self.lock`, which outlives it (see `Drop`).
                let guard = unsafe {
                    std::mem::transmute::<$($m)::+::RwLockReadGuard<'_, ()>, $($m)::+::RwLockReadGuard<'static, ()>>(
                        guard,
                    )
                };
                // SAFETY: one model thread runs at a time and this does not call loom.
                unsafe { (*self.readers.get()).push(guard) };
            }

            fn keep_write(&self, guard: $($m)::+::RwLockWriteGuard<'_, ()>) {
                // SAFETY: as in `keep_read`.
                let guard = unsafe {
                    std::mem::transmute::<$($m)::+::RwLockWriteGuard<'_, ()>, $($m)::+::RwLockWriteGuard<'static, ()>>(
                        guard,
                    )
                };
                // SAFETY: only the writer touches the slot.
                unsafe { *self.writer.get() = Some(guard) };
            }
        }

        impl $crate::rt::RawRwLock for $rwlock {
            fn read(&self) {
                if !$crate::rt::teardown() {
                    self.keep_read($crate::rt::engine_call(|| $around(|| self.lock.read())).unwrap_or_else(std::sync::PoisonError::into_inner));
                }
            }

            fn try_read(&self) -> bool {
                if $crate::rt::teardown() {
                    return true;
                }
                $crate::rt::engine_call(|| $around(|| self.lock.try_read())).map(|g| self.keep_read(g)).is_ok()
            }

            fn unlock_read(&self) {
                // The engine releases a read lock for the thread that drops a guard, whichever guard it is.
                // SAFETY: one model thread runs at a time and this does not call loom.
                let guard = unsafe { (*self.readers.get()).pop() };
                if $crate::rt::teardown() {
                    std::mem::forget(guard);
                } else {
                    $crate::rt::engine_call(|| drop(guard));
                }
            }

            fn write(&self) {
                if !$crate::rt::teardown() {
                    self.keep_write($crate::rt::engine_call(|| $around(|| self.lock.write())).unwrap_or_else(std::sync::PoisonError::into_inner));
                }
            }

            fn try_write(&self) -> bool {
                if $crate::rt::teardown() {
                    return true;
                }
                $crate::rt::engine_call(|| $around(|| self.lock.try_write())).map(|g| self.keep_write(g)).is_ok()
            }

            fn unlock_write(&self) {
                // SAFETY: only the writer touches the slot.
                let guard = unsafe { (*self.writer.get()).take() };
                if $crate::rt::teardown() {
                    std::mem::forget(guard);
                } else {
                    $crate::rt::engine_call(|| drop(guard));
                }
            }
        }
    };
}

pub(crate) use guarded_locks;

/// Runs an engine's lock call as it is (see `guarded_locks!`'s `around`).
#[inline(always)]
pub(crate) fn direct<R>(call: impl FnOnce() -> R) -> R {
    call()
}

/// An atomic of a model engine. Its operations are engine calls made without `engine_call`:
/// the `rt` frame restores the running thread (see `RawAtomic`).
pub(crate) struct EngineAtomic<A>(pub(crate) A);

impl<A: crate::rt::RawAtomic> crate::rt::RawAtomic for EngineAtomic<A> {
    fn load(&self, order: std::sync::atomic::Ordering) -> u64 {
        self.0.load(order)
    }

    fn store(&self, bits: u64, order: std::sync::atomic::Ordering) {
        self.0.store(bits, order)
    }

    fn swap(&self, bits: u64, order: std::sync::atomic::Ordering) -> u64 {
        self.0.swap(bits, order)
    }

    fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: std::sync::atomic::Ordering,
        failure: std::sync::atomic::Ordering,
        weak: bool,
    ) -> Result<u64, u64> {
        self.0
            .compare_exchange(current, new, success, failure, weak)
    }

    fn fetch(&self, op: crate::rt::RmwOp, bits: u64, order: std::sync::atomic::Ordering) -> u64 {
        self.0.fetch(op, bits, order)
    }

    fn get_mut(&mut self) -> *mut u8 {
        self.0.get_mut()
    }

    fn peek(&self) -> u64 {
        self.0.peek()
    }

    fn as_ptr(&self) -> Option<*mut u8> {
        self.0.as_ptr()
    }
}
