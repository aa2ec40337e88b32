//! The exhaustive engine's memory model is loom's: weak orderings show their reorderings and
//! `SeqCst` fences order what they should; `SeqCst` accesses, which loom treats as `AcqRel`,
//! are made sequentially consistent by the engine (more cases in `verdicts.rs`).

use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicBool, Ordering, fence};
use tapestry::{Engine, Explorer, FailureKind, thread};

/// Store buffering: each thread raises its flag, then reads the other's. With `order` strong
/// enough, at least one thread must see the other's flag.
fn store_buffering(order: Ordering, fenced: bool) {
    let (x, y) = (
        Arc::new(AtomicBool::named("x", false)),
        Arc::new(AtomicBool::named("y", false)),
    );
    let load_order = if order == Ordering::Release {
        Ordering::Acquire
    } else {
        order
    };
    let (x2, y2) = (x.clone(), y.clone());
    let t = thread::spawn(move || {
        x2.store(true, order);
        if fenced {
            fence(Ordering::SeqCst);
        }
        y2.load(load_order)
    });
    y.store(true, order);
    if fenced {
        fence(Ordering::SeqCst);
    }
    let saw_x = x.load(load_order);
    let saw_y = t.join().unwrap();
    assert!(saw_x || saw_y, "both threads missed each other's flag");
}

fn exhaustive() -> Explorer {
    Explorer::new().engine(Engine::exhaustive().preemption_bound(3))
}

#[test]
fn release_acquire_flags_let_both_threads_miss_each_other() {
    let report = exhaustive().run(|| store_buffering(Ordering::Release, false));
    assert_eq!(
        report.failure().map(|f| f.kind()),
        Some(FailureKind::Panic),
        "{report}"
    );
}

/// C++ forbids both threads missing each other with `SeqCst` flags. loom alone allows it (it
/// treats `SeqCst` accesses as `AcqRel`, loom#180); the exhaustive engine fences `SeqCst`
/// accesses so that they are sequentially consistent, and the search completes clean.
#[test]
fn seqcst_flags_never_miss_each_other() {
    let report = exhaustive().run(|| store_buffering(Ordering::SeqCst, false));
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        report.engines()[0].outcome(),
        &tapestry::Outcome::Passed { complete: true }
    );
}

#[test]
fn seqcst_fences_between_relaxed_accesses_do_not() {
    let report = exhaustive().run(|| store_buffering(Ordering::Relaxed, true));
    assert!(
        report.is_clean(),
        "{report}\n{}",
        report
            .failure()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
}

#[test]
fn a_stale_read_is_pointed_out_in_the_trace() {
    let report = exhaustive().run(
        tapestry_catalogue::entry("relaxed_message_passing")
            .unwrap()
            .buggy,
    );
    let trace = report.failure().expect("found").trace().to_string();
    assert!(
        trace.contains(
            "load data -> 0 (Relaxed), not the latest: read from the initial value, not from T1's store of 42 at step"
        ),
        "{trace}"
    );
}
