//! No failure, under any engine, aborts or hangs the test process.

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tapestry::sync::atomic::{AtomicUsize, Ordering};
use tapestry::sync::{Arc, Mutex};
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Outcome, thread};
use tapestry_tests::{found_by, quick};

/// ABBA where each thread owns `Arc`s and a value whose destructor uses the facade. With
/// loom's own `Arc`, or with a destructor that calls loom, loom's deadlock report panics again
/// while unwinding and aborts the process (loom issues #52 and #291).
fn deadlock_with_arcs_and_destructors() {
    struct Noisy {
        drops: Arc<AtomicUsize>,
        lock: Arc<Mutex<u32>>,
    }

    impl Drop for Noisy {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
            *self.lock.lock().unwrap() += 1;
        }
    }

    let a = Arc::new(Mutex::named("a", ()));
    let b = Arc::new(Mutex::named("b", ()));
    let drops = Arc::new(AtomicUsize::new(0));
    let lock = Arc::new(Mutex::new(0));
    let noisy = Noisy {
        drops: drops.clone(),
        lock: lock.clone(),
    };
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::spawn(move || {
        let _noisy = noisy;
        let _a = a2.lock().unwrap();
        let _b = b2.lock().unwrap();
    });
    let _noisy = Noisy { drops, lock };
    {
        let _b = b.lock().unwrap();
        let _a = a.lock().unwrap();
    }
    t.join().unwrap();
}

#[test]
fn a_deadlock_with_arcs_and_facade_destructors_is_reported_by_every_engine() {
    for engine in EngineKind::ALL {
        let report = Explorer::new()
            .engine(quick(engine))
            .run(deadlock_with_arcs_and_destructors);
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the deadlock:\n{report}"));
        assert_eq!(
            failure.kind(),
            FailureKind::Deadlock,
            "{engine}:\n{failure}"
        );
    }
}

#[test]
fn a_panic_while_holding_locks_is_reported_by_every_engine() {
    for engine in EngineKind::ALL {
        let report = Explorer::new().engine(quick(engine)).run(|| {
            let lock = Arc::new(Mutex::new(0));
            let l = lock.clone();
            let t = thread::spawn(move || {
                let _held = l.lock().unwrap();
                panic!("boom while holding the lock");
            });
            let _ = lock.lock();
            let _ = t.join();
        });
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}:\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Panic, "{engine}:\n{failure}");
        assert!(
            failure.message().contains("boom"),
            "{engine}: {}",
            failure.message()
        );
    }
}

/// Each report's failure says the program used an object after dropping it.
fn says_used_after_drop(reports: &[tapestry::Report]) {
    for report in reports {
        let failure = report.failure().expect("found_by checked it");
        assert!(
            failure.message().contains("used after it was dropped"),
            "{}: {}",
            failure.engine(),
            failure.message()
        );
    }
}

/// Uses an atomic after dropping it. The memory stays (`ManuallyDrop`), so the dropped
/// object's marks are still there to find, as they are in freed memory that nothing has
/// reused yet.
fn uses_an_atomic_after_dropping_it() {
    let mut state = std::mem::ManuallyDrop::new(AtomicUsize::new(0));
    // SAFETY: none, on purpose: `state` is used below after this drop, the bug the test shows
    // the harness reports rather than crashes on.
    unsafe { std::mem::ManuallyDrop::drop(&mut state) };
    state.swap(1, Ordering::AcqRel);
}

#[test]
fn an_atomic_used_after_it_was_dropped_fails_the_execution_under_every_engine() {
    // oneshot 0.1.13's sender swaps the state of a channel its receiver has freed: under the
    // c11 engine that called into the freed engine object and killed the test binary
    // (SIGSEGV).
    let reports = found_by(
        uses_an_atomic_after_dropping_it,
        &EngineKind::ALL,
        FailureKind::Panic,
    );
    says_used_after_drop(&reports);
}

/// Frees an atomic that another thread may be in the middle of an operation on.
fn frees_an_atomic_in_use() {
    let state = Box::into_raw(Box::new(AtomicUsize::new(0)));
    let (address, started) = (state as usize, Arc::new(AtomicUsize::new(0)));
    let seen = started.clone();
    let sender = thread::spawn(move || {
        seen.store(1, Ordering::Release);
        // SAFETY: none, on purpose: the main thread may free `state` meanwhile, the bug this
        // test shows the harness reports rather than crashes on.
        let state = unsafe { &*(address as *const AtomicUsize) };
        state.swap(1, Ordering::AcqRel);
    });
    while started.load(Ordering::Acquire) == 0 {
        thread::yield_now();
    }
    // SAFETY: made by `Box::into_raw` above; the sender may still use it (the bug).
    drop(unsafe { Box::from_raw(state) });
    let _ = sender.join();
}

#[test]
fn an_atomic_freed_while_another_thread_is_in_an_operation_on_it_fails_the_execution_under_c11() {
    // oneshot 0.1.13: the sender is at its swap's scheduling point, inside the engine's
    // object, when the receiver frees the channel; when the sender resumed, the c11 engine
    // went on in freed memory and the test binary died (SIGSEGV). (The other engines' own
    // objects are freed too, and what they do in freed memory is anyone's guess.)
    let reports = found_by(
        frees_an_atomic_in_use,
        &[EngineKind::C11],
        FailureKind::Panic,
    );
    says_used_after_drop(&reports);
}

#[test]
fn a_thread_stuck_outside_the_facade_is_reported_and_left_behind() {
    let (release, stuck) = std_mpsc::channel::<()>();
    let stuck = std::sync::Arc::new(std::sync::Mutex::new(stuck));
    let report = Explorer::new()
        .engine(Engine::stress().watchdog(Duration::from_millis(200)))
        .run(move || {
            let stuck = stuck.clone();
            // Blocks in std, where tapestry cannot see or wake it.
            let t = thread::spawn(move || {
                let _ = stuck.lock().unwrap().recv();
            });
            // A loop that ended: the failure must not blame it.
            let polls = AtomicUsize::new(0);
            while polls.fetch_add(1, Ordering::SeqCst) < 50 {}
            t.join().unwrap();
        });
    let failure = report.failure().expect("the watchdog fires");
    assert_eq!(failure.kind(), FailureKind::Hang, "{failure}");
    assert!(
        failure
            .message()
            .contains("not blocked on a tapestry object"),
        "{failure}"
    );
    assert!(failure.message().contains("left running"), "{failure}");
    drop(release);
}

#[test]
fn a_livelock_hits_the_step_limit_under_every_engine() {
    for engine in EngineKind::ALL {
        let report = Explorer::new()
            .engine(quick(engine))
            .max_steps(2_000)
            .run(|| {
                let flag = Arc::new(AtomicUsize::new(0));
                let f = flag.clone();
                let t = thread::spawn(move || while f.load(Ordering::SeqCst) == 0 {});
                while flag.load(Ordering::SeqCst) == 0 {}
                t.join().unwrap();
            });
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}:\n{report}"));
        assert_eq!(
            failure.kind(),
            FailureKind::StepLimit,
            "{engine}:\n{failure}"
        );
    }
}

/// Threads spawned with values whose destructors use the facade, in executions the DPOR
/// engine stops early (preemption bounds, sleep sets). A stopped execution used to be left to
/// shuttle to abandon: the closure of a thread that never started was dropped when shuttle
/// reused its stack, inside a call of its own, where the destructor's facade operation aborted
/// the process (concurrent-queue's loom tests), and the stacks of threads stopped mid-call were
/// never reclaimed (out of memory). Now a stopped execution runs on to its end (`Dpor::drain`),
/// and a closure that never ran is leaked, not dropped.
fn spawns_with_noisy_captures() {
    struct Noisy(Arc<AtomicUsize>);

    impl Drop for Noisy {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    let count = Arc::new(AtomicUsize::new(3));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let noisy = Noisy(count.clone());
            thread::spawn(move || {
                let noisy = noisy;
                noisy.0.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    // Races with the threads' adds: reversing one preempts the body before they all start.
    count.load(Ordering::SeqCst);
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn threads_that_never_start_in_a_stopped_execution_do_not_abort_the_process() {
    // Iterative preemption bounds stop executions that would exceed the bound of the round.
    let report = Explorer::new()
        .engine(Engine::dpor())
        .run(spawns_with_noisy_captures);
    assert!(report.failure().is_none(), "{report}");
}

/// A thread panics holding a guard whose destructor spins until the main thread raises a
/// flag, which it does only after joining that thread: under std this hangs too. Under loom's
/// engine the failed execution's destructors run with loom out of the way (yields are no-ops,
/// loads return the last value), so the spin never ended and the test binary hung.
fn panics_holding_a_guard_that_spins() {
    let flag = Arc::new(AtomicUsize::new(0));
    let guard = SpinsUntilRaised(flag.clone());
    let t = thread::spawn(move || {
        let _guard = guard;
        panic!("boom");
    });
    let _ = t.join();
    flag.store(1, Ordering::Release);
}

#[test]
fn a_destructor_that_spins_while_its_thread_unwinds_a_failed_execution_ends_with_the_panic() {
    for report in found_by(
        panics_holding_a_guard_that_spins,
        &EngineKind::ALL,
        FailureKind::Panic,
    ) {
        let failure = report.failure().expect("found_by checked it");
        assert!(failure.message().contains("boom"), "{failure}");
    }
}

/// Spins in its destructor until `flag` is raised.
struct SpinsUntilRaised(Arc<AtomicUsize>);

impl Drop for SpinsUntilRaised {
    fn drop(&mut self) {
        while self.0.load(Ordering::Acquire) == 0 {
            tapestry::hint::spin_loop();
        }
    }
}

/// Raises `flag` in its destructor.
struct RaisesOnDrop(Arc<AtomicUsize>);

impl Drop for RaisesOnDrop {
    fn drop(&mut self) {
        self.0.store(1, Ordering::Release);
    }
}

/// `n` threads each hold a guard (made by `make`) while they take lock `a`, then lock `b`
/// while holding `a`; returns their handles. The c11 engine abandons the runs in which a
/// thread stops to wait for a release that another graph has it read: every thread unwinds
/// out of them.
fn lockers<G: Send + 'static>(
    n: usize,
    locks: &Arc<(Mutex<u32>, Mutex<u32>)>,
    make: impl Fn() -> G,
) -> Vec<thread::JoinHandle<()>> {
    (0..n)
        .map(|_| {
            let (locks, guard) = (locks.clone(), make());
            thread::spawn(move || {
                let _guard = guard;
                let _a = locks.0.lock().unwrap();
                *locks.1.lock().unwrap() += 1;
            })
        })
        .collect()
}

/// The first locker's guard raises a flag as it drops; the others' wait for it. Correct: the
/// first ends whatever the others do.
fn guards_wait_for_another_threads_guard() {
    let locks = Arc::new((Mutex::new(0), Mutex::new(0)));
    let flag = Arc::new(AtomicUsize::new(0));
    let raiser = lockers(1, &locks, || RaisesOnDrop(flag.clone()));
    let waiters = lockers(2, &locks, || SpinsUntilRaised(flag.clone()));
    for t in raiser.into_iter().chain(waiters) {
        t.join().unwrap();
    }
}

#[test]
fn destructors_that_wait_for_each_other_in_an_abandoned_run_end_there() {
    // In an abandoned run a waiter, spawned after the raiser, unwinds first: its destructor
    // neither let the raiser run (the scheduler kept picking the latest thread) nor would have
    // seen its store (dropped, outside the graph). It spun until the OS killed the test
    // binary; once threads could be stranded, the engine gave up on this correct program.
    let report = Explorer::new()
        .engine(EngineKind::C11)
        .run(guards_wait_for_another_threads_guard);
    assert!(
        matches!(
            report.engines()[0].outcome(),
            Outcome::Passed { complete: true }
        ),
        "{report}"
    );
}

/// The lockers' guards wait for a flag the main thread raises while holding lock `a`.
/// Correct; but in a run abandoned before the main thread raises it, nothing ever will.
fn guards_wait_for_the_main_thread() {
    let locks = Arc::new((Mutex::new(0), Mutex::new(0)));
    let flag = Arc::new(AtomicUsize::new(0));
    let waiters = lockers(3, &locks, || SpinsUntilRaised(flag.clone()));
    {
        let _a = locks.0.lock().unwrap();
        flag.store(1, Ordering::Release);
    }
    for t in waiters {
        t.join().unwrap();
    }
}

#[test]
fn a_destructor_that_spins_for_ever_in_an_abandoned_run_stops_the_c11_engine_with_a_reason() {
    // Before: the destructor spun for ever, each spin recorded, until the OS killed the test
    // binary (sharded-slab 0.1.7's `ownedref_ping_pong`). Now its thread is stranded, and the
    // c11 engine says it cannot go on; the other engines explore the program.
    let report = Explorer::new()
        .engine(EngineKind::C11)
        .engine(EngineKind::Dpor)
        .run(guards_wait_for_the_main_thread);
    let [c11, dpor] = report.engines() else {
        panic!("two engines ran:\n{report}");
    };
    assert!(
        matches!(c11.outcome(), Outcome::Unsupported { reason } if reason.contains("abandoned")),
        "{report}"
    );
    assert!(
        matches!(dpor.outcome(), Outcome::Passed { complete: true }),
        "{report}"
    );
}
