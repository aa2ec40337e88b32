use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

use crate::rt::monitor::Monitor;
use crate::rt::race::{self, SyncClock};
use crate::rt::{self, BlockReason, Blocked, ObjKind, Op, Slot};

/// Lets a fixed number of threads wait for each other, as [`std::sync::Barrier`].
pub struct Barrier {
    slot: Slot<Monitor<Round>>,
    n: usize,
}

struct Round {
    arrived: usize,
    generation: u64,
    /// What the threads of this round released on arrival (race detection).
    arrivals: SyncClock,
    /// What the last completed round released: every thread leaving it acquires it. It cannot
    /// change before they have left, as the next round needs them all.
    departures: SyncClock,
}

/// What [`Barrier::wait`] returns: one thread of each round is its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this thread was the round's leader (the last to arrive).
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for `n` threads (a `const fn`, as std's).
    #[track_caller]
    pub const fn new(n: usize) -> Barrier {
        Barrier {
            slot: Slot::new(Location::caller(), None),
            n,
        }
    }

    /// A barrier for `n` threads that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, n: usize) -> Barrier {
        Barrier {
            slot: Slot::new(Location::caller(), Some(name.into())),
            n,
        }
    }

    /// Blocks until `n` threads have called `wait`; the last to arrive is the leader.
    #[track_caller]
    pub fn wait(&self) -> BarrierWaitResult {
        let bound = self.slot.get(
            ObjKind::Barrier,
            |b| {
                let round = Round {
                    arrived: 0,
                    generation: 0,
                    arrivals: SyncClock::default(),
                    departures: SyncClock::default(),
                };
                Monitor::new(b, round)
            },
            |_| (),
        );
        let blocked = Blocked::new(BlockReason::Barrier, bound.obj.id);
        let leader = rt::blocking(
            bound.obj,
            Location::caller(),
            blocked,
            || {
                bound.raw.with(|held| {
                    let round = held.state();
                    let generation = round.generation;
                    round.arrived += 1;
                    race::release_join(&round.arrivals);
                    let leader = if round.arrived < self.n {
                        while held.state().generation == generation {
                            held.wait(0);
                        }
                        false
                    } else {
                        round.arrived = 0;
                        round.generation += 1;
                        round.arrivals.move_into(&round.departures);
                        held.notify_all(0);
                        true
                    };
                    race::acquire(&held.state().departures);
                    leader
                })
            },
            |&leader| Op::BarrierWait { leader },
        );
        BarrierWaitResult(leader)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}
