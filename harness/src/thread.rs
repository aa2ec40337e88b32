//! Threads, shaped like [`std::thread`].
//!
//! Outside an exploration these are std threads. Inside one they are model threads of the
//! engine: loom and shuttle run them as coroutines, one at a time, switching at facade
//! operations; the stress engine runs them on real threads from a pool. A panic in any thread
//! fails the execution (under the stress engine `join` also returns it as `Err`, as in std).

use std::io;
use std::panic::Location;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

pub use std::thread::{Result, panicking};

use crate::rt::{self, BlockReason, Blocked, Op, RawJoin, ThreadIdx};

/// Spawns a thread running `f`, as [`std::thread::spawn`].
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f).expect("failed to spawn thread")
}

/// Lets another thread run.
#[track_caller]
pub fn yield_now() {
    rt::backend_op(Location::caller(), |b| b.yield_now(), |_| Op::Yield);
}

/// Sleeps for `duration`. Under the model engines a sleep lets the other threads run first,
/// as a yield does (under the priority engine the thread arrives again after a seeded number
/// of steps), and when the thread comes back the execution's virtual clock has moved on by
/// at least `duration` (see [`time`](crate::time)); the stress engine and std sleep for real.
#[track_caller]
pub fn sleep(duration: Duration) {
    let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
    let start = rt::virtual_now();
    rt::backend_op(
        Location::caller(),
        |b| b.sleep(duration),
        |_| Op::Sleep { micros },
    );
    if let Some(start) = start {
        rt::advance_to(start, duration);
    }
}

/// The thread that calls it.
pub fn current() -> Thread {
    match rt::current_thread() {
        None => Thread(Repr::Std(std::thread::current())),
        Some((exec, idx)) => Thread(Repr::Model {
            id: ThreadId(IdRepr::Model { exec, idx }),
            name: rt::thread_name(idx),
        }),
    }
}

/// Configures a new thread, as [`std::thread::Builder`].
#[derive(Debug, Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
    priority: u8,
}

impl Builder {
    /// A builder with no name and the default stack size.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the thread; traces and reports use the name.
    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    /// Sets the size of the thread's stack in bytes, as std's does. Every engine honours it:
    /// model threads run on stacks of this size (see the crate docs, "Crashes, stacks and
    /// hangs"); without it a spawned thread gets std's default (`RUST_MIN_STACK`, else 2 MiB).
    pub fn stack_size(mut self, size: usize) -> Builder {
        self.stack_size = Some(size);
        self
    }

    /// The thread's priority: higher is more urgent; the test body and threads spawned without
    /// one have 0. The priority engine ([`Engine::Priority`](crate::Engine::Priority)) always
    /// runs the most urgent runnable thread, like a real-time OS; every other engine, and std
    /// outside an exploration, records it and ignores it.
    pub fn priority(mut self, priority: u8) -> Builder {
        self.priority = priority;
        self
    }

    /// Spawns the thread.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if rt::current_thread().is_none() {
            let mut builder = std::thread::Builder::new();
            if let Some(name) = self.name {
                builder = builder.name(name);
            }
            if let Some(size) = self.stack_size {
                builder = builder.stack_size(size);
            }
            return builder
                .spawn(f)
                .map(|handle| JoinHandle(Handle::Std(handle)));
        }
        let result = Arc::new(std::sync::Mutex::new(None));
        let slot = Arc::clone(&result);
        let body = Box::new(move || {
            let value = f();
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
        });
        let name: Option<Arc<str>> = self.name.as_deref().map(Arc::from);
        let (child, raw) = rt::spawn(
            self.name,
            self.stack_size,
            self.priority,
            Location::caller(),
            body,
        )
        .expect("an exploration is running");
        let (exec, _) = rt::current_thread().expect("an exploration is running");
        let thread = Thread(Repr::Model {
            id: ThreadId(IdRepr::Model { exec, idx: child }),
            name,
        });
        Ok(JoinHandle(Handle::Model {
            raw,
            result,
            child,
            thread,
        }))
    }
}

/// Owns a spawned thread, as [`std::thread::JoinHandle`].
pub struct JoinHandle<T>(Handle<T>);

enum Handle<T> {
    Std(std::thread::JoinHandle<T>),
    Model {
        raw: Box<dyn RawJoin>,
        result: Arc<std::sync::Mutex<Option<T>>>,
        child: ThreadIdx,
        thread: Thread,
    },
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish and returns its result; `Err` holds its panic.
    #[track_caller]
    pub fn join(self) -> Result<T> {
        match self.0 {
            Handle::Std(handle) => handle.join(),
            Handle::Model {
                raw, result, child, ..
            } => {
                let blocked = Blocked::new(BlockReason::Join, child);
                rt::blocking_on_thread(
                    Location::caller(),
                    blocked,
                    || raw.join(),
                    |_| Op::Join { child },
                )?;
                rt::race::joined(child);
                let value = result.lock().unwrap_or_else(PoisonError::into_inner).take();
                Ok(value.expect("a thread that finished without panicking left its result"))
            }
        }
    }

    /// Whether the thread has finished.
    pub fn is_finished(&self) -> bool {
        match &self.0 {
            Handle::Std(handle) => handle.is_finished(),
            Handle::Model { child, .. } => rt::is_finished(*child),
        }
    }

    /// The thread.
    pub fn thread(&self) -> Thread {
        match &self.0 {
            Handle::Std(handle) => Thread(Repr::Std(handle.thread().clone())),
            Handle::Model { thread, .. } => thread.clone(),
        }
    }
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle").finish_non_exhaustive()
    }
}

/// A handle to a thread, as [`std::thread::Thread`].
#[derive(Clone, Debug)]
pub struct Thread(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Std(std::thread::Thread),
    Model {
        id: ThreadId,
        name: Option<Arc<str>>,
    },
}

impl Thread {
    /// The thread's identifier.
    pub fn id(&self) -> ThreadId {
        match &self.0 {
            Repr::Std(thread) => ThreadId(IdRepr::Std(thread.id())),
            Repr::Model { id, .. } => *id,
        }
    }

    /// The thread's name, if it has one (the test body's thread is `main` in explorations).
    pub fn name(&self) -> Option<&str> {
        match &self.0 {
            Repr::Std(thread) => thread.name(),
            Repr::Model { name, .. } => name.as_deref(),
        }
    }
}

/// A unique identifier of a thread, as [`std::thread::ThreadId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ThreadId(IdRepr);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum IdRepr {
    Std(std::thread::ThreadId),
    Model { exec: u64, idx: ThreadIdx },
}
