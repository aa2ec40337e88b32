//! Tokio-shaped time (`tokio::time`): [`sleep`], [`timeout`] and [`interval`] on
//! [`tapestry::time::Instant`](crate::time::Instant).
//!
//! Under the model engines time is the execution's virtual clock, which moves only when a
//! timer fires, and a timer may fire at any point of the schedule the engine chooses (at once,
//! after other tasks' steps, or when nothing else can run), in deadline order among the tasks'
//! timers. So no test waits for real time, and whether a [`timeout`] fires before the work it
//! guards is done is explored at every await point of that work; the guarded future is then
//! dropped there. Timers tick in milliseconds, as tokio's: a timer fires at the first whole
//! millisecond of the clock at or after its deadline (a `sleep` of a nanosecond lasts a
//! millisecond), so a loop that sleeps for nanoseconds runs a thousand rounds a millisecond of
//! virtual time, not a million. Under the stress engine and outside explorations these are
//! real-time timers.
//!
//! ```
//! use tapestry::tokio::time::{self, Duration, Instant};
//!
//! tapestry::future::block_on(async {
//!     let start = Instant::now();
//!     time::sleep(Duration::from_millis(10)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(10));
//!     let slow = time::sleep(Duration::from_secs(60));
//!     assert!(time::timeout(Duration::from_millis(1), slow).await.is_err());
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use crate::time::{Duration, Instant};

use crate::future::timer;

/// Waits until `duration` has elapsed, as `tokio::time::sleep`.
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(after(duration))
}

/// Waits until `deadline`, as `tokio::time::sleep_until`.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        site: std::panic::Location::caller(),
    }
}

/// `duration` from now, or about thirty years from now (tokio's stand-in for a deadline that
/// does not fit).
fn after(duration: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(duration)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// The future of [`sleep`]: ready once its deadline has passed.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    /// Where it was made: where a task waits while it is pending.
    site: &'static std::panic::Location<'static>,
}

impl Sleep {
    /// When it is due.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether its deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves its deadline to `deadline` (it may then be polled again after it completed).
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.get_mut().deadline = deadline;
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !crate::future::spend_budget() {
            return crate::future::out_of_budget(self.site, cx);
        }
        if self.is_elapsed() {
            return Poll::Ready(());
        }
        crate::future::refund_budget();
        timer::wake_at(self.deadline.ceil_to_millis(), cx.waker());
        crate::future::waiting_at(self.site);
        Poll::Pending
    }
}

/// Pauses time, as `tokio::time::pause`: under the model engines time is always paused (it
/// moves only when every task waits, or by [`advance`]), so this does nothing. The stress
/// engine runs on real time, which it cannot pause: a test that pauses the clock (and so may
/// count on exact durations) is reported as one it cannot run, and the model engines decide.
/// Outside explorations time stays real.
#[track_caller]
pub fn pause() {
    timer::pause_clock(std::panic::Location::caller());
}

/// Resumes time, as `tokio::time::resume`: does nothing (see [`pause`]).
pub fn resume() {}

/// Moves time on by `duration`, as `tokio::time::advance`: under the model engines the
/// execution's virtual clock jumps, the timers it passed fire (in deadline order, each when its
/// task runs), and the caller yields so that their tasks may run first. Where time is real
/// (outside explorations, the stress engine) it sleeps for `duration`.
pub async fn advance(duration: Duration) {
    if !timer::advance_clock(duration) {
        sleep(duration).await;
    }
    crate::future::yield_now().await;
}

/// Requires `future` to complete within `duration`, as `tokio::time::timeout`: its output, or
/// [`error::Elapsed`] (and the future is dropped where it waited) if the time ran out first.
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    timeout_at(after(duration), future)
}

/// Requires `future` to complete before `deadline`, as `tokio::time::timeout_at`.
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        deadline,
        site: std::panic::Location::caller(),
    }
}

/// [`timeout`] inside one of tapestry's methods that waits with a limit (`send_timeout`): its
/// expiry shows at `site`, the caller's line, rather than at the method's.
pub(crate) fn timeout_made_at<F: IntoFuture>(
    site: &'static std::panic::Location<'static>,
    duration: Duration,
    future: F,
) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        deadline: after(duration),
        site,
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        deadline: Instant,
        // Where it was made: the line its expiry shows at in a trace.
        site: &'static std::panic::Location<'static>,
    }
}

impl<F> Timeout<F> {
    /// The guarded future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The guarded future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The guarded future, dropping the timer.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, error::Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The work first, as tokio: work that is ready wins over a timer that is due.
        let (poll, waiting_at) = crate::future::poll_noting(|| this.future.poll(cx));
        if let Poll::Ready(output) = poll {
            return Poll::Ready(Ok(output));
        }
        if Instant::now() >= *this.deadline {
            crate::future::dropped_by_timeout(this.site, waiting_at);
            return Poll::Ready(Err(error::Elapsed(())));
        }
        timer::expire_at(this.deadline.ceil_to_millis(), cx.waker());
        Poll::Pending
    }
}

/// A ticker, as `tokio::time::interval`: the first tick completes at once, then one every
/// `period`.
///
/// # Panics
/// If `period` is zero, as tokio's.
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// A ticker whose first tick completes at `start`, as `tokio::time::interval_at`.
///
/// # Panics
/// If `period` is zero, as tokio's.
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval {
        next: start,
        period,
        missed: MissedTickBehavior::Burst,
    }
}

/// What an [`Interval`] does with ticks it missed, as tokio's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// Ticks as fast as it can until it has caught up (the default).
    #[default]
    Burst,
    /// Ticks once, then every `period` from then on.
    Delay,
    /// Ticks once, then at the next multiple of `period` from the start.
    Skip,
}

/// The ticker of [`interval`].
#[derive(Debug)]
pub struct Interval {
    next: Instant,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns when it was due.
    #[track_caller]
    pub fn tick(&mut self) -> impl std::future::Future<Output = Instant> {
        crate::future::await_point(
            async move { std::future::poll_fn(|cx| self.poll_tick(cx)).await },
        )
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let now = Instant::now();
        if now < self.next {
            timer::wake_at(self.next.ceil_to_millis(), cx.waker());
            return Poll::Pending;
        }
        let due = self.next;
        self.next = match self.missed {
            MissedTickBehavior::Burst => due + self.period,
            MissedTickBehavior::Delay => now + self.period,
            MissedTickBehavior::Skip => {
                let periods = (now - due).as_nanos() / self.period.as_nanos() + 1;
                let ahead = self.period.as_nanos() * periods;
                due + Duration::from_nanos(u64::try_from(ahead).unwrap_or(u64::MAX))
            }
        };
        Poll::Ready(due)
    }

    /// Makes the next tick due one `period` from now.
    pub fn reset(&mut self) {
        self.next = Instant::now() + self.period;
    }

    /// Its period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What it does with missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets what it does with missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }
}

/// Time errors, as `tokio::time::error`.
pub mod error {
    use super::fmt;

    /// A [`timeout`](super::timeout) ran out before its future completed.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Elapsed(pub(super) ());

    impl fmt::Display for Elapsed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("deadline has elapsed")
        }
    }

    impl std::error::Error for Elapsed {}
}
