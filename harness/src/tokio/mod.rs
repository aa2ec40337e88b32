//! Tokio-shaped async primitives, so that tokio code is tested by changing its imports:
//! `use tapestry::tokio as tokio;` (or a `package =` rename in `Cargo.toml`).
//!
//! Every type here keeps tokio's names, signatures and documented semantics. Each is built on
//! the facade (`tapestry::sync::Mutex` for its state, std's [`Waker`](std::task::Waker) to
//! wake a task), so under an exploration every engine explores it, and outside one it is an
//! ordinary runtime-agnostic implementation that works under any executor, tokio's included.
//!
//! Tasks are [`crate::future`]'s: each one runs on a model thread of its own.

pub mod runtime;
pub mod sync;
pub mod task;
pub mod time;

pub use task::spawn;

/// Waits on several futures at once and runs the handler of the first to complete whose
/// output matches its pattern, dropping the others, as `tokio::select!` (same syntax:
/// `pattern = future [, if condition] => handler`, `else => handler`, `biased;`).
///
/// Without `biased;`, each poll starts from a different branch, as tokio's random start does,
/// so no branch starves: here the start rotates with each poll of the thread, a function of
/// the schedule, so a replay starts where the failing run started. Which branch wins among
/// several that are ready at the same poll is not itself an explored choice; which branches
/// are ready when the `select!` is polled is, as every interleaving is.
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

/// A `select!` dropped its branch `branch` (from 0) while it was pending: a note in the trace.
#[doc(hidden)]
#[track_caller]
pub fn __select_dropped(branch: usize) {
    crate::future::dropped_select_branch(std::panic::Location::caller(), branch);
}

/// Where a `select!` with `count` branches starts polling: the first branch if `biased`, else
/// a start that rotates with every unbiased poll of the running thread.
#[doc(hidden)]
pub fn __select_start(count: usize, biased: bool) -> usize {
    crate::thread_local! {
        static POLLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    if biased {
        return 0;
    }
    let polls = POLLS.get();
    POLLS.set(polls.wrapping_add(1));
    polls % count
}
