//! What a task's waker wakes: the model thread that runs the task (its wake token, so a wake
//! is an operation every engine sees and a synchronisation: the wake happens before the poll
//! it causes), or, outside an exploration, a std thread and a flag.

use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use crate::rt::{self, ThreadIdx, WakerEvent};

pub(super) struct Target {
    on: On,
    /// Woken by its own thread, during a poll (a `yield_now`, a future that wakes itself): a
    /// wake nothing else needs to see, so it passes no token and records no operation.
    self_woken: AtomicBool,
    /// The wakers alive, the poll loop's own included (so 1 once the program holds none).
    clones: AtomicUsize,
}

enum On {
    /// Model thread `thread` of execution `exec`.
    Model { exec: u64, thread: ThreadIdx },
    /// A std thread, outside explorations: woken when `woken` is set.
    Std {
        thread: std::thread::Thread,
        woken: AtomicBool,
    },
}

impl Target {
    /// The running thread, which polls the task.
    pub(super) fn current() -> Arc<Target> {
        let on = match rt::current_thread() {
            Some((exec, thread)) => On::Model { exec, thread },
            None => On::Std {
                thread: std::thread::current(),
                woken: AtomicBool::new(false),
            },
        };
        Target::new(on)
    }

    /// Model thread `thread` of the running execution, which will poll the task (a task's
    /// thread, known before it starts, so that nothing has to hand its waker over).
    pub(super) fn model(thread: ThreadIdx) -> Option<Arc<Target>> {
        let (exec, _) = rt::current_thread()?;
        Some(Target::new(On::Model { exec, thread }))
    }

    fn new(on: On) -> Arc<Target> {
        Arc::new(Target {
            on,
            self_woken: AtomicBool::new(false),
            clones: AtomicUsize::new(0),
        })
    }

    /// Whether the running thread is the one this target wakes.
    pub(super) fn is_current(&self) -> bool {
        match &self.on {
            On::Model { exec, thread } => rt::current_thread() == Some((*exec, *thread)),
            On::Std { thread, .. } => thread.id() == std::thread::current().id(),
        }
    }

    /// Whether the target's own thread woke it during its poll; forgets it. Only that thread
    /// sets or clears the flag, and it alone asks, so a load and a store do without the locked
    /// instruction of a swap, which every poll would pay.
    fn take_self_woken(&self) -> bool {
        let woken = self.self_woken.load(Ordering::Relaxed);
        if woken {
            self.self_woken.store(false, Ordering::Relaxed);
        }
        woken
    }

    /// Waits until a wake came since the last wait returned (at once if one came during the
    /// poll). `site` is where the task's wait shows in a trace.
    pub(super) fn wait(&self, site: &'static Location<'static>) {
        if self.take_self_woken() {
            return;
        }
        match &self.on {
            On::Model { .. } => {
                crate::rt::note_waiting();
                crate::thread::await_wake(site);
            }
            On::Std { woken, .. } => {
                while !woken.swap(false, Ordering::Acquire) {
                    std::thread::park();
                }
            }
        }
    }

    /// As [`wait`](Self::wait), giving up after `timeout` (under a model engine, at any point:
    /// see `thread::await_wake_timeout`); returns whether it timed out.
    pub(super) fn wait_timeout(&self, site: &'static Location<'static>, timeout: Duration) -> bool {
        if self.take_self_woken() {
            return false;
        }
        match &self.on {
            On::Model { .. } => crate::thread::await_wake_timeout(site, timeout),
            On::Std { woken, .. } => {
                let deadline = std::time::Instant::now() + timeout;
                loop {
                    if woken.swap(false, Ordering::Acquire) {
                        return false;
                    }
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        return true;
                    }
                    std::thread::park_timeout(deadline - now);
                }
            }
        }
    }
}

impl Target {
    /// A waker of this target: the poll loop's own, whose clones the program registers. Under
    /// an exploration each clone, wake and last drop is noted for a lost wakeup's report
    /// (`rt::waker_note`), so the waker is made by hand rather than by `std::task::Wake`.
    pub(super) fn waker(self: &Arc<Self>) -> Waker {
        self.clones.fetch_add(1, Ordering::Relaxed);
        let raw = RawWaker::new(Arc::into_raw(self.clone()).cast(), &VTABLE);
        // SAFETY: the vtable's functions keep the contract of `RawWaker`: the data pointer is
        // an `Arc<Target>` that each clone owns one count of.
        unsafe { Waker::from_raw(raw) }
    }

    fn wake_by_ref(&self) {
        match &self.on {
            On::Model { thread, .. } if self.is_current() => {
                super::workers::queue(*thread);
                self.self_woken.store(true, Ordering::Relaxed);
            }
            On::Model { exec, thread } => {
                rt::waker_note(*exec, *thread, WakerEvent::Woken);
                if rt::current_thread().is_some_and(|(running, _)| running == *exec) {
                    super::workers::queue(*thread);
                }
                crate::thread::wake(*exec, *thread, Location::caller());
            }
            On::Std { thread, woken } => {
                woken.store(true, Ordering::Release);
                thread.unpark();
            }
        }
    }

    /// Notes a clone of the waker made, or one dropped.
    fn count(&self, cloned: bool) {
        let live = if cloned {
            self.clones.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.clones.fetch_sub(1, Ordering::Relaxed) - 1
        };
        if let On::Model { exec, thread } = self.on {
            if cloned {
                rt::waker_note(exec, thread, WakerEvent::Cloned);
            } else if live == 1 {
                // Only the poll loop's own is left.
                rt::waker_note(exec, thread, WakerEvent::LastDropped);
            }
        }
    }

    /// Wakes the target without a waker (an abort, a timer).
    pub(super) fn wake(&self) {
        self.wake_by_ref();
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// The `Target` a raw waker's data points to.
///
/// # Safety
/// `data` comes from `Target::waker` or `clone`: an `Arc<Target>` whose count the waker owns.
unsafe fn target<'a>(data: *const ()) -> &'a Target {
    // SAFETY: see above; the waker keeps the `Arc` alive while it is used.
    unsafe { &*data.cast::<Target>() }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned owns one count of the `Arc`; the clone takes another.
    unsafe { Arc::increment_strong_count(data.cast::<Target>()) };
    // SAFETY: as above.
    unsafe { target(data) }.count(true);
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `wake` consumes the waker: wake, then drop its count.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker is alive for the call.
    unsafe { target(data) }.wake_by_ref();
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the waker owns one count of the `Arc`, given back here.
    let target = unsafe { Arc::from_raw(data.cast::<Target>()) };
    target.count(false);
}
