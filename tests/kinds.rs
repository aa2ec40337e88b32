//! Every failure kind the foundation reports, each from a small program, under the engines
//! that can see it.

use tapestry::cell::UnsafeCell;
use tapestry::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{EngineKind, Explorer, FailureKind, Outcome, hint, thread};
use tapestry_tests::quick;

/// Two nodes that point at each other: neither is ever freed.
fn arc_cycle() {
    struct Node {
        next: Mutex<Option<Arc<Node>>>,
    }
    let a = Arc::new(Node {
        next: Mutex::new(None),
    });
    let b = Arc::new(Node {
        next: Mutex::new(Some(a.clone())),
    });
    *a.next.lock().unwrap() = Some(b.clone());
}

/// The same nodes, the cycle broken before the end.
fn arc_cycle_broken() {
    struct Node {
        next: Mutex<Option<Arc<Node>>>,
    }
    let a = Arc::new(Node {
        next: Mutex::new(None),
    });
    let b = Arc::new(Node {
        next: Mutex::new(Some(a.clone())),
    });
    *a.next.lock().unwrap() = Some(b.clone());
    a.next.lock().unwrap().take();
}

/// A waiter whose notification was sent before it waited, with no predicate to check.
fn lost_wakeup() {
    let pair = Arc::new((Mutex::new(()), Condvar::new()));
    let p = pair.clone();
    let t = thread::spawn(move || p.1.notify_one());
    t.join().unwrap();
    let guard = pair.0.lock().unwrap();
    let _guard = pair.1.wait(guard).unwrap();
}

fn racy_cell() {
    struct Shared(UnsafeCell<u32>);
    // SAFETY: wrong on purpose: the race is what the test wants found.
    unsafe impl Sync for Shared {}
    let shared = Arc::new(Shared(UnsafeCell::new(0)));
    let s = shared.clone();
    let t = thread::spawn(move || s.0.with_mut(|v| unsafe { *v += 1 }));
    shared.0.with(|v| unsafe { *v });
    t.join().unwrap();
}

/// A program, the kind of failure it has, and the engines that must report it.
type Case = (&'static str, fn(), FailureKind, &'static [EngineKind]);

const CASES: &[Case] = &[
    ("arc_cycle", arc_cycle, FailureKind::Leak, &EngineKind::ALL),
    (
        "lost_wakeup",
        lost_wakeup,
        FailureKind::Deadlock,
        &EngineKind::ALL,
    ),
    (
        "racy_cell",
        racy_cell,
        FailureKind::DataRace,
        &[EngineKind::Exhaustive],
    ),
];

#[test]
fn each_kind_is_reported_by_the_engines_that_see_it() {
    for &(name, program, kind, engines) in CASES {
        for &engine in engines {
            let report = Explorer::new().engine(quick(engine)).run(program);
            let failure = report
                .failure()
                .unwrap_or_else(|| panic!("{engine} missed {name}:\n{report}"));
            assert_eq!(failure.kind(), kind, "{engine} on {name}:\n{failure}");
        }
    }
}

/// Waits for a flag that no thread sets.
fn wait_for_nothing(yielding: bool) {
    let flag = Arc::new(AtomicBool::named("flag", false));
    let t = thread::spawn(|| {});
    while !flag.load(Ordering::SeqCst) {
        if yielding {
            hint::spin_loop();
        }
    }
    t.join().unwrap();
}

/// A program that runs into the step limit, the engines, and what the message must say.
type Looping = (
    &'static str,
    fn(),
    &'static [EngineKind],
    &'static [&'static str],
);

const LOOPS: &[Looping] = &[
    (
        "a spin loop without a yield",
        || wait_for_nothing(false),
        &EngineKind::ALL,
        &[
            "main repeats",
            "`load flag -> false (SeqCst)`. A spin loop that never lets another thread run",
        ],
    ),
    (
        "a spin loop that yields",
        || wait_for_nothing(true),
        &EngineKind::ALL,
        &[
            "main repeats",
            "`load flag -> false (SeqCst)`, `yield`. It lets other threads run, but none of them acts",
        ],
    ),
    (
        "a livelock",
        || (tapestry_catalogue::entry("polite_livelock").unwrap().buggy)(),
        &[EngineKind::Exhaustive],
        &[
            "T1 and T2 repeat",
            "in step: ",
            "T1 `yield`, `try_lock b -> busy`;",
            "T2 `yield`, `try_lock a -> busy`;",
            "A livelock",
        ],
    ),
];

#[test]
fn a_step_limit_names_the_loop() {
    for &(name, program, engines, says) in LOOPS {
        for &engine in engines {
            let report = Explorer::new()
                .engine(quick(engine))
                .max_steps(2_000)
                .run(program);
            let failure = report.failure().unwrap_or_else(|| {
                panic!(
                    "{engine} missed {name}:
{report}"
                )
            });
            assert_eq!(failure.kind(), FailureKind::StepLimit, "{engine} on {name}");
            for said in says {
                assert!(
                    failure.message().contains(said),
                    "{engine} on {name}: no `{said}` in\n{}",
                    failure.message()
                );
            }
        }
    }
}

#[test]
fn a_broken_cycle_does_not_leak() {
    for engine in EngineKind::ALL {
        let report = Explorer::new().engine(quick(engine)).run(arc_cycle_broken);
        assert!(report.is_clean(), "{engine}:\n{report}");
    }
}

#[test]
fn an_object_made_outside_the_exploration_is_misuse_with_a_fix() {
    let outside = std::sync::Arc::new(AtomicUsize::new(0));
    for engine in EngineKind::ALL {
        let outside = outside.clone();
        let report = Explorer::new().engine(quick(engine)).run(move || {
            outside.fetch_add(1, Ordering::SeqCst);
        });
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{engine}:\n{report}"));
        assert_eq!(failure.kind(), FailureKind::Misuse, "{engine}");
        assert!(
            failure
                .message()
                .contains("create shared state inside the closure"),
            "{}",
            failure.message()
        );
    }
}

#[test]
fn too_many_threads_for_loom_is_unsupported_not_a_bug() {
    let report = Explorer::new()
        .engine(quick(EngineKind::Exhaustive))
        .run(|| {
            let threads: Vec<_> = (0..5).map(|_| thread::spawn(|| {})).collect();
            for t in threads {
                t.join().unwrap();
            }
        });
    assert!(report.failure().is_none());
    match report.engines()[0].outcome() {
        Outcome::Unsupported { reason } => {
            assert!(reason.contains("at most 5 threads"), "{reason}")
        }
        other => panic!("expected unsupported, got {other}"),
    }
    assert!(report.unsupported().is_some());
}
