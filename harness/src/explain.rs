//! Puts what the runtime recorded about a failure into words: the one-line message of a
//! `Failure` and the lines its trace ends with. Detectors record structured findings
//! (`rt::Detail`); only here do they become text, with the trace's names for threads and
//! objects.

use crate::kinds::FailureKind;
use crate::rt::lock_order::Edge;
use crate::rt::priority::Inversion;
use crate::rt::race::{CellAccess, Race};
use crate::rt::{
    BlockReason, Detail, FailureRecord, ObjId, Recording, ThreadIdx, WakerEvent, WakerNote,
};
use crate::trace::cycle::{self, Span, thousands};
use crate::trace::{Labels, describe_blocked};

/// A failure in words.
pub(crate) struct Explained {
    /// One line (or a few, joined by "; ") for `Failure::message`.
    pub message: String,
    /// What the trace ends with.
    pub outcome: String,
    /// Objects the words name, which the trace's object list must show.
    pub mentioned: Vec<ObjId>,
    /// For a step limit: the rounds of the loop the threads were stuck in, in step, which the
    /// trace shows only twice.
    pub rounds: Option<Span>,
}

/// Who failed: the thread, or the task it was polling (with the thread, a runner of the
/// stress engine's executor, whose lane the trace shows).
pub(crate) fn who(record: &FailureRecord, labels: &Labels) -> String {
    let thread = labels.thread(record.thread);
    match &record.task {
        Some(task) => format!("{task} (polled by {thread})"),
        None => thread,
    }
}

pub(crate) fn explain(record: &FailureRecord, recording: &Recording, labels: &Labels) -> Explained {
    let thread = who(record, labels);
    let mut mentioned: Vec<ObjId> = record
        .blocked
        .iter()
        .filter(|(_, b)| b.reason != BlockReason::Join)
        .map(|(_, b)| b.target)
        .collect();
    let fallback = || format!("{} in {thread}: {}", record.kind, record.message);
    let mut rounds = None;
    let (message, outcome) = match (&record.detail, record.kind) {
        (Some(Detail::Race(race)), _) => {
            mentioned.push(race.cell);
            let message = race_message(race, labels);
            (message.clone(), message)
        }
        (Some(Detail::Cycle(cycle)), _) => {
            mentioned.extend(cycle.iter().map(|e| e.to));
            let edges = describe_cycle(cycle, labels);
            (
                format!("locks are taken in a cycle of orders: {}", edges.join("; ")),
                format!(
                    "potential deadlock: locks are taken in a cycle of orders, and nothing else orders these sections (this execution did not deadlock; `lock_order = false` turns the prediction off)\n{}",
                    edges.join("\n")
                ),
            )
        }
        (Some(Detail::Inversion(inversion)), _) => {
            mentioned.push(inversion.lock);
            let message = inversion_message(inversion, labels);
            (message.clone(), format!("priority inversion: {message}"))
        }
        (None, FailureKind::Deadlock) => {
            let blocked = describe_blocked(&record.blocked, recording);
            if blocked.is_empty() {
                (record.message.clone(), fallback())
            } else {
                // Every unfinished thread blocked is the classic deadlock; a thread waiting for
                // a lock it holds itself is one too, even while others could still run.
                let headline = if record.blocked.len() == record.unfinished.len() {
                    "every unfinished thread is blocked"
                } else {
                    "a thread is blocked forever"
                };
                (
                    format!("{headline}: {}", blocked.join("; ")),
                    format!("deadlock: {headline}\n{}", blocked.join("\n")),
                )
            }
        }
        (None | Some(Detail::Wakers(_)), FailureKind::LostWakeup) => {
            let blocked = describe_blocked(&record.blocked, recording);
            let mut headline = record.message.clone();
            if let Some(Detail::Wakers(notes)) = &record.detail {
                for (task, note) in notes {
                    headline.push_str("; ");
                    headline.push_str(&waker_story(*task, note, labels));
                }
            }
            (
                format!("{headline}: {}", blocked.join("; ")),
                format!("lost wakeup: {headline}\n{}", blocked.join("\n")),
            )
        }
        (None, FailureKind::Panic) => {
            let mut outcome = format!("{thread} panicked: {}", record.message);
            if let Some(location) = &record.location {
                outcome.push_str(&format!("\n(at {location})"));
            }
            // An `expect` on a timeout's result: as a rule a hang guard.
            if record.message.contains("Elapsed(") {
                outcome.push_str(
                    "\n(a timeout's expiry: by default (`timeouts = \"early\"`) a timeout fires at \
                     any await point of the work it guards, as on a slow machine; one that only \
                     guards against a hang fires only when nothing else can run with \
                     `timeouts = \"when_idle\"` or TAPESTRY_TIMEOUTS=when_idle)",
                );
            }
            (record.message.clone(), outcome)
        }
        // What repeats at the end tells a livelock from a spin loop.
        (None, FailureKind::StepLimit) => match cycle::find(&recording.events) {
            Some(found) => {
                let (what, verdict) = found.describe(&recording.events, labels);
                let steps = thousands(recording.events.len());
                rounds = found.in_step;
                (
                    format!("{what}. {verdict} (the execution ran {steps} steps)"),
                    format!("step limit: {what}.\n{verdict} (the execution ran {steps} steps)"),
                )
            }
            // No round repeats: a livelock whose rounds differ, or a program that is simply
            // this long.
            None => {
                let message = format!(
                    "{}; no round of steps repeats at its end, so the program may just be this \
                     long: if so, raise `max_steps` (or `TAPESTRY_MAX_STEPS`)",
                    record.message.trim_end_matches('?')
                );
                (message, fallback())
            }
        },
        // Waker notes come only with lost wakeups.
        (None | Some(Detail::Wakers(_)), _) => (record.message.clone(), fallback()),
    };
    Explained {
        message,
        outcome,
        mentioned,
        rounds,
    }
}

/// What last happened to `task`'s waker, for a lost wakeup: "main's waker was last registered
/// (cloned) by main at src/flag.rs:31, after step 2, and never woken since" (the line when the
/// report's run noted it: `WakerNote::site`).
fn waker_story(task: ThreadIdx, note: &WakerNote, labels: &Labels) -> String {
    let (task, after) = (labels.thread(task), note.after);
    let by = match note.site {
        Some(site) => format!("{} at {site},", labels.thread(note.by)),
        None => labels.thread(note.by),
    };
    match note.what {
        WakerEvent::Cloned => format!(
            "{task}'s waker was last registered (cloned) by {by} after step {after}, and never \
             woken since"
        ),
        WakerEvent::LastDropped => format!(
            "the last clone of {task}'s waker was dropped by {by} after step {after}: nothing \
             holds it to wake it"
        ),
        WakerEvent::Woken => format!(
            "{task}'s waker was last woken by {by} after step {after}, and nothing registered \
             it since"
        ),
    }
}

/// "data race on `value`: T1 writes it (at src/a.rs:12) and main reads it (at src/a.rs:20),
/// with no happens-before order between the two".
fn race_message(race: &Race, labels: &Labels) -> String {
    let access = |a: &CellAccess| {
        let verb = if a.write { "writes" } else { "reads" };
        format!(
            "{} {verb} it (at {}:{})",
            labels.thread(a.epoch.thread),
            a.site.file(),
            a.site.line()
        )
    };
    format!(
        "data race on `{}`: {} and {}, with no happens-before order between the two",
        labels.object_name(race.cell),
        access(&race.earlier),
        access(&race.later)
    )
}

/// One sentence per edge of a lock-order cycle: "T1 holds `a` (taken at src/a.rs:10) while
/// it takes `b` (at src/a.rs:11)".
fn describe_cycle(cycle: &[Edge], labels: &Labels) -> Vec<String> {
    cycle
        .iter()
        .map(|e| {
            format!(
                "{} holds `{}` (taken at {}:{}) while it takes `{}` (at {}:{})",
                labels.thread(e.thread),
                labels.object_name(e.from),
                e.from_site.file(),
                e.from_site.line(),
                labels.object_name(e.to),
                e.to_site.file(),
                e.to_site.line()
            )
        })
        .collect()
}

/// "high (priority 3) waits for `bus`, held by low (priority 1), while medium (priority 2)
/// runs: 21 steps of threads more urgent than the holder and less than the waiter".
fn inversion_message(inversion: &Inversion, labels: &Labels) -> String {
    let [high, middle, low] = inversion.priorities;
    format!(
        "{} (priority {high}) waits for `{}`, held by {} (priority {low}), while {} (priority {middle}) runs: {} steps of threads more urgent than the holder and less than the waiter",
        labels.thread(inversion.high),
        labels.object_name(inversion.lock),
        labels.thread(inversion.low),
        labels.thread(inversion.middle),
        inversion.steps
    )
}
