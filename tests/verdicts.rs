//! Verdicts on programs shaped like users' code: every row is a program and what the default
//! engines (all seven, as `#[tapestry::test]` runs them) must say of it. A tester that passes
//! a buggy program, or fails a correct one, is worse than none, so each correct program here
//! sits beside a broken twin that must fail.
//!
//! The rows, by what they pin down:
//! - more threads than one engine can run: the others still run and find the bug;
//! - `SeqCst` code that is correct (store buffering, Dekker's handshake, Peterson's lock,
//!   IRIW) passes, and its `Release`/`Acquire` twin, which the language lets fail, fails;
//! - waits that time out: correct polling loops pass, a bug that needs a timeout is found;
//! - locks taken in opposite orders by sections that something orders pass, unordered ones
//!   are still predicted;
//! - a yield or a sleep is a hint, not an order: the thread may go on at once.

use std::sync::atomic::Ordering;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::time::Duration;

use tapestry::cell::UnsafeCell;
use tapestry::sync::atomic::{AtomicBool, AtomicUsize};
use tapestry::sync::mpsc::{self, RecvTimeoutError, TrySendError};
use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Outcome, hint, thread};

/// What the default engines must say of a program.
#[derive(Clone, Copy, Debug)]
enum Verdict {
    /// No engine finds anything, and at least one engine ran.
    Passes,
    /// The first engine that finds something finds a failure of this kind.
    Fails(FailureKind),
}

struct Case {
    name: &'static str,
    body: fn(),
    verdict: Verdict,
    /// Engines that must report they could not run the program (and the others ran).
    skipped: &'static [EngineKind],
}

const fn case(name: &'static str, body: fn(), verdict: Verdict) -> Case {
    Case {
        name,
        body,
        verdict,
        skipped: &[],
    }
}

fn check(case: &Case) {
    let report = Explorer::new().run(case.body);
    let skipped: Vec<EngineKind> = report.skipped().map(|(engine, _)| engine).collect();
    assert_eq!(
        skipped, case.skipped,
        "{}: engines skipped\n{report}",
        case.name
    );
    match case.verdict {
        Verdict::Passes => {
            if let Some(failure) = report.failure() {
                panic!(
                    "{}: a correct program failed\n{report}\n{failure}",
                    case.name
                );
            }
            assert!(report.ran_any(), "{}: nothing ran\n{report}", case.name);
            // A pass must not come from a search cut short.
            for engine in report.engines() {
                if engine.engine() == EngineKind::Exhaustive
                    && !case.skipped.contains(&EngineKind::Exhaustive)
                {
                    assert_eq!(
                        engine.outcome(),
                        &Outcome::Passed { complete: true },
                        "{}\n{report}",
                        case.name
                    );
                }
            }
        }
        Verdict::Fails(kind) => {
            let failure = report
                .failure()
                .unwrap_or_else(|| panic!("{}: a bug was missed\n{report}", case.name));
            assert_eq!(failure.kind(), kind, "{}\n{report}\n{failure}", case.name);
        }
    }
}

macro_rules! verdicts {
    ($($test:ident: $case:expr;)*) => {$(
        #[test]
        fn $test() {
            check(&$case);
        }
    )*};
}

// ---- More threads than loom runs ----

/// `threads` threads each add one to a counter with a load and a store: an update can be lost.
fn lost_update(threads: usize) {
    let counter = Arc::new(AtomicUsize::named("counter", 0));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let c = counter.clone();
            thread::spawn(move || c.store(c.load(SeqCst) + 1, SeqCst))
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(counter.load(SeqCst), threads, "an update was lost");
}

/// The same with `fetch_add`: correct.
fn counted(threads: usize) {
    let counter = Arc::new(AtomicUsize::named("counter", 0));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let c = counter.clone();
            thread::spawn(move || {
                c.fetch_add(1, SeqCst);
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(counter.load(SeqCst), threads);
}

const LOOM: &[EngineKind] = &[EngineKind::Exhaustive];

verdicts! {
    lost_update_among_8_threads_is_found_though_loom_cannot_run_it: Case {
        skipped: LOOM,
        ..case("lost_update(8)", || lost_update(8), Verdict::Fails(FailureKind::Panic))
    };
    lost_update_among_12_threads_is_found: Case {
        skipped: LOOM,
        ..case("lost_update(12)", || lost_update(12), Verdict::Fails(FailureKind::Panic))
    };
    fetch_add_among_8_threads_passes: Case {
        skipped: LOOM,
        ..case("counted(8)", || counted(8), Verdict::Passes)
    };
}

// ---- SeqCst is sequentially consistent ----

/// The load ordering that pairs with a store ordering: `Acquire` for `Release`.
fn load_order(store: Ordering) -> Ordering {
    if store == Release { Acquire } else { store }
}

/// Store buffering: each thread raises its flag, then reads the other's. Under `SeqCst` at
/// least one sees the other's flag; under `Release`/`Acquire` both may miss.
fn store_buffering(order: Ordering) {
    let x = Arc::new(AtomicBool::named("x", false));
    let y = Arc::new(AtomicBool::named("y", false));
    let (x2, y2) = (x.clone(), y.clone());
    let t = thread::spawn(move || {
        x2.store(true, order);
        y2.load(load_order(order))
    });
    y.store(true, order);
    let saw_x = x.load(load_order(order));
    let saw_y = t.join().unwrap();
    assert!(saw_x || saw_y, "both threads missed each other's flag");
}

/// Two threads that each enter a critical section (a write to a plain cell) only when the
/// other has not raised its flag.
struct Handshake {
    flags: [AtomicBool; 2],
    shared: UnsafeCell<u32>,
}

// SAFETY: `shared` is written only inside the handshake's critical section; that the handshake
// excludes the other thread is what the rows check (a race is reported as `DataRace`).
unsafe impl Sync for Handshake {}

/// Dekker's handshake without the turn: a thread that sees the other's flag backs off.
fn dekker(order: Ordering) {
    let h = Arc::new(Handshake {
        flags: [
            AtomicBool::named("flag0", false),
            AtomicBool::named("flag1", false),
        ],
        shared: UnsafeCell::named("shared", 0),
    });
    let enter = move |h: &Handshake, me: usize| {
        h.flags[me].store(true, order);
        if !h.flags[1 - me].load(load_order(order)) {
            h.shared.with_mut(|v| unsafe { *v += 1 });
        }
        h.flags[me].store(false, order);
    };
    let h2 = h.clone();
    let t = thread::spawn(move || enter(&h2, 1));
    enter(&h, 0);
    t.join().unwrap();
}

/// Peterson's lock around an increment of a plain cell; both threads must count.
struct Peterson {
    flags: [AtomicBool; 2],
    turn: AtomicUsize,
    count: UnsafeCell<u32>,
}

// SAFETY: `count` is touched only under Peterson's lock, which the rows check.
unsafe impl Sync for Peterson {}

fn peterson(order: Ordering) {
    let p = Arc::new(Peterson {
        flags: [
            AtomicBool::named("flag0", false),
            AtomicBool::named("flag1", false),
        ],
        turn: AtomicUsize::named("turn", 0),
        count: UnsafeCell::named("count", 0),
    });
    let increment = move |p: &Peterson, me: usize| {
        let other = 1 - me;
        p.flags[me].store(true, order);
        p.turn.store(other, order);
        while p.flags[other].load(load_order(order)) && p.turn.load(load_order(order)) == other {
            hint::spin_loop();
        }
        p.count.with_mut(|c| unsafe { *c += 1 });
        p.flags[me].store(false, order);
    };
    let p2 = p.clone();
    let t = thread::spawn(move || increment(&p2, 1));
    increment(&p, 0);
    t.join().unwrap();
    assert_eq!(p.count.with(|c| unsafe { *c }), 2);
}

/// Independent reads of independent writes: two readers must not see the two writes in
/// opposite orders under `SeqCst`; under `Release`/`Acquire` they may.
fn iriw(order: Ordering) {
    let x = Arc::new(AtomicUsize::named("x", 0));
    let y = Arc::new(AtomicUsize::named("y", 0));
    let write = |a: &Arc<AtomicUsize>| {
        let a = a.clone();
        thread::spawn(move || a.store(1, order))
    };
    let read = |first: &Arc<AtomicUsize>, second: &Arc<AtomicUsize>| {
        let (first, second) = (first.clone(), second.clone());
        thread::spawn(move || {
            (
                first.load(load_order(order)),
                second.load(load_order(order)),
            )
        })
    };
    let writers = [write(&x), write(&y)];
    let r1 = read(&x, &y);
    let r2 = read(&y, &x);
    let (x_then_y, y_then_x) = (r1.join().unwrap(), r2.join().unwrap());
    for w in writers {
        w.join().unwrap();
    }
    assert!(
        !(x_then_y == (1, 0) && y_then_x == (1, 0)),
        "the readers saw the writes to x and y in opposite orders"
    );
}

verdicts! {
    seqcst_store_buffering_passes: case("store_buffering(SeqCst)", || store_buffering(SeqCst), Verdict::Passes);
    release_acquire_store_buffering_fails: case("store_buffering(Release)", || store_buffering(Release), Verdict::Fails(FailureKind::Panic));
    seqcst_dekker_passes: case("dekker(SeqCst)", || dekker(SeqCst), Verdict::Passes);
    release_acquire_dekker_races: case("dekker(Release)", || dekker(Release), Verdict::Fails(FailureKind::DataRace));
    seqcst_peterson_passes: case("peterson(SeqCst)", || peterson(SeqCst), Verdict::Passes);
    release_acquire_peterson_races: case("peterson(Release)", || peterson(Release), Verdict::Fails(FailureKind::DataRace));
    seqcst_iriw_passes: case("iriw(SeqCst)", || iriw(SeqCst), Verdict::Passes);
    release_acquire_iriw_fails: case("iriw(Release)", || iriw(Release), Verdict::Fails(FailureKind::Panic));
}

// ---- Timed waits end by notification or by timeout ----

const TICK: Duration = Duration::from_millis(10);

/// A worker polls a stop flag with a timed wait; the flag is set without a notification, so
/// only a timeout lets the worker see it. Correct under std.
fn polling_condvar() {
    let stop = Arc::new((Mutex::named("stop", false), Condvar::named("changed")));
    let s = stop.clone();
    let worker = thread::spawn(move || {
        let (lock, changed) = &*s;
        let mut stopped = lock.lock().unwrap();
        while !*stopped {
            stopped = changed.wait_timeout(stopped, TICK).unwrap().0;
        }
    });
    *stop.0.lock().unwrap() = true;
    worker.join().unwrap();
}

/// A worker receives with a timeout and, on a timeout, checks a stop flag, draining what is
/// left before it stops. Correct under std: every message sent before the flag is counted.
fn polling_channel(drain: bool) {
    let (tx, rx) = mpsc::named_channel("jobs");
    let stop = Arc::new(AtomicBool::named("stop", false));
    let s = stop.clone();
    let worker = thread::spawn(move || {
        let mut received = 0;
        loop {
            match rx.recv_timeout(TICK) {
                Ok(()) => received += 1,
                Err(RecvTimeoutError::Timeout) if s.load(SeqCst) => {
                    if drain {
                        received += rx.try_iter().count();
                    }
                    return received;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return received,
            }
        }
    });
    tx.send(()).unwrap();
    tx.send(()).unwrap();
    stop.store(true, SeqCst);
    assert_eq!(
        worker.join().unwrap(),
        2,
        "a message sent before the stop was dropped"
    );
    drop(tx);
}

/// A job is claimed under a lease: a second worker waits for the holder to finish, and when its
/// timed wait runs out it takes the job over, assuming the holder died. A holder that is only
/// slow still finishes, and without a check of who holds the lease both complete the job.
fn lease(fenced: bool) {
    #[derive(Default)]
    struct Job {
        /// Which grant of the lease is current; a takeover makes a new one.
        grant: u64,
        done: bool,
        completions: u32,
    }
    let job = Arc::new((
        Mutex::named("job", Job::default()),
        Condvar::named("finished"),
    ));
    let complete = move |job: &(Mutex<Job>, Condvar), grant: u64| {
        let mut j = job.0.lock().unwrap();
        if !fenced || j.grant == grant {
            j.completions += 1;
            j.done = true;
            job.1.notify_all();
        }
    };
    // The holder was granted the job (grant 0) before the other worker started waiting.
    let holder = {
        let job = job.clone();
        thread::spawn(move || complete(&job, 0))
    };
    let grant = {
        let mut j = job.0.lock().unwrap();
        while !j.done {
            let (next, waited) = job.1.wait_timeout(j, TICK).unwrap();
            j = next;
            if waited.timed_out() && !j.done {
                // The lease ran out: take the job over.
                j.grant += 1;
                break;
            }
        }
        (!j.done).then_some(j.grant)
    };
    if let Some(grant) = grant {
        complete(&job, grant);
    }
    holder.join().unwrap();
    assert_eq!(
        job.0.lock().unwrap().completions,
        1,
        "the job was completed twice"
    );
}

verdicts! {
    polling_with_wait_timeout_passes: case("polling_condvar", polling_condvar, Verdict::Passes);
    polling_with_recv_timeout_passes: case("polling_channel(drain)", || polling_channel(true), Verdict::Passes);
    polling_with_recv_timeout_that_drops_messages_fails: case("polling_channel(no drain)", || polling_channel(false), Verdict::Fails(FailureKind::Panic));
    a_lease_that_expires_while_its_holder_works_is_found: case("lease(unfenced)", || lease(false), Verdict::Fails(FailureKind::Panic));
    a_fenced_lease_passes: case("lease(fenced)", || lease(true), Verdict::Passes);
}

/// A rendezvous `try_send` succeeds only while the receiver waits in `recv`, as std's: with
/// nobody receiving it is `Full` (and must not wait for a receiver), and a sender that
/// retries gets through once the receiver waits.
fn rendezvous_try_send() {
    let (tx, rx) = mpsc::named_sync_channel::<u32>("handoff", 0);
    assert!(matches!(tx.try_send(1), Err(TrySendError::Full(1))));
    let receiver = thread::spawn(move || rx.recv().unwrap());
    loop {
        match tx.try_send(7) {
            Ok(()) => break,
            Err(TrySendError::Full(_)) => thread::yield_now(),
            Err(TrySendError::Disconnected(_)) => unreachable!("the receiver is alive"),
        }
    }
    assert_eq!(receiver.join().unwrap(), 7);
}

verdicts! {
    rendezvous_try_send_hands_over_only_to_a_waiting_receiver: case("rendezvous_try_send", rendezvous_try_send, Verdict::Passes);
}

// ---- Opposite lock orders: a deadlock only if nothing orders the sections ----

/// Takes `first` then `second`.
fn nested(first: &Mutex<()>, second: &Mutex<()>) {
    let _first = first.lock().unwrap();
    let _second = second.lock().unwrap();
}

/// A thread takes `a` then `b`; the main thread takes `b` then `a`, after `separate` has run
/// (which may wait for the thread: it gets the thread's handle and the channel on which the
/// thread says it is done, and returns the handle if it did not join it).
type Separate = fn(thread::JoinHandle<()>, &mpsc::Receiver<()>) -> Option<thread::JoinHandle<()>>;

fn opposite_orders(separate: Separate) {
    let a = Arc::new(Mutex::named("a", ()));
    let b = Arc::new(Mutex::named("b", ()));
    let (done, finished) = mpsc::named_channel("done");
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::spawn(move || {
        nested(&a2, &b2);
        done.send(()).unwrap();
    });
    let t = separate(t, &finished);
    nested(&b, &a);
    if let Some(t) = t {
        t.join().unwrap();
    }
}

verdicts! {
    opposite_orders_separated_by_a_join_pass: case("join", || opposite_orders(|t, _| {
        t.join().unwrap();
        None
    }), Verdict::Passes);
    opposite_orders_separated_by_a_message_pass: case("message", || opposite_orders(|t, done| {
        done.recv().unwrap();
        Some(t)
    }), Verdict::Passes);
    unordered_opposite_orders_deadlock: case("unordered", || opposite_orders(|t, _| Some(t)), Verdict::Fails(FailureKind::Deadlock));
}

/// With the predictor, an unordered ABBA is reported even where no explored execution
/// deadlocks (the exhaustive and DPOR engines with no preemption run each section whole);
/// `Explorer::lock_order(false)` turns the predictor off.
#[test]
fn an_unordered_abba_is_predicted_unless_the_predictor_is_off() {
    for engine in [
        tapestry::Engine::from(
            tapestry::Engine::exhaustive()
                .preemption_bound(0)
                .iterative(false),
        ),
        tapestry::Engine::from(
            tapestry::Engine::dpor()
                .preemption_bound(0)
                .iterative(false),
        ),
    ] {
        let run = |on: bool| {
            Explorer::new()
                .engine(engine.clone())
                .lock_order(on)
                .run(|| opposite_orders(|t, _| Some(t)))
        };
        let predicted = run(true);
        assert_eq!(
            predicted.failure().map(|f| f.kind()),
            Some(FailureKind::PotentialDeadlock),
            "{predicted}"
        );
        let off = run(false);
        assert!(off.is_clean(), "{off}");
    }
}

// ---- A yield or a sleep orders nothing ----

/// The worker sleeps before it raises a flag; the test assumes it is still asleep. Under std
/// the sleep may end before the main thread's next step: a bug, found only if a thread may go
/// on right after it yields.
fn sleep_as_synchronisation(yielding: fn()) {
    let ready = Arc::new(AtomicBool::named("ready", false));
    let r = ready.clone();
    let worker = thread::spawn(move || {
        yielding();
        r.store(true, SeqCst);
    });
    assert!(
        !ready.load(SeqCst),
        "the worker was ready before the test looked"
    );
    worker.join().unwrap();
}

verdicts! {
    a_sleep_does_not_order_threads: case("sleep", || sleep_as_synchronisation(|| thread::sleep(TICK)), Verdict::Fails(FailureKind::Panic));
    a_yield_does_not_order_threads: case("yield_now", || sleep_as_synchronisation(thread::yield_now), Verdict::Fails(FailureKind::Panic));
}

/// A relaxed twin, to keep `Relaxed` in use by the table's helpers.
#[test]
fn relaxed_store_buffering_fails() {
    check(&case(
        "store_buffering(Relaxed)",
        || store_buffering(Relaxed),
        Verdict::Fails(FailureKind::Panic),
    ));
}

#[test]
fn a_skipped_engine_is_named_with_what_it_means() {
    let report = Explorer::new().run(|| lost_update(6));
    let note = report.skipped_note().expect("loom cannot run 7 threads");
    assert!(
        note.contains("the exhaustive engine cannot run this program"),
        "{note}"
    );
    assert!(
        note.contains("not explored: the reorderings that weak memory orderings"),
        "{note}"
    );
    let dpor = report
        .engines()
        .iter()
        .find(|e| e.engine() == EngineKind::Dpor)
        .expect("dpor ran after the exhaustive engine refused");
    assert!(matches!(dpor.outcome(), Outcome::Failed { .. }), "{report}");
}

/// Every model engine explores timeouts: each finds the bugs that need one, and its trace
/// shows the wait that timed out. (The stress engine waits in real time: a 10 ms timeout does
/// not fire within its microsecond iterations.)
#[test]
fn every_model_engine_finds_the_bugs_that_need_a_timeout() {
    let bugs: [(&str, fn(), &str); 2] = [
        ("lease", || lease(false), "wait finished timed out"),
        (
            "polling_channel",
            || polling_channel(false),
            "recv jobs timed out",
        ),
    ];
    for (name, body, step) in bugs {
        let report = Explorer::new()
            .engines(
                EngineKind::ALL
                    .into_iter()
                    .filter(|&e| e != EngineKind::Stress),
            )
            .keep_going(true)
            .run(body);
        for engine in report.engines() {
            let failure = engine
                .failure()
                .unwrap_or_else(|| panic!("{name}: {} missed it\n{report}", engine.engine()));
            assert_eq!(failure.kind(), FailureKind::Panic, "{name}\n{failure}");
            let trace = failure.trace().to_string();
            assert!(
                trace.contains(step),
                "{name} under {}:\n{trace}",
                engine.engine()
            );
        }
    }
}

/// Spinners yield until a flag is raised (see [`Raise`]), or wait for a flag nobody raises.
/// The first is correct code: every engine must let the raiser run (PCT once handed the
/// processor between the two spinners forever, and loom's search explores the spinners
/// handing over to each other ever longer until its branch limit: both false livelocks). The
/// exhaustive engine's yields are fair (`engine/loom/fair.rs`), so it completes its default
/// search. The second spins forever under any scheduler: a step limit.
fn gate(spinners: usize, pause: fn(), raise: Raise) {
    let flag = Arc::new(AtomicBool::named("flag", false));
    let spinners: Vec<_> = (0..spinners)
        .map(|_| {
            let f = flag.clone();
            thread::spawn(move || {
                while !f.load(Acquire) {
                    pause();
                }
            })
        })
        .collect();
    let setter = match raise {
        Raise::Nobody => None,
        Raise::Main => {
            flag.store(true, Release);
            None
        }
        Raise::AfterALock => {
            let other = Mutex::new(0);
            Some(thread::spawn(move || {
                *other.lock().unwrap() += 1;
                flag.store(true, Release);
            }))
        }
    };
    for s in spinners.into_iter().chain(setter) {
        s.join().unwrap();
    }
}

/// Who raises the gate's flag.
#[derive(Clone, Copy)]
enum Raise {
    Nobody,
    /// The main thread, once it has started the spinners.
    Main,
    /// A third thread, after it has taken a lock of its own.
    AfterALock,
}

const PAUSES: [(&str, fn()); 3] = [
    ("yield_now", thread::yield_now),
    ("spin_loop", hint::spin_loop),
    ("sleep", || thread::sleep(TICK)),
];

#[test]
fn spinners_wait_for_a_third_thread() {
    for spinners in [2, 3] {
        for (name, pause) in PAUSES {
            let report = Explorer::new()
                .keep_going(true)
                .run(move || gate(spinners, pause, Raise::Main));
            assert!(
                report.failure().is_none(),
                "{spinners} spinners, {name}: a false alarm\n{report}"
            );
            tapestry_tests::assert_complete(&report, &format!("{spinners} spinners, {name}"));
        }
    }
}

/// (With a step limit loom can count to: past 60,000 steps the exhaustive engine says it
/// cannot run the program, `tests/long_runs.rs`.)
#[test]
fn spinners_waiting_for_nobody_hit_the_step_limit() {
    for (name, pause) in PAUSES {
        let report = Explorer::new()
            .engine(EngineKind::Exhaustive)
            .max_steps(20_000)
            .run(move || gate(2, pause, Raise::Nobody));
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{name}: a livelock passed\n{report}"));
        assert_eq!(failure.kind(), FailureKind::StepLimit, "{name}\n{report}");
    }
}

/// A livelock's report shows the start of its long schedule, not all of it (a million steps
/// are megabytes of text in the test's output); `Failure::replay` has it whole.
#[test]
fn a_long_schedule_is_cut_in_the_report() {
    let report = Explorer::new()
        .engine(Engine::random().schedules(10))
        .max_steps(20_000)
        .run(|| gate(2, thread::yield_now, Raise::Nobody));
    let failure = report.failure().expect("a livelock");
    assert_eq!(failure.kind(), FailureKind::StepLimit, "{report}");
    let whole = failure.replay().to_string();
    let shown = failure.to_string();
    let line = shown
        .lines()
        .find(|l| l.trim_start().starts_with("replay: "))
        .expect("a replay line");
    assert!(whole.len() > 1000 && line.len() < 500, "{line}");
    assert!(
        line.contains(&format!("({} characters in all", whole.len())),
        "{line}"
    );
    let kept = line.trim_start().trim_start_matches("replay: ");
    let kept = kept.split(" ...").next().unwrap();
    assert!(whole.starts_with(kept), "{line}");
}

/// The gate again, with the flag raised by a third thread that first takes a lock of its
/// own. The DPOR search used to report a livelock in its first execution (after a yield it ran
/// the lowest-numbered other thread, so the two spinners handed over to each other and the
/// setter never ran) and, once that was fixed, in its fourth: having explored the setter's
/// lock first in one branch, it keeps the setter asleep in the others until a step conflicts
/// with that lock, which the spinners' loads never do.
#[test]
fn spinners_wait_for_a_thread_the_search_put_to_sleep() {
    for (name, pause) in PAUSES {
        let report = Explorer::new()
            .keep_going(true)
            .run(move || gate(2, pause, Raise::AfterALock));
        assert!(
            report.failure().is_none(),
            "{name}: a false alarm\n{report}"
        );
        tapestry_tests::assert_complete(&report, name);
    }
}
