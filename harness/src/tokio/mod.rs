//! Tokio-shaped async primitives, so that tokio code is tested by changing its imports:
//! `use tapestry::tokio as tokio;` (or a `package =` rename in `Cargo.toml`).
//!
//! Every type here keeps tokio's names, signatures and documented semantics. Each is built on
//! the facade (`tapestry::sync::Mutex` for its state, std's [`Waker`](std::task::Waker) to
//! wake a task), so under an exploration every engine explores it, and outside one it is an
//! ordinary runtime-agnostic implementation that works under any executor, tokio's included.
//!
//! Tasks are [`crate::future`]'s: each one runs on a model thread of its own.

mod join;
pub mod runtime;
pub mod sync;
pub mod task;
mod task_local;
pub mod time;

#[doc(hidden)]
pub use join::MaybeDone as __MaybeDone;
pub use task::spawn;

#[doc(inline)]
pub use crate::__tokio_join as join;
#[doc(inline)]
pub use crate::__tokio_pin as pin;
#[doc(inline)]
pub use crate::__tokio_task_local as task_local;
#[doc(inline)]
pub use crate::__tokio_try_join as try_join;

/// Waits on several futures at once and runs the handler of the first to complete whose
/// output matches its pattern, dropping the others, as `tokio::select!` (same syntax:
/// `pattern = future [, if condition] => handler`, `else => handler`, `biased;`).
///
/// Without `biased;`, tokio starts each poll from a random branch, so that no branch starves;
/// which of several ready branches wins is then chance. Here the start is a choice of the
/// engine, so that every winner is tested: the DPOR, exhaustive and c11 engines run every start
/// (a search per combination of starts), the random, PCT, SURW, priority and stress engines
/// draw one, a replay repeats it, and the trace shows it. Code outside explorations rotates the
/// start with each poll of the thread.
///
/// ```
/// use tapestry::tokio::{self, time::{sleep, Duration}};
///
/// tapestry::future::block_on(async {
///     let winner = tokio::select! {
///         _ = sleep(Duration::from_secs(60)) => "slow",
///         value = async { 7 } => if value == 7 { "fast" } else { "wrong" },
///     };
///     assert_eq!(winner, "fast");
/// });
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __tokio_select {
    ($($input:tt)*) => {
        $crate::__private::select_impl!($crate; $($input)*)
    };
}

#[doc(inline)]
pub use crate::__tokio_select as select;

/// A `select!` dropped its branch `branch` (from 0), the future written `future`, while it was
/// pending at `waiting_at`: a note in the trace.
#[doc(hidden)]
#[track_caller]
pub fn __select_dropped(
    branch: usize,
    future: &'static &'static str,
    waiting_at: Option<&'static std::panic::Location<'static>>,
) {
    let site = std::panic::Location::caller();
    crate::future::dropped_select_branch(site, branch, future, waiting_at);
}

/// Polls a `select!` branch with `poll`: its result, and where the branch waits if it is
/// pending and one of tapestry's futures said so.
#[doc(hidden)]
pub fn __select_poll<T>(
    poll: impl FnOnce() -> std::task::Poll<T>,
) -> (
    std::task::Poll<T>,
    Option<&'static std::panic::Location<'static>>,
) {
    crate::future::poll_noting(poll)
}

/// Where a `select!` with `count` branches starts polling, so which of its ready branches wins:
/// the first branch if `biased`; else a choice the engine explores (the DPOR, exhaustive and
/// c11 engines run every start, the sampling engines draw one and a schedule replays it; the
/// stress engine draws one from its seed), or, outside explorations, a start that rotates
/// with every unbiased poll of the running thread.
#[doc(hidden)]
#[track_caller]
pub fn __select_start(count: usize, biased: bool) -> usize {
    crate::thread_local! {
        static POLLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    if biased || count < 2 {
        return 0;
    }
    if let Some(start) = crate::future::select_start(std::panic::Location::caller(), count) {
        return start;
    }
    let polls = POLLS.get();
    POLLS.set(polls.wrapping_add(1));
    polls % count
}
