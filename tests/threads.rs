//! std's thread items that tapestry models: scoped threads, parking, thread-locals,
//! `available_parallelism`, and the handles (`current`, `Thread`, `JoinHandle`). For each, a
//! program with a bug that needs it is found by every model engine (and the stress engine where
//! real threads can show it), its fix passes every engine, and outside an exploration the item
//! behaves as std's.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use tapestry::sync::atomic::{AtomicBool, AtomicUsize};
use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::thread::{self, Thread};
use tapestry::{EngineKind, Explorer, FailureKind, Outcome, Report};
use tapestry_tests::{found_by, quick};

/// Every engine but the stress engine, whose real threads cannot be steered.
const MODEL_ENGINES: [EngineKind; 6] = [
    EngineKind::Exhaustive,
    EngineKind::Dpor,
    EngineKind::Random,
    EngineKind::Pct,
    EngineKind::Surw,
    EngineKind::Priority,
];

fn run(program: fn(), engine: EngineKind) -> Report {
    Explorer::new().engine(quick(engine)).run(program)
}

/// Every engine passes `program`, and the exhaustive search completes.
fn passes_every_engine(program: fn()) {
    for engine in EngineKind::ALL {
        let report = run(program, engine);
        if let Some(failure) = report.failure() {
            panic!("{engine} failed a correct program:\n{report}\n{failure}");
        }
        if engine == EngineKind::Exhaustive {
            assert_eq!(
                report.engines()[0].outcome(),
                &Outcome::Passed { complete: true },
                "{report}"
            );
        }
    }
}

// ---- Parking ----

/// A consumer waits for `ready`, registering itself for the producer's unpark. Buggy: it
/// registers after checking the flag, so a producer that sets the flag in between finds nobody
/// to unpark, and the consumer parks for good.
fn lost_wakeup(fixed: bool) {
    let ready = Arc::new(AtomicBool::named("ready", false));
    let waiter: Arc<Mutex<Option<Thread>>> = Arc::new(Mutex::named("waiter", None));
    let consumer = {
        let (ready, waiter) = (ready.clone(), waiter.clone());
        thread::spawn(move || {
            if fixed {
                *waiter.lock().unwrap() = Some(thread::current());
            }
            while !ready.load(SeqCst) {
                if !fixed {
                    *waiter.lock().unwrap() = Some(thread::current());
                }
                thread::park();
            }
        })
    };
    let producer = thread::spawn(move || {
        ready.store(true, SeqCst);
        let waiter = waiter.lock().unwrap().take();
        if let Some(consumer) = waiter {
            consumer.unpark();
        }
    });
    consumer.join().unwrap();
    producer.join().unwrap();
}

#[test]
fn a_lost_wakeup_is_found_as_a_deadlock() {
    let reports = found_by(|| lost_wakeup(false), &MODEL_ENGINES, FailureKind::Deadlock);
    for report in reports {
        let message = report.failure().unwrap().message().to_owned();
        assert!(
            message.contains("T1 is parked (at tests/threads.rs:"),
            "{message}"
        );
    }
}

#[test]
fn registering_before_checking_passes_every_engine() {
    passes_every_engine(|| lost_wakeup(true));
}

/// A consumer that trusts one park to mean "unparked": std lets park return spuriously.
fn park_without_a_loop() {
    let ready = Arc::new(AtomicBool::named("ready", false));
    let r = ready.clone();
    let consumer = thread::spawn(move || {
        thread::park();
        assert!(r.load(SeqCst), "park returned before the unpark");
    });
    ready.store(true, SeqCst);
    consumer.thread().unpark();
    consumer.join().unwrap();
}

/// The fix: park until the flag says so.
fn park_in_a_loop() {
    let ready = Arc::new(AtomicBool::named("ready", false));
    let r = ready.clone();
    let consumer = thread::spawn(move || {
        while !r.load(SeqCst) {
            thread::park();
        }
    });
    ready.store(true, SeqCst);
    consumer.thread().unpark();
    consumer.join().unwrap();
}

#[test]
fn a_park_that_wakes_spuriously_is_explored() {
    let reports = found_by(park_without_a_loop, &MODEL_ENGINES, FailureKind::Panic);
    let trace = reports[0].failure().unwrap().trace().to_string();
    assert!(trace.contains("park (woke spuriously)"), "{trace}");
}

#[test]
fn a_park_loop_on_a_flag_passes_every_engine() {
    passes_every_engine(park_in_a_loop);
}

/// A token given before the park makes it return at once, and a thread holds one token only.
fn tokens() {
    thread::current().unpark();
    thread::park();
    thread::current().unpark();
    thread::current().unpark();
    thread::park();
}

fn two_parks_for_two_unparks() {
    tokens();
    thread::park();
}

#[test]
fn a_token_given_early_is_kept_and_there_is_only_one() {
    passes_every_engine(tokens);
    // Alone, a park without a token never wakes spuriously: it is a deadlock.
    let reports = found_by(
        two_parks_for_two_unparks,
        &EngineKind::ALL,
        FailureKind::Deadlock,
    );
    let message = reports[0].failure().unwrap().message().to_owned();
    assert!(message.contains("main is parked"), "{message}");
}

fn park_timeout_alone() {
    let start = thread::current();
    thread::park_timeout(Duration::from_millis(5));
    assert_eq!(start.id(), thread::current().id());
}

#[test]
fn park_timeout_returns_without_a_token() {
    passes_every_engine(park_timeout_alone);
    let report = run(
        || {
            park_timeout_alone();
            panic!("show the trace");
        },
        EngineKind::Random,
    );
    let trace = report.failure().unwrap().trace().to_string();
    assert!(trace.contains("park_timeout (timed out)"), "{trace}");
}

#[test]
fn parking_outside_an_exploration_is_std() {
    // A token given first: the park returns at once.
    thread::current().unpark();
    let start = Instant::now();
    thread::park();
    assert!(start.elapsed() < Duration::from_secs(5));
    // park_timeout returns after its time (or spuriously, which std allows: then sooner).
    thread::park_timeout(Duration::from_millis(20));
    // A real thread parks until it is unparked.
    let ready = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = ready.clone();
    let t = thread::spawn(move || {
        while !r.load(SeqCst) {
            thread::park();
        }
    });
    ready.store(true, SeqCst);
    t.thread().unpark();
    t.join().unwrap();
}

// ---- Handles ----

fn handles() {
    let t = thread::Builder::new()
        .name("worker".to_owned())
        .spawn(|| {
            (
                thread::current().id(),
                thread::current().name().map(str::to_owned),
            )
        })
        .unwrap();
    let thread: &Thread = t.thread();
    let id = thread.id();
    assert_eq!(thread.name(), Some("worker"));
    while !t.is_finished() {
        thread::yield_now();
    }
    let (inner, name) = t.join().unwrap();
    assert_eq!((inner, name.as_deref()), (id, Some("worker")));
    assert_ne!(id, thread::current().id());
}

#[test]
fn handles_are_std_shaped() {
    passes_every_engine(handles);
    handles();
    let report = Explorer::new()
        .engine(quick(EngineKind::Random))
        .run(|| assert_eq!(thread::current().name(), Some("main")));
    assert!(report.is_clean(), "{report}");
}

// ---- Scoped threads ----

/// Two scoped threads add one to a counter on the body's stack, each with a load and a store.
fn scoped_lost_update() {
    let counter = AtomicUsize::named("counter", 0);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| counter.store(counter.load(SeqCst) + 1, SeqCst));
        }
    });
    assert_eq!(counter.load(SeqCst), 2, "an update was lost");
}

/// The same with a read and a write in two sections of a borrowed mutex.
fn scoped_split_section() {
    let total = Mutex::named("total", 0);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let seen = *total.lock().unwrap();
                *total.lock().unwrap() = seen + 1;
            });
        }
    });
    assert_eq!(*total.lock().unwrap(), 2, "an update was lost");
}

/// The fix: one indivisible step each, results returned through the handles.
fn scoped_counted() {
    let counter = AtomicUsize::named("counter", 0);
    let names = Mutex::named("names", Vec::new());
    let olds = thread::scope(|s| {
        let a = s.spawn(|| counter.fetch_add(1, SeqCst));
        let b = thread::Builder::new()
            .name("b".to_owned())
            .spawn_scoped(s, || {
                names
                    .lock()
                    .unwrap()
                    .push(thread::current().name().map(str::to_owned));
                counter.fetch_add(1, SeqCst)
            })
            .unwrap();
        let mut olds = [a.join().unwrap(), b.join().unwrap()];
        olds.sort_unstable();
        olds
    });
    assert_eq!(olds, [0, 1]);
    assert_eq!(counter.load(SeqCst), 2);
    assert_eq!(*names.lock().unwrap(), [Some("b".to_owned())]);
}

#[test]
fn a_scoped_lost_update_is_found_by_every_model_engine() {
    for program in [scoped_lost_update as fn(), scoped_split_section] {
        let reports = found_by(program, &MODEL_ENGINES, FailureKind::Panic);
        let trace = reports[0].failure().unwrap().trace().to_string();
        // The scope's end joins the threads no handle joined, at the `scope` call.
        assert!(trace.contains("join T1"), "{trace}");
    }
}

#[test]
fn a_correct_scoped_program_passes_every_engine() {
    passes_every_engine(scoped_counted);
}

/// A scoped thread that waits for a notification nobody sends: the scope can never end.
fn scope_that_never_ends() {
    let started = Mutex::named("started", false);
    let cv = Condvar::named("cv");
    thread::scope(|s| {
        s.spawn(|| {
            let mut started = started.lock().unwrap();
            while !*started {
                started = cv.wait(started).unwrap();
            }
        });
    });
}

#[test]
fn a_scope_that_cannot_end_is_a_deadlock_naming_the_thread_it_waits_for() {
    let reports = found_by(scope_that_never_ends, &MODEL_ENGINES, FailureKind::Deadlock);
    for report in reports {
        let message = report.failure().unwrap().message().to_owned();
        assert!(
            message.contains("main waits to join T1 (at tests/threads.rs:"),
            "{message}"
        );
    }
}

/// Threads spawned by scoped threads through the scope, and handles joined by another thread:
/// the scope still waits for every one of them.
fn nested_spawns() {
    let counter = AtomicUsize::named("counter", 0);
    thread::scope(|s| {
        let first = s.spawn(|| counter.fetch_add(1, SeqCst));
        s.spawn(|| {
            s.spawn(|| counter.fetch_add(1, SeqCst));
            first.join().unwrap();
        });
    });
    assert_eq!(
        counter.load(SeqCst),
        2,
        "the scope returned before a thread ended"
    );
}

#[test]
fn a_scope_waits_for_threads_its_threads_spawn() {
    passes_every_engine(nested_spawns);
}

/// Executions of `closure_panics` in which `scope` let the panic go on before its thread ended.
static UNENDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets its atomic to a value when dropped, unwinding too.
struct SetOnDrop<'a>(&'a std::sync::atomic::AtomicU8, u8);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(self.1, SeqCst);
    }
}

/// The scope's closure panics while a thread it spawned may still run: the thread must have
/// ended before the panic leaves `scope` and unwinds the stack the thread borrows from. Plain
/// std atomics, which no engine sees, say where the thread got to.
fn closure_panics() {
    let state = std::sync::atomic::AtomicU8::new(0);
    let result = catch_unwind(AssertUnwindSafe(|| {
        thread::scope(|s| {
            s.spawn(|| {
                state.store(1, SeqCst);
                let _ended = SetOnDrop(&state, 2);
                thread::yield_now();
            });
            panic!("the scope's closure panicked");
        })
    }));
    assert!(result.is_err());
    if state.load(SeqCst) != 2 {
        UNENDED.fetch_add(1, SeqCst);
    }
}

#[test]
fn a_scope_whose_closure_panics_ends_its_threads_first() {
    for engine in EngineKind::ALL {
        let report = run(closure_panics, engine);
        // The model engines let the body catch the panic and go on; the stress engine reports
        // a caught panic. Either way no execution saw the scope unwind early.
        if let Some(failure) = report.failure() {
            assert_eq!(engine, EngineKind::Stress, "{failure}");
            assert!(
                failure.message().contains("the scope's closure panicked"),
                "{failure}"
            );
        }
        assert!(report.engines()[0].executions() > 0, "{report}");
        assert_eq!(
            UNENDED.load(SeqCst),
            0,
            "{engine}: scope unwound before its thread ended"
        );
    }
}

/// Five scoped threads and the body: one more thread than the exhaustive engine runs.
fn six_threads() {
    let counter = AtomicUsize::named("counter", 0);
    thread::scope(|s| {
        for _ in 0..5 {
            s.spawn(|| counter.fetch_add(1, SeqCst));
        }
    });
    assert_eq!(counter.load(SeqCst), 5);
}

#[test]
fn scoped_threads_beyond_loom_limit_skip_the_exhaustive_engine_only() {
    // The sixth thread fails to start inside the scope's closure: the scope still ends the
    // five it started before the engine gives up on the execution.
    let report = run(six_threads, EngineKind::Exhaustive);
    let skipped: Vec<EngineKind> = report.skipped().map(|(engine, _)| engine).collect();
    assert_eq!(skipped, [EngineKind::Exhaustive], "{report}");
    for engine in EngineKind::ALL.into_iter().skip(1) {
        let report = run(six_threads, engine);
        assert!(report.is_clean(), "{engine}: {report}");
    }
}

#[test]
fn scope_outside_an_exploration_is_std() {
    let mut numbers = vec![1, 2, 3];
    let sum = thread::scope(|s| {
        let evens = s.spawn(|| numbers.iter().filter(|n| *n % 2 == 0).count());
        let total = s.spawn(|| numbers.iter().sum::<i32>());
        assert!(evens.thread().id() != thread::current().id());
        (evens.join().unwrap(), total.join().unwrap())
    });
    assert_eq!(sum, (1, 6));
    // The borrows ended with the scope.
    numbers.push(4);
    // A thread that panicked and was not joined makes the scope panic, as std's.
    let unjoined = catch_unwind(|| thread::scope(|s| s.spawn(|| panic!("boom")).thread().clone()));
    let message = unjoined.expect_err("scope panics");
    assert_eq!(
        message.downcast_ref::<&str>(),
        Some(&"a scoped thread panicked")
    );
    // A joined one returns its panic.
    let joined = thread::scope(|s| s.spawn(|| panic!("boom")).join());
    assert!(joined.is_err());
}

// ---- Thread-locals ----

tapestry::thread_local! {
    static COUNT: Cell<u32> = const { Cell::new(0) };
    static NAMES: RefCell<Vec<String>> = RefCell::new(Vec::new());
}

/// Each thread counts to three in its own `COUNT`.
fn own_values() {
    let workers: Vec<_> = (0..2)
        .map(|i| {
            thread::spawn(move || {
                for _ in 0..3 {
                    COUNT.set(COUNT.get() + 1);
                    thread::yield_now();
                }
                NAMES.with_borrow_mut(|names| names.push(format!("worker {i}")));
                (COUNT.get(), NAMES.with_borrow(Vec::len))
            })
        })
        .collect();
    for worker in workers {
        assert_eq!(
            worker.join().unwrap(),
            (3, 1),
            "a thread saw another's value"
        );
    }
    assert_eq!(COUNT.get(), 0, "the body saw its threads' values");
}

#[test]
fn each_model_thread_has_its_own_value() {
    passes_every_engine(own_values);
}

/// A value whose destructor counts on a shared counter.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

tapestry::thread_local! {
    static COUNTED: RefCell<Option<Counted>> = const { RefCell::new(None) };
}

fn destructor_at_exit() {
    let dropped = Arc::new(AtomicUsize::named("dropped", 0));
    let d = dropped.clone();
    let t = thread::spawn(move || COUNTED.set(Some(Counted(d))));
    t.join().unwrap();
    assert_eq!(
        dropped.load(SeqCst),
        1,
        "the join returned before the destructor ran"
    );
}

#[test]
fn a_value_is_dropped_when_its_thread_exits_before_the_join_returns() {
    passes_every_engine(destructor_at_exit);
    destructor_at_exit();
}

/// A buffer that logs a last line when its thread exits.
struct Buffer;

impl Drop for Buffer {
    fn drop(&mut self) {
        // The bug: `LOG` may be gone already. A thread's values are dropped last made first, so
        // this works only in threads that used `LOG` before `BUFFER`.
        LOG.with_borrow_mut(|log| log.push("flushed"));
    }
}

/// The fix: a destructor that may outlive the keys it uses says what it does then.
struct CarefulBuffer;

impl Drop for CarefulBuffer {
    fn drop(&mut self) {
        let _gone = LOG.try_with(|log| log.borrow_mut().push("flushed"));
    }
}

tapestry::thread_local! {
    static LOG: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    static BUFFER: Buffer = const { Buffer };
    static CAREFUL_BUFFER: CarefulBuffer = const { CarefulBuffer };
}

/// The worker logs early only if the body has asked for it by then: which key it makes first
/// depends on the interleaving.
fn flush_at_exit(fixed: bool) {
    let verbose = Arc::new(AtomicBool::named("verbose", false));
    let v = verbose.clone();
    let worker = thread::spawn(move || {
        if v.load(SeqCst) {
            LOG.with_borrow_mut(|log| log.push("verbose"));
        }
        if fixed {
            CAREFUL_BUFFER.with(|_| {});
        } else {
            BUFFER.with(|_| {});
        }
        LOG.with_borrow_mut(|log| log.push("done"));
    });
    verbose.store(true, SeqCst);
    worker.join().unwrap();
}

#[test]
fn a_destructor_that_uses_a_dropped_key_is_found() {
    let reports = found_by(
        || flush_at_exit(false),
        &EngineKind::ALL,
        FailureKind::Panic,
    );
    for report in reports {
        let failure = report.failure().unwrap();
        assert!(
            failure
                .message()
                .contains("cannot access a Thread Local Storage value during or after destruction"),
            "{failure}"
        );
        assert_eq!(failure.thread(), "T1", "{failure}");
    }
    passes_every_engine(|| flush_at_exit(true));
    flush_at_exit(true);
}

tapestry::thread_local! {
    /// Never initialised by its initialiser: `set` gives it a value directly.
    static SET_ONLY: Cell<u32> = panic!("`set` ran the initialiser");
    static SET_ONLY_REF: RefCell<String> = panic!("`set` ran the initialiser");
}

fn set_without_initialiser() {
    SET_ONLY.set(5);
    assert_eq!(SET_ONLY.replace(6), 5);
    assert_eq!(SET_ONLY.take(), 6);
    SET_ONLY_REF.set("set".to_owned());
    assert_eq!(SET_ONLY_REF.replace("again".to_owned()), "set");
    assert_eq!(SET_ONLY_REF.take(), "again");
    assert_eq!(COUNT.try_with(Cell::get), Ok(0));
}

#[test]
fn set_gives_a_value_without_the_initialiser_as_in_std() {
    passes_every_engine(set_without_initialiser);
    // Outside: std's thread-locals, on fresh std threads.
    std::thread::spawn(set_without_initialiser).join().unwrap();
    std::thread::spawn(own_values).join().unwrap();
}

// ---- available_parallelism ----

/// One worker per core, each adding one to a counter with a load and a store.
fn pool_sized_by_parallelism() {
    let n = thread::available_parallelism().unwrap().get();
    let counter = Arc::new(AtomicUsize::named("counter", 0));
    let workers: Vec<_> = (0..n)
        .map(|_| {
            let c = counter.clone();
            thread::spawn(move || c.store(c.load(SeqCst) + 1, SeqCst))
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(counter.load(SeqCst), n, "an update was lost");
}

#[test]
fn available_parallelism_is_a_setting_of_the_exploration() {
    assert_eq!(
        thread::available_parallelism().ok(),
        std::thread::available_parallelism().ok()
    );
    for engine in EngineKind::ALL {
        let expected = match engine {
            EngineKind::Stress => std::thread::available_parallelism().unwrap().get(),
            _ => 4,
        };
        let report = Explorer::new().engine(quick(engine)).run(move || {
            let there = thread::spawn(|| thread::available_parallelism().unwrap().get());
            assert_eq!(thread::available_parallelism().unwrap().get(), expected);
            assert_eq!(there.join().unwrap(), expected);
        });
        assert!(report.is_clean(), "{engine}: {report}");
        let report = Explorer::new()
            .engine(quick(engine))
            .available_parallelism(3)
            .run(|| assert_eq!(thread::available_parallelism().unwrap().get(), 3));
        assert!(report.is_clean(), "{engine}: {report}");
    }
    // A pool of one thread per core fits the exhaustive engine's five threads by default, so
    // every model engine explores it (and finds its lost update).
    found_by(
        pool_sized_by_parallelism,
        &MODEL_ENGINES,
        FailureKind::Panic,
    );
}

// ---- As a user writes it ----

/// The attribute's way: every engine, in a child process, with the knobs read at run time.
#[tapestry::test]
fn scoped_threads_and_parking_as_a_user_writes_them() {
    scoped_counted();
    park_in_a_loop();
    COUNT.set(COUNT.get() + 1);
    assert_eq!(COUNT.get(), 1, "an execution saw an earlier one's value");
}
