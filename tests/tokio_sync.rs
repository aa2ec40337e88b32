//! `tapestry::tokio::sync` against tokio itself: a table of small scenarios, each written once
//! and run on both (tokio's on a current-thread runtime; tapestry's outside explorations and
//! under the DPOR engine), with the log each writes compared with the one tokio's documented
//! semantics give. Then the primitives under every engine: a correct program passes, a lost
//! update, an async lock-order inversion and a missed `notify_waiters` are found.
//!
//! The scenarios observe `Pending`/`Ready` by polling once with a no-op waker, so they are
//! deterministic without sleeps. (`tokio_broadcast.rs` and `tokio_coordination.rs` do the same
//! for the channel and the primitives added since, with the same `cases!` table.)

use std::pin::pin;

use tapestry::future::{block_on, spawn, yield_now};
use tapestry::tokio::sync::{Mutex, Notify};
use tapestry::{EngineKind, Explorer, FailureKind, Outcome};
use tapestry_tests::{cases, ready, take};

cases! {
    /// `notify_one` with nobody waiting stores a permit: the next `notified()` is ready at once.
    notify_one_before_notified_returns_at_once => ["ready: true"] {
        let notify = S::Notify::new();
        notify.notify_one();
        vec![format!("ready: {}", ready(pin!(notify.notified())))]
    }

    /// At most one permit is stored.
    two_notify_one_store_one_permit => ["first: true", "second: false"] {
        let notify = S::Notify::new();
        notify.notify_one();
        notify.notify_one();
        vec![
            format!("first: {}", ready(pin!(notify.notified()))),
            format!("second: {}", ready(pin!(notify.notified()))),
        ]
    }

    /// `notify_waiters` stores nothing: a `notified()` created after it waits.
    notify_waiters_before_notified_stays_pending => ["ready: false"] {
        let notify = S::Notify::new();
        notify.notify_waiters();
        vec![format!("ready: {}", ready(pin!(notify.notified())))]
    }

    /// A `Notified` created before `notify_waiters` is woken by it even if never polled.
    notify_waiters_wakes_a_notified_created_before_it => ["ready: true"] {
        let notify = S::Notify::new();
        let notified = notify.notified();
        notify.notify_waiters();
        vec![format!("ready: {}", ready(pin!(notified)))]
    }

    /// `notify_waiters` wakes every waiter, and leaves no permit behind.
    notify_waiters_wakes_all_waiting => ["a: true", "b: true", "later: false"] {
        let notify = S::Notify::new();
        let mut a = pin!(notify.notified());
        let mut b = pin!(notify.notified());
        assert!(!ready(a.as_mut()) && !ready(b.as_mut()));
        notify.notify_waiters();
        vec![
            format!("a: {}", ready(a)),
            format!("b: {}", ready(b)),
            format!("later: {}", ready(pin!(notify.notified()))),
        ]
    }

    /// `notify_one` wakes the waiter queued first; `notify_last` the one queued last.
    notify_one_is_fifo_and_notify_last_lifo => ["one: a", "last: c", "b waits"] {
        let notify = S::Notify::new();
        let (mut a, mut b, mut c) = (
            pin!(notify.notified()),
            pin!(notify.notified()),
            pin!(notify.notified()),
        );
        assert!(!ready(a.as_mut()) && !ready(b.as_mut()) && !ready(c.as_mut()));
        notify.notify_one();
        let one = if ready(c.as_mut()) || ready(b.as_mut()) { "b or c" } else if ready(a) { "a" } else { "none" };
        notify.notify_last();
        let last = if ready(b.as_mut()) { "b" } else if ready(c) { "c" } else { "none" };
        let b_waits = if ready(b) { "b ready" } else { "b waits" };
        vec![format!("one: {one}"), format!("last: {last}"), b_waits.to_owned()]
    }

    /// `enable` queues a `Notified` without polling it: a `notify_one` picks it instead of
    /// storing a permit.
    enable_queues_without_a_poll => ["enabled: false", "ready: true", "later: false"] {
        let notify = S::Notify::new();
        let mut notified = pin!(notify.notified());
        let enabled = notified.as_mut().enable();
        notify.notify_one();
        vec![
            format!("enabled: {enabled}"),
            format!("ready: {}", ready(notified)),
            format!("later: {}", ready(pin!(notify.notified()))),
        ]
    }

    /// A `Notified` chosen by `notify_one` and dropped before it saw it passes the
    /// notification on to the next waiter.
    a_dropped_chosen_notified_passes_it_on => ["b: true"] {
        let notify = S::Notify::new();
        let mut a = Box::pin(notify.notified());
        let mut b = pin!(notify.notified());
        assert!(!ready(a.as_mut()) && !ready(b.as_mut()));
        notify.notify_one();
        drop(a);
        vec![format!("b: {}", ready(b))]
    }

    /// ... and, with no other waiter, stores it as the permit.
    a_dropped_chosen_notified_alone_stores_the_permit => ["later: true"] {
        let notify = S::Notify::new();
        let mut a = Box::pin(notify.notified());
        assert!(!ready(a.as_mut()));
        notify.notify_one();
        drop(a);
        vec![format!("later: {}", ready(pin!(notify.notified())))]
    }

    /// Fairness: a waiter for 2 permits blocks a later waiter for 1, and takes the free
    /// permits as they come.
    semaphore_is_fifo_even_for_smaller_requests => [
        "two: false", "available: 0", "one: false", "try: Some(NoPermits)",
        "two holds 2", "one: false", "one holds 1, available 1",
    ] {
        let semaphore = S::Semaphore::new(1);
        let mut log = Vec::new();
        let mut two = pin!(semaphore.acquire_many(2));
        log.push(format!("two: {}", take(two.as_mut()).is_some()));
        log.push(format!("available: {}", semaphore.available_permits()));
        let mut one = pin!(semaphore.acquire());
        log.push(format!("one: {}", take(one.as_mut()).is_some()));
        log.push(format!("try: {:?}", semaphore.try_acquire().err()));
        semaphore.add_permits(1);
        let two = take(two).expect("served").expect("open");
        log.push(format!("two holds {}", two.num_permits()));
        log.push(format!("one: {}", take(one.as_mut()).is_some()));
        drop(two);
        let one = take(one).expect("served").expect("open");
        log.push(format!("one holds {}, available {}", one.num_permits(), semaphore.available_permits()));
        log
    }

    /// `try_acquire` tells a closed semaphore from a busy one; closed wins.
    try_acquire_errors => ["empty: NoPermits", "closed: Closed", "closed with permits: Closed"] {
        let empty = S::Semaphore::new(0);
        let busy = format!("empty: {:?}", empty.try_acquire().unwrap_err());
        empty.close();
        let closed = format!("closed: {:?}", empty.try_acquire_many(2).unwrap_err());
        let full = S::Semaphore::new(3);
        full.close();
        vec![busy, closed, format!("closed with permits: {:?}", full.try_acquire().unwrap_err())]
    }

    /// `close` fails every waiter and every later acquire with `AcquireError`; permits held
    /// stay valid.
    close_fails_waiters => ["waiter: Some(Err(AcquireError(())))", "later: Err", "closed: true", "held: 1"] {
        let semaphore = S::Semaphore::new(1);
        let held = semaphore.acquire().await.unwrap();
        let mut waiter = pin!(semaphore.acquire());
        assert!(take(waiter.as_mut()).is_none());
        semaphore.close();
        let later = pin!(semaphore.acquire());
        vec![
            format!("waiter: {:?}", take(waiter).map(|r| r.map(|_| ()))),
            format!("later: {}", if take(later).is_some_and(|r| r.is_err()) { "Err" } else { "?" }),
            format!("closed: {}", semaphore.is_closed()),
            format!("held: {}", held.num_permits()),
        ]
    }

    /// A queued acquire that is dropped gives what it was assigned to the next waiter.
    a_dropped_acquire_hands_its_permits_on => ["available: 0", "one: true", "available after: 0"] {
        let semaphore = S::Semaphore::new(0);
        let mut two = Box::pin(semaphore.acquire_many(2));
        assert!(take(two.as_mut()).is_none());
        semaphore.add_permits(1); // assigned to `two`
        let mut one = pin!(semaphore.acquire());
        assert!(take(one.as_mut()).is_none());
        let available = semaphore.available_permits();
        drop(two);
        let one = take(one);
        vec![
            format!("available: {available}"),
            format!("one: {}", one.as_ref().is_some_and(|r| r.is_ok())),
            format!("available after: {}", semaphore.available_permits()),
        ]
    }

    /// Permits count: merge, split, forget, `forget_permits`.
    permits_merge_split_and_forget => ["merged: 3", "split: Some(1)", "available: 3", "forgot: 3, left 0"] {
        let semaphore = S::Semaphore::new(5);
        let mut permit = semaphore.acquire_many(2).await.unwrap();
        permit.merge(semaphore.try_acquire().unwrap());
        let merged = permit.num_permits();
        let split = permit.split(1).map(|p| p.num_permits());
        permit.forget();
        let available = semaphore.available_permits();
        let forgot = semaphore.forget_permits(5);
        vec![
            format!("merged: {merged}"),
            format!("split: {split:?}"),
            format!("available: {available}"),
            format!("forgot: {forgot}, left {}", semaphore.available_permits()),
        ]
    }

    /// Owned permits hold the semaphore through an `Arc`.
    owned_permits => ["owned: 1", "try: NoPermits", "after drop: 1"] {
        let semaphore = Arc::new(S::Semaphore::new(1));
        let permit = semaphore.clone().acquire_owned().await.unwrap();
        let busy = semaphore.clone().try_acquire_owned().unwrap_err();
        let owned = permit.num_permits();
        drop(permit);
        vec![
            format!("owned: {owned}"),
            format!("try: {busy:?}"),
            format!("after drop: {}", semaphore.available_permits()),
        ]
    }

    /// The mutex serves its waiters in the order they came.
    mutex_is_fifo => ["try: locked", "c: false", "b: false", "a: true", "c: false", "b: true", "c: true", "order: abc"] {
        let mutex = S::Mutex::new(String::new());
        let mut log = Vec::new();
        let held = mutex.lock().await;
        let mut a = pin!(async { mutex.lock().await.push('a') });
        let mut b = pin!(async { mutex.lock().await.push('b') });
        let mut c = pin!(async { mutex.lock().await.push('c') });
        assert!(!ready(a.as_mut()) && !ready(b.as_mut()) && !ready(c.as_mut()));
        log.push(format!("try: {}", if mutex.try_lock().is_err() { "locked" } else { "free" }));
        drop(held);
        log.push(format!("c: {}", ready(c.as_mut())));
        log.push(format!("b: {}", ready(b.as_mut())));
        log.push(format!("a: {}", ready(a)));
        log.push(format!("c: {}", ready(c.as_mut())));
        log.push(format!("b: {}", ready(b)));
        log.push(format!("c: {}", ready(c)));
        log.push(format!("order: {}", *mutex.lock().await));
        log
    }

    /// A queued `lock()` dropped after it was handed the lock passes it on.
    a_dropped_lock_future_hands_the_lock_on => ["b: true"] {
        let mutex = S::Mutex::new(0);
        let held = mutex.lock().await;
        let mut a = Box::pin(mutex.lock());
        let mut b = pin!(mutex.lock());
        assert!(take(a.as_mut()).is_none() && take(b.as_mut()).is_none());
        drop(held); // hands the lock to `a`
        drop(a);
        vec![format!("b: {}", take(b).is_some())]
    }

    /// `try_lock`, `Debug`, owned guards, `get_mut` and `into_inner`.
    mutex_api => ["Mutex { data: 1 }", "Mutex { data: <locked> }", "owned: 2", "try owned: locked", "inner: 3"] {
        let mut mutex = S::Mutex::new(0);
        *mutex.get_mut() += 1;
        let free = format!("{mutex:?}");
        let guard = mutex.try_lock().unwrap();
        let locked = format!("{mutex:?}");
        drop(guard);
        let mutex = Arc::new(mutex);
        let mut owned = mutex.clone().lock_owned().await;
        *owned += 1;
        let value = *owned;
        let busy = mutex.clone().try_lock_owned().is_err();
        drop(owned);
        *mutex.try_lock_owned().unwrap() += 1;
        let mutex = S::Mutex::new(3);
        vec![
            free,
            locked,
            format!("owned: {value}"),
            format!("try owned: {}", if busy { "locked" } else { "free" }),
            format!("inner: {}", mutex.into_inner()),
        ]
    }

    /// Tasks incrementing under the lock all count.
    tasks_increment_under_the_lock => ["count: 3"] {
        let count = Arc::new(S::Mutex::new(0));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let count = count.clone();
                spawn(async move { *count.lock().await += 1 })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        vec![format!("count: {}", *count.lock().await)]
    }

    /// A queued writer blocks readers that come after it (tokio's write preference).
    a_waiting_writer_blocks_new_readers => ["writer: false", "reader: false", "try_read: locked", "writer: true", "reader: false", "reader: 1"] {
        let lock = S::RwLock::new(0);
        let mut log = Vec::new();
        let first = lock.read().await;
        let mut writer = pin!(lock.write());
        log.push(format!("writer: {}", take(writer.as_mut()).is_some()));
        let mut reader = pin!(lock.read());
        log.push(format!("reader: {}", take(reader.as_mut()).is_some()));
        log.push(format!("try_read: {}", if lock.try_read().is_err() { "locked" } else { "free" }));
        drop(first);
        let mut written = take(writer).expect("the writer is next");
        log.push("writer: true".to_owned());
        *written += 1;
        log.push(format!("reader: {}", take(reader.as_mut()).is_some()));
        drop(written);
        log.push(format!("reader: {}", *take(reader).expect("the reader is next")));
        log
    }

    /// `downgrade` lets queued readers in, not a queued writer.
    downgrade_lets_readers_in => ["reader sees 2", "writer: false", "try_write: locked", "writer: true"] {
        let lock = S::RwLock::new(1);
        let mut log = Vec::new();
        let mut write = lock.write().await;
        *write = 2;
        let mut reader = pin!(lock.read());
        assert!(take(reader.as_mut()).is_none());
        let mut writer = pin!(lock.write());
        assert!(take(writer.as_mut()).is_none());
        let read = write.downgrade();
        let other = take(reader).expect("the reader is let in");
        log.push(format!("reader sees {}", *other));
        log.push(format!("writer: {}", take(writer.as_mut()).is_some()));
        log.push(format!("try_write: {}", if lock.try_write().is_err() { "locked" } else { "free" }));
        drop((read, other));
        log.push(format!("writer: {}", take(writer).is_some()));
        log
    }

    /// `with_max_readers` bounds the readers; owned guards; `into_inner`.
    rwlock_api => ["third reader: locked", "owned reads 5", "try_write_owned: locked", "inner: 6"] {
        let lock = Arc::new(S::RwLock::with_max_readers(5, 2));
        let first = lock.try_read().unwrap();
        let second = lock.clone().read_owned().await;
        let third = if lock.try_read().is_err() { "locked" } else { "free" };
        let owned = *second;
        let writer = if lock.clone().try_write_owned().is_err() { "locked" } else { "free" };
        drop((first, second));
        *lock.clone().write_owned().await += 1;
        let lock = Arc::try_unwrap(lock).unwrap();
        vec![
            format!("third reader: {third}"),
            format!("owned reads {owned}"),
            format!("try_write_owned: {writer}"),
            format!("inner: {}", lock.into_inner()),
        ]
    }

    /// A mapped guard holds the lock until it is dropped; `try_map` gives the guard back when
    /// the closure picks nothing; owned and mapped guards map again.
    mutex_guard_map => ["mapped: 1", "try_lock: locked", "after: (2, 2)", "try_map: back", "owned: 3", "again: 4"] {
        let mutex = S::Mutex::new((1, 2));
        let mut log = Vec::new();
        let mut first = S::MutexGuard::map(mutex.lock().await, |pair| &mut pair.0);
        log.push(format!("mapped: {}", *first));
        log.push(format!("try_lock: {}", if mutex.try_lock().is_err() { "locked" } else { "free" }));
        *first += 1;
        drop(first);
        log.push(format!("after: {:?}", *mutex.lock().await));
        let back = S::MutexGuard::try_map::<u8, _>(mutex.lock().await, |_| None);
        log.push(format!("try_map: {}", if back.is_err() { "back" } else { "mapped" }));
        drop(back);
        let shared = Arc::new(S::Mutex::new((3, (4, 5))));
        let owned = S::OwnedMutexGuard::map(shared.clone().lock_owned().await, |p| &mut p.0);
        log.push(format!("owned: {}", *owned));
        drop(owned);
        let outer = S::MutexGuard::map(shared.lock().await, |p| &mut p.1);
        let inner = S::MappedMutexGuard::map(outer, |p| &mut p.0);
        log.push(format!("again: {}", *inner));
        log
    }

    /// A read guard maps to a read guard of a part, a write guard to a mapped write guard;
    /// each holds its access until dropped.
    rwlock_guard_map => ["part: 2", "try_write: locked", "written: (1, 5)", "try_map: back", "owned: 1", "owned written: (9, 5)", "downgraded: 9, try_read: true"] {
        let lock = S::RwLock::new((1, 2));
        let mut log = Vec::new();
        let part = S::RwLockReadGuard::map(lock.read().await, |pair| &pair.1);
        log.push(format!("part: {}", *part));
        log.push(format!("try_write: {}", if lock.try_write().is_err() { "locked" } else { "free" }));
        drop(part);
        let mut part = S::RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.1);
        *part = 5;
        drop(part);
        log.push(format!("written: {:?}", *lock.read().await));
        let back = S::RwLockReadGuard::try_map::<_, u8>(lock.read().await, |_| None);
        log.push(format!("try_map: {}", if back.is_err() { "back" } else { "mapped" }));
        drop(back);
        let lock = Arc::new(lock);
        let owned = S::OwnedRwLockReadGuard::map(lock.clone().read_owned().await, |p| &p.0);
        log.push(format!("owned: {}", *owned));
        drop(owned);
        let mut owned = S::OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |p| &mut p.0);
        *owned = 9;
        drop(owned);
        log.push(format!("owned written: {:?}", *lock.read().await));
        let first = S::RwLockWriteGuard::downgrade_map(lock.write().await, |p| &p.0);
        log.push(format!("downgraded: {}, try_read: {}", *first, lock.try_read().is_ok()));
        log
    }

    /// `reserve_owned` holds the sender in the permit, which gives it back when it sends;
    /// `try_reserve_owned` gives it back in its error.
    reserve_owned_holds_the_sender => ["try_send: full", "try_reserve_owned: full", "received: 7", "released: true", "closed: true"] {
        let (tx, mut rx) = S::mpsc::channel::<u32>(1);
        let mut log = Vec::new();
        let permit = tx.clone().reserve_owned().await.unwrap();
        log.push(format!("try_send: {}", if tx.try_send(1).is_err() { "full" } else { "sent" }));
        let tx = match tx.try_reserve_owned() {
            Err(S::mpsc::error::TrySendError::Full(tx)) => {
                log.push("try_reserve_owned: full".to_owned());
                tx
            }
            _ => unreachable!("the one slot is reserved"),
        };
        let other = permit.send(7);
        log.push(format!("received: {:?}", rx.recv().await.unwrap()));
        let permit = other.reserve_owned().await.unwrap();
        let other = permit.release();
        log.push(format!("released: {}", tx.try_send(8).is_ok()));
        drop((tx, other));
        rx.recv().await;
        log.push(format!("closed: {}", rx.recv().await.is_none()));
        log
    }
}

/// Two tasks and the test's own increment a counter under the async mutex, with a yield
/// between the read and the write; `split` releases the lock in between (the bug).
fn increments(split: bool) {
    let count = std::sync::Arc::new(Mutex::new(0));
    let add = |count: std::sync::Arc<Mutex<i32>>| async move {
        let seen = *count.lock().await;
        if split {
            yield_now().await;
            *count.lock().await = seen + 1;
        } else {
            let mut guard = count.lock().await;
            yield_now().await;
            *guard += 1;
        }
    };
    let tasks = [spawn(add(count.clone())), spawn(add(count.clone()))];
    block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
    });
    let count = std::sync::Arc::try_unwrap(count).expect("the tasks are done");
    assert_eq!(count.into_inner(), 2, "an increment was lost");
}

#[test]
fn a_correct_counter_under_the_async_mutex_passes_under_every_engine() {
    let report = Explorer::new().keep_going(true).run(|| increments(false));
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.skipped().count(), 0, "{report}");
    let exhaustive = report
        .engines()
        .iter()
        .find(|engine| engine.engine() == EngineKind::Exhaustive)
        .expect("the exhaustive engine ran");
    assert_eq!(
        exhaustive.outcome(),
        &Outcome::Passed { complete: true },
        "{report}"
    );
    // The default DPOR search deepens its preemption bound round by round, and those rounds
    // outgrow its 10,000-execution budget here; one unbounded search completes (about 2,000).
    let report = Explorer::new()
        .engine(tapestry::Engine::dpor().unbounded())
        .run(|| increments(false));
    assert_eq!(
        report.engines()[0].outcome(),
        &Outcome::Passed { complete: true },
        "{report}"
    );
}

#[test]
fn a_lost_update_across_two_lock_calls_is_found() {
    let report = Explorer::new().run(|| increments(true));
    let failure = report.failure().expect("the lost update is found");
    assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
    assert!(
        failure.message().contains("an increment was lost"),
        "{failure}"
    );
}

/// Two tasks take two async mutexes in opposite orders.
fn lock_order_inversion() {
    let a = std::sync::Arc::new(Mutex::new(()));
    let b = std::sync::Arc::new(Mutex::new(()));
    let first = {
        let (a, b) = (a.clone(), b.clone());
        spawn(async move {
            let _a = a.lock().await;
            let _b = b.lock().await;
        })
    };
    let second = spawn(async move {
        let _b = b.lock().await;
        let _a = a.lock().await;
    });
    block_on(async {
        first.await.unwrap();
        second.await.unwrap();
    });
}

#[test]
fn an_async_lock_order_inversion_is_found_by_every_model_engine() {
    for engine in EngineKind::ALL {
        if engine == EngineKind::Stress {
            continue;
        }
        let report = Explorer::new().engine(engine).run(lock_order_inversion);
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the inversion\n{report}"));
        // A deadlock that names, for each task, the async lock it waits for and its holder.
        assert_eq!(failure.kind(), FailureKind::Deadlock, "{engine}\n{failure}");
        let text = failure.to_string();
        assert!(
            text.contains("task-1 is a task waiting")
                && text.contains("held by task-2")
                && text.contains("task-2 is a task waiting")
                && text.contains("held by task-1"),
            "{engine}: the report names each waiter and its lock's holder\n{text}"
        );
    }
}

/// `notify_waiters` wakes only `Notified` futures that exist when it is called: if the
/// waiter's `notified()` comes later, the waiter waits for ever.
fn notify_waiters_before_notified() {
    let notify = std::sync::Arc::new(Notify::new());
    let waiter = {
        let notify = notify.clone();
        spawn(async move { notify.notified().await })
    };
    block_on(async {
        notify.notify_waiters();
        waiter.await.unwrap();
    });
}

#[test]
fn a_notify_waiters_before_the_waiter_is_found_by_every_model_engine() {
    for engine in EngineKind::ALL {
        if engine == EngineKind::Stress {
            continue;
        }
        let report = Explorer::new()
            .engine(engine)
            .run(notify_waiters_before_notified);
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the early notify_waiters\n{report}"));
        assert_eq!(
            failure.kind(),
            FailureKind::LostWakeup,
            "{engine}\n{failure}"
        );
    }
}

/// The same program with `notify_one`, which stores a permit, passes: the failure above is
/// `notify_waiters`'s, not the harness's.
#[test]
fn the_same_handshake_with_notify_one_passes() {
    let report = Explorer::new().keep_going(true).run(|| {
        let notify = std::sync::Arc::new(Notify::new());
        let waiter = {
            let notify = notify.clone();
            spawn(async move { notify.notified().await })
        };
        block_on(async {
            notify.notify_one();
            waiter.await.unwrap();
        });
    });
    assert!(report.failure().is_none(), "{report}");
}
