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

/// `Arc::make_mut` finds the value no longer shared once the other thread dropped its clone,
/// and writes it in place: as in std, the dropping thread's writes happen before.
fn make_mut_orders() {
    #[derive(Default)]
    struct Copied(Shared);
    impl Clone for Copied {
        fn clone(&self) -> Copied {
            Copied(Shared(UnsafeCell::new(self.0.read())))
        }
    }
    let mut shared = Arc::new(Copied::default());
    let s = shared.clone();
    let t = thread::spawn(move || {
        s.0.write();
        drop(s);
    });
    while Arc::strong_count(&shared) > 1 {
        thread::yield_now();
    }
    Arc::make_mut(&mut shared).0.write();
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
    ("make_mut_orders", make_mut_orders, false),
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

/// The two locks of an opposite-orders program, `a` and `b`.
type Pair = Arc<(Mutex<()>, Mutex<()>)>;

fn pair() -> Pair {
    Arc::new((Mutex::named("a", ()), Mutex::named("b", ())))
}

/// Takes `a` then `b` (`forward`) or `b` then `a`, then lets both go: one lock-order edge.
fn nested(locks: &Pair, forward: bool) {
    let (first, second) = match forward {
        true => (&locks.0, &locks.1),
        false => (&locks.1, &locks.0),
    };
    let _first = first.lock().unwrap();
    let _second = second.lock().unwrap();
}

/// T1 takes `a` then `b` while main takes `b` then `a`: nothing orders them.
fn unordered_opposite_orders() {
    let locks = pair();
    let l = locks.clone();
    let t = thread::spawn(move || nested(&l, true));
    nested(&locks, false);
    t.join().unwrap();
}

fn join_separates_opposite_orders() {
    let locks = pair();
    let l = locks.clone();
    thread::spawn(move || nested(&l, true)).join().unwrap();
    nested(&locks, false);
}

fn spawn_separates_opposite_orders() {
    let locks = pair();
    nested(&locks, false);
    let l = locks.clone();
    thread::spawn(move || nested(&l, true)).join().unwrap();
}

fn channel_separates_opposite_orders() {
    let locks = pair();
    let (tx, rx) = mpsc::channel();
    let l = locks.clone();
    let t = thread::spawn(move || {
        nested(&l, true);
        tx.send(()).unwrap();
    });
    rx.recv().unwrap();
    nested(&locks, false);
    t.join().unwrap();
}

/// A condition-variable handoff: main waits for a flag T1 sets after its section, or finds it
/// set already (then only the mutex orders them, which is enough: it never nests).
fn condvar_separates_opposite_orders() {
    let locks = pair();
    let done = Arc::new((Mutex::named("done", false), Condvar::new()));
    let (l, d) = (locks.clone(), done.clone());
    let t = thread::spawn(move || {
        nested(&l, true);
        *d.0.lock().unwrap() = true;
        d.1.notify_one();
    });
    let mut finished = done.0.lock().unwrap();
    while !*finished {
        finished = done.1.wait(finished).unwrap();
    }
    drop(finished);
    nested(&locks, false);
    t.join().unwrap();
}

fn barrier_separates_opposite_orders() {
    let locks = pair();
    let barrier = Arc::new(Barrier::new(2));
    let (l, b) = (locks.clone(), barrier.clone());
    let t = thread::spawn(move || {
        nested(&l, true);
        b.wait();
    });
    barrier.wait();
    nested(&locks, false);
    t.join().unwrap();
}

/// Main takes the locks only if it sees T1's flag, stored after T1's section with `store`
/// and loaded with `load`.
fn flag_separates_opposite_orders(store: Ordering, load: Ordering) {
    let locks = pair();
    let flag = Arc::new(AtomicUsize::named("flag", 0));
    let (l, f) = (locks.clone(), flag.clone());
    let t = thread::spawn(move || {
        nested(&l, true);
        f.store(1, store);
    });
    if flag.load(load) == 1 {
        nested(&locks, false);
    }
    t.join().unwrap();
}

fn release_acquire_flag_separates_opposite_orders() {
    flag_separates_opposite_orders(Ordering::Release, Ordering::Acquire);
}

/// Under the C++ model a relaxed flag orders nothing, for the lock-order predictor as for the
/// race detector (no engine here runs the sections at once, but nothing forbids it).
fn relaxed_flag_does_not_separate_opposite_orders() {
    flag_separates_opposite_orders(Ordering::Relaxed, Ordering::Relaxed);
}

/// Main holds the mutex of T1's flag around its section, taken only once the flag is set: the
/// flag's handoff orders the sections, since the mutex did not nest yet when it was handed
/// over (it nests from main's section on).
fn flag_under_a_mutex_held_around_the_section() {
    let locks = pair();
    let done = Arc::new(Mutex::named("done", false));
    let (l, d) = (locks.clone(), done.clone());
    let t = thread::spawn(move || {
        nested(&l, true);
        *d.lock().unwrap() = true;
    });
    let finished = done.lock().unwrap();
    if *finished {
        nested(&locks, false);
    }
    drop(finished);
    t.join().unwrap();
}

/// Main takes the locks only once T1's flag, under the mutex `done`, is set; but `done` nests
/// (main took it holding another lock first), so the predictor ignores its handoffs, and the
/// flag's ordering with them. It cannot deadlock, yet it is predicted: the false alarm the
/// predictor's docs admit, which `lock_order = false` silences.
fn flag_under_a_mutex_that_nests() {
    let locks = pair();
    let done = Arc::new(Mutex::named("done", false));
    let other = Mutex::named("other", ());
    {
        let _other = other.lock().unwrap();
        *done.lock().unwrap() = false;
    }
    let (l, d) = (locks.clone(), done.clone());
    let t = thread::spawn(move || {
        nested(&l, true);
        *d.lock().unwrap() = true;
    });
    let finished = *done.lock().unwrap();
    if finished {
        nested(&locks, false);
    }
    t.join().unwrap();
}

/// What every engine must report for a lock-order program.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    Clean,
    /// `PotentialDeadlock`, or a `Deadlock` where the engine runs into it.
    Predicted,
}

const LOCK_ORDER_CASES: &[(&str, fn(), Verdict)] = &[
    (
        "same_order_many_threads",
        same_order_many_threads,
        Verdict::Clean,
    ),
    (
        "opposite_orders_under_a_gate",
        opposite_orders_under_a_gate,
        Verdict::Clean,
    ),
    (
        "unordered_opposite_orders",
        unordered_opposite_orders,
        Verdict::Predicted,
    ),
    (
        "join_separates_opposite_orders",
        join_separates_opposite_orders,
        Verdict::Clean,
    ),
    (
        "spawn_separates_opposite_orders",
        spawn_separates_opposite_orders,
        Verdict::Clean,
    ),
    (
        "channel_separates_opposite_orders",
        channel_separates_opposite_orders,
        Verdict::Clean,
    ),
    (
        "condvar_separates_opposite_orders",
        condvar_separates_opposite_orders,
        Verdict::Clean,
    ),
    (
        "barrier_separates_opposite_orders",
        barrier_separates_opposite_orders,
        Verdict::Clean,
    ),
    (
        "release_acquire_flag_separates_opposite_orders",
        release_acquire_flag_separates_opposite_orders,
        Verdict::Clean,
    ),
    (
        "relaxed_flag_does_not_separate_opposite_orders",
        relaxed_flag_does_not_separate_opposite_orders,
        Verdict::Predicted,
    ),
    (
        "flag_under_a_mutex_held_around_the_section",
        flag_under_a_mutex_held_around_the_section,
        Verdict::Clean,
    ),
    (
        "flag_under_a_mutex_that_nests",
        flag_under_a_mutex_that_nests,
        Verdict::Predicted,
    ),
];

/// What `report` says against `verdict`, if it is wrong.
fn lock_order_mistake(report: &Report, verdict: Verdict) -> Option<String> {
    let kind = report.failure().map(|f| f.kind());
    match (verdict, kind) {
        (Verdict::Clean, None) => None,
        (Verdict::Predicted, Some(FailureKind::PotentialDeadlock | FailureKind::Deadlock)) => None,
        (Verdict::Clean, Some(_)) => Some(format!("false alarm:\n{report}")),
        (Verdict::Predicted, _) => Some(format!("expected a prediction:\n{report}")),
    }
}

#[test]
fn opposite_orders_are_predicted_unless_synchronisation_separates_them_under_every_engine() {
    let mut wrong = Vec::new();
    for &(name, program, verdict) in LOCK_ORDER_CASES {
        for engine in EngineKind::ALL {
            let report = explore(quick(engine), program);
            if let Some(mistake) = lock_order_mistake(&report, verdict) {
                wrong.push(format!("{name} under {engine}: {mistake}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Engines that explore only executions without preemptions: the opposite orders of
/// [`unordered_opposite_orders`] never run at once there, so only the predictor sees them.
fn without_preemptions() -> [Engine; 2] {
    [
        Engine::exhaustive().preemption_bound(0).into(),
        Engine::dpor().preemption_bound(0).into(),
    ]
}

#[test]
fn turning_the_predictor_off_leaves_only_deadlocks_an_engine_runs_into() {
    let mut runs: Vec<(&str, fn(), Engine)> = without_preemptions()
        .into_iter()
        .map(|e| {
            (
                "unordered_opposite_orders",
                unordered_opposite_orders as fn(),
                e,
            )
        })
        .collect();
    runs.extend(EngineKind::ALL.map(|e| {
        (
            "flag_under_a_mutex_that_nests",
            flag_under_a_mutex_that_nests as fn(),
            quick(e),
        )
    }));
    let mut wrong = Vec::new();
    for (name, program, engine) in runs {
        let kind = engine.kind();
        for (on, verdict) in [(true, Verdict::Predicted), (false, Verdict::Clean)] {
            let report = Explorer::new()
                .engine(engine.clone())
                .lock_order(on)
                .run(program);
            let predicted = report
                .failure()
                .is_some_and(|f| f.kind() == FailureKind::PotentialDeadlock);
            match lock_order_mistake(&report, verdict) {
                Some(mistake) => wrong.push(format!(
                    "{name} under {kind}, predictor on: {on}: {mistake}"
                )),
                None if on && !predicted => {
                    wrong.push(format!("{name} under {kind} deadlocked:\n{report}"))
                }
                None => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The attribute's switch: without it this test fails (the next one is the same test,
/// expecting the prediction).
#[tapestry::test(engines = "exhaustive, dpor", preemption_bound = 0, lock_order = false)]
fn the_attribute_turns_the_predictor_off() {
    unordered_opposite_orders();
}

#[tapestry::test(
    engines = "exhaustive, dpor",
    preemption_bound = 0,
    expect = "potential_deadlock"
)]
fn the_attribute_leaves_the_predictor_on_by_default() {
    unordered_opposite_orders();
}
