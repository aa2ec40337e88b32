//! `thread::JoinHandle::is_finished` inside an exploration: an operation at which the engines
//! may run the thread to its end first, as the OS may, and which lets a loop that polls it
//! make progress.

use tapestry::thread;
use tapestry::{EngineKind, Explorer, FailureKind};
use tapestry_tests::{found_showing, quick};

/// The engines that explore both answers: dpor (the check reads what the thread's last step
/// writes) and those that sample schedules (the exhaustive and c11 engines do not yet: see
/// `JoinHandle::is_finished`).
const EXPLORING: [EngineKind; 5] = [
    EngineKind::Dpor,
    EngineKind::Random,
    EngineKind::Pct,
    EngineKind::Surw,
    EngineKind::Priority,
];

/// Checks right after the spawn, and assumes the thread cannot have finished yet.
fn assumes_not_finished() {
    let t = thread::spawn(|| {});
    let done = t.is_finished();
    t.join().unwrap();
    assert!(!done, "the thread finished before the check");
}

#[test]
fn a_thread_may_finish_before_is_finished_is_called() {
    found_showing(
        assumes_not_finished,
        &EXPLORING,
        FailureKind::Panic,
        "is_finished T1 -> true",
    );
}

#[test]
fn a_loop_that_spins_on_is_finished_ends() {
    // No yield in the loop: `is_finished` itself lets the thread run.
    for engine in [EngineKind::Random, EngineKind::Surw, EngineKind::Dpor] {
        let report = Explorer::new().engine(quick(engine)).run(|| {
            let t = thread::spawn(|| 7);
            while !t.is_finished() {
                std::hint::spin_loop();
            }
            assert_eq!(t.join().unwrap(), 7);
        });
        assert!(report.failure().is_none(), "{engine}: {report}");
    }
}
