//! `tapestry::time`: std's clock outside explorations and under the stress engine, a virtual
//! clock per execution under the model engines, which moves only with sleeps and timed waits
//! that time out, so that programs that measure time behave as with a real clock and replay
//! the same.

use std::time::Duration;

use tapestry::sync::mpsc::{self, RecvTimeoutError};
use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::time::{Instant, SystemTime, UNIX_EPOCH};
use tapestry::{Engine, Explorer, FailureKind, thread};
use tapestry_tests::model_engines;

const LEASE: Duration = Duration::from_millis(100);
const STEP: Duration = Duration::from_millis(30);

/// A holder was granted a lease on a store at `granted`: it works in steps while the lease
/// lasts, each step a sleep and then a write. A standby waits until the lease has run out and
/// writes as the new owner. The holder checks the lease before its step and writes after it:
/// a step that began before the lease ran out ends after, and the holder writes over the new
/// owner. `fenced`: the holder checks the lease again when it writes, under the store's lock.
fn lease(fenced: bool) {
    let store = Arc::new(Mutex::named("store", Vec::<(&str, Duration)>::new()));
    let granted = Instant::now();
    let write = move |store: &Mutex<Vec<(&'static str, Duration)>>, who: &'static str| {
        let mut writes = store.lock().unwrap();
        let at = granted.elapsed();
        if who == "holder" && fenced && at >= LEASE {
            return false;
        }
        writes.push((who, at));
        true
    };
    let s = store.clone();
    let holder = thread::Builder::new()
        .name("holder".into())
        .spawn(move || {
            while granted.elapsed() < LEASE {
                thread::sleep(STEP);
                if !write(&s, "holder") {
                    break;
                }
            }
        })
        .unwrap();
    let s = store.clone();
    let standby = thread::Builder::new()
        .name("standby".into())
        .spawn(move || {
            while granted.elapsed() < LEASE {
                thread::sleep(STEP);
            }
            write(&s, "standby");
        })
        .unwrap();
    holder.join().unwrap();
    standby.join().unwrap();
    let writes = store.lock().unwrap();
    let takeover = writes.iter().position(|&(who, _)| who == "standby");
    if let Some(late) = takeover.and_then(|t| writes[t..].iter().find(|w| w.0 == "holder")) {
        panic!(
            "the holder wrote at {:?}, after the standby took over at {:?}",
            late.1,
            writes[takeover.unwrap()].1
        );
    }
}

#[test]
fn a_lease_that_runs_out_mid_step_is_found_by_every_model_engine() {
    let report = model_engines().run(|| lease(false));
    assert_eq!(report.engines().len(), 6, "{report}");
    for engine in report.engines() {
        let failure = engine
            .failure()
            .unwrap_or_else(|| panic!("{} missed it\n{report}", engine.engine()));
        assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
        // The times are the virtual clock's: whole steps of the program's sleeps.
        assert!(
            failure.message().contains("after the standby took over at"),
            "{failure}"
        );
        assert!(failure.message().contains("0ms"), "{failure}");
    }
}

#[test]
fn a_lease_checked_when_writing_passes_every_model_engine() {
    let report = model_engines().run(|| lease(true));
    assert!(report.failure().is_none(), "{report}");
    tapestry_tests::assert_complete(&report, "");
}

/// The same seed gives the same schedule, the same times and so the same trace and message,
/// byte for byte; a replay of the failure gives them again.
#[test]
fn the_same_seed_gives_the_same_times_and_trace() {
    for engine in [
        Engine::from(Engine::random().seed(7)),
        Engine::from(Engine::pct().seed(7)),
    ] {
        let run = || {
            let report = Explorer::new().engine(engine.clone()).run(|| lease(false));
            let failure = report.failure().expect("found").clone();
            (
                failure.message().to_owned(),
                failure.trace().to_string(),
                failure,
            )
        };
        let (message, trace, failure) = run();
        assert_eq!((message.clone(), trace.clone()), {
            let (m, t, _) = run();
            (m, t)
        });
        let replayed = Explorer::new()
            .replay(failure.replay(), || lease(false))
            .expect("replays");
        let again = replayed.failure().expect("fails again");
        assert_eq!(again.message(), message);
        assert_eq!(again.trace().to_string(), trace);
    }
}

/// Within an execution the clock never goes back, in any thread; a sleep of `d` leaves
/// `elapsed() >= d`; a timed wait that times out has waited its timeout; `SystemTime` moves
/// with `Instant`; and every execution starts at the same point.
fn clock_properties() {
    let start = Instant::now();
    assert_eq!(
        format!("{start:?}"),
        "Instant { tv_sec: 1000000, tv_nsec: 0 }"
    );
    let wall = SystemTime::now();
    assert_eq!(
        wall.duration_since(UNIX_EPOCH).unwrap(),
        Duration::from_secs(1_767_225_600),
        "2026-01-01T00:00:00Z"
    );
    let seen = Arc::new(Mutex::named("seen", vec![start]));
    let pair = Arc::new((Mutex::named("lock", ()), Condvar::named("never")));
    let (tx, rx) = mpsc::named_channel::<()>("quiet");
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let (seen, pair) = (seen.clone(), pair.clone());
            thread::spawn(move || {
                let nap = Duration::from_millis(10 * (i + 1));
                let before = Instant::now();
                thread::sleep(nap);
                assert!(
                    before.elapsed() >= nap,
                    "slept {:?} of {nap:?}",
                    before.elapsed()
                );
                seen.lock().unwrap().push(Instant::now());
                let before = Instant::now();
                let guard = pair.0.lock().unwrap();
                let (_guard, waited) = pair.1.wait_timeout(guard, nap).unwrap();
                assert!(waited.timed_out(), "nobody notifies");
                assert!(before.elapsed() >= nap);
                seen.lock().unwrap().push(Instant::now());
            })
        })
        .collect();
    let before = Instant::now();
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(15)),
        Err(RecvTimeoutError::Timeout)
    );
    assert!(before.elapsed() >= Duration::from_millis(15));
    seen.lock().unwrap().push(Instant::now());
    for w in workers {
        w.join().unwrap();
    }
    drop(tx);
    let seen = seen.lock().unwrap();
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "the clock went back: {seen:?}"
    );
    let elapsed = start.elapsed();
    assert_eq!(
        SystemTime::now().duration_since(wall).unwrap(),
        elapsed,
        "the wall clock moves with the monotonic one"
    );
    assert!(elapsed >= Duration::from_millis(40), "{elapsed:?}");
}

#[test]
fn the_virtual_clock_is_monotonic_and_sleeps_and_timeouts_take_their_time() {
    let report = model_engines().run(clock_properties);
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.engines().len(), 6, "{report}");
}

/// Outside explorations the clock is std's; so is the stress engine's.
#[test]
fn outside_explorations_and_under_stress_the_clock_is_std_s() {
    let start = Instant::now();
    let std_start = std::time::Instant::now();
    thread::sleep(Duration::from_millis(20));
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(20));
    assert!(elapsed <= std_start.elapsed() + Duration::from_millis(1));
    let later = Instant::now();
    assert!(later > start);
    assert_eq!(later - start, later.duration_since(start));
    assert_eq!(
        start - later,
        Duration::ZERO,
        "saturates, as std since 1.60"
    );
    assert_eq!(start.checked_duration_since(later), None);
    assert_eq!(start.saturating_duration_since(later), Duration::ZERO);
    assert_eq!(start + elapsed - elapsed, start);
    assert_eq!(start.checked_add(Duration::MAX), None);
    let mut moved = start;
    moved += Duration::from_secs(1);
    moved -= Duration::from_millis(500);
    assert_eq!(moved - start, Duration::from_millis(500));
    assert!(format!("{start:?}").starts_with("Instant {"));

    let now = SystemTime::now();
    let std_now = std::time::SystemTime::now();
    let gap = std_now
        .duration_since(now.into())
        .unwrap_or_else(|e| e.duration());
    assert!(gap < Duration::from_secs(1), "{gap:?}");
    assert!(now.duration_since(UNIX_EPOCH).is_ok());
    let err = UNIX_EPOCH.duration_since(now).unwrap_err();
    assert_eq!(err.duration(), now.duration_since(UNIX_EPOCH).unwrap());
    assert_eq!(SystemTime::UNIX_EPOCH, UNIX_EPOCH);
    assert_eq!(
        format!("{UNIX_EPOCH:?}"),
        format!("{:?}", std::time::UNIX_EPOCH)
    );

    let report = Explorer::new()
        .engine(Engine::stress().iterations(3))
        .run(|| {
            let before = Instant::now();
            thread::sleep(Duration::from_millis(2));
            assert!(before.elapsed() >= Duration::from_millis(2));
            assert!(!format!("{before:?}").contains("tv_sec: 1000000,"));
        });
    assert!(report.failure().is_none(), "{report}");
}

/// An `Instant` of the real clock met one of a virtual clock: a misuse, said as one.
#[test]
fn an_instant_from_outside_the_body_is_a_misuse() {
    let outside = Instant::now();
    let report = Explorer::new()
        .engine(Engine::random().schedules(1))
        .run(move || {
            let _ = outside.elapsed();
        });
    let failure = report.failure().expect("misuse");
    assert_eq!(failure.kind(), FailureKind::Misuse, "{failure}");
    assert!(
        failure
            .message()
            .contains("create instants inside the test body"),
        "{failure}"
    );
}
