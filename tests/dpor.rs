//! The DPOR engine beyond the counting programs (catalogue/tests/dpor.rs): what does not
//! multiply executions, locks, bounds and budgets, replay, and programs it cannot explore.

use std::sync::atomic::{AtomicU64 as StdAtomic, Ordering::Relaxed};

use tapestry::sync::atomic::{AtomicU64, Ordering::SeqCst};
use tapestry::sync::{Arc, Mutex};
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Outcome, Report, thread};
use tapestry_tests::failure;

fn exhaust(body: impl Fn() + Send + Sync + 'static) -> Report {
    Explorer::new().engine(Engine::dpor().unbounded()).run(body)
}

/// Executions of a search that must have finished clean.
fn executions(report: &Report) -> u64 {
    let run = &report.engines()[0];
    assert_eq!(
        run.outcome(),
        &Outcome::Passed { complete: true },
        "{report}"
    );
    run.executions()
}

/// Each thread's own object, made by a line of its own.
fn own_object(t: usize) {
    let own = match t {
        0 => AtomicU64::new(0),
        1 => AtomicU64::new(0),
        2 => AtomicU64::new(0),
        3 => AtomicU64::new(0),
        4 => AtomicU64::new(0),
        _ => AtomicU64::new(0),
    };
    own.fetch_add(1, SeqCst);
    assert_eq!(own.load(SeqCst), 1);
}

#[test]
fn threads_on_disjoint_objects_explore_one_execution() {
    for n in 1..=6 {
        let report = exhaust(move || {
            let threads: Vec<_> = (0..n)
                .map(|t| thread::spawn(move || own_object(t)))
                .collect();
            for t in threads {
                t.join().unwrap();
            }
        });
        assert_eq!(executions(&report), 1, "{n} threads");
    }
}

#[test]
fn spawning_and_joining_do_not_multiply_executions() {
    // Two writers of one variable: 2 orders, however the threads are started and joined,
    // and whatever the body's thread does on other objects meanwhile.
    let report = exhaust(|| {
        let x = Arc::new(AtomicU64::new(0));
        let mine = AtomicU64::new(0);
        let a = thread::spawn({
            let x = x.clone();
            move || x.store(1, SeqCst)
        });
        mine.store(1, SeqCst);
        let b = thread::spawn({
            let x = x.clone();
            move || x.store(2, SeqCst)
        });
        mine.store(2, SeqCst);
        b.join().unwrap();
        a.join().unwrap();
        assert!(x.load(SeqCst) >= 1);
    });
    assert_eq!(executions(&report), 2);
}

#[test]
fn critical_sections_of_one_lock_explore_every_order_once() {
    for n in 2..=4u64 {
        let report = exhaust(move || {
            let total = Arc::new(Mutex::new(0));
            let threads: Vec<_> = (0..n)
                .map(|_| {
                    let total = total.clone();
                    thread::spawn(move || *total.lock().unwrap() += 1)
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(*total.lock().unwrap(), n);
        });
        let orders: u64 = (1..=n).product();
        assert_eq!(executions(&report), orders, "{n} threads");
    }
}

fn lost_update() {
    let counter = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let counter = counter.clone();
            thread::spawn(move || {
                let seen = counter.load(SeqCst);
                counter.store(seen + 1, SeqCst);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(counter.load(SeqCst), 2, "an increment was lost");
}

#[test]
fn a_failure_replays_with_the_same_trace() {
    let report = Explorer::new().engine(Engine::dpor()).run(lost_update);
    let found = failure(&report);
    assert_eq!(found.engine(), EngineKind::Dpor);
    assert_eq!(found.kind(), FailureKind::Panic);
    // Deepened bound by bound, the failure has the fewest preemptions: one.
    assert_eq!(found.preemptions(), Some(1));
    let replayed = Explorer::new().replay(found.replay(), lost_update).unwrap();
    let again = failure(&replayed);
    assert_eq!(again.kind(), found.kind());
    assert_eq!(again.trace().to_string(), found.trace().to_string());
}

#[test]
fn the_budget_stops_a_search_that_is_too_large() {
    let report = Explorer::new()
        .engine(Engine::dpor().max_executions(50))
        .run(|| {
            let x = Arc::new(AtomicU64::new(0));
            let threads: Vec<_> = (0..5)
                .map(|_| {
                    let x = x.clone();
                    thread::spawn(move || {
                        x.fetch_add(1, SeqCst);
                        x.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
        });
    let run = &report.engines()[0];
    assert_eq!(
        run.outcome(),
        &Outcome::Passed { complete: false },
        "{report}"
    );
    assert_eq!(run.executions(), 50);
}

#[test]
fn a_program_that_changes_between_executions_is_reported_not_explored_wrongly() {
    static RUNS: StdAtomic = StdAtomic::new(0);
    let report = exhaust(|| {
        // State kept outside the execution: the second execution takes another path.
        let first = RUNS.fetch_add(1, Relaxed) == 0;
        let x = Arc::new(AtomicU64::new(0));
        let t = thread::spawn({
            let x = x.clone();
            move || x.store(1, SeqCst)
        });
        if first {
            x.load(SeqCst);
        }
        x.store(2, SeqCst);
        t.join().unwrap();
    });
    let found = failure(&report);
    assert_eq!(found.kind(), FailureKind::Misuse);
    assert!(
        found
            .message()
            .contains("must behave the same under the same schedule"),
        "{}",
        found.message()
    );
}

/// Two exchanges that may fail, a release store and an acquire load guarding a cell write:
/// under sequential consistency 14 traces (T3 fails only before T1's store, reading 0, and
/// then T2 fails reading 0 or 1 and T4 reads 0 or 1: 4; T3 succeeds after it and T2 fails
/// first, reading 0 or 1, while T4 reads 0, 1 or 2: 6; T3 then T2 succeed, T4 reads 0 to
/// 3: 4). Each trace has its own outcome.
#[test]
fn failing_exchanges_explore_every_trace() {
    use std::collections::BTreeSet;
    use std::sync::Mutex as StdMutex;
    use tapestry::cell::UnsafeCell;
    use tapestry::sync::atomic::Ordering::{Acquire, Relaxed, Release};

    /// `x`: written by T1, and by T4 when T4 saw the exchanges' 3.
    struct Shared(UnsafeCell<u64>);
    // SAFETY: T4 writes only after an acquire load that reads 3, which a release sequence
    // headed by T1's store wrote (an exchange continues it); the detector checks it.
    unsafe impl Sync for Shared {}

    type Outcome = (Result<u64, u64>, Result<u64, u64>, u64, u64);
    let outcomes: std::sync::Arc<StdMutex<BTreeSet<Outcome>>> = Default::default();
    let report = exhaust({
        let outcomes = outcomes.clone();
        move || {
            let x = Arc::new(Shared(UnsafeCell::new(0u64)));
            let y = Arc::new(AtomicU64::new(0));
            let t1 = thread::spawn({
                let (x, y) = (x.clone(), y.clone());
                move || {
                    x.0.with_mut(|x| unsafe { *x = 1 });
                    y.store(1, Release);
                }
            });
            let t2 = thread::spawn({
                let y = y.clone();
                move || y.compare_exchange(2, 3, Relaxed, Relaxed)
            });
            let t3 = thread::spawn({
                let y = y.clone();
                move || y.compare_exchange(1, 2, Relaxed, Relaxed)
            });
            let t4 = thread::spawn({
                let (x, y) = (x.clone(), y.clone());
                move || {
                    let seen = y.load(Acquire);
                    if seen > 2 {
                        x.0.with_mut(|x| unsafe { *x = 2 });
                    }
                    seen
                }
            });
            t1.join().unwrap();
            let outcome = (
                t2.join().unwrap(),
                t3.join().unwrap(),
                t4.join().unwrap(),
                x.0.with(|x| unsafe { *x }),
            );
            outcomes.lock().unwrap().insert(outcome);
        }
    });
    let outcomes = outcomes.lock().unwrap();
    assert_eq!(outcomes.len(), 14, "{outcomes:?}");
    assert_eq!(executions(&report), 14);
}

/// A yield is a hint: the thread may go on at once, or let the other run first. One writer
/// that yields before its store, and a reader that loads twice: three traces (both loads
/// before the store, between them, after both), each explored once.
#[test]
fn a_yield_may_go_on_at_once() {
    let outcomes = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let seen = outcomes.clone();
    let report = Explorer::new()
        .engine(Engine::dpor().unbounded())
        .run(move || {
            let x = Arc::new(AtomicU64::new(0));
            let x2 = x.clone();
            let writer = thread::spawn(move || {
                thread::yield_now();
                x2.store(1, SeqCst);
            });
            let first = x.load(SeqCst);
            let second = x.load(SeqCst);
            writer.join().unwrap();
            seen.lock().unwrap().insert((first, second));
        });
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions(), 3, "{report}");
    let outcomes = outcomes.lock().unwrap();
    assert_eq!(*outcomes, [(0, 0), (0, 1), (1, 1)].into_iter().collect());
}

/// Two threads wait on a condition variable in a loop (`while count == 0 { wait }`), each
/// logging its waits and its wake-up, while the body raises the count twice with a
/// `notify_one` each time. A waiter woken with the count still 0 (spuriously, or by a
/// notification another waiter's wake-up used first) waits again at once. Every log the
/// exhaustive engine reaches, the DPOR engine must reach too. It used to miss 18 of 112: after
/// such a wake-up it took the next wait for a wake-up again (the wait had not released the
/// mutex yet), so its model had the waiter holding the mutex while it waited.
#[test]
fn waits_in_a_loop_reach_every_outcome_the_exhaustive_engine_reaches() {
    fn logs(engine: Engine) -> std::collections::BTreeSet<Vec<u32>> {
        let logs = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
        let seen = logs.clone();
        let report = Explorer::new().engine(engine).run(move || {
            let pair = Arc::new((
                Mutex::new((0u32, Vec::new())),
                tapestry::sync::Condvar::new(),
            ));
            let waiters: Vec<_> = (0..2u32)
                .map(|i| {
                    let pair = pair.clone();
                    thread::spawn(move || {
                        let (lock, cv) = &*pair;
                        let mut state = lock.lock().unwrap();
                        while state.0 == 0 {
                            state.1.push(10 + i);
                            state = cv.wait(state).unwrap();
                        }
                        state.0 -= 1;
                        state.1.push(i);
                    })
                })
                .collect();
            let (lock, cv) = &*pair;
            for _ in 0..2 {
                let mut state = lock.lock().unwrap();
                state.0 += 1;
                state.1.push(9);
                drop(state);
                cv.notify_one();
            }
            for waiter in waiters {
                waiter.join().unwrap();
            }
            seen.lock().unwrap().insert(lock.lock().unwrap().1.clone());
        });
        assert!(report.failure().is_none(), "{report}");
        assert_eq!(
            report.engines()[0].outcome(),
            &Outcome::Passed { complete: true },
            "{report}"
        );
        std::mem::take(&mut *logs.lock().unwrap())
    }
    let by_dpor = logs(Engine::dpor().unbounded().into());
    let by_exhaustive = logs(Engine::exhaustive().unbounded().into());
    let missed: Vec<_> = by_exhaustive.difference(&by_dpor).collect();
    assert!(
        missed.is_empty(),
        "DPOR missed {} of {} logs, e.g. {:?}",
        missed.len(),
        by_exhaustive.len(),
        missed.first()
    );
}
