//! The DPOR engine: exhaustive exploration that runs one execution per class of equivalent
//! interleavings, instead of every interleaving.
//!
//! Two interleavings are equivalent (the same Mazurkiewicz trace) when one becomes the other by
//! swapping adjacent steps of different threads that do not conflict: steps on different
//! objects, two loads, two read locks. Equivalent interleavings end in the same state, so
//! running one of each class checks every behaviour. loom explores far more (each class many
//! times); the search here is source-DPOR with sleep sets (Abdulla, Aronis, Jonsson and
//! Sagonas, "Source Sets: A Foundation for Optimal Dynamic Partial Order Reduction", JACM 2017,
//! first as "Optimal Dynamic Partial Order Reduction", POPL 2014):
//!
//! - run an execution, choosing freely;
//! - find its races, pairs of conflicting steps of different threads that nothing else orders
//!   (`races`), and for each make sure the state before the first step explores some thread
//!   that can start the reversed order (the race's *initials*);
//! - explore those branches depth-first (`tree`), each with a *sleep set*: threads whose next
//!   step was explored in a sibling branch and commutes with everything since, which are not
//!   run again. Sleep sets make the search run at most one complete execution per class;
//!   source sets make it run at least one.
//!
//! An execution can end early when every thread that could go on is asleep ("blocked"): all its
//! continuations were explored elsewhere. Wakeup trees (the paper's optimal algorithm) avoid
//! even those; the classic programs of `tapestry_catalogue::classic` never block.
//!
//! The engine runs on shuttle's runtime with a scheduler of its own (`search`), fed by wrappers
//! around shuttle's objects that announce each operation before it runs (`access`, `backend`).
//! Limits: sequentially consistent only (use the exhaustive engine, on loom, for
//! `Relaxed`/`Acquire`/`Release` bugs); a program must do the same under the same schedule
//! (randomness, time or state kept between executions break the search, and are reported as
//! misuse); a failed `compare_exchange` is a read, a successful one a write (so reversing a race
//! can turn one into the other: the wrappers note the value each atomic operation found, and
//! `races` gives an exchange it moves the footprint it will have there); a condvar wait
//! conflicts with every notify of its condvar. A task's wake is a give of its thread's wake
//! token and its wait a take, which runs only once the token is there: a wake orders the
//! poll it causes and is reversed only with another wake (`tests/futures.rs` counts tasks'
//! traces against numbers derived by hand). A data choice (`Backend::choose`: which branch
//! of a `select!` is polled first) is not a race: the engine searches once per combination of
//! the values of the choices it meets, each named by its thread and its number there
//! (`engine::choices`), and the schedule records the value as a draw so that it replays.

pub(crate) mod access;
pub(crate) mod backend;
mod races;
mod search;
mod tree;
mod wakeup;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use self::access::SharedTracker;
use self::backend::DporBackend;
use self::search::{Dpor as Search, Stats};
use super::choices::{Given, next_rounds};
use super::shuttle::run_on;
use super::{Body, Dpor, EngineRun, Found, Limits, on_fresh_thread};
use crate::kinds::FailureKind;
use crate::rt::FailureRecord;

pub(crate) fn explore(body: &Body, config: &Dpor, limits: &Limits) -> EngineRun {
    on_fresh_thread("tapestry-dpor", || explore_here(body, config, limits))
}

/// The preemption bounds of the rounds: `None` is a search with no bound.
fn bounds(config: &Dpor) -> Box<dyn Iterator<Item = Option<usize>>> {
    match (config.iterative, config.preemption_bound) {
        (true, Some(max)) => Box::new((0..=max).map(Some)),
        (true, None) => Box::new((0..).map(Some)),
        (false, bound) => Box::new(std::iter::once(bound)),
    }
}

fn explore_here(body: &Body, config: &Dpor, limits: &Limits) -> EngineRun {
    let start = Instant::now();
    let mut total = EngineRun {
        executions: 0,
        elapsed: Default::default(),
        complete: false,
        found: None,
        predicted: None,
        weak_orderings: Some(false),
        estimate: None,
    };
    // Each combination of values of the data choices is searched once (`choices`).
    let mut todo: Vec<Given> = vec![Given::new()];
    let mut complete = true;
    while let Some(given) = todo.pop() {
        let (met, searched) = search(body, config, limits, start, &given, &mut total);
        if !searched || total.found.is_some() {
            complete = false;
            break;
        }
        todo.extend(next_rounds(&given, &met));
    }
    total.complete = complete;
    if !complete
        && config.estimate
        && total.found.is_none()
        && config
            .max_executions
            .is_some_and(|max| total.executions >= max)
    {
        // A complete search runs one execution per sequentially consistent execution graph
        // (reads-from and coherence order), which the c11 engine's sampler can count.
        total.estimate =
            super::c11::estimate(body, limits, tapestry_c11::Model::Sc, start.elapsed())
                .map(|e| super::c11::describe_estimate(&e, total.executions));
    }
    total.elapsed = start.elapsed();
    total
}

/// Searches with the choices `given`, bound after bound, adding to `total`. Returns the choices
/// met and whether the search was complete (for this combination).
fn search(
    body: &Body,
    config: &Dpor,
    limits: &Limits,
    start: Instant,
    given: &Given,
    total: &mut EngineRun,
) -> (Given, bool) {
    let mut met = Given::new();
    for bound in bounds(config) {
        let left = config
            .max_executions
            .map(|m| m.saturating_sub(total.executions));
        let Some(time) = config.max_time.checked_sub(start.elapsed()) else {
            break;
        };
        if left == Some(0) {
            break;
        }
        let (mut run, stats, round_met) = round(body, bound, left, limits, time, given);
        for (choice, values) in round_met {
            let most = met.entry(choice).or_default();
            *most = (*most).max(values);
        }
        let before = total.executions;
        total.executions += run.executions;
        total.add_weak_orderings(run.weak_orderings);
        if let Some(found) = run.found.as_mut() {
            found.execution += before;
            // Searched bound by bound, the first failure has the fewest preemptions.
            found.preemptions = found.preemptions.or(bound.filter(|_| config.iterative));
        }
        if total.predicted.is_none()
            && let Some(mut predicted) = run.predicted.take()
        {
            predicted.execution += before;
            total.predicted = Some(predicted);
        }
        if run.found.is_some() {
            total.found = run.found;
            break;
        }
        if let Some(why) = stats.nondeterminism {
            total.found = Some(nondeterminism(why, total.executions));
            break;
        }
        if !stats.exhausted {
            break;
        }
        if !stats.pruned {
            return (met, true);
        }
    }
    (met, false)
}

/// One search with preemption bound `bound` and the choices `given`; returns the choices met.
fn round(
    body: &Body,
    bound: Option<usize>,
    max_executions: Option<u64>,
    limits: &Limits,
    time: std::time::Duration,
    given: &Given,
) -> (EngineRun, Stats, Given) {
    let tracker = SharedTracker::default();
    tracker.choices().given = given.clone();
    let stats = Rc::new(RefCell::new(Stats::default()));
    let search = Search::new(tracker.clone(), stats.clone(), bound, max_executions);
    let backend = Box::new(DporBackend::new(tracker.clone()));
    let (run, _) = run_on(body, search, (backend, None), limits, Some(time));
    let stats = stats.borrow().clone();
    let met = std::mem::take(&mut tracker.choices().met);
    (run, stats, met)
}

fn nondeterminism(why: String, execution: u64) -> Found {
    Found {
        record: FailureRecord::new(
            FailureKind::Misuse,
            format!("the DPOR engine cannot explore this program: {why}"),
            0,
        ),
        recording: Default::default(),
        execution,
        replay: crate::schedule::Replay::Schedule(Default::default()),
        preemptions: None,
    }
}
