//! The c11 engine on tapestry tests: litmus tests written as a user writes them (atomics
//! made in the body, threads spawned and joined), with the number of executions and the
//! outcomes the memory model gives (see `tapestry-c11`'s litmus tests for their derivation),
//! `SeqCst` exact where loom's is not, failures replayed, and an atomic's `get_mut` as a
//! non-atomic access.

use std::collections::BTreeSet;
use std::sync::Mutex as StdMutex;

use tapestry::sync::Arc;
use tapestry::sync::atomic::AtomicUsize;
use tapestry::sync::atomic::Ordering::{self, AcqRel, Acquire, Relaxed, Release, SeqCst};
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Outcome, Report, thread};
use tapestry_catalogue::classic::counter_with;

fn c11() -> Explorer {
    Explorer::new().engine(Engine::c11().unbounded())
}

/// Store buffering: each thread stores 1 to its location, then loads the other's. Returns
/// the outcomes seen, as (thread 1's load, main's load).
fn store_buffering(store: Ordering, load: Ordering) -> (Report, BTreeSet<(usize, usize)>) {
    static SEEN: StdMutex<BTreeSet<(usize, usize)>> = StdMutex::new(BTreeSet::new());
    SEEN.lock().unwrap().clear();
    let report = c11().run(move || {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x1, y1) = (x.clone(), y.clone());
        let other = thread::spawn(move || {
            x1.store(1, store);
            y1.load(load)
        });
        y.store(1, store);
        let r0 = x.load(load);
        let r1 = other.join().unwrap();
        SEEN.lock().unwrap().insert((r1, r0));
    });
    let seen = SEEN.lock().unwrap().clone();
    (report, seen)
}

/// `text` with every run of white space one space: a sentence the trace wraps, found whole.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn executions(report: &Report) -> u64 {
    let engine = &report.engines()[0];
    assert_eq!(engine.engine(), EngineKind::C11);
    assert!(
        matches!(engine.outcome(), Outcome::Passed { .. }),
        "{report}"
    );
    engine.executions()
}

#[test]
fn store_buffering_has_four_executions_and_three_under_seq_cst() {
    let (report, seen) = store_buffering(Release, Acquire);
    assert_eq!(executions(&report), 4);
    assert_eq!(seen, BTreeSet::from([(0, 0), (0, 1), (1, 0), (1, 1)]));
    let (report, seen) = store_buffering(SeqCst, SeqCst);
    assert_eq!(executions(&report), 3);
    assert_eq!(seen, BTreeSet::from([(0, 1), (1, 0), (1, 1)]));
}

#[test]
fn correct_seq_cst_code_is_no_false_alarm() {
    // Dekker's handshake with SeqCst: never both inside. loom, which treats SeqCst as
    // AcqRel, reports this assertion as failing (loom#180).
    let report = c11().run(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let inside = Arc::new(AtomicUsize::new(0));
        let (x1, y1, inside1) = (x.clone(), y.clone(), inside.clone());
        let other = thread::spawn(move || {
            x1.store(1, SeqCst);
            if y1.load(SeqCst) == 0 {
                inside1.fetch_add(1, SeqCst);
            }
        });
        y.store(1, SeqCst);
        if x.load(SeqCst) == 0 {
            inside.fetch_add(1, SeqCst);
        }
        other.join().unwrap();
        assert!(inside.load(SeqCst) <= 1, "both threads inside");
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_weak_memory_bug_is_found_and_replayed() {
    let body = || {
        let data = Arc::new(AtomicUsize::new(0));
        let flag = Arc::new(AtomicUsize::new(0));
        let (data1, flag1) = (data.clone(), flag.clone());
        let writer = thread::spawn(move || {
            data1.store(42, Relaxed);
            flag1.store(1, Relaxed);
        });
        if flag.load(Relaxed) == 1 {
            assert_eq!(data.load(Relaxed), 42, "the flag was seen before the data");
        }
        writer.join().unwrap();
    };
    let report = c11().run(body);
    let failure = report
        .failure()
        .expect("message passing needs release and acquire");
    assert_eq!(failure.kind(), FailureKind::Panic);
    assert!(
        failure
            .message()
            .contains("the flag was seen before the data")
    );
    // The trace points at the load that read an older value than the latest store.
    let trace = failure.trace().to_string();
    assert!(
        trace.contains("load atomic2 -> 0 (Relaxed)")
            && trace.contains(
                "not the latest: read from the initial value, not from T1's store of 42 at step 2"
            )
            && words(&trace).contains("Step 5 needs weak memory (message passing)")
            && words(&trace).contains("here the store is Relaxed and the load Relaxed"),
        "{trace}"
    );
    let replay = failure.replay().clone();
    assert!(replay.to_string().starts_with("c11 execution="), "{replay}");
    let again = c11()
        .replay(&replay, body)
        .expect("the program is unchanged");
    let found = again.failure().expect("replayed, it fails again");
    assert_eq!(found.trace().to_string(), failure.trace().to_string());
}

/// An atomic's `get_mut` and `into_inner` are non-atomic accesses: they read the latest value
/// when everything before them happens before (here: the same thread).
#[test]
fn get_mut_and_into_inner_read_and_write_the_atomic() {
    let report = c11().run(|| {
        let mut count = AtomicUsize::new(0);
        count.store(1, Relaxed);
        *count.get_mut() += 1;
        assert_eq!(count.load(Relaxed), 2);
        *count.get_mut() += 1;
        assert_eq!(count.into_inner(), 3);
    });
    assert_eq!(
        report.engines()[0].outcome(),
        &Outcome::Passed { complete: true },
        "{report}"
    );
}

/// A pointer to an atomic, sent to another thread (safe Rust cannot share an atomic that one
/// thread reads through `get_mut`; unsafe code can).
struct Shared(*mut AtomicUsize);
// SAFETY: what the tests below check.
unsafe impl Send for Shared {}

/// T stores to an atomic, then raises `flag` with `store`; main, seeing the flag raised (with
/// `load`), reads the atomic through `get_mut`. Ordered by release and acquire; a data race
/// when relaxed (in the graph where main sees the flag).
fn get_mut_after_a_flag(store: Ordering, load: Ordering) {
    let mut owned = Box::new(AtomicUsize::new(0));
    let shared = Shared(&mut *owned);
    let flag = Arc::new(AtomicUsize::new(0));
    let raised = flag.clone();
    let t = thread::spawn(move || {
        let shared = shared;
        // SAFETY: see `Shared`.
        unsafe { (*shared.0).store(1, Relaxed) };
        raised.store(1, store);
    });
    if flag.load(load) == 1 {
        assert_eq!(*owned.get_mut(), 1);
    }
    t.join().unwrap();
}

/// Main writes the atomic through `get_mut` while T loads it: a data race, found though
/// main's accesses come first here (the engine runs main until it waits).
fn get_mut_before_a_load() {
    let mut owned = Box::new(AtomicUsize::new(0));
    let shared = Shared(&mut *owned);
    let t = thread::spawn(move || {
        let shared = shared;
        // SAFETY: see `Shared`.
        unsafe { (*shared.0).load(Relaxed) }
    });
    *owned.get_mut() = 5;
    t.join().unwrap();
}

#[test]
fn a_get_mut_that_nothing_orders_with_another_access_is_a_data_race() {
    let clean = c11().run(|| get_mut_after_a_flag(Release, Acquire));
    assert_eq!(
        clean.engines()[0].outcome(),
        &Outcome::Passed { complete: true },
        "{clean}"
    );
    let relaxed = c11().run(|| get_mut_after_a_flag(Relaxed, Relaxed));
    let before = c11().run(get_mut_before_a_load);
    for report in [relaxed, before] {
        let failure = report.failure().expect("a data race");
        assert_eq!(failure.kind(), FailureKind::DataRace, "{report}");
        assert!(failure.message().contains("`get_mut`"), "{failure}");
    }
}

/// Message passing with `order` for every access: thread 1 writes the data, then raises the
/// flag; a reader that sees the flag must see the data.
fn message_passing(order: Ordering) {
    let data = Arc::new(AtomicUsize::new(0));
    let flag = Arc::new(AtomicUsize::new(0));
    let (data1, flag1) = (data.clone(), flag.clone());
    let writer = thread::spawn(move || {
        data1.store(42, order);
        flag1.store(1, order);
    });
    if flag.load(order) == 1 {
        assert_eq!(data.load(order), 42);
    }
    writer.join().unwrap();
}

/// Chosen by name, as a user chooses it.
#[tapestry::test(engines = "c11")]
fn seq_cst_message_passing_holds_under_c11() {
    message_passing(SeqCst);
}

#[tapestry::test(engines = "c11", expect = "panic")]
fn relaxed_message_passing_fails_under_c11() {
    message_passing(Relaxed);
}

#[test]
fn its_replay_is_saved_as_text() {
    let replay: tapestry::Replay = "c11 execution=3".parse().expect("parses");
    assert_eq!(replay.to_string(), "c11 execution=3");
}

/// `classic::counter_with(4, order)`: four threads each increment a counter once, 4! = 24
/// orders of the read-modify-writes, each one execution (one graph) under either model.
fn four_increments(order: Ordering) -> impl Fn() + Send + Sync + Clone + 'static {
    let program = counter_with(4, order).program;
    move || program()
}

#[test]
fn a_search_stopped_by_its_budget_estimates_the_whole() {
    // The budget stops the search at 10 of the 24 executions.
    let report = Explorer::new()
        .engine(Engine::c11().max_executions(10))
        .run(four_increments(Relaxed));
    let engine = &report.engines()[0];
    assert_eq!(engine.executions(), 10, "{report}");
    assert!(matches!(
        engine.outcome(),
        Outcome::Passed { complete: false }
    ));
    assert_estimates(&report, 24.0);
}

/// The report's first engine estimates about `executions` for a complete exploration, with an
/// error bar that covers it, and the report prints it.
fn assert_estimates(report: &Report, executions: f64) {
    let engine = &report.engines()[0];
    let estimate = engine.estimate().expect("an estimate");
    assert!(
        estimate.starts_with("its budget stopped it: a complete exploration would run about "),
        "{estimate}"
    );
    // The number between `marker` and the next `end`.
    let number_after = |marker: &str, end: char| -> f64 {
        estimate
            .split(marker)
            .nth(1)
            .and_then(|rest| rest.split(end).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number after {marker:?} in {estimate}"))
    };
    let (number, error) = (number_after("about ", ' '), number_after("± ", ','));
    assert!(
        (number - executions).abs() <= 4.0 * error + 2.0,
        "{estimate}"
    );
    assert!(report.to_string().contains(estimate), "{report}");
}

#[test]
fn a_dpor_search_stopped_by_its_budget_estimates_the_whole() {
    // Each of the 24 orders is one execution of the dpor engine's complete search, as the
    // sequentially consistent execution graphs count them.
    let body = four_increments(SeqCst);
    let complete = Explorer::new()
        .engine(Engine::dpor().unbounded())
        .run(body.clone());
    assert_eq!(complete.engines()[0].executions(), 24, "{complete}");
    let report = Explorer::new()
        .engine(Engine::dpor().max_executions(10))
        .run(body.clone());
    assert_eq!(report.engines()[0].executions(), 10, "{report}");
    assert_estimates(&report, 24.0);
    let quiet = Explorer::new()
        .engine(Engine::dpor().max_executions(10).estimate(false))
        .run(body);
    assert_eq!(quiet.engines()[0].estimate(), None, "{quiet}");
}

#[test]
fn the_threads_of_a_run_that_is_no_execution_are_unwound_not_left_behind() {
    // Four threads each take lock `a`, then lock `b` while holding `a`. Runs in which a thread
    // stops to wait for a release that another graph has it read are abandoned; their
    // threads unwind, so every guard made is dropped (a run stopped where it stands would
    // leave its threads' stacks behind, one run after another, until memory runs out), and
    // the unlocks on the way do not fail again while unwinding.
    static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    static DROPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    static UNWOUND: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    struct Guard;
    impl Drop for Guard {
        fn drop(&mut self) {
            DROPPED.fetch_add(1, Relaxed);
            if std::thread::panicking() {
                UNWOUND.fetch_add(1, Relaxed);
            }
        }
    }
    let report = c11().run(|| {
        let locks = Arc::new((tapestry::sync::Mutex::new(0), tapestry::sync::Mutex::new(0)));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let locks = locks.clone();
                thread::spawn(move || {
                    MADE.fetch_add(1, Relaxed);
                    let _guard = Guard;
                    let _a = locks.0.lock().unwrap();
                    *locks.1.lock().unwrap() += 1;
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*locks.1.lock().unwrap(), 4);
    });
    assert!(
        matches!(
            report.engines()[0].outcome(),
            Outcome::Passed { complete: true }
        ),
        "{report}"
    );
    // Its executions are the 4! orders of the acquisitions of `a`; the abandoned runs are
    // not counted.
    assert_eq!(report.engines()[0].executions(), 24, "{report}");
    assert!(UNWOUND.load(Relaxed) > 0, "no run was abandoned: {report}");
    assert_eq!(MADE.load(Relaxed), DROPPED.load(Relaxed), "{report}");
}

/// Message passing through an `UnsafeCell`: with a release store and an acquire load of the
/// flag, the reader's access happens after the writer's; relaxed, they race.
fn cell_message_passing(store: Ordering, load: Ordering) -> Report {
    use tapestry::cell::UnsafeCell;
    struct Shared {
        data: UnsafeCell<u32>,
        flag: AtomicUsize,
    }
    // SAFETY: the test is about whether the accesses to `data` are ordered; the engine
    // reports them if they are not.
    unsafe impl Sync for Shared {}
    c11().run(move || {
        let shared = Arc::new(Shared {
            data: UnsafeCell::new(0),
            flag: AtomicUsize::new(0),
        });
        let writer = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.data.with_mut(|p| unsafe { *p = 42 });
                shared.flag.store(1, store);
            })
        };
        if shared.flag.load(load) == 1 {
            assert_eq!(shared.data.with(|p| unsafe { *p }), 42);
        }
        writer.join().unwrap();
    })
}

#[test]
fn unsafe_cell_accesses_race_unless_ordered() {
    let ordered = cell_message_passing(Release, Acquire);
    assert!(
        ordered.failure().is_none(),
        "{ordered}\n{}",
        ordered.failure().map(|f| f.to_string()).unwrap_or_default()
    );
    let racy = cell_message_passing(Relaxed, Relaxed);
    let failure = racy.failure().expect("a data race");
    assert_eq!(failure.kind(), FailureKind::DataRace, "{racy}");
    assert!(
        failure.message().contains("data race on an `UnsafeCell`"),
        "{failure}"
    );
}

#[test]
fn a_pointer_published_through_an_atomic_points_at_what_was_written() {
    // A reader may read the pointer from the writer's store in a graph where the writer's
    // thread has not run yet in this run: the engine runs the store (and the writes before
    // it) first, so the pointer is this run's and its target is written.
    use tapestry::sync::atomic::AtomicPtr;
    let report = c11().run(|| {
        let slot = Arc::new(AtomicPtr::<u32>::new(std::ptr::null_mut()));
        let writer = {
            let slot = slot.clone();
            thread::spawn(move || {
                slot.store(Box::into_raw(Box::new(42)), Release);
            })
        };
        let seen = slot.load(Acquire);
        if !seen.is_null() {
            // SAFETY: published with release, read with acquire; freed below, after the join.
            assert_eq!(unsafe { *seen }, 42);
        }
        writer.join().unwrap();
        // SAFETY: the writer has finished; nothing else holds the pointer.
        drop(unsafe { Box::from_raw(slot.load(Acquire)) });
    });
    assert!(
        report.failure().is_none(),
        "{report}\n{}",
        report.failure().map(|f| f.to_string()).unwrap_or_default()
    );
    assert_eq!(executions(&report), 2);
}

#[test]
fn a_failing_body_whose_destructors_use_get_mut_is_reported_not_aborted() {
    // The body panics; unwinding drops an object whose destructor reads its atomic through
    // `get_mut`, an access of the graph in a run that goes on: that must not panic again (an
    // abort).
    struct Owner(AtomicUsize);
    impl Drop for Owner {
        fn drop(&mut self) {
            assert!(*self.0.get_mut() <= 2);
        }
    }
    let report = c11().run(|| {
        let owner = Owner(AtomicUsize::new(1));
        owner.0.store(2, Relaxed);
        panic!("the body fails");
    });
    let failure = report.failure().expect("the panic is the failure");
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
    assert!(failure.message().contains("the body fails"), "{report}");
}

/// An atomic that starts as an address, which differs between runs (a new allocation's: here
/// leaked, so no run reuses another's), read from its initial value in a run that replays a
/// graph: this run's address. It was the run's that made the graph before, which bytes 1.12.2's
/// loom tests under this engine then used after it was freed.
#[test]
fn an_initial_value_read_in_a_replay_is_this_runs() {
    use tapestry::sync::atomic::AtomicPtr;
    let report = c11().run(|| {
        let first: *mut usize = Box::leak(Box::new(7));
        let ptr = Arc::new(AtomicPtr::new(first));
        let other = ptr.clone();
        let t = thread::spawn(move || other.swap(std::ptr::null_mut(), AcqRel) as usize);
        let seen = ptr.load(Acquire);
        assert!(seen.is_null() || seen == first);
        let taken = t.join().unwrap();
        assert_eq!(taken, first as usize, "T's swap read another run's address");
    });
    assert_eq!(
        report.engines()[0].outcome(),
        &Outcome::Passed { complete: true },
        "{report}"
    );
    assert_eq!(executions(&report), 2);
}

/// A consumer that polls a channel with `try_recv`, yielding while it is empty: each poll
/// takes the channel's lock, so an iteration is no read-only spin that the c11 engine's runs
/// see waiting.
fn polls_a_channel() {
    use tapestry::tokio::sync::mpsc;
    tapestry::future::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(4);
        let producers: Vec<_> = (0..2u32)
            .map(|i| {
                let tx = tx.clone();
                tapestry::tokio::spawn(async move { tx.send(i).await.unwrap() })
            })
            .collect();
        drop(tx);
        let mut got = 0;
        loop {
            match rx.try_recv() {
                Ok(_) => got += 1,
                Err(mpsc::error::TryRecvError::Empty) => tapestry::tokio::task::yield_now().await,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            }
        }
        for producer in producers {
            producer.await.unwrap();
        }
        assert_eq!(got, 2);
    });
}

/// [`polls_a_channel`] under the c11 engine: its consumer's yields let the producers run (it
/// ran alone to the step limit before: a false alarm), and a run whose producers wait for
/// writes another graph has them read ends as no execution once the consumer has yielded
/// alone long enough.
#[test]
fn a_poll_loop_that_takes_a_lock_each_time_lets_the_others_run() {
    let report = Explorer::new()
        .engine(Engine::c11().max_executions(50))
        .run(polls_a_channel);
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.engines()[0].executions(), 50, "{report}");
}
