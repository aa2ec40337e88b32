//! Tests written as a user writes them: `#[tapestry::test]` and the facade, nothing else. Each
//! bug is kept as a test that expects its failure (and snapshots its minimal interleaving), next
//! to a fixed twin that must pass every engine.

use std::sync::OnceLock;

use tapestry::cell::UnsafeCell;
use tapestry::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use tapestry::sync::{Arc, Mutex};
use tapestry::thread;

fn count_twice(increment: fn(&AtomicUsize)) {
    let counter = Arc::new(AtomicUsize::named("counter", 0));
    let c = counter.clone();
    let t = thread::spawn(move || increment(&c));
    increment(&counter);
    t.join().unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2, "an increment was lost");
}

#[tapestry::test(expect = "panic", snapshot = true)]
fn lost_update() {
    count_twice(|c| c.store(c.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
}

#[tapestry::test]
fn lost_update_fixed() {
    count_twice(|c| {
        c.fetch_add(1, Ordering::SeqCst);
    });
}

fn take_two_locks(same_order: bool) {
    let a = Arc::new(Mutex::named("a", ()));
    let b = Arc::new(Mutex::named("b", ()));
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::spawn(move || {
        let _a = a2.lock().unwrap();
        let _b = b2.lock().unwrap();
    });
    let (first, second) = if same_order { (&a, &b) } else { (&b, &a) };
    let _first = first.lock().unwrap();
    let _second = second.lock().unwrap();
    drop((_second, _first));
    t.join().unwrap();
}

#[tapestry::test(expect = "deadlock", snapshot = true)]
fn lock_order_inversion() {
    take_two_locks(false);
}

#[tapestry::test]
fn lock_order_fixed() {
    take_two_locks(true);
}

struct Racy {
    value: UnsafeCell<u64>,
    lock: Mutex<()>,
}

// SAFETY: `value` is written under `lock` by `cell_race_fixed`; `cell_race` skips the lock on
// purpose, to be caught.
unsafe impl Sync for Racy {}

fn add_to_cell(locked: bool) {
    let shared = Arc::new(Racy {
        value: UnsafeCell::named("value", 0),
        lock: Mutex::new(()),
    });
    let add = move |s: &Racy| {
        let _guard = locked.then(|| s.lock.lock().unwrap());
        s.value.with_mut(|v| unsafe { *v += 1 });
    };
    let s = shared.clone();
    let t = thread::spawn(move || add(&s));
    add(&shared);
    t.join().unwrap();
}

#[tapestry::test(engines = "exhaustive", expect = "data_race", snapshot = true)]
fn cell_race() {
    add_to_cell(false);
}

#[tapestry::test(engines = "exhaustive")]
fn cell_race_fixed() {
    add_to_cell(true);
}

struct Node {
    next: Mutex<Option<Arc<Node>>>,
}

fn link_two_nodes(unlink: bool) {
    let a = Arc::new(Node {
        next: Mutex::new(None),
    });
    let b = Arc::new(Node {
        next: Mutex::new(Some(a.clone())),
    });
    *a.next.lock().unwrap() = Some(b);
    if unlink {
        a.next.lock().unwrap().take();
    }
}

#[tapestry::test(expect = "leak")]
fn arc_cycle_leaks() {
    link_two_nodes(false);
}

#[tapestry::test]
fn arc_cycle_broken() {
    link_two_nodes(true);
}

fn wait_for_flag(set_it: bool) {
    let flag = Arc::new(AtomicBool::named("flag", false));
    let f = flag.clone();
    let t = thread::spawn(move || {
        if set_it {
            f.store(true, Ordering::SeqCst);
        }
    });
    while !flag.load(Ordering::SeqCst) {
        tapestry::hint::spin_loop();
    }
    t.join().unwrap();
}

#[tapestry::test(expect = "step_limit", max_steps = 2000)]
fn spins_forever() {
    wait_for_flag(false);
}

/// Not under the priority engine: it runs threads as `SCHED_FIFO` does, where a spin that
/// yields lets only threads of its own priority run, so a less urgent setter starves (README,
/// "Known limits"): whether an execution draws that depends on its seed.
#[tapestry::test(
    max_steps = 2000,
    engines = "exhaustive, dpor, random, pct, surw, stress"
)]
fn spins_until_set() {
    wait_for_flag(true);
}

fn publish(order: Ordering) {
    let data = Arc::new(AtomicU64::named("data", 0));
    let ready = Arc::new(AtomicBool::named("ready", false));
    let (d, r) = (data.clone(), ready.clone());
    let t = thread::spawn(move || {
        d.store(42, Ordering::Relaxed);
        r.store(true, order);
    });
    let acquire = if order == Ordering::Release {
        Ordering::Acquire
    } else {
        Ordering::Relaxed
    };
    if ready.load(acquire) {
        assert_eq!(data.load(Ordering::Relaxed), 42);
    }
    t.join().unwrap();
}

#[tapestry::test(engines = "exhaustive", expect = "panic")]
fn relaxed_publication() {
    publish(Ordering::Relaxed);
}

#[tapestry::test(engines = "exhaustive")]
fn release_publication() {
    publish(Ordering::Release);
}

/// The DPOR engine chosen by name: it explores both orders of the increments and finds the
/// lost one.
#[tapestry::test(engines = "dpor", expect = "panic")]
fn dpor_by_name_finds_a_lost_increment() {
    let counter = tapestry::sync::Arc::new(tapestry::sync::atomic::AtomicUsize::new(0));
    let other = counter.clone();
    let t = tapestry::thread::spawn(move || {
        let seen = other.load(Ordering::SeqCst);
        other.store(seen + 1, Ordering::SeqCst);
    });
    let seen = counter.load(Ordering::SeqCst);
    counter.store(seen + 1, Ordering::SeqCst);
    t.join().unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2);
}

/// A counter kept across executions in a static: tapestry says how to fix that. (A
/// `tapestry::sync::Arc` there would first be reported as a leak of the execution that made it.)
fn counter_in_static() -> &'static AtomicUsize {
    static COUNTER: OnceLock<std::sync::Arc<AtomicUsize>> = OnceLock::new();
    COUNTER.get_or_init(|| std::sync::Arc::new(AtomicUsize::new(0)))
}

#[tapestry::test(expect = "misuse")]
fn object_kept_across_executions() {
    counter_in_static().fetch_add(1, Ordering::SeqCst);
}

#[tapestry::test]
fn object_made_in_the_body() {
    Arc::new(AtomicUsize::new(0)).fetch_add(1, Ordering::SeqCst);
}

#[tapestry::test(engines = "random, pct")]
#[should_panic(expected = "an increment was lost")]
fn should_panic_sees_the_failure() {
    count_twice(|c| c.store(c.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
}

#[tapestry::test(engines = "exhaustive")]
fn a_test_may_return_a_result() -> Result<(), String> {
    let value = Arc::new(AtomicUsize::new(1));
    if value.load(Ordering::SeqCst) == 1 {
        Ok(())
    } else {
        Err("changed".to_owned())
    }
}

fn count_among(threads: usize, increment: fn(&AtomicUsize)) {
    let counter = Arc::new(AtomicUsize::named("counter", 0));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let c = counter.clone();
            thread::spawn(move || increment(&c))
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(
        counter.load(Ordering::SeqCst),
        threads,
        "an update was lost"
    );
}

/// Eight threads: more than the exhaustive engine runs, which steps aside; the other engines
/// still run and find the lost update.
#[tapestry::test]
#[should_panic(expected = "an update was lost")]
fn lost_update_among_eight_threads() {
    count_among(8, |c| {
        c.store(c.load(Ordering::SeqCst) + 1, Ordering::SeqCst)
    });
}

/// The fix passes; the exhaustive engine's refusal is a notice on standard error, not a failure.
#[tapestry::test]
fn counted_among_eight_threads() {
    count_among(8, |c| {
        c.fetch_add(1, Ordering::SeqCst);
    });
}
