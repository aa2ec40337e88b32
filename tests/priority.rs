//! The priority engine schedules like a real-time OS, and reports unbounded priority
//! inversion; `PiMutex` inherits priority. The catalogue's `priority_inversion` entry (tested
//! with the catalogue) is the Mars Pathfinder; these are the rules around it.

use tapestry::sync::atomic::{AtomicBool, Ordering};
use tapestry::sync::{Arc, Mutex, PiMutex};
use tapestry::thread::{self, JoinHandle};
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Replay, Report};
use tapestry_catalogue::entry;

fn priority(body: fn()) -> Report {
    Explorer::new().engine(Engine::priority()).run(body)
}

#[track_caller]
fn start(name: &str, priority: u8, work: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    thread::Builder::new()
        .name(name.to_owned())
        .priority(priority)
        .spawn(work)
        .unwrap()
}

/// Two threads log five steps each; fails if the steps of `t1` are not contiguous (`t0` may
/// run before and after them).
fn log_steps(priorities: [u8; 2]) {
    let log = Arc::new(Mutex::named("log", Vec::new()));
    let threads: Vec<_> = priorities
        .into_iter()
        .enumerate()
        .map(|(who, p)| {
            let log = log.clone();
            start(&format!("t{who}"), p, move || {
                for _ in 0..5 {
                    log.lock().unwrap().push(who);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let log = log.lock().unwrap();
    let first = log.iter().position(|&who| who == 1).unwrap();
    assert!(
        log[first..first + 5].iter().all(|&who| who == 1),
        "t0 ran while t1 was runnable: {log:?}"
    );
}

#[test]
fn the_more_urgent_thread_runs_to_the_end_once_it_arrives() {
    let report = priority(|| log_steps([1, 2]));
    assert!(report.is_clean(), "{}", report.failure().unwrap());
    assert_eq!(report.executions(), 1_000);
}

#[test]
fn equally_urgent_threads_interleave() {
    let report = priority(|| log_steps([1, 1]));
    let failure = report.failure().expect("1,000 schedules interleave them");
    assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
}

/// A thread of priority 2 waits for a flag that one of priority 1 sets, pausing with
/// `pause` between looks.
fn wait_for_less_urgent(pause: fn()) {
    let flag = Arc::new(AtomicBool::named("flag", false));
    let f = flag.clone();
    let waiter = start("waiter", 2, move || {
        while !f.load(Ordering::Acquire) {
            pause();
        }
    });
    let f = flag.clone();
    let setter = start("setter", 1, move || f.store(true, Ordering::Release));
    waiter.join().unwrap();
    setter.join().unwrap();
}

#[test]
fn a_sleeping_thread_lets_less_urgent_ones_run() {
    let report = priority(|| wait_for_less_urgent(|| thread::sleep(std::time::Duration::ZERO)));
    assert!(report.is_clean(), "{report}");
}

/// The body spins with `hint::spin_loop` on a flag that an equally urgent thread sets.
fn spin_for_an_equal() {
    let flag = Arc::new(AtomicBool::named("flag", false));
    let f = flag.clone();
    let setter = thread::spawn(move || f.store(true, Ordering::SeqCst));
    while !flag.load(Ordering::SeqCst) {
        tapestry::hint::spin_loop();
    }
    setter.join().unwrap();
}

/// A spin counts as time passing, so a thread due to arrive later arrives while the spinner
/// spins. Before, a `spin_loop` (unlike a `yield_now`) did not count: once an earlier execution
/// had run long, the setter's seeded arrival could come after the step limit, and a correct
/// program failed with `StepLimit` (at execution 2,843 of this exploration).
#[test]
fn a_spin_lets_an_equally_urgent_late_thread_arrive() {
    let report = Explorer::new()
        .engine(Engine::priority().schedules(3_000))
        .max_steps(2_000)
        .run(spin_for_an_equal);
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_yielding_thread_starves_less_urgent_ones_as_under_sched_fifo() {
    let report = Explorer::new()
        .engine(Engine::priority())
        .max_steps(2_000)
        .run(|| wait_for_less_urgent(thread::yield_now));
    let failure = report.failure().expect("the setter never runs");
    assert_eq!(failure.kind(), FailureKind::StepLimit, "{failure}");
}

#[test]
fn the_inversion_names_the_three_threads_their_priorities_and_the_lock() {
    let report = priority(entry("priority_inversion").unwrap().buggy);
    let failure = report.failure().expect("the Pathfinder's inversion");
    assert_eq!(failure.kind(), FailureKind::PriorityInversion);
    assert_eq!(failure.thread(), "medium");
    assert!(
        failure.message().starts_with(
            "high (priority 3) waits for `bus`, held by low (priority 1), while medium (priority 2) runs: 21 steps"
        ),
        "{}",
        failure.message()
    );
    assert!(matches!(
        failure.replay(),
        Replay::Priority {
            inversion_bound: 20,
            ..
        }
    ));
}

#[test]
fn the_bound_is_configurable_and_a_wait_shorter_than_it_is_no_failure() {
    // `medium` works 40 steps: an inversion bounded by 40 steps is within a bound of 100.
    let buggy = entry("priority_inversion").unwrap().buggy;
    let report = Explorer::new()
        .engine(Engine::priority().inversion_bound(100))
        .run(buggy);
    assert!(report.is_clean(), "{report}");
    let report = Explorer::new()
        .engine(Engine::priority().inversion_bound(5))
        .run(buggy);
    let failure = report.failure().expect("a tight bound");
    assert!(
        failure.message().contains("6 steps"),
        "{}",
        failure.message()
    );
}

/// `high` waits for `outer`, held by `mid`, which waits for `inner`, held by `low`; `busy`
/// (priority 2) runs meanwhile. Inheritance must pass `high`'s priority along the chain.
fn chain<L: Lock>() {
    let outer = Arc::new(L::new("outer"));
    let inner = Arc::new(L::new("inner"));
    let low = {
        let inner = inner.clone();
        start("low", 1, move || inner.hold(4))
    };
    let mid = {
        let outer = outer.clone();
        start("mid", 1, move || outer.hold_around(&inner))
    };
    let high = start("high", 3, move || outer.hold(1));
    let busy = start("busy", 2, || {
        let spin = AtomicBool::named("busy", false);
        for _ in 0..40 {
            spin.store(true, Ordering::Relaxed);
        }
    });
    for t in [low, mid, high, busy] {
        t.join().unwrap();
    }
}

trait Lock: Send + Sync + 'static {
    fn new(name: &'static str) -> Self;
    /// Holds the lock for `steps` steps.
    fn hold(&self, steps: usize);
    /// Holds the lock while taking `inner`.
    fn hold_around(&self, inner: &Self);
}

macro_rules! lock {
    ($ty:ident) => {
        impl Lock for $ty<u32> {
            fn new(name: &'static str) -> Self {
                $ty::named(name, 0)
            }
            fn hold(&self, steps: usize) {
                let mut guard = self.lock().unwrap();
                let tick = AtomicBool::named("tick", false);
                for _ in 0..steps {
                    tick.store(true, Ordering::Relaxed);
                }
                *guard += 1;
            }
            fn hold_around(&self, inner: &Self) {
                let _guard = self.lock().unwrap();
                inner.hold(1);
            }
        }
    };
}

lock!(Mutex);
lock!(PiMutex);

#[test]
fn inheritance_passes_along_a_chain_of_waits() {
    let report = priority(chain::<Mutex<u32>>);
    let failure = report.failure().expect("plain mutexes invert");
    assert_eq!(failure.kind(), FailureKind::PriorityInversion, "{failure}");
    let report = priority(chain::<PiMutex<u32>>);
    assert!(report.is_clean(), "{report}");
}

#[test]
fn the_other_engines_ignore_priorities() {
    let buggy = entry("priority_inversion").unwrap().buggy;
    for engine in EngineKind::ALL
        .into_iter()
        .filter(|&e| e != EngineKind::Priority && e != EngineKind::Stress)
    {
        let report = Explorer::new().engine(engine).run(buggy);
        assert!(report.is_clean(), "{engine}: {report}");
    }
}

#[test]
fn outside_an_exploration_a_priority_is_accepted_and_ignored() {
    let handle = thread::Builder::new()
        .priority(9)
        .spawn(|| PiMutex::new(7).into_inner().unwrap())
        .unwrap();
    assert_eq!(handle.join().unwrap(), 7);
}
