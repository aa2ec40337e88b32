use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

use crate::rt::monitor::Monitor;
use crate::rt::race::{self, SyncClock};
use crate::rt::{self, BlockReason, Blocked, Bound, Fresh, ObjKind, Op, Slot};

/// Runs a one-time initialisation, as [`std::sync::Once`]: the first `call_once` runs its
/// closure, others wait for it to finish and then return. A closure that panics poisons it.
pub struct Once {
    slot: Slot<Monitor<Phase>>,
    /// What the closure that ran released, for every caller that finds it done.
    done: SyncClock,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    New,
    Running,
    Done,
    Poisoned,
}

/// What [`Once::call_once_force`] tells its closure.
#[derive(Clone, Copy, Debug)]
pub struct OnceState {
    poisoned: bool,
}

impl OnceState {
    /// Whether an earlier closure panicked.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }
}

impl Once {
    /// A `Once` that has not run. A `const fn`, as std's: a `static` `Once` has not run at
    /// the start of any execution of an exploration.
    #[track_caller]
    pub const fn new() -> Once {
        Once {
            slot: Slot::new(Location::caller(), None),
            done: SyncClock::new(),
        }
    }

    /// A `Once` that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>) -> Once {
        Once {
            slot: Slot::new(Location::caller(), Some(name.into())),
            done: SyncClock::new(),
        }
    }

    /// This `Once`'s engine state in the running context; `fresh` resets what the caller
    /// keeps beside it (a `OnceLock`'s value) when it is bound.
    #[inline]
    pub(crate) fn bound_with(&self, fresh: impl FnOnce(&Fresh<'_>)) -> &Bound<Monitor<Phase>> {
        self.slot.get(
            ObjKind::Once,
            |b| Monitor::new(b, Phase::New),
            |f| {
                self.done.clear();
                fresh(f);
            },
        )
    }

    /// Runs `f` if no call has run yet; otherwise waits until the one running has finished.
    /// Panics if an earlier closure panicked.
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        self.call(false, |_| (), |_| f());
    }

    /// Like `call_once`, but runs `f` even if an earlier closure panicked.
    #[track_caller]
    pub fn call_once_force<F: FnOnce(&OnceState)>(&self, f: F) {
        self.call(true, |_| (), f);
    }

    /// Whether a closure has run to completion.
    #[track_caller]
    pub fn is_completed(&self) -> bool {
        self.completed(|_| ())
    }

    /// [`Once::is_completed`], binding with `fresh` (see [`Once::bound_with`]).
    #[track_caller]
    pub(crate) fn completed(&self, fresh: impl FnOnce(&Fresh<'_>)) -> bool {
        let bound = self.bound_with(fresh);
        rt::op(
            bound.obj,
            Location::caller(),
            || {
                let done = bound.raw.with(|held| *held.state() == Phase::Done);
                if done {
                    race::acquire(&self.done);
                }
                done
            },
            |&done| Op::OnceCheck { done },
        )
    }

    /// Runs `f` as `call_once` (or `call_once_force` if `force`) does, binding with `fresh`
    /// (see [`Once::bound_with`]).
    #[track_caller]
    pub(crate) fn call(
        &self,
        force: bool,
        fresh: impl FnOnce(&Fresh<'_>),
        f: impl FnOnce(&OnceState),
    ) {
        let bound = self.bound_with(fresh);
        let blocked = Blocked::new(BlockReason::Once, bound.obj.id);
        let claimed = rt::blocking(
            bound.obj,
            Location::caller(),
            blocked,
            || {
                bound.raw.with(|held| {
                    loop {
                        match *held.state() {
                            Phase::Done => {
                                race::acquire(&self.done);
                                return None;
                            }
                            Phase::Poisoned if !force => return Some(Err(())),
                            phase @ (Phase::New | Phase::Poisoned) => {
                                *held.state() = Phase::Running;
                                return Some(Ok(phase == Phase::Poisoned));
                            }
                            Phase::Running => held.wait(0),
                        }
                    }
                })
            },
            |claimed| Op::Once {
                ran: matches!(claimed, Some(Ok(_))),
            },
        );
        match claimed {
            None => {}
            Some(Err(())) => panic!("Once instance has previously been poisoned"),
            Some(Ok(poisoned)) => {
                let finish = Finish(self, &bound.raw);
                f(&OnceState { poisoned });
                drop(finish);
            }
        }
    }
}

/// Marks the `Once` done, or poisoned if the closure panicked, and wakes the waiters.
struct Finish<'a>(&'a Once, &'a Monitor<Phase>);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        if rt::teardown() {
            return;
        }
        let phase = if crate::rt::panicking() {
            Phase::Poisoned
        } else {
            Phase::Done
        };
        race::release(&self.0.done);
        self.1.with(|held| {
            *held.state() = phase;
            held.notify_all(0);
        });
    }
}

impl Default for Once {
    #[track_caller]
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once").finish_non_exhaustive()
    }
}
