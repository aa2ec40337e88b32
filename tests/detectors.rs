//! The detectors loom and shuttle lack: happens-before race detection under random, PCT and
//! stress, and lock-order deadlock prediction under every engine.
//!
//! The race table pairs each synchronisation edge the detector models with a program that
//! relies on it (and must come out clean) and, where there is one, a near miss that does not
//! (and must be reported).

use std::time::Duration;

use tapestry::cell::UnsafeCell;
use tapestry::sync::atomic::{AtomicUsize, Ordering, fence};
use tapestry::sync::{Arc, Barrier, Condvar, Mutex, Once, RwLock, mpsc};
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Report, thread};
use tapestry_catalogue::ENTRIES;
use tapestry_tests::quick;

/// A cell shared between threads, synchronised (or not) by what the program around it does.
#[derive(Default)]
struct Shared(UnsafeCell<u32>);

// SAFETY: some programs below race on purpose; the detector is what must notice.
unsafe impl Sync for Shared {}

impl Shared {
    fn write(&self) {
        self.0.with_mut(|v| unsafe { *v += 1 });
    }

    fn read(&self) -> u32 {
        self.0.with(|v| unsafe { *v })
    }
}

fn unordered_writes() {
    let shared = Arc::new(Shared::default());
    let s = shared.clone();
    let t = thread::spawn(move || s.write());
    shared.write();
    t.join().unwrap();
}

fn spawn_orders() {
    let shared = Arc::new(Shared::default());
    shared.write();
    let s = shared.clone();
    thread::spawn(move || s.read()).join().unwrap();
}

fn join_orders() {
    let shared = Arc::new(Shared::default());
    let s = shared.clone();
    thread::spawn(move || s.write()).join().unwrap();
    shared.read();
}

fn mutex_orders() {
    let shared = Arc::new((Mutex::new(()), Shared::default()));
    let s = shared.clone();
    let t = thread::spawn(move || {
        let _guard = s.0.lock().unwrap();
        s.1.write();
    });
    {
        let _guard = shared.0.lock().unwrap();
        shared.1.write();
    }
    t.join().unwrap();
}

/// One side takes the lock, the other does not.
fn mutex_on_one_side() {
    let shared = Arc::new((Mutex::new(()), Shared::default()));
    let s = shared.clone();
    let t = thread::spawn(move || {
        let _guard = s.0.lock().unwrap();
        s.1.write();
    });
    shared.1.write();
    t.join().unwrap();
}

fn rwlock_orders() {
    let shared = Arc::new((RwLock::new(()), Shared::default()));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let s = shared.clone();
            thread::spawn(move || {
                let _guard = s.0.read().unwrap();
                s.1.read();
            })
        })
        .collect();
    {
        let _guard = shared.0.write().unwrap();
        shared.1.write();
    }
    for r in readers {
        r.join().unwrap();
    }
}

/// Publishes the cell through a flag stored with `store` and loaded with `load`.
fn flag(store: Ordering, load: Ordering) {
    let shared = Arc::new((AtomicUsize::new(0), Shared::default()));
    let s = shared.clone();
    let t = thread::spawn(move || {
        s.1.write();
        s.0.store(1, store);
    });
    if shared.0.load(load) == 1 {
        shared.1.read();
    }
    t.join().unwrap();
}

fn relaxed_flag() {
    flag(Ordering::Relaxed, Ordering::Relaxed);
}

fn release_acquire_flag() {
    flag(Ordering::Release, Ordering::Acquire);
}

fn release_store_relaxed_load() {
    flag(Ordering::Release, Ordering::Relaxed);
}

/// Like [`flag`], but the cell is created only after the reader has started and the two
/// threads have synchronised: a detector that keeps no clocks before an execution's first
/// cell must start them so that they still order (or fail to order) what follows.
fn late_cell_flag(store: Ordering, load: Ordering) {
    // std's `OnceLock` is invisible to the detector: it hands the cell over, orders nothing.
    let shared = Arc::new((
        AtomicUsize::new(0),
        Mutex::new(()),
        std::sync::OnceLock::<Shared>::new(),
    ));
    let s = shared.clone();
    let t = thread::spawn(move || {
        drop(s.1.lock().unwrap());
        if s.0.load(load) == 1 {
            s.2.get().expect("set before the flag").read();
        }
    });
    drop(shared.1.lock().unwrap());
    let cell = shared.2.get_or_init(Shared::default);
    cell.write();
    shared.0.store(1, store);
    t.join().unwrap();
}

fn late_cell_release_acquire_flag() {
    late_cell_flag(Ordering::Release, Ordering::Acquire);
}

fn late_cell_relaxed_flag() {
    late_cell_flag(Ordering::Relaxed, Ordering::Relaxed);
}

/// Publishes through a relaxed flag between a release fence and an acquire fence.
fn fenced_flag(acquire_fence: bool) {
    let shared = Arc::new((AtomicUsize::new(0), Shared::default()));
    let s = shared.clone();
    let t = thread::spawn(move || {
        s.1.write();
        fence(Ordering::Release);
        s.0.store(1, Ordering::Relaxed);
    });
    if shared.0.load(Ordering::Relaxed) == 1 {
        if acquire_fence {
            fence(Ordering::Acquire);
        }
        shared.1.read();
    }
    t.join().unwrap();
}

fn fences_order() {
    fenced_flag(true);
}

fn release_fence_alone() {
    fenced_flag(false);
}

/// A third thread moves the flag on from 1 to 2 before the reader acquires it: a relaxed
/// read-modify-write continues the writer's release sequence, a relaxed store ends it.
fn flag_moved_on(by_rmw: bool) {
    let shared = Arc::new((AtomicUsize::new(0), Shared::default()));
    let s = shared.clone();
    let writer = thread::spawn(move || {
        s.1.write();
        s.0.store(1, Ordering::Release);
    });
    let s = shared.clone();
    let mover = thread::spawn(move || {
        if by_rmw {
            let _ =
                s.0.compare_exchange(1, 2, Ordering::Relaxed, Ordering::Relaxed);
        } else if s.0.load(Ordering::Relaxed) == 1 {
            s.0.store(2, Ordering::Relaxed);
        }
    });
    if shared.0.load(Ordering::Acquire) == 2 {
        shared.1.read();
    }
    writer.join().unwrap();
    mover.join().unwrap();
}

fn release_sequence_through_rmw() {
    flag_moved_on(true);
}

fn release_sequence_broken_by_store() {
    flag_moved_on(false);
}

fn channel_orders() {
    let shared = Arc::new(Shared::default());
    let (tx, rx) = mpsc::channel();
    let s = shared.clone();
    let t = thread::spawn(move || {
        s.write();
        tx.send(()).unwrap();
    });
    rx.recv().unwrap();
    shared.read();
    t.join().unwrap();
}

fn condvar_orders() {
    let shared = Arc::new((Mutex::new(false), Condvar::new(), Shared::default()));
    let s = shared.clone();
    let t = thread::spawn(move || {
        s.2.write();
        *s.0.lock().unwrap() = true;
        s.1.notify_one();
    });
    let mut ready = shared.0.lock().unwrap();
    while !*ready {
        ready = shared.1.wait(ready).unwrap();
    }
    drop(ready);
    shared.2.read();
    t.join().unwrap();
}

fn barrier_orders() {
    let shared = Arc::new((Barrier::new(2), Shared::default()));
    let s = shared.clone();
    let t = thread::spawn(move || {
        s.1.write();
        s.0.wait();
    });
    shared.0.wait();
    shared.1.read();
    t.join().unwrap();
}

fn once_orders() {
    let shared = Arc::new((Once::new(), Shared::default()));
    let s = shared.clone();
    let t = thread::spawn(move || {
        s.0.call_once(|| s.1.write());
        s.1.read();
    });
    shared.0.call_once(|| shared.1.write());
    shared.1.read();
    t.join().unwrap();
}

/// Whichever thread drops the last `Arc` reads the cell the other wrote.
fn last_arc_drop_orders() {
    struct ReadOnDrop(Shared);
    impl Drop for ReadOnDrop {
        fn drop(&mut self) {
            self.0.read();
        }
    }
    let shared = Arc::new(ReadOnDrop(Shared::default()));
    let s = shared.clone();
    let t = thread::spawn(move || {
        s.0.write();
        drop(s);
    });
    drop(shared);
    t.join().unwrap();
}

/// A program and whether it races.
type RaceCase = (&'static str, fn(), bool);

const RACE_CASES: &[RaceCase] = &[
    ("unordered_writes", unordered_writes, true),
    ("spawn_orders", spawn_orders, false),
    ("join_orders", join_orders, false),
    ("mutex_orders", mutex_orders, false),
    ("mutex_on_one_side", mutex_on_one_side, true),
    ("rwlock_orders", rwlock_orders, false),
    ("relaxed_flag", relaxed_flag, true),
    ("release_acquire_flag", release_acquire_flag, false),
    (
        "late_cell_release_acquire_flag",
        late_cell_release_acquire_flag,
        false,
    ),
    ("late_cell_relaxed_flag", late_cell_relaxed_flag, true),
    (
        "release_store_relaxed_load",
        release_store_relaxed_load,
        true,
    ),
    ("fences_order", fences_order, false),
    ("release_fence_alone", release_fence_alone, true),
    (
        "release_sequence_through_rmw",
        release_sequence_through_rmw,
        false,
    ),
    (
        "release_sequence_broken_by_store",
        release_sequence_broken_by_store,
        true,
    ),
    ("channel_orders", channel_orders, false),
    ("condvar_orders", condvar_orders, false),
    ("barrier_orders", barrier_orders, false),
    ("once_orders", once_orders, false),
    ("last_arc_drop_orders", last_arc_drop_orders, false),
];

/// The engines whose race detection is tapestry's own.
const DETECTING: [EngineKind; 3] = [EngineKind::Random, EngineKind::Pct, EngineKind::Stress];

fn explore(engine: impl Into<Engine>, program: fn()) -> Report {
    Explorer::new().engine(engine).run(program)
}

#[test]
fn each_synchronisation_edge_orders_cell_accesses_and_each_near_miss_races() {
    let mut wrong = Vec::new();
    for &(name, program, races) in RACE_CASES {
        for engine in DETECTING {
            // A race that needs three threads in one order can take the stress engine more
            // than its default budget (100,000 iterations or 1 s): give it its time.
            let report = match engine {
                EngineKind::Stress if races => explore(
                    Engine::stress()
                        .iterations(u64::MAX)
                        .time(Duration::from_secs(5))
                        .watchdog(Duration::from_millis(300)),
                    program,
                ),
                _ => explore(quick(engine), program),
            };
            let verdict = match (races, report.failure()) {
                (true, Some(f)) if f.kind() == FailureKind::DataRace => continue,
                (false, None) => continue,
                (true, Some(f)) => format!("expected a data race, got {}", f.kind()),
                (true, None) => "missed the race".to_owned(),
                (false, Some(f)) => format!("false alarm: {f}"),
            };
            wrong.push(format!("{name} under {engine}: {verdict}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The line of this file that contains `marker`.
fn line_of(marker: &str) -> usize {
    let source = include_str!("detectors.rs");
    1 + source
        .lines()
        .position(|l| l.contains(marker) && !l.contains("line_of"))
        .unwrap_or_else(|| panic!("no line holds {marker}"))
}

fn read_races_with_write() {
    let shared = Arc::new(Shared::default());
    let s = shared.clone();
    let t = thread::spawn(move || s.0.with_mut(|v| unsafe { *v = 7 })); // RACING WRITE
    let seen = shared.0.with(|v| unsafe { *v }); // RACING READ
    t.join().unwrap();
    assert!(seen <= 7);
}

#[test]
fn a_race_names_both_accesses_with_their_threads_kinds_and_lines() {
    let write = format!("tests/detectors.rs:{}", line_of("// RACING WRITE"));
    let read = format!("tests/detectors.rs:{}", line_of("// RACING READ"));
    for engine in DETECTING {
        let report = explore(quick(engine), read_races_with_write);
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine} missed the race:\n{report}"));
        assert_eq!(failure.kind(), FailureKind::DataRace, "{engine}: {failure}");
        let message = failure.message();
        let names_both = [
            (
                format!("T1 writes it (at {write})"),
                format!("main reads it (at {read})"),
            ),
            (
                format!("main reads it (at {read})"),
                format!("T1 writes it (at {write})"),
            ),
        ]
        .iter()
        .any(|(first, second)| {
            message
                .find(first.as_str())
                .zip(message.find(second.as_str()))
                .is_some_and(|(a, b)| a < b)
        });
        assert!(names_both, "{engine}: {message}");
        let trace = failure.trace().to_string();
        assert!(
            trace.contains(message),
            "{engine}: the trace ends elsewhere:\n{trace}"
        );
    }
}

#[test]
fn stress_without_race_detection_reports_no_race() {
    let report = explore(
        Engine::stress()
            .race_detection(false)
            .iterations(200)
            .watchdog(std::time::Duration::from_millis(300)),
        unordered_writes,
    );
    assert!(report.is_clean(), "{report}");
}

fn entry(name: &str) -> &'static tapestry_catalogue::Entry {
    ENTRIES
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry `{name}`"))
}

/// One stress iteration usually finishes without deadlocking; the lock graph still holds the
/// cycle. Runs it several times so that one unlucky deadlock cannot decide the test.
#[test]
fn one_stress_iteration_predicts_the_catalogue_deadlocks() {
    for name in ["lock_order_inversion", "dining_philosophers"] {
        let mut predicted = 0;
        for _ in 0..5 {
            let report = explore(
                Engine::stress()
                    .iterations(1)
                    .watchdog(std::time::Duration::from_millis(300)),
                entry(name).buggy,
            );
            let failure = report
                .failure()
                .unwrap_or_else(|| panic!("{name}: no report from one iteration"));
            match failure.kind() {
                FailureKind::Deadlock => {}
                FailureKind::PotentialDeadlock => {
                    predicted += 1;
                    let message = failure.message();
                    assert!(
                        message.contains("cycle") && message.matches(".rs:").count() >= 4,
                        "{name}: the cycle and the sites of both ends of each edge: {message}"
                    );
                }
                kind => panic!("{name}: {kind}: {failure}"),
            }
        }
        assert!(predicted > 0, "{name}: every run deadlocked");
    }
}

#[test]
fn one_stress_iteration_of_the_ordered_fixes_is_clean() {
    for name in ["lock_order_inversion", "dining_philosophers"] {
        for _ in 0..5 {
            let report = explore(
                Engine::stress()
                    .iterations(1)
                    .watchdog(std::time::Duration::from_millis(300)),
                entry(name).fixed,
            );
            assert!(report.is_clean(), "{name}: {report}");
        }
    }
}

/// Three threads take `a` then `b`, twice each: one order, no cycle.
fn same_order_many_threads() {
    let locks = Arc::new((Mutex::new(0), Mutex::new(0)));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let l = locks.clone();
            thread::spawn(move || {
                for _ in 0..2 {
                    let mut a = l.0.lock().unwrap();
                    let mut b = l.1.lock().unwrap();
                    *a += 1;
                    *b += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Opposite orders, but always under a common gate lock: they can never deadlock.
fn opposite_orders_under_a_gate() {
    let locks = Arc::new((Mutex::new(()), Mutex::new(()), Mutex::new(())));
    let l = locks.clone();
    let t = thread::spawn(move || {
        let _gate = l.0.lock().unwrap();
        let _a = l.1.lock().unwrap();
        let _b = l.2.lock().unwrap();
    });
    {
        let _gate = locks.0.lock().unwrap();
        let _b = locks.2.lock().unwrap();
        let _a = locks.1.lock().unwrap();
    }
    t.join().unwrap();
}

#[test]
fn consistent_orders_and_gated_orders_make_no_report_under_any_engine() {
    for (name, program) in [
        ("same_order_many_threads", same_order_many_threads as fn()),
        ("opposite_orders_under_a_gate", opposite_orders_under_a_gate),
    ] {
        for engine in EngineKind::ALL {
            let report = explore(quick(engine), program);
            assert!(report.is_clean(), "{name} under {engine}: {report}");
        }
    }
}
