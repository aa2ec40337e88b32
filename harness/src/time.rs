//! Time, shaped like [`std::time`]: [`Instant`] and [`SystemTime`] read the real clock outside
//! explorations and under the stress engine, and a virtual clock of the execution under the
//! model engines.
//!
//! A model engine runs no thread for any real length of time: a sleep is a scheduling point
//! and a timed wait may time out after no time at all, so code that measures elapsed time
//! with the real clock would see microseconds where it waited for seconds (a loop
//! `while start.elapsed() < LEASE { thread::sleep(TICK) }` would run until the step limit).
//! So each execution keeps a clock of its own. It starts at the same point in every execution
//! and moves only when time passes in the program: when a thread comes back from
//! [`thread::sleep`](crate::thread::sleep) or from a timed wait that timed out
//! ([`Condvar::wait_timeout`](crate::sync::Condvar::wait_timeout) and the waits built on it,
//! [`Receiver::recv_timeout`](crate::sync::mpsc::Receiver::recv_timeout)), it moves to the
//! moment that sleep or wait was due to end, unless it is past it already. Everything else
//! takes no time. So:
//!
//! - `Instant::now()` never goes back within an execution, in any thread, and
//!   `start.elapsed() >= d` after `thread::sleep(d)`, as std promises;
//! - the times a program reads depend on the schedule alone: the same seed gives the same
//!   times, and a replay prints the same trace and messages byte for byte;
//! - a bug that needs time to pass (a lease that expires while its holder still works) is
//!   found when a schedule lets enough sleeps or timeouts happen, as it is by real time.
//!
//! ```
//! use std::time::Duration;
//! use tapestry::time::Instant;
//! use tapestry::{thread, Engine, Explorer};
//!
//! let report = Explorer::new().engine(Engine::random().schedules(10)).run(|| {
//!     let start = Instant::now();
//!     // No real minute passes: the execution's clock moves on by one.
//!     thread::sleep(Duration::from_secs(60));
//!     assert!(start.elapsed() >= Duration::from_secs(60));
//! });
//! assert!(report.is_clean(), "{report}");
//! ```
//!
//! What the virtual clock does not model: computation takes no time, so a loop that spins
//! (without sleeping or waiting) until a deadline never reaches it and ends at the step
//! limit; and a timed wait may end by a notification after its deadline has passed on the
//! clock (another thread's sleep moved it), which a real clock rules out.
//!
//! The virtual clock starts at 1,000,000 s on [`Instant`]'s scale (a machine up for eleven
//! days, so that `now() - Duration::from_secs(3600)` works as it does on a real one) and at
//! 2026-01-01T00:00:00Z for [`SystemTime`]. An `Instant` made outside an exploration (or under
//! the stress engine) and one of a virtual clock cannot be compared or subtracted: doing so
//! panics (create instants inside the test body).

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

pub use std::time::{Duration, SystemTimeError, TryFromFloatSecsError};

use crate::kinds::FailureKind;
use crate::rt;

/// Where the virtual clock starts on [`Instant`]'s scale.
const VIRTUAL_START: Duration = Duration::from_secs(1_000_000);

/// Where the virtual clock starts on [`SystemTime`]'s scale: 2026-01-01T00:00:00Z.
const VIRTUAL_WALL_START: Duration = Duration::from_secs(1_767_225_600);

/// A point on a monotonic clock, as [`std::time::Instant`]: the real clock outside
/// explorations and under the stress engine, the execution's virtual clock under the model
/// engines (see the [module docs](self)).
#[derive(Clone, Copy)]
pub struct Instant(Clock);

#[derive(Clone, Copy, Hash)]
enum Clock {
    Real(std::time::Instant),
    /// Time since the virtual clock's origin, [`VIRTUAL_START`] before it began.
    Virtual(Duration),
}

/// Two instants of the same clock.
enum Pair {
    Real(std::time::Instant, std::time::Instant),
    Virtual(Duration, Duration),
}

impl Instant {
    /// The time now.
    pub fn now() -> Instant {
        match rt::virtual_now() {
            Some(since_start) => Instant(Clock::Virtual(VIRTUAL_START + since_start)),
            None => Instant(Clock::Real(std::time::Instant::now())),
        }
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later (as std since 1.60).
    #[track_caller]
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    #[track_caller]
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        match self.pair(earlier) {
            Pair::Real(a, b) => a.checked_duration_since(b),
            Pair::Virtual(a, b) => a.checked_sub(b),
        }
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    #[track_caller]
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.checked_duration_since(earlier).unwrap_or_default()
    }

    /// The time since `self`.
    #[track_caller]
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// `self + duration`, or `None` if the clock cannot represent it.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        Some(Instant(match self.0 {
            Clock::Real(at) => Clock::Real(at.checked_add(duration)?),
            Clock::Virtual(at) => Clock::Virtual(at.checked_add(duration)?),
        }))
    }

    /// On the virtual clock, the first whole millisecond at or after `self` (itself on a
    /// real clock): when a tokio timer due at `self` fires, since tokio's timers tick in
    /// milliseconds (a `sleep` of a nanosecond lasts until the next tick).
    pub(crate) fn ceil_to_millis(self) -> Instant {
        match self.0 {
            Clock::Real(_) => self,
            Clock::Virtual(at) => {
                let millis = at.as_nanos().div_ceil(1_000_000);
                let at = u64::try_from(millis).map_or(at, Duration::from_millis);
                Instant(Clock::Virtual(at))
            }
        }
    }

    /// `self - duration`, or `None` if the clock cannot represent it.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        Some(Instant(match self.0 {
            Clock::Real(at) => Clock::Real(at.checked_sub(duration)?),
            Clock::Virtual(at) => Clock::Virtual(at.checked_sub(duration)?),
        }))
    }

    #[track_caller]
    fn pair(&self, other: Instant) -> Pair {
        match (self.0, other.0) {
            (Clock::Real(a), Clock::Real(b)) => Pair::Real(a, b),
            (Clock::Virtual(a), Clock::Virtual(b)) => Pair::Virtual(a, b),
            _ => mixed_clocks(),
        }
    }
}

#[cold]
#[track_caller]
fn mixed_clocks() -> ! {
    let message = format!(
        "an Instant of the real clock met one of an execution's virtual clock at {} (an \
         Instant made outside the test body, or kept from another execution?): create \
         instants inside the test body",
        std::panic::Location::caller()
    );
    match rt::current_thread() {
        Some(_) => rt::fail(FailureKind::Misuse, message),
        None => panic!("{message}"),
    }
}

impl PartialEq for Instant {
    #[track_caller]
    fn eq(&self, other: &Instant) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Instant {}

impl std::hash::Hash for Instant {
    /// Instants that are equal are of one clock and one time: they hash alike.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialOrd for Instant {
    #[track_caller]
    fn partial_cmp(&self, other: &Instant) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Instant {
    #[track_caller]
    fn cmp(&self, other: &Instant) -> std::cmp::Ordering {
        match self.pair(*other) {
            Pair::Real(a, b) => a.cmp(&b),
            Pair::Virtual(a, b) => a.cmp(&b),
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Panics if the clock cannot represent the result, as std's.
    fn add(self, duration: Duration) -> Instant {
        self.checked_add(duration)
            .expect("overflow when adding duration to instant")
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// Panics if the clock cannot represent the result, as std's.
    fn sub(self, duration: Duration) -> Instant {
        self.checked_sub(duration)
            .expect("overflow when subtracting duration from instant")
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// [`duration_since`](Instant::duration_since): zero if `other` is later.
    #[track_caller]
    fn sub(self, other: Instant) -> Duration {
        self.duration_since(other)
    }
}

impl fmt::Debug for Instant {
    /// std's form on Unix; a virtual instant prints its place on the virtual clock, which is
    /// the same in every run.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Clock::Real(at) => fmt::Debug::fmt(&at, f),
            Clock::Virtual(at) => f
                .debug_struct("Instant")
                .field("tv_sec", &at.as_secs())
                .field("tv_nsec", &at.subsec_nanos())
                .finish(),
        }
    }
}

/// A point on the wall clock, as [`std::time::SystemTime`]: the real clock outside
/// explorations and under the stress engine; under the model engines the execution's virtual
/// clock, starting at 2026-01-01T00:00:00Z (see the [module docs](self)).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SystemTime(std::time::SystemTime);

/// The Unix epoch, as [`std::time::UNIX_EPOCH`].
pub const UNIX_EPOCH: SystemTime = SystemTime(std::time::UNIX_EPOCH);

impl SystemTime {
    /// The Unix epoch, as [`std::time::SystemTime::UNIX_EPOCH`].
    pub const UNIX_EPOCH: SystemTime = UNIX_EPOCH;

    /// The time now.
    pub fn now() -> SystemTime {
        match rt::virtual_now() {
            Some(since_start) => {
                SystemTime(std::time::UNIX_EPOCH + VIRTUAL_WALL_START + since_start)
            }
            None => SystemTime(std::time::SystemTime::now()),
        }
    }

    /// The time from `earlier` to `self`; `Err` holds how much later `earlier` is.
    pub fn duration_since(&self, earlier: SystemTime) -> Result<Duration, SystemTimeError> {
        self.0.duration_since(earlier.0)
    }

    /// The time since `self`; `Err` if `self` is later than now.
    pub fn elapsed(&self) -> Result<Duration, SystemTimeError> {
        SystemTime::now().duration_since(*self)
    }

    /// `self + duration`, or `None` if the clock cannot represent it.
    pub fn checked_add(&self, duration: Duration) -> Option<SystemTime> {
        self.0.checked_add(duration).map(SystemTime)
    }

    /// `self - duration`, or `None` if the clock cannot represent it.
    pub fn checked_sub(&self, duration: Duration) -> Option<SystemTime> {
        self.0.checked_sub(duration).map(SystemTime)
    }
}

impl From<SystemTime> for std::time::SystemTime {
    fn from(time: SystemTime) -> std::time::SystemTime {
        time.0
    }
}

impl Add<Duration> for SystemTime {
    type Output = SystemTime;

    fn add(self, duration: Duration) -> SystemTime {
        SystemTime(self.0 + duration)
    }
}

impl AddAssign<Duration> for SystemTime {
    fn add_assign(&mut self, duration: Duration) {
        self.0 += duration;
    }
}

impl Sub<Duration> for SystemTime {
    type Output = SystemTime;

    fn sub(self, duration: Duration) -> SystemTime {
        SystemTime(self.0 - duration)
    }
}

impl SubAssign<Duration> for SystemTime {
    fn sub_assign(&mut self, duration: Duration) {
        self.0 -= duration;
    }
}

impl fmt::Debug for SystemTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
