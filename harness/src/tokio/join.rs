//! `join!`, `try_join!` and `pin!`, as tokio's: futures polled together by the task that
//! awaits them (no task of their own, so no scheduling point between them but their own).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future of a `join!`, and its output once it has one.
#[doc(hidden)]
pub enum MaybeDone<F: Future> {
    Pending(F),
    Done(F::Output),
    Taken,
}

impl<F: Future> std::fmt::Debug for MaybeDone<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MaybeDone::Pending(_) => "Pending",
            MaybeDone::Done(_) => "Done",
            MaybeDone::Taken => "Taken",
        })
    }
}

impl<F: Future> MaybeDone<F> {
    pub fn new(future: F) -> Self {
        MaybeDone::Pending(future)
    }

    /// Polls the future unless it is done; whether it is done now.
    pub fn poll_done(self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        // SAFETY: the future is never moved out while pinned: it is replaced by its output
        // in place, and `Pending` is the only variant that holds it.
        let this = unsafe { self.get_unchecked_mut() };
        if let MaybeDone::Pending(future) = this {
            // SAFETY: as above; `this` is pinned, so the future inside it is.
            match unsafe { Pin::new_unchecked(future) }.poll(cx) {
                Poll::Ready(output) => *this = MaybeDone::Done(output),
                Poll::Pending => return false,
            }
        }
        true
    }

    /// The output, once done (`poll_done` said so), before it is taken.
    pub fn output(self: Pin<&mut Self>) -> Option<&F::Output> {
        match Pin::into_ref(self).get_ref() {
            MaybeDone::Done(output) => Some(output),
            _ => None,
        }
    }

    /// Takes the output, once done.
    pub fn take(self: Pin<&mut Self>) -> F::Output {
        // SAFETY: a done `MaybeDone` holds no future any more, so nothing pinned moves.
        let this = unsafe { self.get_unchecked_mut() };
        match std::mem::replace(this, MaybeDone::Taken) {
            MaybeDone::Done(output) => output,
            _ => panic!("a join! branch's output taken before it was done, or twice"),
        }
    }
}

/// Polls the futures given and waits until all are done, as `tokio::join!`: its output is
/// the tuple of theirs, in order. They run in the awaiting task, one poll each in turn, so a
/// branch that blocks blocks them all.
///
/// ```
/// tapestry::future::block_on(async {
///     let (a, b) = tapestry::tokio::join!(async { 1 }, async { "two" });
///     assert_eq!((a, b), (1, "two"));
/// });
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __tokio_join {
    (@acc [$(($id:ident $future:expr))*]) => {{
        $( let mut $id = $crate::tokio::__MaybeDone::new($future); )*
        // SAFETY: shadowed at once, so the futures are never moved again (as `pin!`).
        $( let mut $id = unsafe { ::std::pin::Pin::new_unchecked(&mut $id) }; )*
        ::std::future::poll_fn(|cx| {
            let mut all = true;
            $( all &= $id.as_mut().poll_done(cx); )*
            if all {
                ::std::task::Poll::Ready(($( $id.as_mut().take(), )*))
            } else {
                ::std::task::Poll::Pending
            }
        })
        .await
    }};
    (@acc [$($done:tt)*] $future:expr $(, $rest:expr)*) => {
        // Each expansion's `branch` is an identifier of its own (macro hygiene).
        $crate::__tokio_join!(@acc [$($done)* (branch $future)] $($rest),*)
    };
    ($($future:expr),+ $(,)?) => {
        $crate::__tokio_join!(@acc [] $($future),+)
    };
}

/// As [`join!`](crate::tokio::join), for futures whose outputs are `Result`s: the first `Err` (in the order the
/// branches finish) is the output at once, and the other branches are dropped; else `Ok` of
/// the tuple of the values, as `tokio::try_join!`.
///
/// ```
/// tapestry::future::block_on(async {
///     let ok: Result<(i32, i32), &str> =
///         tapestry::tokio::try_join!(async { Ok(1) }, async { Ok(2) });
///     assert_eq!(ok, Ok((1, 2)));
///     let failed: Result<(i32, i32), &str> =
///         tapestry::tokio::try_join!(async { Ok(1) }, async { Err("no") });
///     assert_eq!(failed, Err("no"));
/// });
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __tokio_try_join {
    (@acc [$(($id:ident $future:expr))*]) => {{
        $( let mut $id = $crate::tokio::__MaybeDone::new($future); )*
        // SAFETY: shadowed at once, so the futures are never moved again (as `pin!`).
        $( let mut $id = unsafe { ::std::pin::Pin::new_unchecked(&mut $id) }; )*
        ::std::future::poll_fn(|cx| {
            let mut all = true;
            $(
                if $id.as_mut().poll_done(cx) {
                    if $id.as_mut().output().is_some_and(|output| output.is_err()) {
                        if let Err(error) = $id.as_mut().take() {
                            return ::std::task::Poll::Ready(Err(error));
                        }
                    }
                } else {
                    all = false;
                }
            )*
            if all {
                ::std::task::Poll::Ready(Ok(($(
                    match $id.as_mut().take() {
                        Ok(value) => value,
                        Err(_) => unreachable!("an Err returns at once"),
                    },
                )*)))
            } else {
                ::std::task::Poll::Pending
            }
        })
        .await
    }};
    (@acc [$($done:tt)*] $future:expr $(, $rest:expr)*) => {
        $crate::__tokio_try_join!(@acc [$($done)* (branch $future)] $($rest),*)
    };
    ($($future:expr),+ $(,)?) => {
        $crate::__tokio_try_join!(@acc [] $($future),+)
    };
}

/// Pins values on the stack, in place, as `tokio::pin!`: `pin!(a, b);` shadows each with a
/// `Pin<&mut _>` of it, and `pin! { let a = expr; }` makes and pins it.
///
/// ```
/// use tapestry::tokio::{self, time::{sleep, Duration}};
///
/// tapestry::future::block_on(async {
///     let slow = sleep(Duration::from_secs(60));
///     tokio::pin!(slow);
///     let winner = tokio::select! {
///         _ = &mut slow => "slow",
///         _ = async {} => "fast",
///     };
///     assert_eq!(winner, "fast");
/// });
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __tokio_pin {
    ($($x:ident),* $(,)?) => {
        $(
            let mut $x = $x;
            // SAFETY: the original is shadowed, so it is never moved again.
            #[allow(unused_mut)]
            let mut $x = unsafe { ::std::pin::Pin::new_unchecked(&mut $x) };
        )*
    };
    ($(let $x:ident = $init:expr;)*) => {
        $(
            let $x = $init;
            $crate::__tokio_pin!($x);
        )*
    };
}
