use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

use super::monitor::Monitor;
use crate::rt::race::{self, SyncClock};
use crate::rt::{self, BlockReason, Blocked, ObjKind, ObjRef, Op};

/// Runs a one-time initialisation, as [`std::sync::Once`]: the first `call_once` runs its
/// closure, others wait for it to finish and then return. A closure that panics poisons it.
pub struct Once {
    obj: ObjRef,
    monitor: Monitor<Phase>,
    /// What the closure that ran released, for every caller that finds it done.
    done: SyncClock,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
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
    /// A `Once` that has not run.
    #[track_caller]
    pub fn new() -> Once {
        Self::make(None)
    }

    /// A `Once` that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>) -> Once {
        Self::make(Some(name.into()))
    }

    #[track_caller]
    fn make(name: Option<Cow<'static, str>>) -> Once {
        let (obj, monitor) = rt::create(ObjKind::Once, name, Location::caller(), |b| {
            Monitor::new(b, Phase::New)
        });
        Once {
            obj,
            monitor,
            done: SyncClock::default(),
        }
    }

    /// Runs `f` if no call has run yet; otherwise waits until the one running has finished.
    /// Panics if an earlier closure panicked.
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        self.call(false, |_| f());
    }

    /// Like `call_once`, but runs `f` even if an earlier closure panicked.
    #[track_caller]
    pub fn call_once_force<F: FnOnce(&OnceState)>(&self, f: F) {
        self.call(true, f);
    }

    /// Whether a closure has run to completion.
    #[track_caller]
    pub fn is_completed(&self) -> bool {
        rt::op(
            self.obj,
            Location::caller(),
            || {
                let done = self.monitor.with(|held| *held.state() == Phase::Done);
                if done {
                    race::acquire(&self.done);
                }
                done
            },
            |&done| Op::OnceCheck { done },
        )
    }

    #[track_caller]
    fn call(&self, force: bool, f: impl FnOnce(&OnceState)) {
        let blocked = Blocked::new(BlockReason::Once, self.obj.id);
        let claimed = rt::blocking(
            self.obj,
            Location::caller(),
            blocked,
            || {
                self.monitor.with(|held| {
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
                let finish = Finish(self);
                f(&OnceState { poisoned });
                drop(finish);
            }
        }
    }
}

/// Marks the `Once` done, or poisoned if the closure panicked, and wakes the waiters.
struct Finish<'a>(&'a Once);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        if rt::teardown() {
            return;
        }
        let phase = if std::thread::panicking() {
            Phase::Poisoned
        } else {
            Phase::Done
        };
        race::release(&self.0.done);
        self.0.monitor.with(|held| {
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
