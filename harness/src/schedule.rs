//! What reproduces a failure: the scheduling choices of a model engine, or enough to re-hunt it.

use std::fmt;
use std::str::FromStr;

/// How to reproduce a [`Failure`](crate::Failure).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replay {
    /// The exhaustive engine searches depth-first and deterministically: with the same program
    /// and preemption bound, the `execution`-th execution of the search is the failing one.
    Exhaustive {
        /// The preemption bound of the search that failed.
        preemption_bound: Option<usize>,
        /// Which execution of that search failed, counting from 1.
        execution: u64,
        /// The values the search gave its data choices (which ready branch of a `select!`
        /// wins), each as (thread, the thread's choice number from 0, value); a choice not
        /// here was 0. Empty for a program that makes none.
        choices: Vec<(u32, u32, u32)>,
    },
    /// Every scheduling choice of the failing execution (random and PCT engines).
    Schedule(Schedule),
    /// Every scheduling choice of the failing execution of the priority engine, whose replay
    /// also watches for priority inversions longer than `inversion_bound` steps.
    Priority {
        /// The engine's inversion bound.
        inversion_bound: u64,
        /// The scheduling choices.
        schedule: Schedule,
    },
    /// The c11 engine explores deterministically: the `execution`-th run of its exploration
    /// of the same program is the failing one.
    C11 {
        /// Which run failed, counting from 1 (and counting the runs that were no execution of
        /// the program, which the report's count of executions leaves out).
        execution: u64,
        /// The values its exploration gave the data choices, as for `Exhaustive`.
        choices: Vec<(u32, u32, u32)>,
    },
    /// Real hardware interleavings cannot be replayed step by step. The seed and budget let
    /// the stress engine hunt the same way again, which often, not always, finds it again.
    Stress {
        /// The stress engine's seed.
        seed: u64,
        /// The iteration that failed, counting from 1.
        iteration: u64,
        /// The iteration budget of the hunt that found it (`None`: not saved, as by older
        /// versions; a hunt again uses the engine's default).
        iterations: Option<u64>,
        /// The time budget of that hunt, in whole milliseconds (`None`: as for `iterations`).
        time_ms: Option<u64>,
    },
}

/// The text form is one line, as saved in schedule files:
/// `exhaustive bound=2 execution=17` (with `choices=1.0.1` when a data choice of the search
/// was given a value: thread 1's first choice, value 1), `schedule 0*3 1 2*2`,
/// `c11 execution=5`, `priority inversion_bound=20 schedule 0*3 1 2*2`,
/// `stress seed=7 iteration=88 iterations=100000 time_ms=1000` (the budget is optional).
impl fmt::Display for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replay::Exhaustive {
                preemption_bound,
                execution,
                choices,
            } => {
                let bound = preemption_bound.map_or("none".to_owned(), |b| b.to_string());
                write!(f, "exhaustive bound={bound} execution={execution}")?;
                write_choices(f, choices)
            }
            Replay::C11 { execution, choices } => {
                write!(f, "c11 execution={execution}")?;
                write_choices(f, choices)
            }
            Replay::Schedule(schedule) => write!(f, "schedule {schedule}"),
            Replay::Priority {
                inversion_bound,
                schedule,
            } => write!(
                f,
                "priority inversion_bound={inversion_bound} schedule {schedule}"
            ),
            Replay::Stress {
                seed,
                iteration,
                iterations,
                time_ms,
            } => {
                write!(f, "stress seed={seed} iteration={iteration}")?;
                if let Some(iterations) = iterations {
                    write!(f, " iterations={iterations}")?;
                }
                if let Some(time_ms) = time_ms {
                    write!(f, " time_ms={time_ms}")?;
                }
                Ok(())
            }
        }
    }
}

/// Why a [`Replay`]'s text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseReplayError(String);

impl fmt::Display for ParseReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseReplayError {}

impl FromStr for Replay {
    type Err = ParseReplayError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (kind, mut rest) = s.split_once(' ').unwrap_or((s, ""));
        let mut schedule = None;
        if kind == "priority" {
            let (fields, steps) = rest.split_once("schedule").ok_or_else(|| {
                ParseReplayError(
                    "`priority` needs `inversion_bound=<number> schedule <steps>`".to_owned(),
                )
            })?;
            rest = fields;
            schedule = Some(
                steps
                    .parse::<Schedule>()
                    .map_err(|e| ParseReplayError(e.to_string()))?,
            );
        }
        let fields = || -> Result<std::collections::HashMap<&str, &str>, ParseReplayError> {
            rest.split_whitespace()
                .map(|field| {
                    field.split_once('=').ok_or_else(|| {
                        ParseReplayError(format!("`{field}` is not of the form `name=value`"))
                    })
                })
                .collect()
        };
        let number = |fields: &std::collections::HashMap<&str, &str>,
                      name: &str|
         -> Result<u64, ParseReplayError> {
            let value = fields
                .get(name)
                .ok_or_else(|| ParseReplayError(format!("`{kind}` needs `{name}=<number>`")))?;
            value
                .parse()
                .map_err(|_| ParseReplayError(format!("`{name}={value}` is not a whole number")))
        };
        match kind {
            "schedule" => rest
                .parse()
                .map(Replay::Schedule)
                .map_err(|e: ParseScheduleError| ParseReplayError(e.to_string())),
            "exhaustive" => {
                let fields = fields()?;
                let preemption_bound = match fields.get("bound") {
                    Some(&"none") => None,
                    _ => Some(number(&fields, "bound")? as usize),
                };
                Ok(Replay::Exhaustive {
                    preemption_bound,
                    execution: number(&fields, "execution")?,
                    choices: parse_choices(&fields)?,
                })
            }
            "c11" => {
                let fields = fields()?;
                Ok(Replay::C11 {
                    execution: number(&fields, "execution")?,
                    choices: parse_choices(&fields)?,
                })
            }
            "priority" => {
                let fields = fields()?;
                Ok(Replay::Priority {
                    inversion_bound: number(&fields, "inversion_bound")?,
                    schedule: schedule.unwrap_or_default(),
                })
            }
            "stress" => {
                let fields = fields()?;
                let optional = |name: &str| {
                    fields
                        .contains_key(name)
                        .then(|| number(&fields, name))
                        .transpose()
                };
                Ok(Replay::Stress {
                    seed: number(&fields, "seed")?,
                    iteration: number(&fields, "iteration")?,
                    iterations: optional("iterations")?,
                    time_ms: optional("time_ms")?,
                })
            }
            other => Err(ParseReplayError(format!(
                "unknown replay `{other}`; expected `schedule ...`, `exhaustive bound=N execution=N [choices=T.N.V,...]`, `c11 execution=N [choices=T.N.V,...]`, `priority inversion_bound=N schedule ...` or `stress seed=N iteration=N [iterations=N] [time_ms=N]`"
            ))),
        }
    }
}

/// ` choices=T.N.V,...` after an exhaustive or c11 replay, if it has any.
fn write_choices(f: &mut fmt::Formatter<'_>, choices: &[(u32, u32, u32)]) -> fmt::Result {
    for (i, (thread, nth, value)) in choices.iter().enumerate() {
        let lead = if i == 0 { " choices=" } else { "," };
        write!(f, "{lead}{thread}.{nth}.{value}")?;
    }
    Ok(())
}

/// The `choices` field of a replay's text, if it has one.
fn parse_choices(
    fields: &std::collections::HashMap<&str, &str>,
) -> Result<Vec<(u32, u32, u32)>, ParseReplayError> {
    match fields.get("choices") {
        None => Ok(Vec::new()),
        Some(list) => list.split(',').map(parse_choice).collect(),
    }
}

/// A data choice's value as a replay writes it: `thread.nth.value`.
fn parse_choice(text: &str) -> Result<(u32, u32, u32), ParseReplayError> {
    let wrong = || {
        ParseReplayError(format!(
            "`{text}` is not a choice: expected `thread.nth.value`, three whole numbers"
        ))
    };
    let mut parts = text.split('.').map(|part| part.parse::<u32>());
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(thread)), Some(Ok(nth)), Some(Ok(value)), None) => Ok((thread, nth, value)),
        _ => Err(wrong()),
    }
}

/// One scheduling decision of a model engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Run this thread next (0 is the test body, then threads in spawn order).
    Thread(u32),
    /// The engine drew this random number.
    Random(u64),
}

/// The sequence of scheduling decisions of one execution.
///
/// Its text form lists thread numbers separated by spaces, `t*n` for `n` decisions in a row for
/// thread `t`, and `rN` for a random draw: `0 1*3 0 r42 2`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedule {
    pub(crate) steps: Vec<Step>,
}

impl Schedule {
    /// The decisions in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        while i < self.steps.len() {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            match self.steps[i] {
                Step::Random(value) => {
                    write!(f, "r{value}")?;
                    i += 1;
                }
                Step::Thread(t) => {
                    let run = self.steps[i..]
                        .iter()
                        .take_while(|s| **s == Step::Thread(t))
                        .count();
                    if run > 1 {
                        write!(f, "{t}*{run}")?;
                    } else {
                        write!(f, "{t}")?;
                    }
                    i += run;
                }
            }
        }
        Ok(())
    }
}

/// Why a schedule's text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseScheduleError {
    /// Which space-separated item (counting from 1) is wrong.
    pub item: usize,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for ParseScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "item {} of the schedule: {} (expected a thread number like `2`, a run like `2*5`, or a random draw like `r42`)",
            self.item, self.problem
        )
    }
}

impl std::error::Error for ParseScheduleError {}

impl FromStr for Schedule {
    type Err = ParseScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut steps = Vec::new();
        for (i, item) in s.split_whitespace().enumerate() {
            let error = |problem: String| ParseScheduleError {
                item: i + 1,
                problem,
            };
            if let Some(value) = item.strip_prefix('r') {
                let value = value
                    .parse()
                    .map_err(|_| error(format!("`{item}` is not `r` and a number")))?;
                steps.push(Step::Random(value));
                continue;
            }
            let (thread, run) = match item.split_once('*') {
                Some((t, n)) => (
                    t,
                    n.parse::<usize>()
                        .map_err(|_| error(format!("`{n}` in `{item}` is not a count")))?,
                ),
                None => (item, 1),
            };
            let thread = thread
                .parse()
                .map_err(|_| error(format!("`{thread}` is not a thread number")))?;
            if run == 0 {
                return Err(error(format!("`{item}` repeats a thread zero times")));
            }
            steps.extend(std::iter::repeat_n(Step::Thread(thread), run));
        }
        Ok(Schedule { steps })
    }
}
