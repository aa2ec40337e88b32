//! Renders a recording as a table a person can follow:
//!
//! ```text
//! objects:
//!   counter  AtomicUsize  tests/lost_update.rs:9
//!
//! step  thread  operation                        at
//!    1  main    spawn T1                         tests/lost_update.rs:11
//!    3  T1      load counter -> 0 (SeqCst)       tests/lost_update.rs:13
//!    4  T2      load counter -> 0 (SeqCst)       tests/lost_update.rs:13
//!       !! main panicked: assertion failed ...
//! ```

use std::collections::BTreeSet;
use std::fmt::{self, Write};
use std::ops::Range;

use super::Labels;
use super::cycle::{Span, thousands};
use super::labels::{ObjectLabel, type_name};
use super::stale;
use crate::rt::{Cancel, Event, ObjId, Op, Recording, RmwOp, Woke};

/// One step as the table shows it: step number, thread, operation, site; and whether it read
/// a value older than the latest stored (then the operation says so).
pub(super) struct StepRow {
    pub cells: [String; 4],
    pub stale: bool,
}

/// The steps of `recording` as table rows, in order.
pub(super) fn step_rows(recording: &Recording, labels: &Labels, stale_reads: bool) -> Vec<StepRow> {
    let events = &recording.events;
    let reads = stale::reads(recording, labels);
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut operation = operation(e, labels);
            let note = stale::note(i + 1, events, &reads, labels).filter(|_| stale_reads);
            if let Some(note) = &note {
                operation = format!("{operation}, {note}");
            }
            StepRow {
                cells: [
                    (i + 1).to_string(),
                    labels.thread(e.thread),
                    operation,
                    site(e),
                ],
                stale: note.is_some(),
            }
        })
        .collect()
}

/// A part of the table: a run of steps (indices into the rows), or a line standing for the
/// steps left out.
pub(super) enum Shown {
    Steps(Range<usize>),
    Gap(String),
}

/// Which of `len` steps a table of at most `limit` shows: of a trace that ends in a loop,
/// two rounds (if eliding the rest is enough to fit), else its head and tail.
pub(super) fn shown(len: usize, rounds: Option<Span>, limit: usize) -> Vec<Shown> {
    let elided = rounds.filter(|span| {
        len > limit && span.repeats > 2 && len - (span.repeats - 2) * span.period <= limit
    });
    if let Some(span) = elided {
        let from = span.start + 2 * span.period;
        let to = span.start + span.repeats * span.period;
        let above = match span.period {
            1 => "the step above repeats".to_owned(),
            n => format!("the {n} steps above repeat"),
        };
        vec![
            Shown::Steps(0..from),
            Shown::Gap(format!(
                "... {above} {} more times (steps {} to {}) ...",
                thousands(span.repeats - 2),
                from + 1,
                to
            )),
            Shown::Steps(to..len),
        ]
    } else if len <= limit {
        vec![Shown::Steps(0..len)]
    } else {
        let head = limit / 5;
        let tail = limit - head;
        vec![
            Shown::Steps(0..head),
            Shown::Gap(format!("... {} steps omitted ...", len - head - tail)),
            Shown::Steps(len - tail..len),
        ]
    }
}

pub(crate) fn render(
    recording: &Recording,
    outcome: Option<&str>,
    mentioned: &[ObjId],
    stale_reads: bool,
    rounds: Option<Span>,
    limit: usize,
    out: &mut impl Write,
) -> fmt::Result {
    let labels = Labels::new(recording);
    let objects: Vec<[String; 3]> = listed_objects(recording, mentioned, &labels)
        .into_iter()
        .map(|(_, o)| {
            [
                o.name.clone(),
                type_name(o.kind).to_owned(),
                super::made_at(o.site),
            ]
        })
        .collect();
    let steps = step_rows(recording, &labels, stale_reads);
    let mut rows = Vec::new();
    for part in shown(steps.len(), rounds, limit) {
        match part {
            Shown::Steps(range) => {
                rows.extend(steps[range].iter().map(|r| TableRow::Step(r.cells.clone())))
            }
            Shown::Gap(text) => rows.push(TableRow::Gap(text)),
        }
    }
    write_table(&objects, &rows, outcome, out)
}

/// A row of the table: a step's cells (step, thread, operation, site), or a line standing for
/// steps left out.
pub(super) enum TableRow {
    Step([String; 4]),
    Gap(String),
}

/// Writes the table of a trace: the objects (name, type, site), the steps shown, and the
/// outcome. Columns are as wide as the rows shown, so a trace and its timeline, which keeps
/// only those rows, print the same text.
pub(super) fn write_table(
    objects: &[[String; 3]],
    rows: &[TableRow],
    outcome: Option<&str>,
    out: &mut impl Write,
) -> fmt::Result {
    write_objects(objects, out)?;
    let width = |col: usize, title: &str| {
        rows.iter()
            .filter_map(|r| match r {
                TableRow::Step(cells) => Some(cells[col].len()),
                TableRow::Gap(_) => None,
            })
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0, "step"), width(1, "thread"), width(2, "operation"));
    writeln!(
        out,
        "{:>w0$}  {:<w1$}  {:<w2$}  at",
        "step", "thread", "operation"
    )?;
    for row in rows {
        match row {
            TableRow::Step(r) => {
                let line = format!("{:>w0$}  {:<w1$}  {:<w2$}  {}", r[0], r[1], r[2], r[3]);
                writeln!(out, "{}", line.trim_end())?;
            }
            TableRow::Gap(text) => writeln!(out, "{:>w0$}  {text}", "")?,
        }
    }
    if let Some(outcome) = outcome {
        let mut lines = outcome.lines();
        if let Some(first) = lines.next() {
            writeln!(out, "{:>w0$}  !! {first}", "")?;
        }
        for line in lines {
            writeln!(out, "{:>w0$}     {line}", "")?;
        }
    }
    Ok(())
}

/// The objects the trace mentions, in creation order: those its steps act on and those the
/// outcome names.
pub(super) fn listed_objects<'a>(
    recording: &Recording,
    mentioned: &[ObjId],
    labels: &'a Labels,
) -> Vec<(ObjId, &'a ObjectLabel)> {
    let mut used: BTreeSet<ObjId> = mentioned.iter().copied().collect();
    for event in &recording.events {
        if let Some(id) = object_of(&event.op, event.obj) {
            used.insert(id);
        }
        if let Op::Wait { mutex } | Op::Woken { mutex, .. } = event.op {
            used.insert(mutex);
        }
    }
    used.into_iter()
        .filter_map(|id| Some((id, labels.object(id)?)))
        .collect()
}

/// Lists the objects: name, type, and where they were created.
fn write_objects(objects: &[[String; 3]], out: &mut impl Write) -> fmt::Result {
    if objects.is_empty() {
        return Ok(());
    }
    let name_width = objects.iter().map(|o| o[0].len()).max().unwrap_or(0);
    let type_width = objects.iter().map(|o| o[1].len()).max().unwrap_or(0);
    writeln!(out, "objects:")?;
    for [name, kind, site] in objects {
        writeln!(out, "  {name:<name_width$}  {kind:<type_width$}  {site}")?;
    }
    writeln!(out)
}

/// The object an operation acts on; thread operations and fences act on none.
pub(super) fn object_of(op: &Op, obj: ObjId) -> Option<ObjId> {
    match op {
        Op::Spawn { .. }
        | Op::Join { .. }
        | Op::Exit
        | Op::IsFinished { .. }
        | Op::Yield
        | Op::Sleep { .. }
        | Op::Park { .. }
        | Op::Unpark { .. }
        | Op::Pending
        | Op::TimerWait { .. }
        | Op::Cancelled { .. }
        | Op::TaskPanicked
        | Op::SelectStart { .. }
        | Op::Poll { .. }
        | Op::Wake { .. }
        | Op::Fence { .. } => None,
        _ => Some(obj),
    }
}

fn site(event: &Event) -> String {
    match event.op {
        // Released by a guard's destructor: the site is where the lock was taken, not useful.
        Op::Exit | Op::Unlock | Op::ReadUnlock | Op::WriteUnlock => String::new(),
        _ if super::is_ours(event.site) => String::new(),
        _ => format!("{}:{}", event.site.file(), event.site.line()),
    }
}

pub(super) fn operation(event: &Event, labels: &Labels) -> String {
    let o = labels.object_name(event.obj);
    let v = |bits: u64| labels.value(event.obj, bits);
    let m = |mutex: ObjId| labels.object_name(mutex);
    match event.op {
        Op::Spawn { child } => format!("spawn {}", labels.thread(child)),
        Op::Join { child } => format!("join {}", labels.thread(child)),
        Op::IsFinished { child, done } => {
            format!("is_finished {} -> {done}", labels.thread(child))
        }
        Op::Exit => "exit".to_owned(),
        Op::Yield => "yield".to_owned(),
        Op::Sleep { micros } => format!("sleep {:?}", std::time::Duration::from_micros(micros)),
        Op::Park { timeout, woke } => {
            let call = if timeout { "park_timeout" } else { "park" };
            let why = match woke {
                Woke::Unparked => "unparked",
                Woke::Spurious => "woke spuriously",
                Woke::TimedOut => "timed out",
            };
            format!("{call} ({why})")
        }
        Op::Unpark { thread } => format!("unpark {}", labels.thread(thread)),
        Op::Pending => "pending, until woken".to_owned(),
        Op::TaskPanicked => "panicked: its JoinHandle returns the panic".to_owned(),
        Op::TimerWait { fired: true } => "pending, until its timer fired".to_owned(),
        Op::TimerWait { fired: false } => "pending, woken before its timer".to_owned(),
        Op::Cancelled { why, waiting_at } => {
            // The line alone when it is in the file the step's line is in.
            let waited = |pending: &str| match waiting_at {
                Some(at) if at.file() == event.site.file() => {
                    format!("{pending} waiting at line {}", at.line())
                }
                Some(at) => format!("{pending} waiting at {}:{}", at.file(), at.line()),
                None => format!("{pending} pending"),
            };
            match why {
                Cancel::SelectBranch { branch, future } => format!(
                    "select! dropped branch {branch} `{}`, {}",
                    expression(future),
                    waited("left")
                ),
                Cancel::Timeout => {
                    format!("timeout fired: dropped its future, {}", waited("left"))
                }
                Cancel::Abort { polled: true } => {
                    format!("aborted: dropped the task's future, {}", waited("left"))
                }
                Cancel::Abort { polled: false } => {
                    "aborted before its first poll: dropped the task's future".to_owned()
                }
                Cancel::AbortBlocking => {
                    "aborted before it started: the blocking closure never runs".to_owned()
                }
            }
        }
        Op::Poll { worker } => format!("polled by worker {worker}"),
        Op::SelectStart { branch, of } => {
            format!("select! polls branch {branch} of {of} first")
        }
        Op::Wake { thread } => format!("wake {}", labels.thread(thread)),
        Op::Lock => format!("lock {o}"),
        Op::TryLock { ok } => format!("try_lock {o} -> {}", taken(ok)),
        Op::Unlock => format!("unlock {o}"),
        Op::Read => format!("read_lock {o}"),
        Op::TryRead { ok } => format!("try_read {o} -> {}", taken(ok)),
        Op::ReadUnlock => format!("read_unlock {o}"),
        Op::Write => format!("write_lock {o}"),
        Op::TryWrite { ok } => format!("try_write {o} -> {}", taken(ok)),
        Op::WriteUnlock => format!("write_unlock {o}"),
        Op::Wait { mutex } => format!("wait {o} (unlocks {})", m(mutex)),
        Op::Woken {
            mutex,
            spurious: true,
            ..
        } => format!("woken {o} spuriously (locks {})", m(mutex)),
        Op::Woken {
            mutex,
            timed_out: false,
            ..
        } => format!("woken {o} (locks {})", m(mutex)),
        Op::Woken {
            mutex,
            timed_out: true,
            ..
        } => format!("wait {o} timed out (locks {})", m(mutex)),
        Op::NotifyOne => format!("notify_one {o}"),
        Op::NotifyAll => format!("notify_all {o}"),
        Op::BarrierWait { leader: true } => format!("wait {o} (leader)"),
        Op::BarrierWait { leader: false } => format!("wait {o}"),
        Op::Once { ran: true } => format!("call_once {o} (runs it)"),
        Op::Once { ran: false } => format!("call_once {o} (already done)"),
        Op::OnceCheck { done } => format!("is_completed {o} -> {done}"),
        Op::Send { msg } => format!("send {o} #{msg}"),
        Op::SendFailed => format!("send {o} -> disconnected"),
        Op::Recv { msg } => format!("recv {o} -> #{msg}"),
        Op::RecvEmpty => format!("try_recv {o} -> empty"),
        Op::RecvTimedOut => format!("recv {o} timed out"),
        Op::RecvDisconnected => format!("recv {o} -> disconnected"),
        Op::Load { order, bits } => format!("load {o} -> {} ({order:?})", v(bits)),
        Op::Store { order, bits } => format!("store {o} <- {} ({order:?})", v(bits)),
        Op::Swap { order, old, new } => {
            format!("swap {o} <- {}, was {} ({order:?})", v(new), v(old))
        }
        Op::CompareExchange {
            order,
            expected,
            new,
            ok: true,
            ..
        } => {
            format!(
                "compare_exchange {o}: {} -> {} ({order:?})",
                v(expected),
                v(new)
            )
        }
        Op::CompareExchange {
            order,
            expected,
            actual,
            ok: false,
            ..
        } => {
            format!(
                "compare_exchange {o}: expected {}, found {} ({order:?})",
                v(expected),
                v(actual)
            )
        }
        Op::Rmw {
            rmw,
            order,
            operand,
            old,
        } => {
            format!(
                "fetch_{} {o} {}, was {} ({order:?})",
                rmw_name(rmw),
                labels.operand(event.obj, operand),
                v(old)
            )
        }
        Op::Fence { order } => format!("fence ({order:?})"),
        Op::CellRead => format!("read {o}"),
        Op::CellWrite => format!("write {o}"),
    }
}

fn taken(ok: bool) -> &'static str {
    if ok { "acquired" } else { "busy" }
}

fn rmw_name(rmw: RmwOp) -> &'static str {
    match rmw {
        RmwOp::Add => "add",
        RmwOp::Sub => "sub",
        RmwOp::And => "and",
        RmwOp::Nand => "nand",
        RmwOp::Or => "or",
        RmwOp::Xor => "xor",
        RmwOp::Max => "max",
        RmwOp::Min => "min",
    }
}

/// Source code as a trace line shows it: on one line, and at most 40 characters.
fn expression(code: &str) -> String {
    let flat: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &flat[..cut]),
        None => flat,
    }
}
