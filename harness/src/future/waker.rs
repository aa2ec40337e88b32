//! What a task's waker wakes: the model thread that runs the task (its wake token, so a wake
//! is an operation every engine sees and a synchronisation: the wake happens before the poll
//! it causes), or, outside an exploration, a std thread and a flag.

use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Wake;
use std::time::Duration;

use crate::rt::{self, ThreadIdx};

pub(super) struct Target {
    on: On,
    /// Woken by its own thread, during a poll (a `yield_now`, a future that wakes itself): a
    /// wake nothing else needs to see, so it passes no token and records no operation.
    self_woken: AtomicBool,
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
        })
    }

    /// Whether the running thread is the one this target wakes.
    pub(super) fn is_current(&self) -> bool {
        match &self.on {
            On::Model { exec, thread } => rt::current_thread() == Some((*exec, *thread)),
            On::Std { thread, .. } => thread.id() == std::thread::current().id(),
        }
    }

    /// Waits until a wake came since the last wait returned (at once if one came during the
    /// poll). `site` is where the task's wait shows in a trace.
    pub(super) fn wait(&self, site: &'static Location<'static>) {
        if self.self_woken.swap(false, Ordering::Relaxed) {
            return;
        }
        match &self.on {
            On::Model { .. } => crate::thread::await_wake(site),
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
        if self.self_woken.swap(false, Ordering::Relaxed) {
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

impl Wake for Target {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        match &self.on {
            On::Model { .. } if self.is_current() => {
                self.self_woken.store(true, Ordering::Relaxed);
            }
            On::Model { exec, thread } => {
                crate::thread::wake(*exec, *thread, Location::caller());
            }
            On::Std { thread, woken } => {
                woken.store(true, Ordering::Release);
                thread.unpark();
            }
        }
    }
}
