//! tapestry's tokio-shaped channels (`tapestry::tokio::sync::{oneshot, mpsc, watch}`) against
//! tokio itself, case by case, and under explorations.
//!
//! Each case is written once (`scenarios!`) and instantiated twice: with `tokio::sync`, run on
//! a current-thread tokio runtime, and with `tapestry::tokio::sync`, run with
//! `tapestry::future::block_on` outside explorations. A case logs what it observes; the two
//! logs must be equal. Pending or ready is observed by polling once with a no-op waker, so no
//! case depends on timing or on a scheduler.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tapestry::future::block_on;
use tapestry::tokio::sync::mpsc;

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// Pending or the output, as a log line.
fn show<T: std::fmt::Debug>(poll: Poll<T>) -> String {
    match poll {
        Poll::Pending => "Pending".to_owned(),
        Poll::Ready(output) => format!("Ready({output:?})"),
    }
}

/// The cases: each is an `async fn` on the channels of module `S` that returns its log.
macro_rules! scenarios {
    () => {
        use super::{poll_once, show};
        use std::pin::pin;

        pub async fn oneshot_send_then_recv() -> Vec<String> {
            let (tx, rx) = S::oneshot::channel::<u32>();
            let closed = tx.is_closed();
            let sent = tx.send(1);
            vec![format!("{closed} {sent:?} {:?}", rx.await)]
        }

        pub async fn oneshot_sender_dropped_is_recv_error() -> Vec<String> {
            let (tx, rx) = S::oneshot::channel::<u32>();
            drop(tx);
            let err = rx.await.unwrap_err();
            vec![format!("{err:?} {err}")]
        }

        pub async fn oneshot_receiver_dropped_send_returns_value() -> Vec<String> {
            let (tx, rx) = S::oneshot::channel::<u32>();
            drop(rx);
            vec![format!("{} {:?}", tx.is_closed(), tx.send(5))]
        }

        pub async fn oneshot_try_recv_empty_then_value_then_closed() -> Vec<String> {
            let mut log = Vec::new();
            let (tx, mut rx) = S::oneshot::channel::<u32>();
            log.push(format!("{:?}", rx.try_recv()));
            tx.send(3).unwrap();
            log.push(format!("{:?}", rx.try_recv()));
            log.push(format!("{:?}", rx.try_recv()));
            let (tx, mut rx) = S::oneshot::channel::<u32>();
            drop(tx);
            let err = rx.try_recv().unwrap_err();
            log.push(format!("{err:?} {err}"));
            log
        }

        pub async fn oneshot_closed_resolves_when_receiver_dropped() -> Vec<String> {
            let mut log = Vec::new();
            let (mut tx, rx) = S::oneshot::channel::<u32>();
            {
                let mut closed = pin!(tx.closed());
                log.push(show(poll_once(closed.as_mut())));
                drop(rx);
                log.push(show(poll_once(closed.as_mut())));
            }
            log.push(format!("{}", tx.is_closed()));
            log
        }

        pub async fn oneshot_close_refuses_later_sends_keeps_earlier() -> Vec<String> {
            let mut log = Vec::new();
            let (tx, mut rx) = S::oneshot::channel::<u32>();
            rx.close();
            log.push(format!(
                "{} {:?} {:?}",
                tx.is_closed(),
                tx.send(1),
                rx.await
            ));
            let (tx, mut rx) = S::oneshot::channel::<u32>();
            tx.send(2).unwrap();
            rx.close();
            log.push(format!("{:?}", rx.try_recv()));
            log
        }

        pub async fn oneshot_pending_until_sent() -> Vec<String> {
            let (tx, rx) = S::oneshot::channel::<u32>();
            let mut rx = pin!(rx);
            let before = show(poll_once(rx.as_mut()));
            tx.send(4).unwrap();
            vec![before, show(poll_once(rx.as_mut()))]
        }

        pub async fn mpsc_try_send_full_at_capacity() -> Vec<String> {
            let (tx, rx) = S::mpsc::channel::<u32>(2);
            let mut log = vec![format!("{} {}", tx.capacity(), tx.max_capacity())];
            for i in 0..3 {
                let sent = tx.try_send(i);
                log.push(format!("{sent:?} {} {}", tx.capacity(), rx.len()));
            }
            let full = tx.try_send(9).unwrap_err();
            log.push(format!("{full} {}", full.into_inner()));
            log
        }

        pub async fn mpsc_send_pending_when_full_ready_after_recv() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(1);
            tx.send(1).await.unwrap();
            let mut send = pin!(tx.send(2));
            let mut log = vec![show(poll_once(send.as_mut()))];
            log.push(format!("{:?}", rx.recv().await));
            log.push(show(poll_once(send.as_mut())));
            log.push(format!("{:?}", rx.recv().await));
            log
        }

        pub async fn mpsc_blocked_senders_are_served_fifo() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(1);
            let other = tx.clone();
            tx.send(1).await.unwrap();
            let mut first = pin!(tx.send(10));
            let mut second = pin!(other.send(20));
            let mut log = vec![
                show(poll_once(first.as_mut())),
                show(poll_once(second.as_mut())),
            ];
            log.push(format!("{:?}", rx.recv().await));
            // The freed slot is the first waiter's, though the second polls first.
            log.push(show(poll_once(second.as_mut())));
            log.push(show(poll_once(first.as_mut())));
            log.push(format!("{:?}", rx.recv().await));
            log.push(show(poll_once(second.as_mut())));
            log.push(format!("{:?} {:?}", rx.recv().await, rx.try_recv()));
            log
        }

        pub async fn mpsc_a_dropped_send_gives_up_its_place() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(1);
            tx.send(1).await.unwrap();
            let mut first = Box::pin(tx.send(10));
            let mut second = Box::pin(tx.send(20));
            let mut log = vec![
                show(poll_once(first.as_mut())),
                show(poll_once(second.as_mut())),
            ];
            log.push(format!("{:?}", rx.recv().await));
            drop(first);
            log.push(show(poll_once(second.as_mut())));
            log.push(format!("{:?} {}", rx.recv().await, tx.capacity()));
            log
        }

        pub async fn mpsc_senders_dropped_recv_none_after_buffered() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(4);
            let other = tx.clone();
            tx.send(1).await.unwrap();
            other.send(2).await.unwrap();
            drop(tx);
            let mut log = vec![format!("{}", rx.is_closed())];
            drop(other);
            log.push(format!("{}", rx.is_closed()));
            for _ in 0..3 {
                log.push(format!("{:?}", rx.recv().await));
            }
            log.push(format!("{:?}", rx.try_recv()));
            log
        }

        pub async fn mpsc_receiver_close_fails_sends_keeps_buffered() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(4);
            tx.send(1).await.unwrap();
            rx.close();
            let mut log = vec![format!("{} {}", tx.is_closed(), rx.is_closed())];
            log.push(format!("{:?}", tx.try_send(2)));
            log.push(format!("{:?}", tx.send(3).await.map_err(|e| e.0)));
            log.push(format!("{:?} {:?}", rx.recv().await, rx.recv().await));
            log.push(format!("{:?}", rx.try_recv()));
            log
        }

        pub async fn mpsc_waiting_senders_fail_on_close() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(1);
            tx.send(1).await.unwrap();
            let mut send = pin!(tx.send(2));
            let mut log = vec![show(poll_once(send.as_mut()).map(|r| r.map_err(|e| e.0)))];
            rx.close();
            log.push(show(poll_once(send.as_mut()).map(|r| r.map_err(|e| e.0))));
            log.push(format!("{:?} {:?}", rx.recv().await, rx.recv().await));
            log
        }

        pub async fn mpsc_a_permit_held_over_close_still_sends() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(2);
            let permit = tx.reserve().await.unwrap();
            rx.close();
            let mut log = Vec::new();
            {
                let mut recv = pin!(rx.recv());
                log.push(show(poll_once(recv.as_mut())));
            }
            permit.send(5);
            log.push(format!("{:?} {:?}", rx.recv().await, rx.recv().await));
            log
        }

        pub async fn mpsc_try_recv_empty_then_disconnected() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(1);
            let mut log = vec![format!("{:?}", rx.try_recv())];
            tx.try_send(7).unwrap();
            log.push(format!("{:?} {:?}", rx.try_recv(), rx.try_recv()));
            drop(tx);
            let err = rx.try_recv().unwrap_err();
            log.push(format!("{err:?} {err}"));
            log
        }

        pub async fn mpsc_capacity_counts_queued_and_reserved() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(3);
            let mut log = vec![format!("{} {}", tx.capacity(), tx.max_capacity())];
            tx.send(1).await.unwrap();
            log.push(format!("{} {}", tx.capacity(), rx.len()));
            let permit = tx.reserve().await.unwrap();
            log.push(format!("{} {:?}", tx.capacity(), tx.try_reserve().is_ok()));
            drop(permit);
            log.push(format!("{}", tx.capacity()));
            rx.recv().await.unwrap();
            log.push(format!("{} {}", tx.capacity(), rx.is_empty()));
            log
        }

        pub async fn mpsc_receiver_dropped_closes() -> Vec<String> {
            let (tx, rx) = S::mpsc::channel::<u32>(1);
            let mut log = Vec::new();
            {
                let mut closed = pin!(tx.closed());
                log.push(show(poll_once(closed.as_mut())));
                drop(rx);
                log.push(show(poll_once(closed.as_mut())));
            }
            let err = tx.send(1).await.unwrap_err();
            log.push(format!(
                "{} {err:?} {err} {:?}",
                tx.is_closed(),
                tx.try_send(2)
            ));
            log
        }

        pub async fn mpsc_recv_pending_until_sent() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(1);
            let mut log = Vec::new();
            let mut recv = pin!(rx.recv());
            log.push(show(poll_once(recv.as_mut())));
            tx.try_send(1).unwrap();
            log.push(show(poll_once(recv.as_mut())));
            log
        }

        pub async fn mpsc_recv_many_takes_up_to_limit() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(4);
            for i in 0..3 {
                tx.send(i).await.unwrap();
            }
            let mut buffer = Vec::new();
            let mut log = vec![format!("{}", rx.recv_many(&mut buffer, 2).await)];
            log.push(format!("{}", rx.recv_many(&mut buffer, 0).await));
            drop(tx);
            log.push(format!("{}", rx.recv_many(&mut buffer, 5).await));
            log.push(format!("{} {buffer:?}", rx.recv_many(&mut buffer, 5).await));
            log
        }

        pub async fn mpsc_unbounded_send_recv_close() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::unbounded_channel::<u32>();
            for i in 0..3 {
                tx.send(i).unwrap();
            }
            let mut log = vec![format!("{} {:?}", rx.len(), rx.recv().await)];
            rx.close();
            let err = tx.send(9).unwrap_err();
            log.push(format!("{err:?} {} {}", err.0, tx.is_closed()));
            log.push(format!("{:?} {:?}", rx.recv().await, rx.try_recv()));
            log.push(format!("{:?} {:?}", rx.recv().await, rx.try_recv()));
            let (tx, mut rx) = S::mpsc::unbounded_channel::<u32>();
            log.push(format!("{:?}", rx.try_recv()));
            tx.send(1).unwrap();
            drop(tx);
            log.push(format!("{:?} {:?}", rx.recv().await, rx.recv().await));
            log
        }

        pub async fn mpsc_weak_sender_does_not_keep_the_channel() -> Vec<String> {
            let (tx, mut rx) = S::mpsc::channel::<u32>(1);
            let weak = tx.downgrade();
            let strong = weak.upgrade().unwrap();
            let mut log = vec![format!(
                "{} {}",
                tx.strong_count(),
                tx.same_channel(&strong)
            )];
            drop((tx, strong));
            log.push(format!(
                "{} {:?}",
                weak.upgrade().is_none(),
                rx.recv().await
            ));
            log
        }

        pub async fn watch_borrow_sees_initial_as_seen() -> Vec<String> {
            let (tx, rx) = S::watch::channel(1u32);
            let seen = rx.borrow();
            let log = vec![
                format!("{} {}", *seen, seen.has_changed()),
                format!("{:?} {}", rx.has_changed(), tx.receiver_count()),
            ];
            drop(seen);
            log
        }

        pub async fn watch_changed_after_send() -> Vec<String> {
            let (tx, mut rx) = S::watch::channel(0u32);
            let mut log = Vec::new();
            {
                let mut changed = pin!(rx.changed());
                log.push(show(poll_once(changed.as_mut())));
            }
            tx.send(1).unwrap();
            log.push(format!(
                "{:?} {}",
                rx.has_changed(),
                rx.borrow().has_changed()
            ));
            {
                let mut changed = pin!(rx.changed());
                log.push(show(poll_once(changed.as_mut())));
            }
            log.push(format!("{:?} {}", rx.has_changed(), *rx.borrow()));
            let mut changed = pin!(rx.changed());
            log.push(show(poll_once(changed.as_mut())));
            log
        }

        pub async fn watch_borrow_and_update_marks_seen() -> Vec<String> {
            let (tx, mut rx) = S::watch::channel(0u32);
            tx.send(5).unwrap();
            let mut log = Vec::new();
            {
                let seen = rx.borrow_and_update();
                log.push(format!("{} {}", *seen, seen.has_changed()));
            }
            log.push(format!(
                "{:?} {}",
                rx.has_changed(),
                rx.borrow().has_changed()
            ));
            rx.mark_changed();
            log.push(format!("{:?}", rx.has_changed()));
            rx.mark_unchanged();
            log.push(format!("{:?}", rx.has_changed()));
            log
        }

        pub async fn watch_send_without_receivers_errs() -> Vec<String> {
            let (tx, rx) = S::watch::channel(0u32);
            drop(rx);
            let err = tx.send(1).unwrap_err();
            let mut log = vec![format!("{err:?} {err} {} {}", err.0, tx.is_closed())];
            log.push(format!("{} {}", *tx.borrow(), tx.receiver_count()));
            log.push(format!("{} {}", tx.send_replace(2), *tx.borrow()));
            let rx = tx.subscribe();
            log.push(format!("{} {:?}", *rx.borrow(), rx.has_changed()));
            // Not in the statement above: its `Ref` holds the read lock the send needs.
            log.push(format!("{:?}", tx.send(3)));
            log.push(format!("{:?}", rx.has_changed()));
            log
        }

        pub async fn watch_sender_dropped_changed_errs() -> Vec<String> {
            let (tx, mut rx) = S::watch::channel(0u32);
            tx.send(1).unwrap();
            drop(tx);
            let mut log = vec![format!("{:?}", rx.has_changed())];
            log.push(format!("{:?}", rx.changed().await));
            let err = rx.changed().await.unwrap_err();
            log.push(format!("{err:?} {err} {}", *rx.borrow()));
            log
        }

        pub async fn watch_send_modify_and_if_modified() -> Vec<String> {
            let (tx, rx) = S::watch::channel(0u32);
            let kept = tx.send_if_modified(|_| false);
            let mut log = vec![format!("{kept} {:?}", rx.has_changed())];
            let changed = tx.send_if_modified(|v| {
                *v += 1;
                true
            });
            log.push(format!("{changed} {:?} {}", rx.has_changed(), *rx.borrow()));
            tx.send_modify(|v| *v += 10);
            log.push(format!("{}", *rx.borrow()));
            log
        }

        pub async fn watch_clones_keep_what_was_seen() -> Vec<String> {
            let (tx, mut rx) = S::watch::channel(0u32);
            tx.send(1).unwrap();
            let unseen = rx.clone();
            rx.borrow_and_update();
            let seen = rx.clone();
            vec![format!(
                "{:?} {:?} {} {}",
                unseen.has_changed(),
                seen.has_changed(),
                tx.receiver_count(),
                seen.same_channel(&unseen)
            )]
        }

        pub async fn watch_closed_resolves_when_receivers_dropped() -> Vec<String> {
            let (tx, rx) = S::watch::channel(0u32);
            let other = rx.clone();
            let mut log = Vec::new();
            let mut closed = pin!(tx.closed());
            log.push(show(poll_once(closed.as_mut())));
            drop(rx);
            log.push(show(poll_once(closed.as_mut())));
            drop(other);
            log.push(show(poll_once(closed.as_mut())));
            log
        }

        pub async fn watch_wait_for_checks_current_first() -> Vec<String> {
            let (tx, mut rx) = S::watch::channel(2u32);
            let mut log = Vec::new();
            {
                let found = rx.wait_for(|v| *v == 2).await.unwrap();
                log.push(format!("{} {}", *found, found.has_changed()));
            }
            {
                let mut wait = pin!(rx.wait_for(|v| *v == 3));
                log.push(show(poll_once(wait.as_mut()).map(|r| r.map(|v| *v))));
                tx.send(3).unwrap();
                log.push(show(poll_once(wait.as_mut()).map(|r| r.map(|v| *v))));
            }
            drop(tx);
            log.push(format!("{:?}", rx.wait_for(|v| *v == 4).await.map(|v| *v)));
            log
        }
    };
}

mod tokio_cases {
    use tokio::sync as S;
    scenarios!();
}

mod tapestry_cases {
    use tapestry::tokio::sync as S;
    scenarios!();
}

type Case = fn() -> Pin<Box<dyn Future<Output = Vec<String>>>>;

macro_rules! table {
    ($($name:ident),* $(,)?) => {
        /// Each case: its name, tokio's run, tapestry's run.
        const CASES: &[(&str, Case, Case)] = &[$(
            (
                stringify!($name),
                || Box::pin(tokio_cases::$name()),
                || Box::pin(tapestry_cases::$name()),
            ),
        )*];
    };
}

table!(
    oneshot_send_then_recv,
    oneshot_sender_dropped_is_recv_error,
    oneshot_receiver_dropped_send_returns_value,
    oneshot_try_recv_empty_then_value_then_closed,
    oneshot_closed_resolves_when_receiver_dropped,
    oneshot_close_refuses_later_sends_keeps_earlier,
    oneshot_pending_until_sent,
    mpsc_try_send_full_at_capacity,
    mpsc_send_pending_when_full_ready_after_recv,
    mpsc_blocked_senders_are_served_fifo,
    mpsc_a_dropped_send_gives_up_its_place,
    mpsc_senders_dropped_recv_none_after_buffered,
    mpsc_receiver_close_fails_sends_keeps_buffered,
    mpsc_waiting_senders_fail_on_close,
    mpsc_a_permit_held_over_close_still_sends,
    mpsc_try_recv_empty_then_disconnected,
    mpsc_capacity_counts_queued_and_reserved,
    mpsc_receiver_dropped_closes,
    mpsc_recv_pending_until_sent,
    mpsc_recv_many_takes_up_to_limit,
    mpsc_unbounded_send_recv_close,
    mpsc_weak_sender_does_not_keep_the_channel,
    watch_borrow_sees_initial_as_seen,
    watch_changed_after_send,
    watch_borrow_and_update_marks_seen,
    watch_send_without_receivers_errs,
    watch_sender_dropped_changed_errs,
    watch_send_modify_and_if_modified,
    watch_clones_keep_what_was_seen,
    watch_closed_resolves_when_receivers_dropped,
    watch_wait_for_checks_current_first,
);

#[test]
fn every_case_matches_tokio() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut mismatches = Vec::new();
    for (name, reference, ours) in CASES {
        eprintln!("case {name}");
        let expected = runtime.block_on(reference());
        let got = block_on(ours());
        assert!(!expected.is_empty(), "{name} observes something");
        if expected != got {
            mismatches.push(format!(
                "{name}\n  tokio:    {expected:?}\n  tapestry: {got:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
#[should_panic(expected = "mpsc bounded channel requires buffer > 0")]
fn a_bounded_channel_of_zero_panics_as_tokio() {
    let _ = mpsc::channel::<u32>(0);
}
