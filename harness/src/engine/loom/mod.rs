//! The exhaustive engine: loom's depth-first search over every interleaving, bounded by
//! preemptions, searched with bound 0, 1, 2, ... so that the first failure found is one with
//! the fewest preemptions. loom has no data choices (which ready branch of a `select!` wins):
//! within a bound, loom's search runs once per combination of their values
//! (`engine::choices`), as the DPOR engine's does.

mod backend;
mod condvar;
mod fair;
mod pool;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use self::backend::LoomBackend;
use super::choices::{Given, given, next_rounds, public};
use super::{Body, EngineRun, Exhaustive, Found, Limits, failure_of, on_fresh_thread, predicted};
use super::{hang, stack};
use crate::kinds::FailureKind;
use crate::rt::{self, Execution, Local};
use crate::schedule::Replay;

pub(crate) fn explore(body: &Body, config: &Exhaustive, limits: &Limits) -> EngineRun {
    on_fresh_thread("tapestry-exhaustive", || {
        explore_here(body, config, limits, None)
    })
}

/// Runs only the `execution`-th execution of the search with `preemption_bound` and the data
/// choices `choices` (counting from 1): the depth-first search is deterministic, so that is
/// the same interleaving.
pub(crate) fn replay(
    body: &Body,
    limits: &Limits,
    preemption_bound: Option<usize>,
    execution: u64,
    choices: &[(u32, u32, u32)],
) -> EngineRun {
    let config = Exhaustive {
        preemption_bound,
        iterative: false,
        max_executions: Some(execution),
        ..Exhaustive::default()
    };
    on_fresh_thread("tapestry-exhaustive-replay", || {
        explore_here(body, &config, limits, Some((execution, given(choices))))
    })
}

/// The search: bound after bound and, within a bound, a round of loom's search for each
/// combination of values of the data choices met (`engine::choices`), so that the first
/// failure found is one with the fewest preemptions. `replay` runs one round of one bound
/// up to one execution.
fn explore_here(
    body: &Body,
    config: &Exhaustive,
    limits: &Limits,
    replay: Option<(u64, Given)>,
) -> EngineRun {
    rt::hook::install();
    let start = Instant::now();
    let backend = LoomBackend::default();
    let choices = backend.choices.clone();
    let exec = Arc::new(
        Execution::new(Box::new(backend), false)
            .engine(limits.engine)
            .tracing(limits.tracing)
            .lock_order(limits.lock_order)
            .available_parallelism(limits.parallelism)
            .workers(limits.workers)
            .timeouts(limits.timeouts)
            .waker_sites(limits.waker_sites),
    );
    let local = Local::new(exec.clone());
    let _installed = local.install();
    let _watched = hang::watch(&exec, limits.watchdog);
    let lock = || choices.lock().unwrap_or_else(PoisonError::into_inner);

    let bounds: Vec<Option<usize>> = match config.preemption_bound {
        Some(bound) if config.iterative => (0..=bound).map(Some).collect(),
        bound => vec![bound],
    };
    let mut complete = true;
    // Where a predicted deadlock's execution sits in the search, to replay it.
    let mut predicted_at = None;
    // Searches started over because a failure may have been loom's complaint about an atomic
    // made outside the pool (see `pool`); each learns more, so few are ever needed.
    let mut restarts = 0;
    // Executions of searches that ran to their end or failed: the budget. A search started
    // over spends none, or a replay's search, started over, would stop short of its execution.
    let mut spent = 0;
    'bounds: for bound in bounds {
        let mut rounds = vec![
            replay
                .as_ref()
                .map(|(_, given)| given.clone())
                .unwrap_or_default(),
        ];
        while let Some(given) = rounds.pop() {
            let before = exec.executions();
            let remaining_executions = config.max_executions.map(|max| max.saturating_sub(spent));
            let remaining_time = config.max_time.saturating_sub(start.elapsed());
            if remaining_executions == Some(0) || remaining_time.is_zero() {
                complete = false;
                break 'bounds;
            }
            {
                let mut choices = lock();
                choices.given = given.clone();
                choices.met.clear();
            }
            let builder = builder(limits, bound, remaining_executions, remaining_time);
            let body = body.clone();
            let result = catch_unwind(AssertUnwindSafe(|| {
                // loom's coroutine stacks are 32 KiB; the body runs on one of ours.
                builder.check(move || {
                    stack::run_on(stack::MAIN, || rt::run_main(&*body));
                    fair::ran();
                })
            }));
            let ran = exec.executions() - before;
            if let Some(at) = exec.prediction_without_trace().filter(|&at| at > before) {
                predicted_at.get_or_insert((bound, at - before, given.clone()));
            }
            if result.is_err() && exec.backend.unsure_failure() && restarts < MAX_RESTARTS {
                restarts += 1;
                rounds.push(given);
                continue;
            }
            spent += ran;
            match result {
                Err(payload) => {
                    let mut record = failure_of(&exec, &*payload);
                    if record.kind == FailureKind::StepLimit && limits.max_steps > MAX_BRANCHES {
                        // Not the program's step limit: loom's own.
                        record.kind = FailureKind::Unsupported;
                        record.message = format!(
                            "this engine runs at most {MAX_BRANCHES} steps per execution (loom \
                             counts a thread's operations in 16 bits) and this execution ran \
                             more; the other engines run each execution to the step limit, {}",
                            limits.max_steps
                        );
                    }
                    return EngineRun {
                        executions: exec.executions(),
                        elapsed: start.elapsed(),
                        complete: false,
                        found: Some(Found {
                            record,
                            recording: local.take_recording(),
                            execution: exec.executions(),
                            replay: Replay::Exhaustive {
                                preemption_bound: bound,
                                execution: ran,
                                choices: public(&given),
                            },
                            // Searched bound by bound, the first failure has the fewest
                            // preemptions.
                            preemptions: if config.iterative { bound } else { None },
                        }),
                        predicted: None,
                        weak_orderings: Some(exec.weak_orderings()),
                        estimate: None,
                    };
                }
                Ok(()) if replay.is_some() => break 'bounds,
                Ok(()) => {
                    let out_of_executions = remaining_executions.is_some_and(|max| ran >= max);
                    let out_of_time = start.elapsed() >= config.max_time;
                    if out_of_executions || out_of_time {
                        complete = false;
                        break 'bounds;
                    }
                }
            }
            let met = std::mem::take(&mut lock().met);
            rounds.extend(next_rounds(&given, &met));
        }
    }
    rt::keep_prediction_trace(&local);
    let predicted = predicted(&exec, |_| {
        let (preemption_bound, execution, given) = predicted_at.clone().unwrap_or_default();
        Replay::Exhaustive {
            preemption_bound,
            execution,
            choices: public(&given),
        }
    });
    EngineRun {
        executions: exec.executions(),
        elapsed: start.elapsed(),
        complete,
        found: None,
        predicted,
        weak_orderings: Some(exec.weak_orderings()),
        estimate: None,
    }
}

/// The most steps loom runs in one execution: it counts each thread's operations in a `u16`
/// (its `VersionVec`), which overflows past 65,535 (a panic in a debug build, a wrong search
/// in a release one). A longer execution is beyond this engine, not a failure of the program:
/// the step limit of the other engines is far higher ([`crate::Explorer::DEFAULT_MAX_STEPS`]).
const MAX_BRANCHES: u64 = 60_000;

/// How often one exploration may start loom's search over (see `pool`).
const MAX_RESTARTS: u32 = 8;

fn builder(
    limits: &Limits,
    bound: Option<usize>,
    executions: Option<u64>,
    time: Duration,
) -> loom::model::Builder {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = bound;
    builder.max_branches = limits.max_steps.min(MAX_BRANCHES) as usize;
    // loom checks its execution and time budgets only every `checkpoint_interval` executions;
    // with no checkpoint file, checking every time costs nothing.
    builder.checkpoint_interval = 1;
    builder.checkpoint_file = None;
    // loom stops *before* execution number `max_permutations`.
    builder.max_permutations = executions.map(|n| n.saturating_add(1) as usize);
    builder.max_duration = Some(time);
    builder.location = false;
    builder.log = false;
    builder
}
