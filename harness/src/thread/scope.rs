//! Scoped threads, as [`std::thread::scope`]: threads that may borrow from the caller's stack,
//! because the scope waits for all of them before it returns.
//!
//! Outside an exploration a scope is std's. Inside one, each scoped thread is a model thread,
//! spawned like any other with its closure's lifetime erased; what makes that sound is what
//! makes std's sound, that no scoped thread runs past [`scope`]'s return:
//!
//! - `scope` waits for every thread spawned in it (by its closure or by its threads), however
//!   its closure ends, panics included, before it returns or resumes the panic;
//! - a thread counts as done only once its closure and what it captured and returned are
//!   dropped (its result stays with its handle, which cannot outlive the scope);
//! - what the threads share with `scope` (the record of which have finished) is behind an
//!   `Arc`, so a thread that has just said it is done touches nothing on the caller's stack.
//!
//! If the engine gives up on the execution while `scope` waits (the stress engine aborts a
//! failed iteration by unwinding its blocked threads), `scope` waits outside the engine for the
//! threads' closures to end, as they unwind too, before it lets the unwinding go on. Model
//! engines that give up on an execution never run its threads again (loom and shuttle leak
//! their stacks), so there nothing can touch the caller's stack after it unwinds.
//!
//! The waits are modelled: a thread's end, and `scope`'s or a handle's wait for it, go through
//! a lock and condition variable of the engine's, so the model engines explore where each
//! thread ends against everything else, the race detector learns that a thread's closure
//! happens before the wait's return, and a scope that can never end is a deadlock naming the
//! thread it waits for.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::sync::atomic::Ordering::{self, Relaxed};
use std::sync::atomic::{AtomicBool, AtomicPtr};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};

use super::{Builder, Repr, Result, Thread};
use crate::rt::monitor::Monitor;
use crate::rt::race::{self, SyncClock};
use crate::rt::{self, BlockReason, Blocked, Op, Site, ThreadIdx};

/// Runs `f` with a [`Scope`] whose threads may borrow what `f` may, and waits for them all
/// before returning, as [`std::thread::scope`].
///
/// Like std's, it panics if a thread spawned in it panicked and was not joined (under the
/// model engines a thread's panic already fails the execution). Inside an exploration the
/// scoped threads are model threads (they count towards the exhaustive engine's five), and the
/// trace shows `scope`'s wait for each thread that no handle joined as a `join` at the line of
/// the `scope` call.
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let site = Location::caller();
    if rt::current_thread().is_none() {
        // Made before std's scope, so that it outlives every std thread of it: a thread may
        // still spawn through it after `f` returned.
        let scope = Scope::new(ScopeRepr::Std(AtomicPtr::new(std::ptr::null_mut())));
        return std::thread::scope(|std_scope| {
            if let ScopeRepr::Std(ptr) = &scope.repr {
                ptr.store(
                    std::ptr::from_ref(std_scope).cast_mut().cast(),
                    Ordering::Release,
                );
            }
            f(&scope)
        });
    }
    let scope = Scope::new(ScopeRepr::Model(Shared::default()));
    let result = catch_unwind(AssertUnwindSafe(|| f(&scope)));
    let ScopeRepr::Model(shared) = &scope.repr else {
        unreachable!("made a model scope")
    };
    let panicked = match catch_unwind(AssertUnwindSafe(|| shared.join_all(site))) {
        Ok(panicked) => panicked,
        Err(payload) => {
            // The engine gave up on the execution while this thread waited (see the module
            // docs): wait for the closures outside it, then unwind.
            if rt::real_threads() {
                shared.running.wait_for_none();
            } else if rt::is_abandoned(&*payload) {
                // The engine abandons the run, unwinding every thread: this one leaves the
                // scope only after its threads, which borrow from it, have unwound.
                rt::wait_out_abandoned(|| shared.running.is_none());
            }
            resume_unwind(payload)
        }
    };
    match result {
        Err(payload) => resume_unwind(payload),
        Ok(_) if panicked => panic!("a scoped thread panicked"),
        Ok(value) => value,
    }
}

/// A scope to spawn threads in, as [`std::thread::Scope`]: see [`scope`].
pub struct Scope<'scope, 'env: 'scope> {
    repr: ScopeRepr,
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

enum ScopeRepr {
    /// Outside explorations: std's scope, once `std::thread::scope` has made it (erased to a
    /// pointer, as its lifetimes are those of `scope`'s own frame).
    Std(AtomicPtr<()>),
    Model(Shared),
}

impl<'scope, 'env> Scope<'scope, 'env> {
    fn new(repr: ScopeRepr) -> Self {
        Scope {
            repr,
            scope: PhantomData,
            env: PhantomData,
        }
    }

    /// Spawns a thread in the scope, as [`std::thread::Scope::spawn`]: it may borrow what
    /// lives longer than the scope, and is joined by the scope's end if no handle joins it.
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        Builder::new()
            .spawn_scoped(self, f)
            .expect("failed to spawn thread")
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

impl Builder {
    /// Spawns a thread in `scope` with this builder's settings, as
    /// [`std::thread::Builder::spawn_scoped`].
    #[track_caller]
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let repr = match &scope.repr {
            ScopeRepr::Std(ptr) => {
                let ptr = ptr.load(Ordering::Acquire);
                // SAFETY: set before `scope`'s closure runs, to std's scope, which lives until
                // `std::thread::scope` returns: after every thread that could call this. Its
                // lifetimes are this scope's: a closure that lives for `'scope` lives as long
                // as std's needs, and the handle cannot outlive `scope`'s frame.
                let std_scope = unsafe { &*ptr.cast::<std::thread::Scope<'scope, 'env>>() };
                let handle = self.std().spawn_scoped(std_scope, f)?;
                let thread = Thread(Repr::Std(handle.thread().clone()));
                ScopedRepr::Std { handle, thread }
            }
            ScopeRepr::Model(shared) => spawn_model(self, shared, f, Location::caller()),
        };
        Ok(ScopedJoinHandle {
            repr,
            scope: PhantomData,
        })
    }
}

/// Spawns `f` as a model thread of `shared`'s scope.
fn spawn_model<'scope, F, T>(
    builder: Builder,
    shared: &Shared,
    f: F,
    site: Site,
) -> ScopedRepr<'scope, T>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    let child = Arc::new(Child::new());
    shared.children().push(child.clone());
    let result = Arc::new(Mutex::new(None));
    let body: Box<dyn FnOnce() + Send + 'scope> = {
        let (child, result) = (child.clone(), result.clone());
        let running = Running::start(&shared.running);
        Box::new(move || {
            // Dropped in the reverse order, unwinding too: the result and the closure, then the
            // end of the thread, then the count `scope` waits on outside the engine.
            let running = running;
            let end = End(child);
            let (f, result) = (f, result);
            let value = f();
            *result.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
            drop((result, end, running));
        })
    };
    // SAFETY: the body may borrow for `'scope`, and runs within it: `scope` returns only after
    // every thread spawned in it has ended (`Shared::join_all`, whose list holds this one from
    // now on), and the body's `End`, the last thing it does with anything it borrowed, comes
    // after all of that is dropped (see the module docs).
    let body: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(body) };
    // The thread ends through `End`, which its handle and the scope wait for: its own join
    // handle is not needed.
    let (_detached, thread) = builder.spawn_model(body, site, |idx| {
        child.thread.get_or_init(|| idx);
    });
    ScopedRepr::Model {
        child,
        thread,
        result,
    }
}

/// The threads of a model scope.
#[derive(Default)]
struct Shared {
    /// Every thread spawned in the scope, in spawn order: a list, not synchronisation, so
    /// outside the engine.
    children: Mutex<Vec<Arc<Child>>>,
    /// Closures still running, counted outside the engine for when it gives up.
    running: Arc<Count>,
}

impl Shared {
    fn children(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Child>>> {
        self.children.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The scope's end: waits for every thread no handle joined, in spawn order, until none
    /// is left (threads may spawn more meanwhile). Returns whether one of them panicked.
    fn join_all(&self, site: Site) -> bool {
        let mut panicked = false;
        let mut next = 0;
        // The spawner of each thread (the scope's closure, or a thread spawned before it) is
        // done by the time its turn comes: the thread is known, or was never started.
        loop {
            // Not locked while it waits: its threads may spawn more.
            let Some(child) = self.children().get(next).cloned() else {
                return panicked;
            };
            if let (Some(&thread), false) = (child.thread.get(), child.joined.load(Relaxed)) {
                panicked |= child.join(thread, site);
            }
            next += 1;
        }
    }
}

/// One scoped thread's end, as it and its waiters share it (behind an `Arc`: see the module
/// docs).
struct Child {
    /// Whether the thread's closure has ended, behind a lock and condition variable of the
    /// engine's: its end and the waits for it are steps the engines order.
    ended: Monitor<Ended, 1>,
    /// Its number, known before it runs; never, if spawning failed.
    thread: OnceLock<ThreadIdx>,
    /// A handle joined it: the scope's end need not.
    joined: AtomicBool,
}

#[derive(Default)]
struct Ended {
    ended: bool,
    panicked: bool,
    /// What the thread's closure released as it ended: a join acquires it.
    clock: SyncClock,
}

impl Child {
    fn new() -> Child {
        let ended = rt::with_backend(|backend| Monitor::new(backend, Ended::default()))
            .expect("an exploration is running");
        Child {
            ended,
            thread: OnceLock::new(),
            joined: AtomicBool::new(false),
        }
    }

    /// Waits for the thread, `thread`, to end, as a step of the running thread; returns
    /// whether it panicked.
    fn join(&self, thread: ThreadIdx, site: Site) -> bool {
        let blocked = Blocked::new(BlockReason::Join, thread);
        let panicked = rt::blocking_on_thread(
            site,
            blocked,
            || {
                self.ended.with(|held| {
                    while !held.state().ended {
                        held.wait(0);
                    }
                    let ended = held.state();
                    race::acquire(&ended.clock);
                    ended.panicked
                })
            },
            |_| Op::Join { child: thread },
        );
        self.joined.store(true, Relaxed);
        panicked
    }
}

/// The end of a scoped thread, when dropped: by its closure's return or its unwinding.
struct End(Arc<Child>);

impl Drop for End {
    fn drop(&mut self) {
        let panicked = crate::rt::panicking();
        self.0.ended.with(|held| {
            let ended = held.state();
            ended.ended = true;
            ended.panicked = panicked;
            race::release(&ended.clock);
            held.notify_all(0);
        });
    }
}

/// A count of running closures, waited for outside the engine.
#[derive(Default)]
struct Count {
    running: Mutex<usize>,
    changed: Condvar,
}

impl Count {
    fn is_none(&self) -> bool {
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) == 0
    }

    fn wait_for_none(&self) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        while *running > 0 {
            running = self
                .changed
                .wait(running)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// One closure counted in a [`Count`] until dropped.
struct Running(Arc<Count>);

impl Running {
    fn start(count: &Arc<Count>) -> Running {
        *count.running.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        Running(count.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        *self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner) -= 1;
        self.0.changed.notify_all();
    }
}

/// Owns a scoped thread, as [`std::thread::ScopedJoinHandle`].
pub struct ScopedJoinHandle<'scope, T> {
    repr: ScopedRepr<'scope, T>,
    scope: PhantomData<&'scope ()>,
}

enum ScopedRepr<'scope, T> {
    Std {
        handle: std::thread::ScopedJoinHandle<'scope, T>,
        thread: Thread,
    },
    Model {
        child: Arc<Child>,
        thread: Thread,
        result: Arc<Mutex<Option<T>>>,
    },
}

impl<T> ScopedJoinHandle<'_, T> {
    /// The thread.
    pub fn thread(&self) -> &Thread {
        match &self.repr {
            ScopedRepr::Std { thread, .. } | ScopedRepr::Model { thread, .. } => thread,
        }
    }

    /// Waits for the thread to finish and returns its result; `Err` holds its panic (under
    /// the model engines a panic fails the execution first).
    #[track_caller]
    pub fn join(self) -> Result<T> {
        match self.repr {
            ScopedRepr::Std { handle, .. } => handle.join(),
            ScopedRepr::Model {
                child,
                thread,
                result,
            } => {
                let idx = thread.model_idx().expect("a model thread");
                if child.join(idx, Location::caller()) {
                    return Err(Box::new("a scoped thread panicked"));
                }
                let value = result.lock().unwrap_or_else(PoisonError::into_inner).take();
                Ok(value.expect("a scoped thread that ended without panicking left its result"))
            }
        }
    }

    /// Whether the thread has finished.
    pub fn is_finished(&self) -> bool {
        match &self.repr {
            ScopedRepr::Std { handle, .. } => handle.is_finished(),
            ScopedRepr::Model { thread, .. } => {
                rt::is_finished(thread.model_idx().expect("a model thread"))
            }
        }
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle").finish_non_exhaustive()
    }
}
