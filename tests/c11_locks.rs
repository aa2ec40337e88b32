//! Locks and condition variables under the c11 engine (and what is built on them: channels,
//! scoped threads): every order of the critical sections explored once, no false alarm on
//! correct code, a deadlock and a lost notification found.

use std::collections::BTreeSet;
use std::sync::Mutex as StdMutex;

use tapestry::sync::atomic::AtomicUsize;
use tapestry::sync::atomic::Ordering::Relaxed;
use tapestry::sync::{Arc, Condvar, Mutex, RwLock, mpsc};
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Outcome, Report, thread};

fn c11() -> Explorer {
    Explorer::new().engine(Engine::c11().unbounded())
}

fn passed(report: &Report) {
    let engine = &report.engines()[0];
    assert_eq!(engine.engine(), EngineKind::C11);
    assert!(
        matches!(engine.outcome(), Outcome::Passed { .. }),
        "{report}"
    );
}

/// `threads` threads (the body's included) each append their number to a list under one
/// mutex; returns the orders of the complete executions, in the order they ran.
fn lock_orders(threads: usize) -> (Report, Vec<Vec<usize>>) {
    static ORDERS: StdMutex<Vec<Vec<usize>>> = StdMutex::new(Vec::new());
    ORDERS.lock().unwrap().clear();
    let report = c11().run(move || {
        let list = Arc::new(Mutex::new(Vec::new()));
        let handles: Vec<_> = (1..threads)
            .map(|i| {
                let list = list.clone();
                thread::spawn(move || list.lock().unwrap().push(i))
            })
            .collect();
        list.lock().unwrap().push(0);
        for handle in handles {
            handle.join().unwrap();
        }
        ORDERS.lock().unwrap().push(list.lock().unwrap().clone());
    });
    let orders = ORDERS.lock().unwrap().clone();
    (report, orders)
}

#[test]
fn every_order_of_the_critical_sections_once() {
    for (threads, factorial) in [(2, 2), (3, 6), (4, 24)] {
        let (report, orders) = lock_orders(threads);
        passed(&report);
        let distinct: BTreeSet<_> = orders.iter().cloned().collect();
        assert_eq!(orders.len(), factorial, "{orders:?}");
        assert_eq!(distinct.len(), factorial, "{orders:?}");
    }
}

#[test]
fn a_lock_order_inversion_deadlocks() {
    let report = c11().run(|| {
        let a = Arc::new(Mutex::new(()));
        let b = Arc::new(Mutex::new(()));
        let (a1, b1) = (a.clone(), b.clone());
        let other = thread::spawn(move || {
            let _b = b1.lock().unwrap();
            let _a = a1.lock().unwrap();
        });
        {
            let _a = a.lock().unwrap();
            let _b = b.lock().unwrap();
        }
        other.join().unwrap();
    });
    let failure = report.failure().expect("the inversion deadlocks");
    assert_eq!(failure.kind(), FailureKind::Deadlock, "{report}");
    let trace = failure.trace().to_string();
    assert!(trace.contains("waits to lock"), "{trace}");
}

/// A flag set and a condition variable notified; the waiter waits while the flag is down.
/// `locked`: the setter sets the flag under the mutex (correct); else it sets it without,
/// between the waiter's check and its wait, and the notification is lost.
fn handoff(locked: bool) -> Report {
    c11().run(move || {
        let pair = Arc::new((Mutex::new(false), Condvar::new(), AtomicUsize::new(0)));
        let other = pair.clone();
        let setter = thread::spawn(move || {
            let (flag, ready, racy) = &*other;
            if locked {
                *flag.lock().unwrap() = true;
            } else {
                racy.store(1, Relaxed);
            }
            ready.notify_one();
        });
        let (flag, ready, racy) = &*pair;
        let mut up = flag.lock().unwrap();
        while !*up && racy.load(Relaxed) == 0 {
            up = ready.wait(up).unwrap();
        }
        drop(up);
        setter.join().unwrap();
    })
}

#[test]
fn a_condition_variable_handoff_under_the_lock_is_correct() {
    passed(&handoff(true));
}

#[test]
fn a_notification_before_the_wait_is_lost() {
    let report = handoff(false);
    let failure = report.failure().expect("the notification is lost");
    assert_eq!(failure.kind(), FailureKind::Deadlock, "{report}");
}

#[test]
fn notify_all_wakes_every_waiter() {
    // Two threads wait for a counter to reach 1; a third sets it and notifies them all. The
    // waiters' locations are made lazily, by whichever uses them first, in every order.
    let report = c11().run(|| {
        let shared = Arc::new((Mutex::new(()), Condvar::new(), AtomicUsize::new(0)));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (lock, ready, count) = &*shared;
                    let mut guard = lock.lock().unwrap();
                    while count.load(tapestry::sync::atomic::Ordering::SeqCst) != 1 {
                        guard = ready.wait(guard).unwrap();
                    }
                })
            })
            .collect();
        thread::spawn(move || {
            let (lock, ready, count) = &*shared;
            count.store(1, tapestry::sync::atomic::Ordering::SeqCst);
            drop(lock.lock().unwrap());
            ready.notify_all();
        })
        .join()
        .unwrap();
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
    passed(&report);
}

/// Two threads wait for their own flag; the body raises both and notifies once, or (`chain`)
/// the woken waiter notifies the other after it. Returns the report and which waiter the
/// body's notification woke, per complete execution.
fn two_waiters(chain: bool) -> (Report, BTreeSet<usize>) {
    static WOKEN_FIRST: StdMutex<BTreeSet<usize>> = StdMutex::new(BTreeSet::new());
    WOKEN_FIRST.lock().unwrap().clear();
    let report = c11().run(move || {
        let shared = Arc::new((Mutex::new((false, 0)), Condvar::new()));
        let waiters: Vec<_> = (1..=2)
            .map(|me| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (lock, ready) = &*shared;
                    let mut state = lock.lock().unwrap();
                    if state.0 {
                        return;
                    }
                    while !state.0 {
                        state = ready.wait(state).unwrap();
                    }
                    if state.1 == 0 {
                        state.1 = me;
                        WOKEN_FIRST.lock().unwrap().insert(me);
                    }
                    drop(state);
                    if chain {
                        ready.notify_one();
                    }
                })
            })
            .collect();
        let (lock, ready) = &*shared;
        lock.lock().unwrap().0 = true;
        ready.notify_one();
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
    let woken = WOKEN_FIRST.lock().unwrap().clone();
    (report, woken)
}

#[test]
fn notify_one_wakes_one_waiter_and_which_is_explored() {
    // One notification for two waiters: the other sleeps for ever.
    let (report, _) = two_waiters(false);
    let failure = report.failure().expect("a waiter is left asleep");
    assert_eq!(failure.kind(), FailureKind::Deadlock, "{report}");
    // Passed on by the woken one: correct, and either waiter may be the first woken.
    let (report, woken) = two_waiters(true);
    passed(&report);
    assert_eq!(woken, BTreeSet::from([1, 2]), "{report}");
}

/// A waiter that starts waiting after a notification cannot take the wakeup it owed to an
/// earlier waiter (std's `notify_one` wakes a thread blocked when it is called): the first
/// waiter wakes and notifies the second, so the program ends; a model that let the second
/// take the first's wakeup would leave the first asleep and report a false deadlock.
#[test]
fn a_later_waiter_does_not_take_an_earlier_ones_wakeup() {
    let report = c11().run(|| {
        let shared = Arc::new((Mutex::new((false, false)), Condvar::new()));
        let first = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (lock, ready) = &*shared;
                let mut state = lock.lock().unwrap();
                while !state.0 {
                    state = ready.wait(state).unwrap();
                }
                state.1 = true;
                drop(state);
                ready.notify_one();
            })
        };
        let (lock, ready) = &*shared;
        lock.lock().unwrap().0 = true;
        ready.notify_one();
        // Started after the notification: it waits for the first waiter's.
        let second = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (lock, ready) = &*shared;
                let mut state = lock.lock().unwrap();
                while !state.1 {
                    state = ready.wait(state).unwrap();
                }
            })
        };
        first.join().unwrap();
        second.join().unwrap();
    });
    passed(&report);
}

#[test]
fn readers_share_and_a_writer_excludes() {
    let report = c11().run(|| {
        let value = Arc::new(RwLock::new((0, 0)));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let value = value.clone();
                thread::spawn(move || {
                    let pair = *value.read().unwrap();
                    assert_eq!(pair.0, pair.1, "a reader saw half a write");
                })
            })
            .collect();
        {
            let mut pair = value.write().unwrap();
            pair.0 = 1;
            pair.1 = 1;
        }
        for reader in readers {
            reader.join().unwrap();
        }
    });
    passed(&report);
}

#[test]
fn channels_and_scoped_threads_run() {
    let report = c11().run(|| {
        let (tx, rx) = mpsc::channel();
        let got = AtomicUsize::new(0);
        thread::scope(|s| {
            s.spawn(move || tx.send(7).unwrap());
            got.store(rx.recv().unwrap(), Relaxed);
        });
        assert_eq!(got.load(Relaxed), 7);
    });
    passed(&report);
}

/// A thread spins (yielding) until a flag is up; `set`: another thread raises it. Returns
/// how many times it looked at the flag down, in each complete execution.
fn spin_on_flag(set: bool) -> (Report, Vec<usize>) {
    // Only the test that raises the flag records (tests run at once, and share this).
    static LOOKS: StdMutex<Vec<usize>> = StdMutex::new(Vec::new());
    if set {
        LOOKS.lock().unwrap().clear();
    }
    let report = c11().run(move || {
        let flag = Arc::new(AtomicUsize::new(0));
        let setter = flag.clone();
        let other = thread::spawn(move || {
            if set {
                setter.store(1, tapestry::sync::atomic::Ordering::Release);
            }
        });
        let mut looks = 0;
        while flag.load(tapestry::sync::atomic::Ordering::Acquire) == 0 {
            looks += 1;
            thread::yield_now();
        }
        other.join().unwrap();
        if set {
            LOOKS.lock().unwrap().push(looks);
        }
    });
    let looks = LOOKS.lock().unwrap().clone();
    (report, looks)
}

#[test]
fn a_spin_loop_ends_when_the_flag_rises() {
    let (report, mut looks) = spin_on_flag(true);
    passed(&report);
    // The flag read up at once, or after one look at it down: a second look that reads what
    // the first did is the same iteration again, not a new execution.
    looks.sort_unstable();
    assert_eq!(looks, [0, 1], "{report}");
}

#[test]
fn a_spin_loop_on_a_flag_nobody_raises_hangs() {
    let (report, _) = spin_on_flag(false);
    let failure = report.failure().expect("it spins for ever");
    assert_eq!(failure.kind(), FailureKind::Hang, "{report}");
}

#[test]
fn straight_line_yields_are_no_loop() {
    let report = c11().run(|| {
        let x = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            x.load(Relaxed);
            thread::yield_now();
        }
        x.store(1, Relaxed);
    });
    passed(&report);
}

#[test]
fn async_tasks_run() {
    // Two tasks each add to a counter; the body awaits both: every order, and the sum.
    let report = c11().run(|| {
        let count = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let count = count.clone();
                tapestry::future::spawn(async move {
                    count.fetch_add(1, Relaxed);
                    tapestry::future::yield_now().await;
                })
            })
            .collect();
        tapestry::future::block_on(async move {
            for task in tasks {
                task.await.unwrap();
            }
        });
        assert_eq!(count.load(Relaxed), 2);
    });
    passed(&report);
}

#[test]
fn a_timed_wait_nobody_notifies_times_out() {
    let report = c11().run(|| {
        let pair = (Mutex::new(()), Condvar::new());
        let guard = pair.0.lock().unwrap();
        let (_guard, result) = pair
            .1
            .wait_timeout(guard, std::time::Duration::from_secs(1))
            .unwrap();
        assert!(result.timed_out());
    });
    passed(&report);
}

/// Peterson's lock as a user writes it, spinning with `hint::spin_loop` on the other's flag
/// and the turn; each thread bumps a counter inside the lock (a load and a store, which two
/// threads inside at once can interleave to lose a bump).
fn peterson(
    store: tapestry::sync::atomic::Ordering,
    load: tapestry::sync::atomic::Ordering,
) -> Report {
    use tapestry::sync::atomic::AtomicBool;
    struct Lock {
        flags: [AtomicBool; 2],
        turn: AtomicUsize,
        count: AtomicUsize,
    }
    c11().run(move || {
        let lock = Arc::new(Lock {
            flags: [AtomicBool::new(false), AtomicBool::new(false)],
            turn: AtomicUsize::new(0),
            count: AtomicUsize::new(0),
        });
        let enter = move |lock: &Lock, me: usize| {
            let other = 1 - me;
            lock.flags[me].store(true, store);
            lock.turn.store(other, store);
            while lock.flags[other].load(load) && lock.turn.load(load) == other {
                tapestry::hint::spin_loop();
            }
            let n = lock.count.load(Relaxed);
            lock.count.store(n + 1, Relaxed);
            lock.flags[me].store(false, store);
        };
        let other = lock.clone();
        let t = thread::spawn(move || enter(&other, 1));
        enter(&lock, 0);
        t.join().unwrap();
        assert_eq!(lock.count.load(Relaxed), 2, "both were inside the lock");
    })
}

#[test]
fn peterson_with_seq_cst_is_explored_to_its_end() {
    use tapestry::sync::atomic::Ordering::SeqCst;
    let report = peterson(SeqCst, SeqCst);
    passed(&report);
    // Explored to its end: spin iterations that change nothing are not new executions.
    assert!(
        matches!(
            report.engines()[0].outcome(),
            Outcome::Passed { complete: true }
        ),
        "{report}"
    );
}

#[test]
fn peterson_with_release_acquire_lets_both_in() {
    use tapestry::sync::atomic::Ordering::{Acquire, Release};
    let report = peterson(Release, Acquire);
    let failure = report.failure().expect("both enter");
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
}

/// A timed wait may time out while the thread that would notify it can still run (under std
/// its clock may run out first): the c11 engine explores that as well as the wait that is
/// notified. `looping`: the waiter waits again after each timeout until notified, which ends
/// (a timed wait after one that timed out at once waits for the others).
fn timed_handoff(looping: bool) -> Report {
    c11().run(move || {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let other = pair.clone();
        let notifier = thread::spawn(move || {
            let (done, ready) = &*other;
            *done.lock().unwrap() = true;
            ready.notify_one();
        });
        let (done, ready) = &*pair;
        let mut up = done.lock().unwrap();
        while !*up {
            let (next, waited) = ready
                .wait_timeout(up, std::time::Duration::from_millis(10))
                .unwrap();
            up = next;
            assert!(
                looping || !waited.timed_out() || *up,
                "the wait timed out before the notification"
            );
            if !looping {
                break;
            }
        }
        drop(up);
        notifier.join().unwrap();
    })
}

#[test]
fn a_timed_wait_may_time_out_while_the_notifier_still_runs() {
    let report = timed_handoff(false);
    let failure = report
        .failure()
        .expect("the timeout fires first in some execution");
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
    passed(&timed_handoff(true));
}

/// A worker sets a flag under the lock and notifies; the waiter waits for it. `checks_first`:
/// the waiter waits only if the flag is down (with `if`, not `while`: a spurious wakeup still
/// lets it on with the flag down); else it waits once whatever the flag.
fn wait_once(checks_first: bool) -> Report {
    c11().run(move || {
        let job = Arc::new((Mutex::new(false), Condvar::new()));
        let other = job.clone();
        let worker = thread::spawn(move || {
            *other.0.lock().unwrap() = true;
            other.1.notify_one();
        });
        let mut finished = job.0.lock().unwrap();
        if !checks_first || !*finished {
            finished = job.1.wait(finished).unwrap();
        }
        assert!(*finished, "woken with the flag down");
        drop(finished);
        worker.join().unwrap();
    })
}

#[test]
fn a_wait_without_a_predicate_misses_a_notification_sent_before_it() {
    // It passed: the wait woke "spuriously" once the worker had finished, a wakeup no program
    // can count on, which hid the lost notification.
    let report = wait_once(false);
    let failure = report.failure().expect("the notification is lost");
    assert_eq!(failure.kind(), FailureKind::Deadlock, "{report}");
}

#[test]
fn a_wait_still_wakes_spuriously() {
    let report = wait_once(true);
    let failure = report
        .failure()
        .expect("a spurious wakeup with the flag down");
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
    assert!(
        failure.message().contains("woken with the flag down"),
        "{report}"
    );
}
