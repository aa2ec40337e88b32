//! Threads, shaped like [`std::thread`].
//!
//! Outside an exploration these are std threads. Inside one they are model threads of the
//! engine: loom and shuttle run them as coroutines, one at a time, switching at facade
//! operations; the stress engine runs them on real threads from a pool. A panic in any thread
//! fails the execution (under the stress engine `join` also returns it as `Err`, as in std).
//!
//! | item | outside explorations | inside |
//! |---|---|---|
//! | [`spawn`], [`Builder`], [`JoinHandle`] | std's | model threads; `join` is a step, and orders what the thread did before what follows it |
//! | [`scope`], [`Scope`], [`ScopedJoinHandle`], [`Builder::spawn_scoped`] | std's | model threads that borrow from the caller's stack; `scope` joins them all before it returns, even when its closure panics |
//! | [`park`], [`park_timeout`], [`Thread::unpark`] | std's | a token per thread, as std's; model engines explore spurious wakeups |
//! | [`thread_local!`](crate::thread_local), [`LocalKey`] | std's | a value per model thread, dropped when it exits |
//! | [`available_parallelism`] | std's | 4 under model engines, the machine's under stress, or what [`Explorer::available_parallelism`](crate::Explorer::available_parallelism) says |
//! | [`yield_now`], [`sleep`] | std's | a hint: the thread may go on at once or let the others run first (model engines have no clock) |
//! | [`current`], [`Thread`], [`ThreadId`] | std's | the model thread, its name and a number unique in the execution |

mod local;
mod park;
pub(crate) use park::{await_wake, await_wake_timeout, has_token, wake};
mod scope;

use std::io;
use std::num::NonZeroUsize;
use std::panic::Location;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

pub use std::thread::{Result, panicking};

pub use self::local::{AccessError, LocalKey};
pub use self::park::{park, park_timeout};
pub use self::scope::{Scope, ScopedJoinHandle, scope};

use crate::rt::{self, BlockReason, Blocked, Op, RawJoin, Site, ThreadIdx};

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
    yield_at(Location::caller());
}

/// [`yield_now`], shown at `site` in a trace.
pub(crate) fn yield_at(site: &'static Location<'static>) {
    rt::note_yield();
    rt::backend_op(site, |b| b.yield_now(), |_| Op::Yield);
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

/// The thread that calls it, as [`std::thread::current`].
pub fn current() -> Thread {
    match rt::current_thread() {
        None => Thread(Repr::Std(std::thread::current())),
        Some((exec, idx)) => Thread::model(exec, idx, rt::thread_name(idx)),
    }
}

/// How many threads the program should use, as [`std::thread::available_parallelism`].
///
/// Outside an exploration, std's answer. Inside one it is a setting of the exploration, so
/// that code sizing a pool by it behaves the same on every machine: by default 4 under the
/// model engines (a small machine's count: a program spawning one thread per core then has
/// five threads with the test body's, which loom, at most five, can still run) and the
/// machine's own under the stress engine, whose threads are real; [`Explorer::available_parallelism`](crate::Explorer::available_parallelism)
/// (`TAPESTRY_PARALLELISM`) sets it for every engine. It is no scheduling point and is not
/// recorded.
pub fn available_parallelism() -> io::Result<NonZeroUsize> {
    match rt::available_parallelism() {
        Some(Some(n)) => Ok(n),
        None | Some(None) => std::thread::available_parallelism(),
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
            let handle = self.std().spawn(f)?;
            let thread = Thread(Repr::Std(handle.thread().clone()));
            return Ok(JoinHandle(Handle::Std { handle, thread }));
        }
        let result = Arc::new(std::sync::Mutex::new(None));
        let slot = Arc::clone(&result);
        let body = Box::new(move || {
            let value = f();
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
        });
        let (raw, thread) = self.spawn_model(body, Location::caller(), |_| {});
        Ok(JoinHandle(Handle::Model {
            child: ModelChild { raw, thread },
            result,
        }))
    }

    /// The std builder with this one's settings (std has no priorities).
    fn std(self) -> std::thread::Builder {
        let mut builder = std::thread::Builder::new();
        if let Some(name) = self.name {
            builder = builder.name(name);
        }
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        builder
    }

    /// Starts a model thread of the running execution running `body`; `registered` learns
    /// its number before it can run (see `rt::spawn`).
    fn spawn_model(
        self,
        body: Box<dyn FnOnce() + Send + 'static>,
        site: Site,
        registered: impl FnOnce(ThreadIdx),
    ) -> (Box<dyn RawJoin>, Thread) {
        let name: Option<Arc<str>> = self.name.as_deref().map(Arc::from);
        let (child, raw) = rt::spawn(
            self.name,
            self.stack_size,
            self.priority,
            site,
            body,
            registered,
        )
        .expect("an exploration is running");
        let (exec, _) = rt::current_thread().expect("an exploration is running");
        (raw, Thread::model(exec, child, name))
    }
}

/// Owns a spawned thread, as [`std::thread::JoinHandle`].
pub struct JoinHandle<T>(Handle<T>);

enum Handle<T> {
    Std {
        handle: std::thread::JoinHandle<T>,
        thread: Thread,
    },
    Model {
        child: ModelChild,
        result: Arc<std::sync::Mutex<Option<T>>>,
    },
}

/// A model thread as its handle holds it.
struct ModelChild {
    raw: Box<dyn RawJoin>,
    thread: Thread,
}

impl ModelChild {
    fn idx(&self) -> ThreadIdx {
        self.thread.model_idx().expect("a model thread")
    }

    /// Waits for the thread to finish, as a step of the running thread: afterwards it knows
    /// what the thread did. `Err` holds the panic the engine let it die of.
    fn join(self, site: Site) -> Result<()> {
        let child = self.idx();
        let blocked = Blocked::new(BlockReason::Join, child);
        let raw = self.raw;
        rt::blocking_on_thread(site, blocked, || raw.join(), |_| Op::Join { child })?;
        rt::race::joined(child);
        Ok(())
    }
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish and returns its result; `Err` holds its panic.
    #[track_caller]
    pub fn join(self) -> Result<T> {
        match self.0 {
            Handle::Std { handle, .. } => handle.join(),
            Handle::Model { child, result } => {
                child.join(Location::caller())?;
                let value = result.lock().unwrap_or_else(PoisonError::into_inner).take();
                Ok(value.expect("a thread that finished without panicking left its result"))
            }
        }
    }

    /// Whether the thread has finished.
    ///
    /// Inside an exploration it is an operation, where the engines may run other threads
    /// first (the thread may finish just before the call, as under std), and a loop that
    /// polls it lets the others run, as a yield does. The dpor engine (for which the call
    /// reads what the thread's last step writes) and the engines that sample schedules
    /// explore both answers; the exhaustive and c11 engines do not yet know that the answer
    /// depends on the thread's last step, and may explore only one.
    #[track_caller]
    pub fn is_finished(&self) -> bool {
        match &self.0 {
            Handle::Std { handle, .. } => handle.is_finished(),
            Handle::Model { child, .. } => {
                let child = child.idx();
                rt::backend_op(
                    Location::caller(),
                    |b| b.is_finished(child, &|| rt::is_finished(child)),
                    |&done| Op::IsFinished { child, done },
                )
            }
        }
    }

    /// The thread.
    pub fn thread(&self) -> &Thread {
        match &self.0 {
            Handle::Std { thread, .. } => thread,
            Handle::Model { child, .. } => &child.thread,
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
    fn model(exec: u64, idx: ThreadIdx, name: Option<Arc<str>>) -> Thread {
        Thread(Repr::Model {
            id: ThreadId(IdRepr::Model { exec, idx }),
            name,
        })
    }

    /// The model thread's number, if it is one.
    fn model_idx(&self) -> Option<ThreadIdx> {
        match self.0 {
            Repr::Model {
                id: ThreadId(IdRepr::Model { idx, .. }),
                ..
            } => Some(idx),
            _ => None,
        }
    }

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

    /// Gives the thread its token, so that its [`park`] returns (or its next one, at once), as
    /// [`std::thread::Thread::unpark`]: a thread holds at most one token. Inside an
    /// exploration it is a step of the calling thread, and the parked thread's `park` knows
    /// what the caller did before it. Unparking a thread that has exited does nothing.
    #[track_caller]
    pub fn unpark(&self) {
        match &self.0 {
            Repr::Std(thread) => thread.unpark(),
            Repr::Model {
                id: ThreadId(IdRepr::Model { exec, idx }),
                ..
            } => park::unpark(*exec, *idx, Location::caller()),
            Repr::Model { .. } => unreachable!("a model thread has a model id"),
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
