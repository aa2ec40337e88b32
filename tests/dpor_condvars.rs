//! The DPOR engine and the exhaustive engine reach the same behaviours on random small
//! programs with a condition variable: a property test with each engine the other's oracle.
//! Loom's search and tapestry's wait on loom (`engine::loom::condvar`) share nothing with
//! shuttle's runtime and DPOR's model of a wait (release, wake-up, relock: `WaitPhase` in
//! `engine::dpor::search`), so a wrong step in either shows as a behaviour one reaches and the
//! other does not. `tests/dpor_complete.rs` checks atomics and mutexes against a naive
//! interpreter; tapestry's spurious wake-ups (a wait may end while another thread can go on,
//! with the pacing of `engine::timed`) would make such an interpreter a third model of them.
//!
//! A program is 2 or 3 threads, each a waiter or a signaller, over one mutex-guarded count
//! with a condition variable and one atomic. A signaller raises the count and notifies (one
//! waiter or all, inside the critical section or after it); a waiter takes one from the count,
//! waiting while it is 0. Both may also touch the atomic, and a signaller may take the mutex
//! for nothing. There are never more takes than raises, and waiters never signal, so no
//! program deadlocks; at most four statements in all, so that loom's search, which explores
//! far more executions than there are behaviours, finishes in a fraction of a second.
//! Behaviour: the log of the critical sections (who did what, in order, including each wait)
//! and the values the atomic operations read.

use std::collections::BTreeSet;
use std::sync::Mutex as StdMutex;

use proptest::prelude::*;
use tapestry::sync::atomic::{AtomicU64, Ordering::SeqCst};
use tapestry::sync::{Arc, Condvar, Mutex};
use tapestry::{Engine, Explorer, Outcome, thread};

/// Programs checked: about 10 s in the dev profile on a 2-core machine.
const CASES: u32 = 80;
const SEED: [u8; 32] = *b"tapestry dpor condvar check seed";

#[derive(Clone, Copy, Debug)]
enum Statement {
    /// Raise the count, then wake one waiter (or all), inside the critical section or after.
    Signal { all: bool, inside: bool },
    /// Take one from the count, waiting while it is 0.
    Take,
    /// Take the mutex and log, changing nothing.
    Look,
    /// `fetch_add(1)` on the atomic.
    Add,
}

type Program = Vec<Vec<Statement>>;

/// What an execution did: the critical sections' log, and what each thread's atomic
/// operations read.
type Behaviour = (Vec<u32>, Vec<Vec<u64>>);

struct Shared {
    /// The count and the log.
    state: Mutex<(u32, Vec<u32>)>,
    cv: Condvar,
    atomic: AtomicU64,
}

/// Log entries: thread `t`'s event is `10 * t + code`.
const RAISED: u32 = 1;
const WAITS: u32 = 2;
const TOOK: u32 = 3;
const LOOKED: u32 = 4;

fn run_thread(t: u32, statements: &[Statement], shared: &Shared) -> Vec<u64> {
    let mut reads = Vec::new();
    let log = |state: &mut (u32, Vec<u32>), code| state.1.push(10 * t + code);
    for statement in statements {
        match *statement {
            Statement::Signal { all, inside } => {
                let mut state = shared.state.lock().unwrap();
                state.0 += 1;
                log(&mut state, RAISED);
                let notify = || match all {
                    true => shared.cv.notify_all(),
                    false => shared.cv.notify_one(),
                };
                if inside {
                    notify();
                    drop(state);
                } else {
                    drop(state);
                    notify();
                }
            }
            Statement::Take => {
                let mut state = shared.state.lock().unwrap();
                while state.0 == 0 {
                    log(&mut state, WAITS);
                    state = shared.cv.wait(state).unwrap();
                }
                state.0 -= 1;
                log(&mut state, TOOK);
            }
            Statement::Look => log(&mut shared.state.lock().unwrap(), LOOKED),
            Statement::Add => reads.push(shared.atomic.fetch_add(1, SeqCst)),
        }
    }
    reads
}

/// Runs `program` under `engine`, which must complete; returns the behaviours it reached.
fn behaviours(program: &Program, engine: Engine) -> Result<BTreeSet<Behaviour>, String> {
    let seen: std::sync::Arc<StdMutex<BTreeSet<Behaviour>>> = Default::default();
    let body = {
        let (program, seen) = (program.clone(), seen.clone());
        move || {
            let shared = Arc::new(Shared {
                state: Mutex::new((0, Vec::new())),
                cv: Condvar::new(),
                atomic: AtomicU64::new(0),
            });
            let threads: Vec<_> = (program.iter().enumerate())
                .map(|(t, statements)| {
                    let (statements, shared) = (statements.clone(), shared.clone());
                    thread::spawn(move || run_thread(t as u32, &statements, &shared))
                })
                .collect();
            let reads = threads.into_iter().map(|t| t.join().unwrap()).collect();
            let log = shared.state.lock().unwrap().1.clone();
            seen.lock().unwrap().insert((log, reads));
        }
    };
    let report = Explorer::new().engine(engine).run(body);
    let run = &report.engines()[0];
    if !matches!(run.outcome(), Outcome::Passed { complete: true }) {
        return Err(report.to_string());
    }
    Ok(std::mem::take(&mut *seen.lock().unwrap()))
}

fn signaller() -> impl Strategy<Value = Vec<Statement>> {
    let statement = prop_oneof![
        3 => (any::<bool>(), any::<bool>()).prop_map(|(all, inside)| Statement::Signal { all, inside }),
        1 => Just(Statement::Look),
        1 => Just(Statement::Add),
    ];
    prop::collection::vec(statement, 1..=2)
}

fn waiter() -> impl Strategy<Value = Vec<Statement>> {
    let statement = prop_oneof![
        3 => Just(Statement::Take),
        1 => Just(Statement::Add),
    ];
    prop::collection::vec(statement, 1..=2)
}

/// Two or three threads, at least one of each kind, with no more takes than raises.
fn program() -> impl Strategy<Value = Program> {
    (1..=2usize, 1..=2usize)
        .prop_filter("at most three threads", |(s, w)| s + w <= 3)
        .prop_flat_map(|(signallers, waiters)| {
            (
                prop::collection::vec(signaller(), signallers),
                prop::collection::vec(waiter(), waiters),
            )
        })
        .prop_map(|(mut signallers, waiters)| {
            signallers.extend(waiters);
            signallers
        })
        .prop_filter("at most four statements, for loom's sake", |program| {
            program.iter().map(Vec::len).sum::<usize>() <= 4
        })
        .prop_filter("no more takes than raises", |program| {
            let count = |wanted: fn(&Statement) -> bool| {
                program.iter().flatten().filter(|s| wanted(s)).count()
            };
            count(|s| matches!(s, Statement::Take))
                <= count(|s| matches!(s, Statement::Signal { .. }))
        })
}

#[test]
fn dpor_and_the_exhaustive_engine_reach_the_same_behaviours_with_a_condvar() {
    let mut runner = tapestry_tests::seeded_runner(CASES, &SEED);
    let result = runner.run(&program(), |program| {
        let by_dpor =
            behaviours(&program, Engine::dpor().unbounded().into()).map_err(TestCaseError::fail)?;
        let by_exhaustive = behaviours(&program, Engine::exhaustive().unbounded().into())
            .map_err(TestCaseError::fail)?;
        let missed: Vec<_> = by_exhaustive.difference(&by_dpor).collect();
        let extra: Vec<_> = by_dpor.difference(&by_exhaustive).collect();
        prop_assert!(
            missed.is_empty() && extra.is_empty(),
            "of {} behaviours, DPOR missed {missed:?} and reached {extra:?} beyond the \
             exhaustive engine's {}",
            by_dpor.len(),
            by_exhaustive.len(),
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
