//! `tapestry::tokio::sync::broadcast` against tokio itself, case by case (the `cases!` table:
//! tokio's run, tapestry's outside explorations and under DPOR give the same log), then under
//! every engine: a correct program passes, and a receiver that subscribes too late is found.

use std::pin::pin;

use tapestry::EngineKind;
use tapestry::future::{block_on, spawn};
use tapestry::tokio::sync::broadcast;
use tapestry_tests::{cases, take};

cases! {
    /// Every receiver gets every value sent after it subscribed, in order; `send` returns how
    /// many receivers it reached.
    broadcast_every_receiver_gets_every_value => [
        "sent: Ok(2) Ok(2)", "a: Ok(1) Ok(2) Err(Empty)", "b: Ok(1) Ok(2) Err(Empty)", "receivers: 2",
    ] {
        let (tx, mut a) = S::broadcast::channel::<u32>(4);
        let mut b = tx.subscribe();
        let sent = format!("sent: {:?} {:?}", tx.send(1).map_err(|e| e.0), tx.send(2).map_err(|e| e.0));
        vec![
            sent,
            format!("a: {:?} {:?} {:?}", a.recv().await, a.recv().await, a.try_recv()),
            format!("b: {:?} {:?} {:?}", b.recv().await, b.try_recv(), b.try_recv()),
            format!("receivers: {}", tx.receiver_count()),
        ]
    }

    /// Each receiver gets a clone, the last one too; the value sent is dropped once every
    /// receiver has seen it.
    broadcast_every_receiver_gets_a_clone => ["clones: 2, drops: 1", "clones: 2, drops: 3"] {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        #[derive(Debug)]
        struct Counted(Arc<(AtomicUsize, AtomicUsize)>);
        impl Clone for Counted {
            fn clone(&self) -> Counted {
                self.0.0.fetch_add(1, SeqCst);
                Counted(self.0.clone())
            }
        }
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.1.fetch_add(1, SeqCst);
            }
        }
        let counts = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let show = || format!("clones: {}, drops: {}", counts.0.load(SeqCst), counts.1.load(SeqCst));
        let (tx, mut a) = S::broadcast::channel::<Counted>(2);
        let mut b = tx.subscribe();
        tx.send(Counted(counts.clone())).unwrap();
        let received = (a.recv().await.unwrap(), b.recv().await.unwrap());
        let first = show();
        drop(received);
        vec![first, show()]
    }

    /// `subscribe` and `resubscribe` start at the next value sent, not at what is held.
    broadcast_subscribers_see_only_later_values => [
        "late: Ok(20) Err(Empty)", "fresh: Ok(20)", "early: Ok(10) Ok(20)", "same channel: true",
    ] {
        let (tx, mut early) = S::broadcast::channel::<u32>(4);
        tx.send(10).unwrap();
        let mut late = tx.subscribe();
        let mut fresh = early.resubscribe();
        tx.send(20).unwrap();
        vec![
            format!("late: {:?} {:?}", late.recv().await, late.try_recv()),
            format!("fresh: {:?}", fresh.recv().await),
            format!("early: {:?} {:?}", early.recv().await, early.recv().await),
            format!("same channel: {}", late.same_channel(&fresh)),
        ]
    }

    /// A receiver more than the capacity behind gets `Lagged(missed)` once, then the oldest
    /// value held; its `len` counts the overwritten values too.
    broadcast_a_lagging_receiver_skips_to_the_oldest_value => [
        "len: 5", "Err(Lagged(3)) channel lagged by 3", "len: 2", "Ok(4) Ok(5) Err(Empty)",
    ] {
        let (tx, mut rx) = S::broadcast::channel::<u32>(2);
        for value in 1..=5 {
            tx.send(value).unwrap();
        }
        let len = format!("len: {}", rx.len());
        let lagged = rx.recv().await;
        let shown = format!("{lagged:?} {}", lagged.as_ref().unwrap_err());
        vec![
            len,
            shown,
            format!("len: {}", rx.len()),
            format!("{:?} {:?} {:?}", rx.recv().await, rx.recv().await, rx.try_recv()),
        ]
    }

    /// The capacity is rounded up to a power of two (3 holds 4 values), and `try_recv` lags
    /// as `recv` does.
    broadcast_capacity_rounds_up_and_try_recv_lags => [
        "rx: Ok(1)", "other: Err(Lagged(1)) channel lagged by 1", "other: Ok(2)", "rx: Ok(2)",
    ] {
        let (tx, mut rx) = S::broadcast::channel::<u32>(3);
        let mut other = tx.subscribe();
        for value in 1..=4 {
            tx.send(value).unwrap();
        }
        let first = format!("rx: {:?}", rx.try_recv());
        tx.send(5).unwrap();
        let lagged = other.try_recv();
        vec![
            first,
            format!("other: {lagged:?} {}", lagged.as_ref().unwrap_err()),
            format!("other: {:?}", other.try_recv()),
            format!("rx: {:?}", rx.try_recv()),
        ]
    }

    /// Once every sender is dropped, receivers get the values left, then `Closed`.
    broadcast_closes_when_every_sender_is_dropped => [
        "closed: false", "closed: true", "Ok(1) Err(Closed) channel closed", "try: Err(Closed)",
    ] {
        let (tx, mut rx) = S::broadcast::channel::<u32>(2);
        let other = tx.clone();
        tx.send(1).unwrap();
        drop(tx);
        let open = format!("closed: {}", rx.is_closed());
        drop(other);
        let value = rx.recv().await;
        let closed = rx.recv().await;
        vec![
            open,
            format!("closed: {}", rx.is_closed()),
            format!("{value:?} {closed:?} {}", closed.as_ref().unwrap_err()),
            format!("try: {:?}", rx.try_recv()),
        ]
    }

    /// A lag is reported before the close.
    broadcast_a_lag_comes_before_the_close => ["Err(Lagged(1)) Ok(2) Ok(3) Err(Closed)"] {
        let (tx, mut rx) = S::broadcast::channel::<u32>(2);
        for value in 1..=3 {
            tx.send(value).unwrap();
        }
        drop(tx);
        vec![format!(
            "{:?} {:?} {:?} {:?}",
            rx.recv().await, rx.recv().await, rx.recv().await, rx.recv().await
        )]
    }

    /// With no receiver a send fails, holding the value back, and is not kept for a later
    /// subscriber.
    broadcast_a_send_without_receivers_fails => [
        "SendError(1) channel closed 1", "receivers: 0", "Ok(1)", "Ok(2) Err(Empty)",
    ] {
        let (tx, rx) = S::broadcast::channel::<u32>(2);
        drop(rx);
        let err = tx.send(1).unwrap_err();
        let failed = format!("{err:?} {err} {}", err.0);
        let count = format!("receivers: {}", tx.receiver_count());
        let mut rx = tx.subscribe();
        vec![
            failed,
            count,
            format!("{:?}", tx.send(2).map_err(|e| e.0)),
            format!("{:?} {:?}", rx.recv().await, rx.try_recv()),
        ]
    }

    /// The sender's `len` counts the values some receiver has yet to see; dropping a receiver
    /// gives up its share.
    broadcast_sender_len_counts_values_not_seen_by_all => [
        "len 3, empty false", "after a: 3", "after b: 2", "b dropped: 0, empty true", "a: len 0, empty true",
    ] {
        let (tx, mut a) = S::broadcast::channel::<u32>(4);
        let mut b = tx.subscribe();
        for value in [10, 20, 30] {
            tx.send(value).unwrap();
        }
        let mut log = vec![format!("len {}, empty {}", tx.len(), tx.is_empty())];
        a.recv().await.unwrap();
        log.push(format!("after a: {}", tx.len()));
        b.recv().await.unwrap();
        log.push(format!("after b: {}", tx.len()));
        drop(b);
        a.recv().await.unwrap();
        a.recv().await.unwrap();
        log.push(format!("b dropped: {}, empty {}", tx.len(), tx.is_empty()));
        log.push(format!("a: len {}, empty {}", a.len(), a.is_empty()));
        log
    }

    /// `recv` waits until a send, or until the last sender is dropped.
    broadcast_recv_waits_for_a_send_or_the_close => [
        "pending: true", "Some(Ok(7))", "pending: true", "Some(Err(Closed))",
    ] {
        let (tx, mut rx) = S::broadcast::channel::<u32>(2);
        let mut log = Vec::new();
        {
            let mut recv = pin!(rx.recv());
            log.push(format!("pending: {}", take(recv.as_mut()).is_none()));
            tx.send(7).unwrap();
            log.push(format!("{:?}", take(recv)));
        }
        let mut recv = pin!(rx.recv());
        log.push(format!("pending: {}", take(recv.as_mut()).is_none()));
        drop(tx);
        log.push(format!("{:?}", take(recv)));
        log
    }

    /// A `recv` dropped while it waits received nothing: the next one gets the value.
    broadcast_a_dropped_recv_loses_nothing => ["Ok(3)", "receivers: 2"] {
        let (tx, mut rx) = S::broadcast::channel::<u32>(2);
        let _other = tx.subscribe();
        {
            let mut recv = pin!(rx.recv());
            assert!(take(recv.as_mut()).is_none());
        }
        tx.send(3).unwrap();
        vec![format!("{:?}", rx.recv().await), format!("receivers: {}", tx.receiver_count())]
    }

    /// Receivers waiting in tasks are all woken by one send.
    broadcast_one_send_wakes_every_waiting_task => ["a: Ok(5)", "b: Ok(5)"] {
        let (tx, mut a) = S::broadcast::channel::<u32>(2);
        let mut b = tx.subscribe();
        let a = spawn(async move { a.recv().await });
        let b = spawn(async move { b.recv().await });
        yield_now().await;
        tx.send(5).unwrap();
        vec![format!("a: {:?}", a.await.unwrap()), format!("b: {:?}", b.await.unwrap())]
    }
}

/// The panic of a zero capacity: tokio's message, and tapestry's.
#[test]
fn a_zero_capacity_panics_as_tokio() {
    let message = |run: fn()| {
        let payload = std::panic::catch_unwind(run).expect_err("a zero capacity panics");
        payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .expect("a text payload")
    };
    let tokio = message(|| drop(tokio::sync::broadcast::channel::<u32>(0)));
    let ours = message(|| drop(broadcast::channel::<u32>(0)));
    assert_eq!(ours, tokio);
    assert_eq!(ours, "broadcast channel capacity cannot be zero");
}

/// A sender task broadcasts two values to two receivers subscribed before it started (one
/// awaited in a task, one in the test's own), over a channel that holds both; then it ends, and
/// both receivers see the close.
fn broadcast_to_two() {
    let (tx, mut a) = broadcast::channel::<u32>(2);
    let mut b = tx.subscribe();
    let sender = spawn(async move {
        for value in [1, 2] {
            tx.send(value).unwrap();
        }
    });
    let other = spawn(async move {
        let got = (a.recv().await, a.recv().await, a.recv().await);
        assert_eq!(
            got,
            (Ok(1), Ok(2), Err(broadcast::error::RecvError::Closed))
        );
    });
    block_on(async {
        assert_eq!(b.recv().await, Ok(1));
        assert_eq!(b.recv().await, Ok(2));
        assert_eq!(b.recv().await, Err(broadcast::error::RecvError::Closed));
        sender.await.unwrap();
        other.await.unwrap();
    });
}

#[test]
fn a_correct_broadcast_passes_under_every_engine() {
    tapestry_tests::passes_everywhere("broadcast_to_two", broadcast_to_two);
}

/// The bug: a task subscribes to a channel the test sends on at the same time; a value sent
/// before the subscription is not for it, so it may see the close instead.
fn late_subscriber() {
    let (tx, _kept) = broadcast::channel::<u32>(2);
    let subscriber = {
        let tx = tx.clone();
        spawn(async move {
            let mut rx = tx.subscribe();
            drop(tx);
            assert_eq!(rx.recv().await, Ok(1), "the subscriber got the value");
        })
    };
    block_on(async {
        tx.send(1).unwrap();
        drop(tx);
        subscriber.await.unwrap();
    });
}

#[test]
fn a_receiver_subscribed_after_the_send_is_found_by_every_engine() {
    let message = "the subscriber got the value";
    tapestry_tests::task_panic_found_by(late_subscriber, &EngineKind::ALL, message);
}
