//! Parking, as std's: every thread has a token, at most one; [`park`] takes it, waiting for it
//! if need be, and [`Thread::unpark`](super::Thread::unpark) gives it.
//!
//! Inside an exploration each model thread has a parker: the token behind a lock and a
//! condition variable of the engine's (made at the thread's first park or unpark, dropped when
//! it exits), and the clock its unparks release into, which every park acquires (std: all
//! earlier unparks synchronise with a park). Beside it, the wake token that a task's waker
//! gives and the task's thread takes between polls (`crate::future`): an engine's own where it
//! has one (`rt::token`), so that a wake is a single step the DPOR engine knows.
//!
//! std lets `park` return without the token (a spurious wakeup), so code must check its
//! condition in a loop. Model engines explore it: a park that finds no token waits as a timed
//! wait does (`engine::timed`), so it may end at once or after any steps of the others, by an
//! unpark or spuriously. Two rules keep that from hiding bugs or spinning forever:
//!
//! - it may end spuriously only while another thread may still run; a park whose thread no
//!   one else can unpark blocks, so a lost wakeup is reported as the deadlock it is under std,
//!   not rescued by a wakeup no real program can count on;
//! - a thread that keeps waking spuriously lets the others run between its wakeups (the timed
//!   wait's pace), so a correct `while !flag { park() }` loop ends.
//!
//! The stress engine parks real threads, which wake spuriously as rarely as the OS lets them:
//! there `park` waits for the token.

use std::any::Any;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::rt::monitor::{Held, Monitor};
use crate::rt::race::{self, SyncClock};
use crate::rt::token::{MonitorToken, RawToken};
use crate::rt::{
    self, Backend, BlockReason, Blocked, Op, Parker as AnyParker, Site, ThreadIdx, Woke,
};

/// Blocks until the thread's token is available and takes it, as [`std::thread::park`]; it may
/// also return without one (spuriously), so call it in a loop that checks a condition.
///
/// Inside an exploration: a token given earlier makes it return at once; otherwise it waits for
/// [`Thread::unpark`](super::Thread::unpark). The model engines also explore spurious wakeups,
/// at once or after other threads' steps, but only while another thread may still run: a park
/// that nobody can end blocks, and the execution deadlocks. The stress engine waits for the
/// token. The trace shows `park (unparked)` or `park (woke spuriously)`; a deadlock names the
/// line where a thread is parked.
///
/// What each engine explores of spurious wakeups: the exhaustive engine one at once without
/// a preemption and one after other threads' steps with one, within its bound; the DPOR
/// engine whether a park ends by its unpark or spuriously (the two conflict), but not every
/// moment at which another thread blocks, which decides whether a wakeup may be spurious, so
/// it may miss one that only such a moment allows; random, PCT and SURW sample them, and the
/// priority engine makes one a sleep that ends at a seeded step; the stress engine none.
#[track_caller]
pub fn park() {
    match rt::current_thread() {
        None => std::thread::park(),
        Some((_, me)) => park_model(me, None, Location::caller()),
    }
}

/// Like [`park`], giving up after `dur`, as [`std::thread::park_timeout`].
///
/// Model engines have no clock: the wait may time out at once or after any steps of the other
/// threads, and times out when nothing else can run (as the crate docs' "Verdicts" say of every
/// timed wait). The stress engine and std wait in real time. The trace shows
/// `park_timeout (unparked)` or `park_timeout (timed out)`.
#[track_caller]
pub fn park_timeout(dur: Duration) {
    match rt::current_thread() {
        None => std::thread::park_timeout(dur),
        Some((_, me)) => park_model(me, Some(dur), Location::caller()),
    }
}

fn park_model(me: ThreadIdx, timeout: Option<Duration>, site: Site) {
    let parker = parker(me).expect("a running thread has not exited");
    let blocked = Blocked::new(BlockReason::Park, me);
    rt::blocking_on_thread(
        site,
        blocked,
        || parker.park(timeout),
        |&woke| Op::Park {
            timeout: timeout.is_some(),
            woke,
        },
    );
}

/// `Thread::unpark` of model thread `idx` of execution `exec`.
pub(super) fn unpark(exec: u64, idx: ThreadIdx, site: Site) {
    match rt::current_thread() {
        Some((running, _)) if running == exec => {}
        Some(_) => rt::misuse(format!(
            "a `Thread` of an earlier execution was unparked (at {site}). Each execution runs \
             the test body afresh; keep its threads' handles out of statics, thread-locals and \
             OnceLocks"
        )),
        None => panic!(
            "a `Thread` of a tapestry exploration was unparked outside it (at {site}), where its \
             thread no longer exists"
        ),
    }
    rt::backend_op(
        site,
        // A thread that has exited has no parker, and nothing to wake.
        |_| {
            if let Some(parker) = parker(idx) {
                parker.unpark();
            }
        },
        |_| Op::Unpark { thread: idx },
    );
}

/// A task's wait for a wake (`crate::future`): the running model thread takes its wake token,
/// waiting for it without spurious wakeups (a task's thread waits for nothing else). A wake
/// that came during the poll left the token, and this returns at once.
pub(crate) fn await_wake(site: Site) {
    let Some((_, me)) = rt::current_thread() else {
        return std::thread::park();
    };
    let parker = parker(me).expect("a running thread has not exited");
    rt::blocking_on_thread(
        site,
        Blocked::new(BlockReason::Wake, me),
        || parker.wakes.take(),
        |_| Op::Pending,
    );
}

/// A task's wait for a wake or for its timer, due `timeout` from now: as [`await_wake`], but
/// the wait may also time out, as every timed wait of a model engine does (at once, after
/// other threads' steps, or when nothing else can run). Returns whether it timed out.
pub(crate) fn await_wake_timeout(site: Site, timeout: Duration) -> bool {
    let Some((_, me)) = rt::current_thread() else {
        std::thread::park_timeout(timeout);
        return false;
    };
    let parker = parker(me).expect("a running thread has not exited");
    rt::blocking_on_thread(
        site,
        Blocked::new(BlockReason::Wake, me),
        || parker.wakes.take_timeout(timeout),
        |&fired| Op::TimerWait { fired },
    )
}

/// A waker's wake of the task on model thread `idx` of execution `exec`: gives the thread its
/// wake token. A wake from outside the execution (a waker kept past its end) does nothing.
pub(crate) fn wake(exec: u64, idx: ThreadIdx, site: Site) {
    if rt::current_thread().is_some_and(|(running, _)| running != exec) {
        return;
    }
    rt::backend_op(
        site,
        // A thread that has exited has no parker, and nothing to wake.
        |_| {
            if let Some(parker) = parker(idx) {
                parker.wakes.give();
            }
        },
        |_| Op::Wake { thread: idx },
    );
}

/// Whether model thread `idx` waits with a token given (unparked or woken, not yet run);
/// `false` for a thread that never parked or waited for a wake.
pub(crate) fn has_token(idx: ThreadIdx) -> bool {
    parker(idx).is_some_and(|parker| {
        parker.gives.load(Relaxed) > parker.takes.load(Relaxed) || parker.wakes.given()
    })
}

/// Model thread `idx`'s parker, made on first use; `None` once it has exited.
fn parker(idx: ThreadIdx) -> Option<Arc<Parker>> {
    let any: AnyParker = rt::parker(idx, |backend| Arc::new(Parker::new(backend, idx)))?;
    let parker: Arc<dyn Any + Send + Sync> = any;
    Some(
        parker
            .downcast()
            .expect("only this module makes threads' parkers"),
    )
}

/// A model thread's token, behind a lock of the engine's with a condition variable its park
/// waits on; only the owner waits, so a notification wakes it.
/// Besides the token, counts for [`has_token`], which must not take the engine's lock: the
/// unparks given, and how many of them the owner had seen when it last took the token. The
/// owner counts them once its wait has released the engine's lock, not when it takes the
/// token: a thread that took it but is still in its wait will go on, and has it still.
struct Parker {
    monitor: Monitor<State, 1>,
    gives: AtomicU64,
    takes: AtomicU64,
    /// The token a task's waker gives (`crate::future`), apart from the thread's own: the
    /// engine may make it (`rt::token`).
    wakes: WakeToken,
}

struct State {
    token: bool,
    /// What the thread's unparks released: every park acquires it.
    unparks: SyncClock,
}

impl Parker {
    fn new(backend: &dyn Backend, idx: ThreadIdx) -> Parker {
        Parker {
            wakes: WakeToken::new(backend, idx),
            monitor: Monitor::new(
                backend,
                State {
                    token: false,
                    unparks: SyncClock::default(),
                },
            ),
            gives: AtomicU64::new(0),
            takes: AtomicU64::new(0),
        }
    }

    /// Counts the unparks the owner had seen when it took the token (`seen`, if it took it)
    /// as taken, now that its wait released the engine's lock (see [`Parker`]).
    fn taken(&self, seen: Option<u64>) {
        if let Some(seen) = seen {
            self.takes.store(seen, Relaxed);
        }
    }

    /// The owner's park: takes the token, waiting for it as the module docs say.
    fn park(&self, timeout: Option<Duration>) -> Woke {
        let (woke, seen) = self.monitor.with(|held| {
            let woke = if held.state().token {
                Woke::Unparked
            } else {
                match timeout {
                    Some(timeout) => {
                        held.wait_timeout(0, timeout);
                        woke_or(held, Woke::TimedOut)
                    }
                    None if rt::may_wake_spuriously() => {
                        // An untimed wait that may end spuriously is a timed wait with no time
                        // limit: the model engines have no clock, and end it whenever the
                        // waiter runs again without the token.
                        held.wait_timeout(0, Duration::MAX);
                        match woke_or(held, Woke::Spurious) {
                            // Ended when nothing else could run any more: it blocks after all
                            // (see `rt::may_wake_spuriously`).
                            Woke::Spurious if !rt::may_wake_spuriously() => wait_for_token(held),
                            woke => woke,
                        }
                    }
                    None => wait_for_token(held),
                }
            };
            let state = held.state();
            let seen = (woke == Woke::Unparked).then(|| {
                state.token = false;
                self.gives.load(Relaxed)
            });
            race::acquire(&state.unparks);
            (woke, seen)
        });
        self.taken(seen);
        woke
    }

    /// Gives the token and wakes the owner if it waits.
    fn unpark(&self) {
        self.monitor.with(|held| {
            let state = held.state();
            state.token = true;
            self.gives.fetch_add(1, Relaxed);
            race::release_join(&state.unparks);
            held.notify_all(0);
        });
    }
}

/// `Unparked` if the token is there, else `otherwise`.
fn woke_or(held: &mut Held<'_, State, 1>, otherwise: Woke) -> Woke {
    if held.state().token {
        Woke::Unparked
    } else {
        otherwise
    }
}

fn wait_for_token(held: &mut Held<'_, State, 1>) -> Woke {
    while !held.state().token {
        held.wait(0);
    }
    Woke::Unparked
}

/// A task thread's wake token (`rt::token`), with what its gives release for the race
/// detector (a wake happens before the poll it causes) and counts for [`has_token`].
struct WakeToken {
    raw: Box<dyn RawToken>,
    /// What the wakes released: every take acquires it.
    wakes: SyncClock,
    gives: AtomicU64,
    takes: AtomicU64,
}

impl WakeToken {
    fn new(backend: &dyn Backend, owner: ThreadIdx) -> WakeToken {
        WakeToken {
            raw: backend
                .new_token(owner)
                .unwrap_or_else(|| Box::new(MonitorToken::new(backend))),
            wakes: SyncClock::default(),
            gives: AtomicU64::new(0),
            takes: AtomicU64::new(0),
        }
    }

    fn give(&self) {
        race::release_join(&self.wakes);
        self.gives.fetch_add(1, Relaxed);
        self.raw.give();
    }

    /// Counts the gives so far as taken (the token holds one at most) and acquires their clock.
    fn taken(&self) {
        self.takes.store(self.gives.load(Relaxed), Relaxed);
        race::acquire(&self.wakes);
    }

    fn take(&self) {
        self.raw.take();
        self.taken();
    }

    fn take_timeout(&self, timeout: Duration) -> bool {
        let fired = self.raw.take_timeout(timeout);
        if !fired {
            self.taken();
        }
        fired
    }

    fn given(&self) -> bool {
        self.gives.load(Relaxed) > self.takes.load(Relaxed)
    }
}
