//! Facade `static`s, `OnceLock` and `LazyLock`: `const` constructors; a static starts every
//! execution with its initial value, under every engine; outside explorations they are std's.

use tapestry::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tapestry::sync::{Condvar, LazyLock, Mutex, Once, OnceLock, RwLock};
use tapestry::{EngineKind, Explorer, FailureKind, thread};
use tapestry_tests::{failure, quick};

/// Runs `body` under `engine` alone.
fn run(engine: EngineKind, body: fn()) -> tapestry::Report {
    Explorer::new().engine(quick(engine)).run(body)
}

/// The engines that control the schedule (stress runs real threads, and finds what it finds).
fn model_engines() -> impl Iterator<Item = EngineKind> {
    EngineKind::ALL
        .into_iter()
        .filter(|&kind| kind != EngineKind::Stress)
}

static HITS: AtomicUsize = AtomicUsize::new(0);

/// Two threads count into a static with a load and a store: one update can be lost.
fn static_lost_update() {
    let t = thread::spawn(|| HITS.store(HITS.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
    HITS.store(HITS.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
    t.join().unwrap();
    assert_eq!(HITS.load(Ordering::SeqCst), 2, "a hit was lost");
}

static COUNT: AtomicUsize = AtomicUsize::new(0);

/// The same with `fetch_add`: right in every execution, if every execution starts from 0.
fn static_counter() {
    let t = thread::spawn(|| COUNT.fetch_add(1, Ordering::SeqCst));
    COUNT.fetch_add(1, Ordering::SeqCst);
    t.join().unwrap();
    assert_eq!(COUNT.load(Ordering::SeqCst), 2);
}

#[test]
fn a_static_counters_lost_update_is_found_by_every_model_engine_and_not_as_misuse() {
    for engine in model_engines() {
        let report = run(engine, static_lost_update);
        let failure = failure(&report);
        assert_eq!(failure.kind(), FailureKind::Panic, "{engine}:\n{report}");
        assert!(failure.message().contains("a hit was lost"), "{engine}");
        // The trace names the static by the line of its initialiser.
        let trace = failure.trace().to_string();
        assert!(trace.contains("tests/statics.rs:21"), "{engine}:\n{trace}");
    }
}

#[test]
fn a_static_starts_every_execution_afresh_under_every_engine() {
    for engine in EngineKind::ALL {
        let report = run(engine, static_counter);
        assert!(report.is_clean(), "{engine}:\n{report}");
        assert!(report.executions() > 1, "{engine}:\n{report}");
    }
}

static LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
static TABLE: RwLock<Option<u32>> = RwLock::new(None);
static READY: AtomicBool = AtomicBool::new(false);
static WAKE: Condvar = Condvar::new();
static SETUP: Once = Once::new();

/// Uses a static of each kind; asserts what a fresh start gives.
fn statics_of_every_kind() {
    SETUP.call_once(|| LOG.lock().unwrap().push("setup"));
    let t = thread::spawn(|| {
        SETUP.call_once(|| LOG.lock().unwrap().push("setup"));
        *TABLE.write().unwrap() = Some(7);
        let mut log = LOG.lock().unwrap();
        log.push("worker");
        READY.store(true, Ordering::SeqCst);
        WAKE.notify_all();
    });
    let mut log = LOG.lock().unwrap();
    while !READY.load(Ordering::SeqCst) {
        log = WAKE.wait(log).unwrap();
    }
    assert_eq!(*log, ["setup", "worker"]);
    drop(log);
    assert_eq!(*TABLE.read().unwrap(), Some(7));
    t.join().unwrap();
}

#[test]
fn statics_of_every_kind_start_afresh_under_every_engine() {
    for engine in EngineKind::ALL {
        let report = run(engine, statics_of_every_kind);
        assert!(report.is_clean(), "{engine}:\n{report}");
    }
}

static ASYNC_LOG: tapestry::tokio::sync::Mutex<Vec<u32>> =
    tapestry::tokio::sync::Mutex::const_new(Vec::new());
static ASYNC_TABLE: tapestry::tokio::sync::RwLock<Vec<u32>> =
    tapestry::tokio::sync::RwLock::const_new(Vec::new());
static ONE_PERMIT: tapestry::tokio::sync::Semaphore =
    tapestry::tokio::sync::Semaphore::const_new(1);

/// Static tokio-shaped locks and a semaphore, as a tokio test uses them: each starts empty
/// (or with its permit), as it does in the one run a tokio test gets.
fn tokio_statics() {
    tapestry::future::block_on(async {
        let t = tapestry::tokio::spawn(async {
            ASYNC_LOG.lock().await.push(1);
            ASYNC_TABLE.write().await.push(1);
        });
        ASYNC_LOG.lock().await.push(2);
        ASYNC_TABLE.try_write().map(|mut table| table.push(2)).ok();
        ONE_PERMIT.acquire().await.unwrap().forget();
        t.await.unwrap();
        let log = ASYNC_LOG.lock().await;
        assert_eq!(log.len(), 2, "log: {:?}", *log);
        let table = ASYNC_TABLE.read().await;
        assert!(matches!(table.len(), 1 | 2), "table: {:?}", *table);
        assert_eq!(ONE_PERMIT.available_permits(), 0);
    });
}

/// Before, the locks' values (behind their semaphores, which did start afresh) kept what the
/// last execution left: the second execution saw a log of 4.
#[test]
fn static_tokio_locks_start_every_execution_afresh_under_every_engine() {
    for engine in EngineKind::ALL {
        let report = run(engine, tokio_statics);
        assert!(report.is_clean(), "{engine}:\n{report}");
        assert!(report.executions() > 1, "{engine}:\n{report}");
    }
}

static INITS: AtomicUsize = AtomicUsize::new(0);
static CONFIG: OnceLock<usize> = OnceLock::new();

/// Check-then-set: both threads may find the cell empty and both initialise.
fn once_lock_checked_then_set() {
    let init = || {
        if CONFIG.get().is_none() {
            INITS.fetch_add(1, Ordering::SeqCst);
            let _ = CONFIG.set(42);
        }
    };
    let t = thread::spawn(init);
    init();
    t.join().unwrap();
    assert_eq!(INITS.load(Ordering::SeqCst), 1, "initialised twice");
    assert_eq!(CONFIG.get(), Some(&42));
}

static INITS_FIXED: AtomicUsize = AtomicUsize::new(0);
static CONFIG_FIXED: OnceLock<usize> = OnceLock::new();

/// `get_or_init`: one initialiser runs, the other thread waits for it.
fn once_lock_get_or_init() {
    let init = || {
        *CONFIG_FIXED.get_or_init(|| {
            INITS_FIXED.fetch_add(1, Ordering::SeqCst);
            42
        })
    };
    let t = thread::spawn(init);
    assert_eq!(init(), 42);
    assert_eq!(t.join().unwrap(), 42);
    assert_eq!(INITS_FIXED.load(Ordering::SeqCst), 1, "initialised twice");
}

#[test]
fn a_once_lock_double_initialisation_is_found_and_get_or_init_is_right() {
    for engine in model_engines() {
        let report = run(engine, once_lock_checked_then_set);
        let failure = failure(&report);
        assert!(
            failure.message().contains("initialised twice"),
            "{engine}:\n{report}"
        );
    }
    for engine in EngineKind::ALL {
        let report = run(engine, once_lock_get_or_init);
        assert!(report.is_clean(), "{engine}:\n{report}");
    }
}

static MADE: AtomicUsize = AtomicUsize::new(0);
static NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    MADE.fetch_add(1, Ordering::SeqCst);
    vec!["a".to_owned(), "b".to_owned()]
});

/// Two threads race to the first access: one runs the initialiser, once per execution.
fn lazy_lock_first_access() {
    let t = thread::spawn(|| NAMES.len());
    assert_eq!(NAMES[1], "b");
    assert_eq!(t.join().unwrap(), 2);
    assert_eq!(MADE.load(Ordering::SeqCst), 1);
}

#[test]
fn a_static_lazy_lock_initialises_once_per_execution_under_every_engine() {
    for engine in EngineKind::ALL {
        let report = run(engine, lazy_lock_first_access);
        assert!(report.is_clean(), "{engine}:\n{report}");
    }
}

static OUTSIDE: Mutex<u32> = Mutex::new(1);
static OUTSIDE_CELL: OnceLock<String> = OnceLock::new();
static OUTSIDE_LAZY: LazyLock<u32> = LazyLock::new(|| 40 + 2);

#[test]
fn outside_explorations_statics_behave_as_std() {
    *OUTSIDE.lock().unwrap() += 1;
    assert_eq!(*OUTSIDE.lock().unwrap(), 2);
    assert_eq!(OUTSIDE_CELL.get(), None);
    assert_eq!(OUTSIDE_CELL.set("x".to_owned()), Ok(()));
    assert_eq!(OUTSIDE_CELL.set("y".to_owned()), Err("y".to_owned()));
    assert_eq!(OUTSIDE_CELL.get_or_init(|| "z".to_owned()), "x");
    assert_eq!(*OUTSIDE_LAZY, 42);
    let std_threads: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| *OUTSIDE.lock().unwrap() += 1))
        .collect();
    for t in std_threads {
        t.join().unwrap();
    }
    assert_eq!(*OUTSIDE.lock().unwrap(), 6);
}

#[test]
fn an_object_outside_statics_that_strays_between_executions_is_still_misuse() {
    let stray = std::sync::Arc::new(Mutex::new(0));
    let report = Explorer::new()
        .engine(quick(EngineKind::Random))
        .run(move || *stray.lock().unwrap() += 1);
    let failure = failure(&report);
    assert_eq!(failure.kind(), FailureKind::Misuse, "{report}");
    assert!(failure.message().contains("earlier execution"), "{report}");
}

static SHARED: LazyLock<tapestry::sync::Arc<Vec<u32>>> =
    LazyLock::new(|| tapestry::sync::Arc::new(vec![1, 2]));
static ARC_CONFIG: OnceLock<tapestry::sync::Arc<u32>> = OnceLock::new();

fn use_static_arcs() {
    let reader = thread::spawn(|| SHARED.len());
    assert_eq!(SHARED.len(), 2);
    assert_eq!(**ARC_CONFIG.get_or_init(|| tapestry::sync::Arc::new(7)), 7);
    assert_eq!(reader.join().unwrap(), 2);
}

fn leak_an_arc() {
    std::mem::forget(tapestry::sync::Arc::new(1));
}

/// An `Arc` a static's initialiser made belongs to the static, which outlives every execution
/// as it outlives `main` under std: no leak. One the body forgets is still one.
#[test]
fn an_arc_owned_by_a_static_is_no_leak() {
    for engine in model_engines() {
        let report = run(engine, use_static_arcs);
        assert!(report.failure().is_none(), "{engine}\n{report}");
        let report = run(engine, leak_an_arc);
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Leak, "{engine}\n{failure}");
    }
}
