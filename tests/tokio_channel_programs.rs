//! Programs on tapestry's tokio-shaped channels (`tapestry::tokio::sync::{oneshot, mpsc,
//! watch}`) under explorations: correct ones pass under every engine (exhaustive and DPOR
//! complete), the bugs their users write are found. (`tokio_channels.rs` checks each channel
//! against tokio itself, case by case.)

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use tapestry::future::{block_on, spawn};
use tapestry::tokio::sync::{mpsc, oneshot, watch};
use tapestry::{Explorer, FailureKind};

/// A producer task sends two messages over a channel of capacity 1 (so it waits for room),
/// then waits for the consumer's go-ahead over a oneshot before it drops its sender.
fn producer_consumer() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let producer = spawn(async move {
        for i in 0..2 {
            tx.send(i).await.unwrap();
        }
        done_rx.await.unwrap();
    });
    block_on(async {
        assert_eq!(rx.recv().await, Some(0));
        assert_eq!(rx.recv().await, Some(1));
        done_tx.send(()).unwrap();
        assert_eq!(rx.recv().await, None);
        producer.await.unwrap();
    });
}

/// A watcher waits for the value a setter task sends, then for the setter's end.
fn watched_update() {
    let (tx, mut rx) = watch::channel(0u32);
    let setter = spawn(async move { tx.send(1).unwrap() });
    block_on(async {
        assert_eq!(*rx.wait_for(|v| *v == 1).await.unwrap(), 1);
        assert!(rx.changed().await.is_err(), "the setter ended");
        setter.await.unwrap();
    });
}

/// A oneshot receiver polled (pending) in the first task, then moved to a second task that
/// awaits it while a third sends: the send must wake the second task, whose poll came last.
fn receiver_moved_between_tasks() {
    let (tx, mut rx) = oneshot::channel::<u32>();
    let sender = spawn(async move { tx.send(7).unwrap() });
    block_on(async move {
        let first = poll_fn(|cx| Poll::Ready(Pin::new(&mut rx).poll(cx))).await;
        let value = match first {
            Poll::Ready(value) => value.unwrap(),
            Poll::Pending => spawn(async move { rx.await.unwrap() }).await.unwrap(),
        };
        assert_eq!(value, 7);
        sender.await.unwrap();
    });
}

fn assert_passes_everywhere(name: &str, body: fn()) {
    let report = Explorer::new().keep_going(true).run(body);
    assert!(report.failure().is_none(), "{name}\n{report}");
    assert_eq!(report.skipped().count(), 0, "{name}\n{report}");
    tapestry_tests::assert_complete(&report, name);
}

#[test]
fn correct_channel_programs_pass_under_every_engine() {
    assert_passes_everywhere("producer_consumer", producer_consumer);
    assert_passes_everywhere("watched_update", watched_update);
}

#[test]
fn a_receiver_moved_to_another_task_is_woken_there() {
    assert_passes_everywhere("receiver_moved_between_tasks", receiver_moved_between_tasks);
}

/// The bug: the consumer looks once, with `try_recv`, and assumes the message is there.
#[test]
fn a_consumer_that_does_not_wait_is_found() {
    let report = Explorer::new().run(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let producer = spawn(async move { tx.send(1).await.unwrap() });
        block_on(async {
            assert_eq!(rx.try_recv(), Ok(1), "the message arrived");
            producer.await.unwrap();
        });
    });
    let failure = report.failure().expect("the early look is found");
    assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
    assert!(
        failure.to_string().contains("the message arrived"),
        "{failure}"
    );
}

/// The bug: a watcher that expects to see every value, though a watch keeps only the latest.
#[test]
fn a_watcher_that_expects_every_value_is_found() {
    let report = Explorer::new().run(|| {
        let (tx, mut rx) = watch::channel(0u32);
        let setter = spawn(async move {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        block_on(async {
            rx.changed().await.unwrap();
            assert_eq!(*rx.borrow_and_update(), 1, "every value is seen");
            setter.await.unwrap();
        });
    });
    let failure = report.failure().expect("the skipped value is found");
    assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
}
