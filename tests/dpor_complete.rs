//! The DPOR engine is complete and optimal on random small programs, not only on the
//! catalogue: a property test against a naive interpreter written here, with no tapestry.
//!
//! A program is 2 to 4 threads, spawned by the test body and joined in order, each a short
//! list of statements over a few atomics (starting at 0) and mutexes: loads, stores, swaps,
//! `compare_exchange`s (whose expected values make them succeed or fail), `fetch_add`s, and
//! critical sections (lock, some atomic operations, unlock) with mixed orderings. Each thread
//! returns the values its operations read; after joining, the body loads every atomic. That
//! is an execution's *behaviour*.
//!
//! The interpreter runs every interleaving of the threads' steps under sequential consistency
//! (orderings do not matter there; they are generated for the engine's race and happens-before
//! bookkeeping) and checks the engine against it:
//!
//! 1. the engine reaches exactly the behaviours the interleavings reach;
//! 2. it runs exactly one execution per Mazurkiewicz trace: interleavings equal up to swapping
//!    adjacent independent steps. Two steps are dependent when they touch the same object and
//!    one of them writes it; a load and a failed `compare_exchange` read, the other atomic
//!    operations write; every lock and unlock of a mutex writes it. A trace is then determined
//!    by, for each object, the order of its writes and which reads lie between which writes,
//!    which is the canonical form counted (`Canonical`).
//!
//! Steps are what the engine schedules: one per atomic operation, one per lock and one per
//! unlock (each a scheduling point of shuttle's runtime, and the engine's `Lock`/`Unlock`
//! accesses). The engine also has steps the interpreter leaves out: the body's spawns, joins
//! and final loads, and each thread's start and exit. They are ordered by spawn and join only,
//! after or before every step of the threads they concern, so they add no trace; a redundant
//! or missing execution anywhere shows as a count that differs.
//!
//! A critical section nests only sections of higher-numbered mutexes, so no program deadlocks.
//! Runs are deterministic: the random generator has a fixed seed, read from no environment
//! variable, and failures are not persisted, so CI runs the same programs every time.

use std::cell::Cell;
use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex as StdMutex;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tapestry::sync::atomic::{AtomicU64, Ordering};
use tapestry::sync::{Arc, Mutex};
use tapestry::{Engine, Explorer, Outcome, thread};

/// Programs checked. With the sizes below (7 steps a program on average, up to 18; 66,000
/// executions in all) the file's tests take about 4 s in the dev profile on a 2-core machine.
const CASES: u32 = 1000;
/// The largest number of interleavings of a program's steps (an upper bound: locks forbid
/// some), so that the naive enumeration stays quick.
const MAX_INTERLEAVINGS: u64 = 20_000;
/// The most statements in a critical section.
const BODY: usize = 2;
const SEED: [u8; 32] = *b"tapestry dpor completeness seed!";

/// An atomic operation on atomic number `atomic`.
#[derive(Clone, Copy, Debug)]
enum Op {
    Load {
        atomic: usize,
        order: Ordering,
    },
    Store {
        atomic: usize,
        value: u64,
        order: Ordering,
    },
    Swap {
        atomic: usize,
        value: u64,
        order: Ordering,
    },
    CompareExchange {
        atomic: usize,
        expected: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
    },
    FetchAdd {
        atomic: usize,
        value: u64,
        order: Ordering,
    },
}

impl Op {
    fn atomic(self) -> usize {
        match self {
            Op::Load { atomic, .. }
            | Op::Store { atomic, .. }
            | Op::Swap { atomic, .. }
            | Op::CompareExchange { atomic, .. }
            | Op::FetchAdd { atomic, .. } => atomic,
        }
    }

    /// Runs on the facade; returns the value read, if the operation reads.
    fn run(self, atomics: &[AtomicU64]) -> Option<u64> {
        let a = &atomics[self.atomic()];
        match self {
            Op::Load { order, .. } => Some(a.load(order)),
            Op::Store { value, order, .. } => {
                a.store(value, order);
                None
            }
            Op::Swap { value, order, .. } => Some(a.swap(value, order)),
            Op::CompareExchange {
                expected,
                new,
                success,
                failure,
                ..
            } => Some(
                a.compare_exchange(expected, new, success, failure)
                    .unwrap_or_else(|actual| actual),
            ),
            Op::FetchAdd { value, order, .. } => Some(a.fetch_add(value, order)),
        }
    }

    /// Runs on the interpreter's memory; returns the value read, if the operation reads, and
    /// whether it wrote.
    fn interpret(self, memory: &mut [u64]) -> (Option<u64>, bool) {
        let a = &mut memory[self.atomic()];
        let old = *a;
        match self {
            Op::Load { .. } => (Some(old), false),
            Op::Store { value, .. } => {
                *a = value;
                (None, true)
            }
            Op::Swap { value, .. } => {
                *a = value;
                (Some(old), true)
            }
            Op::CompareExchange { expected, new, .. } => {
                let ok = old == expected;
                if ok {
                    *a = new;
                }
                (Some(old), ok)
            }
            Op::FetchAdd { value, .. } => {
                *a = old.wrapping_add(value);
                (Some(old), true)
            }
        }
    }
}

/// A statement of a thread: an atomic operation, or a critical section of mutex `mutex`
/// (which nests only critical sections of higher-numbered mutexes, so no program deadlocks).
#[derive(Clone, Debug)]
enum Statement {
    Atomic(Op),
    Critical { mutex: usize, body: Vec<Statement> },
}

#[derive(Clone, Debug)]
struct Program {
    atomics: usize,
    mutexes: usize,
    threads: Vec<Vec<Statement>>,
}

/// What an execution did: the values each thread read, in order, and the atomics' final values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Behaviour {
    reads: Vec<Vec<u64>>,
    last: Vec<u64>,
}

// ---------------------------------------------------------------------------------------------
// The engine's side.

/// Runs `program` under the unbounded DPOR engine: its executions and their behaviours.
fn explore(program: &Program) -> Result<(u64, BTreeSet<Behaviour>), TestCaseError> {
    explore_with(program, Engine::dpor().unbounded().into())
}

/// The body's thread uses every object before the threads start (see `explore_with`).
static PREBIND: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Runs `program` under `engine`, which must complete; returns its executions and the
/// behaviours they showed.
fn explore_with(
    program: &Program,
    engine: tapestry::Engine,
) -> Result<(u64, BTreeSet<Behaviour>), TestCaseError> {
    let behaviours: std::sync::Arc<StdMutex<BTreeSet<Behaviour>>> = Default::default();
    let body = {
        let program = program.clone();
        let behaviours = behaviours.clone();
        move || {
            let atomics: Arc<Vec<AtomicU64>> =
                Arc::new((0..program.atomics).map(|_| AtomicU64::new(0)).collect());
            let mutexes: Arc<Vec<Mutex<()>>> =
                Arc::new((0..program.mutexes).map(|_| Mutex::new(())).collect());
            // The body's thread uses each object once before the threads start, so that DPOR
            // numbers the objects of this one line alike in every execution (see
            // `engine::dpor::access::Tracker::object`): counting executions against traces
            // needs that. `dpor_reaches_every_behaviour_when_threads_bind_objects` runs the
            // programs without it.
            if PREBIND.load(Ordering::Relaxed) {
                for atomic in atomics.iter() {
                    atomic.load(Ordering::Relaxed);
                }
                for mutex in mutexes.iter() {
                    drop(mutex.lock());
                }
            }
            let threads: Vec<_> = program
                .threads
                .iter()
                .map(|statements| {
                    let statements = statements.clone();
                    let (atomics, mutexes) = (atomics.clone(), mutexes.clone());
                    thread::spawn(move || run_thread(&statements, &atomics, &mutexes))
                })
                .collect();
            let reads = threads.into_iter().map(|t| t.join().unwrap()).collect();
            let last = atomics.iter().map(|a| a.load(Ordering::SeqCst)).collect();
            behaviours.lock().unwrap().insert(Behaviour { reads, last });
        }
    };
    let report = Explorer::new().engine(engine).run(body);
    let run = &report.engines()[0];
    prop_assert_eq!(
        run.outcome(),
        &Outcome::Passed { complete: true },
        "{}",
        report
    );
    let behaviours = std::mem::take(&mut *behaviours.lock().unwrap());
    Ok((run.executions(), behaviours))
}

fn run_thread(statements: &[Statement], atomics: &[AtomicU64], mutexes: &[Mutex<()>]) -> Vec<u64> {
    let mut reads = Vec::new();
    run(statements, atomics, mutexes, &mut reads);
    reads
}

fn run(
    statements: &[Statement],
    atomics: &[AtomicU64],
    mutexes: &[Mutex<()>],
    reads: &mut Vec<u64>,
) {
    for statement in statements {
        match statement {
            Statement::Atomic(op) => reads.extend(op.run(atomics)),
            Statement::Critical { mutex, body } => {
                let _guard = mutexes[*mutex].lock().unwrap();
                run(body, atomics, mutexes, reads);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The interpreter's side.

/// A thread's step as the engine schedules it.
#[derive(Clone, Copy, Debug)]
enum Step {
    Atomic(Op),
    Lock(usize),
    Unlock(usize),
}

fn steps(statements: &[Statement]) -> Vec<Step> {
    let mut steps = Vec::new();
    for statement in statements {
        match statement {
            Statement::Atomic(op) => steps.push(Step::Atomic(*op)),
            Statement::Critical { mutex, body } => {
                steps.push(Step::Lock(*mutex));
                steps.extend(self::steps(body));
                steps.push(Step::Unlock(*mutex));
            }
        }
    }
    steps
}

/// A step of an interleaving: its thread and its index in the thread.
type Event = (usize, usize);

/// What an interleaving did to one object: its writes in order, and the reads between two
/// writes as a set (they commute with each other).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Group {
    Write(Event),
    Reads(BTreeSet<Event>),
}

/// An interleaving's Mazurkiewicz trace: per object (atomics, then mutexes), its groups.
type Canonical = Vec<Vec<Group>>;

/// The interpreter's state partway through an interleaving.
#[derive(Clone)]
struct State {
    next: Vec<usize>,
    memory: Vec<u64>,
    holder: Vec<Option<usize>>,
    reads: Vec<Vec<u64>>,
    objects: Canonical,
}

impl State {
    fn touch(&mut self, object: usize, event: Event, writes: bool) {
        let groups = &mut self.objects[object];
        match (writes, groups.last_mut()) {
            (true, _) => groups.push(Group::Write(event)),
            (false, Some(Group::Reads(reads))) => {
                reads.insert(event);
            }
            (false, _) => groups.push(Group::Reads(BTreeSet::from([event]))),
        }
    }
}

/// What every interleaving of `program` reaches: its behaviours and its distinct traces.
struct Enumeration {
    behaviours: BTreeSet<Behaviour>,
    traces: HashSet<Canonical>,
}

fn enumerate(program: &Program) -> Enumeration {
    let threads: Vec<Vec<Step>> = program.threads.iter().map(|t| steps(t)).collect();
    let start = State {
        next: vec![0; threads.len()],
        memory: vec![0; program.atomics],
        holder: vec![None; program.mutexes],
        reads: vec![Vec::new(); threads.len()],
        objects: vec![Vec::new(); program.atomics + program.mutexes],
    };
    let mut all = Enumeration {
        behaviours: BTreeSet::new(),
        traces: HashSet::new(),
    };
    interleave(&threads, program.atomics, start, &mut all);
    all
}

/// Runs every continuation of `state`, one step of one thread at a time.
fn interleave(threads: &[Vec<Step>], atomics: usize, state: State, all: &mut Enumeration) {
    let mut finished = true;
    for (t, steps) in threads.iter().enumerate() {
        let Some(&step) = steps.get(state.next[t]) else {
            continue;
        };
        finished = false;
        let mut state = state.clone();
        let event = (t, state.next[t]);
        state.next[t] += 1;
        match step {
            Step::Atomic(op) => {
                let (read, writes) = op.interpret(&mut state.memory);
                state.reads[t].extend(read);
                state.touch(op.atomic(), event, writes);
            }
            Step::Lock(m) => {
                if state.holder[m].is_some() {
                    continue;
                }
                state.holder[m] = Some(t);
                state.touch(atomics + m, event, true);
            }
            Step::Unlock(m) => {
                state.holder[m] = None;
                state.touch(atomics + m, event, true);
            }
        }
        interleave(threads, atomics, state, all);
    }
    if finished {
        all.behaviours.insert(Behaviour {
            reads: state.reads,
            last: state.memory,
        });
        all.traces.insert(state.objects);
    }
}

// ---------------------------------------------------------------------------------------------
// Programs.

fn load_order() -> impl Strategy<Value = Ordering> {
    prop::sample::select(vec![Ordering::Relaxed, Ordering::Acquire, Ordering::SeqCst])
}

fn store_order() -> impl Strategy<Value = Ordering> {
    prop::sample::select(vec![Ordering::Relaxed, Ordering::Release, Ordering::SeqCst])
}

fn rmw_order() -> impl Strategy<Value = Ordering> {
    prop::sample::select(vec![
        Ordering::Relaxed,
        Ordering::Acquire,
        Ordering::Release,
        Ordering::AcqRel,
        Ordering::SeqCst,
    ])
}

/// An operation on one of `atomics` atomics. Values stay in 0..3, so that an exchange's
/// expected value is often there and often not.
fn op(atomics: usize) -> impl Strategy<Value = Op> {
    let atomic = 0..atomics;
    let value = 0..3u64;
    prop_oneof![
        1 => (atomic.clone(), load_order()).prop_map(|(atomic, order)| Op::Load { atomic, order }),
        1 => (atomic.clone(), value.clone(), store_order()).prop_map(|(atomic, value, order)| {
            Op::Store {
                atomic,
                value,
                order,
            }
        }),
        1 => (atomic.clone(), value.clone(), rmw_order()).prop_map(|(atomic, value, order)| {
            Op::Swap {
                atomic,
                value,
                order,
            }
        }),
        2 => (atomic.clone(), value.clone(), value, rmw_order(), load_order()).prop_map(
            |(atomic, expected, new, success, failure)| Op::CompareExchange {
                atomic,
                expected,
                new,
                success,
                failure,
            }
        ),
        1 => (atomic, 1..3u64, rmw_order()).prop_map(|(atomic, value, order)| Op::FetchAdd {
            atomic,
            value,
            order,
        }),
    ]
}

/// A statement over `atomics` atomics and mutexes `first..mutexes`.
fn statement(atomics: usize, first: usize, mutexes: usize) -> BoxedStrategy<Statement> {
    let atomic = op(atomics).prop_map(Statement::Atomic);
    if first == mutexes {
        return atomic.boxed();
    }
    let critical = (first..mutexes).prop_flat_map(move |mutex| {
        let body = prop::collection::vec(statement(atomics, mutex + 1, mutexes), 0..=BODY);
        body.prop_map(move |body| Statement::Critical { mutex, body })
    });
    prop_oneof![3 => atomic, 1 => critical].boxed()
}

/// The number of interleavings of threads with these numbers of steps (ignoring locks).
fn interleavings(lengths: impl Iterator<Item = usize>) -> u64 {
    let mut total = 0u64;
    let mut count = 1u64;
    for n in lengths {
        for k in 1..=n as u64 {
            total += 1;
            count = count.saturating_mul(total) / k;
        }
    }
    count
}

fn program() -> impl Strategy<Value = Program> {
    sized_program(4, MAX_INTERLEAVINGS)
}

/// Programs of 2 to `max_threads` threads with at most `max_interleavings` interleavings.
fn sized_program(max_threads: usize, max_interleavings: u64) -> impl Strategy<Value = Program> {
    (1..=2usize, 0..=2usize, 2..=max_threads)
        .prop_flat_map(|(atomics, mutexes, threads)| {
            // Fewer statements per thread as threads are added, to keep the interleavings few.
            let statements = match threads {
                2 => 1..=4usize,
                3 => 1..=3,
                _ => 1..=2,
            };
            let thread = prop::collection::vec(statement(atomics, 0, mutexes), statements);
            prop::collection::vec(thread, threads).prop_map(move |threads| Program {
                atomics,
                mutexes,
                threads,
            })
        })
        .prop_filter("too many interleavings to enumerate", move |p| {
            interleavings(p.threads.iter().map(|t| steps(t).len())) <= max_interleavings
        })
}

/// Whether some compare-exchange of the program wrote in one interleaving and only read in
/// another (no other operation can do both).
fn exchange_goes_both_ways(traces: &HashSet<Canonical>) -> bool {
    let mut wrote = HashSet::new();
    let mut read = HashSet::new();
    for group in traces.iter().flatten().flatten() {
        match group {
            Group::Write(event) => wrote.insert(*event),
            Group::Reads(events) => {
                read.extend(events);
                false
            }
        };
    }
    wrote.intersection(&read).next().is_some()
}

/// The same programs with no object used before the threads start: the threads bind them in
/// orders that vary, so DPOR's numbers for them vary (`Tracker::object`); every behaviour must
/// still be reached. (The only test that clears `PREBIND`; the others leave it set.)
#[test]
fn dpor_reaches_every_behaviour_when_threads_bind_objects() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    PREBIND.store(false, Ordering::Relaxed);
    let mut runner = tapestry_tests::seeded_runner(CASES / 2, &SEED);
    let (more, total) = (Cell::new(0), Cell::new(0));
    let result = runner.run(&program(), |program| {
        let expected = enumerate(&program);
        let (executions, behaviours) = explore(&program)?;
        prop_assert_eq!(&behaviours, &expected.behaviours, "behaviours");
        prop_assert!(executions >= expected.traces.len() as u64);
        total.set(total.get() + 1);
        more.set(more.get() + u64::from(executions > expected.traces.len() as u64));
        Ok(())
    });
    PREBIND.store(true, Ordering::Relaxed);
    if let Err(e) = result {
        panic!("{e}");
    }
    let (more, total) = (more.get(), total.get());
    eprintln!("{more} of {total} programs took more executions than traces");
}

/// Keeps `PREBIND` cleared only while nothing else runs programs.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn dpor_runs_one_execution_per_trace_of_random_programs() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut runner = tapestry_tests::seeded_runner(CASES, &SEED);
    // What the programs exercised, so that a generator gone dull fails the test too.
    let contested_exchanges = Cell::new(0);
    let contested_locks = Cell::new(0);
    let result = runner.run(&program(), |program| {
        let expected = enumerate(&program);
        let (executions, behaviours) = explore(&program)?;
        prop_assert_eq!(&behaviours, &expected.behaviours, "behaviours");
        prop_assert_eq!(
            executions,
            expected.traces.len() as u64,
            "executions against traces"
        );
        if exchange_goes_both_ways(&expected.traces) {
            contested_exchanges.set(contested_exchanges.get() + 1);
        }
        let mutex_orders = |m: usize| {
            let orders: HashSet<_> = expected
                .traces
                .iter()
                .map(|t| &t[program.atomics + m])
                .collect();
            orders.len()
        };
        if (0..program.mutexes).any(|m| mutex_orders(m) > 1) {
            contested_locks.set(contested_locks.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // With the seed above, 605 and 129 of the 1,000 programs.
    assert!(
        contested_exchanges.get() >= CASES / 20,
        "{} programs had an exchange that both succeeded and failed",
        contested_exchanges.get()
    );
    assert!(
        contested_locks.get() >= CASES / 20,
        "{} programs had critical sections in more than one order",
        contested_locks.get()
    );
}

impl Op {
    /// The same operation with every ordering `order` (`Release` for stores, `Acquire` for
    /// loads and failed exchanges, `AcqRel` for read-modify-writes when `order` is `AcqRel`).
    fn with_order(self, order: Ordering) -> Op {
        let (load, store) = match order {
            Ordering::AcqRel => (Ordering::Acquire, Ordering::Release),
            order => (order, order),
        };
        match self {
            Op::Load { atomic, .. } => Op::Load {
                atomic,
                order: load,
            },
            Op::Store { atomic, value, .. } => Op::Store {
                atomic,
                value,
                order: store,
            },
            Op::Swap { atomic, value, .. } => Op::Swap {
                atomic,
                value,
                order,
            },
            Op::CompareExchange {
                atomic,
                expected,
                new,
                ..
            } => Op::CompareExchange {
                atomic,
                expected,
                new,
                success: order,
                failure: load,
            },
            Op::FetchAdd { atomic, value, .. } => Op::FetchAdd {
                atomic,
                value,
                order,
            },
        }
    }
}

impl Program {
    /// The same program with every atomic operation's ordering `order` (see `Op::with_order`).
    fn with_order(&self, order: Ordering) -> Program {
        fn statements(list: &[Statement], order: Ordering) -> Vec<Statement> {
            list.iter()
                .map(|s| match s {
                    Statement::Atomic(op) => Statement::Atomic(op.with_order(order)),
                    Statement::Critical { mutex, body } => Statement::Critical {
                        mutex: *mutex,
                        body: statements(body, order),
                    },
                })
                .collect()
        }
        Program {
            threads: self.threads.iter().map(|t| statements(t, order)).collect(),
            ..self.clone()
        }
    }
}

/// Programs checked under the exhaustive engine, which runs far more executions than DPOR (it
/// explores every store a load may read, with no partial-order reduction): smaller ones.
const LOOM_CASES: u32 = 150;
const LOOM_MAX_THREADS: usize = 3;
const LOOM_MAX_INTERLEAVINGS: u64 = 400;

/// With every access `SeqCst`, a program must behave as some interleaving (Rust's atomics
/// promise sequential consistency for them), so the exhaustive engine, on loom, which treats
/// `SeqCst` accesses as `AcqRel` by itself, must show no behaviour the interleavings lack:
/// that would be a false alarm on correct code.
///
/// It may show fewer. Loom's own search skips some executions: it remembers only the last
/// access to an atomic, so a load of one thread followed by a load and a read-modify-write of
/// another never has the read-modify-write moved before the first load (raw loom 0.7.3 does
/// the same). The test counts those programs; the DPOR engine is the complete one.
#[test]
fn the_exhaustive_engine_runs_seq_cst_programs_as_interleavings() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut runner = tapestry_tests::seeded_runner(LOOM_CASES, &SEED);
    // Programs whose `Release`/`Acquire` twin shows a behaviour no interleaving has (store
    // buffering and the like): where treating `SeqCst` as `AcqRel` would be a false alarm.
    let weak = Cell::new(0);
    let missed = Cell::new(0);
    let exhaustive = || Engine::exhaustive().unbounded().into();
    let programs = sized_program(LOOM_MAX_THREADS, LOOM_MAX_INTERLEAVINGS);
    let result = runner.run(&programs, |program| {
        let program = program.with_order(Ordering::SeqCst);
        let expected = enumerate(&program);
        let (_, behaviours) = explore_with(&program, exhaustive())?;
        prop_assert!(
            behaviours.is_subset(&expected.behaviours),
            "behaviours no interleaving has: {:?}",
            behaviours
                .difference(&expected.behaviours)
                .collect::<Vec<_>>()
        );
        if behaviours != expected.behaviours {
            missed.set(missed.get() + 1);
        }
        let (_, twin) = explore_with(&program.with_order(Ordering::AcqRel), exhaustive())?;
        if !twin.is_subset(&expected.behaviours) {
            weak.set(weak.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        weak.get() >= LOOM_CASES / 20,
        "only {} programs had a Release/Acquire twin with a weak behaviour",
        weak.get()
    );
    // With the seed above: 38 and 4 of the 150 programs.
    assert!(
        missed.get() <= LOOM_CASES / 4,
        "loom's search missed behaviours of {} programs",
        missed.get()
    );
}

#[test]
fn the_interpreter_counts_the_known_traces() {
    let seq = Ordering::SeqCst;
    let load = Op::Load {
        atomic: 0,
        order: seq,
    };
    let store = |value| Op::Store {
        atomic: 0,
        value,
        order: seq,
    };
    let exchange = |expected, new| Op::CompareExchange {
        atomic: 0,
        expected,
        new,
        success: seq,
        failure: seq,
    };
    let increment = Op::FetchAdd {
        atomic: 0,
        value: 1,
        order: seq,
    };
    let critical = Statement::Critical {
        mutex: 0,
        body: vec![Statement::Atomic(increment)],
    };
    let one = |op| vec![Statement::Atomic(op)];
    // Threads, and how many traces and behaviours they have.
    let cases = [
        // Reads commute, failing exchanges too: one trace.
        (vec![one(load), one(load)], 1, 1),
        (vec![one(exchange(1, 2)), one(exchange(2, 3))], 1, 1),
        // A store and a load: the load sees it or not.
        (vec![one(store(1)), one(load)], 2, 2),
        // Two stores of the same value: two traces, one behaviour.
        (vec![one(store(1)), one(store(1))], 2, 1),
        // tests/dpor.rs's failing exchanges, without the cell: 14.
        (
            vec![
                one(store(1)),
                one(exchange(2, 3)),
                one(exchange(1, 2)),
                one(load),
            ],
            14,
            14,
        ),
        // Three critical sections of one mutex: 3! orders.
        (vec![vec![critical.clone()]; 3], 6, 6),
    ];
    for (threads, traces, behaviours) in cases {
        let program = Program {
            atomics: 1,
            mutexes: 1,
            threads,
        };
        let all = enumerate(&program);
        assert_eq!(all.traces.len(), traces, "{program:?}");
        assert_eq!(all.behaviours.len(), behaviours, "{program:?}");
    }
}
