//! A trace as data: the lanes (threads), the steps shown in the order they took effect, and how
//! the execution ended. The swimlane diagram ([`Timeline::svg`]) is drawn from it, and a
//! schedule file keeps it (`[trace]`), so that a saved failure can be drawn without the
//! program.

use std::collections::BTreeSet;
use std::fmt;

use super::Labels;
use super::labels::type_name;
use super::render::{Shown, TableRow, listed_objects, object_of, shown, step_rows, write_table};
use super::stale::values;
use crate::rt::{Blocked, ObjId, ObjKind, Op, Recording, ThreadIdx};

/// A failing interleaving as data: what the swimlane diagram draws, and what a schedule file
/// keeps of the trace. Step numbers are the trace's, so the picture and the text agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// One lane per thread that did something, in thread-number order: `main`, `T1`, ..., or
    /// the names given with `thread::Builder::name`.
    pub lanes: Vec<String>,
    /// The objects the steps act on or the outcome names.
    pub objects: Vec<TimelineObject>,
    /// The steps shown, in the order they took effect, with gaps where a long trace leaves
    /// steps out (as its text does).
    pub rows: Vec<Row>,
    /// The lane of the thread that failed.
    pub failing: Option<usize>,
    /// The threads blocked when the execution failed: the lane, and what it waits for
    /// ("waits to lock `b`, held by T2").
    pub blocked: Vec<(usize, String)>,
    /// What went wrong: the lines the text trace ends with.
    pub outcome: Option<String>,
}

/// An object of a [`Timeline`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineObject {
    /// Its name: the one given with `named`, else its kind and number (`mutex1`).
    pub name: String,
    /// Its type, as the program wrote it (`Mutex`, `AtomicUsize`).
    pub kind: String,
    /// Where it was created: `file:line`.
    pub site: String,
}

/// A row of a [`Timeline`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A step.
    Step(TimelineStep),
    /// Steps left out, in words ("... 1,701 steps omitted ...").
    Gap(String),
}

/// One operation of a [`Timeline`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineStep {
    /// Its number in the trace, counting from 1.
    pub number: usize,
    /// The lane (an index into [`Timeline::lanes`]) of the thread that did it.
    pub lane: usize,
    /// The object it acts on (an index into [`Timeline::objects`]).
    pub object: Option<usize>,
    /// What it did to memory, locks and threads, as far as the diagram draws it.
    pub action: Action,
    /// The operation as the text trace writes it: `load counter -> 0 (SeqCst)`.
    pub text: String,
    /// The line of user code that did it: `file:line`.
    pub site: Option<String>,
    /// It read a value older than the latest stored (a weak memory ordering allowed it).
    pub stale: bool,
    /// Which store it read, where the engine knows it (the c11 engine); `None` where the
    /// diagram matches a read to the latest earlier store of its value.
    pub read_from: Option<ReadFrom>,
}

/// The store a read read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    /// The object's initial value.
    Initial,
    /// The store of this step (its number, counting from 1).
    Step(usize),
}

/// What a step did, as the diagram draws it. Values are written as the trace writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing the diagram draws (yield, fence, notify, barrier wait, exit...).
    Other,
    /// Read the object: a load (the value read), a receive (`#` and the message's number),
    /// or an `UnsafeCell` read (no value).
    Read(Option<String>),
    /// Wrote the object: a store, a send, or an `UnsafeCell` write.
    Write(Option<String>),
    /// Read and wrote in one indivisible step: a swap, a successful compare-exchange, a
    /// `fetch_*`.
    Update {
        /// The value read.
        read: String,
        /// The value written.
        wrote: String,
    },
    /// Took a lock (an index into [`Timeline::objects`]): `lock`, a read or write lock, a
    /// successful `try_*`, or a condition variable's wait returning with its mutex.
    Acquire(usize),
    /// Released a lock: an unlock, or a condition variable's wait releasing its mutex.
    Release(usize),
    /// Spawned the thread of a lane.
    Spawn(Option<usize>),
    /// Joined the thread of a lane.
    Join(Option<usize>),
}

/// How a failed execution ended, beyond its outcome's words.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ending {
    /// The thread that failed.
    pub thread: Option<ThreadIdx>,
    /// What each blocked thread waited for.
    pub blocked: Vec<(ThreadIdx, Blocked)>,
}

/// The timeline of `recording`, showing the same steps as its text trace (at most `limit`).
pub(crate) fn build(
    recording: &Recording,
    outcome: Option<&str>,
    mentioned: &[ObjId],
    stale_reads: bool,
    rounds: Option<super::cycle::Span>,
    limit: usize,
    ending: &Ending,
) -> Timeline {
    let labels = Labels::new(recording);
    let threads: Vec<ThreadIdx> = recording
        .events
        .iter()
        .map(|e| e.thread)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lane = |t: ThreadIdx| threads.iter().position(|&x| x == t);
    let listed = listed_objects(recording, mentioned, &labels);
    let object = |id: ObjId| listed.iter().position(|&(x, _)| x == id);
    let step_rows = step_rows(recording, &labels, stale_reads);
    let read_from: std::collections::HashMap<usize, ReadFrom> = recording
        .reads_from
        .iter()
        .map(|&(read, from)| {
            let from = from.map_or(ReadFrom::Initial, |s| ReadFrom::Step(s as usize + 1));
            (read as usize, from)
        })
        .collect();

    let mut rows = Vec::new();
    for part in shown(step_rows.len(), rounds, limit) {
        match part {
            Shown::Gap(text) => rows.push(Row::Gap(text)),
            Shown::Steps(range) => {
                for i in range {
                    let event = &recording.events[i];
                    let [_, _, text, site] = step_rows[i].cells.clone();
                    let kind = labels.object(event.obj).map(|o| o.kind);
                    let value = |bits: u64| labels.value(event.obj, bits);
                    let action = match event.op {
                        Op::Spawn { child } => Action::Spawn(lane(child)),
                        Op::Join { child } => Action::Join(lane(child)),
                        Op::Lock
                        | Op::Read
                        | Op::Write
                        | Op::TryLock { ok: true }
                        | Op::TryRead { ok: true }
                        | Op::TryWrite { ok: true } => {
                            object(event.obj).map_or(Action::Other, Action::Acquire)
                        }
                        Op::Unlock | Op::ReadUnlock | Op::WriteUnlock => {
                            object(event.obj).map_or(Action::Other, Action::Release)
                        }
                        Op::Woken { mutex, .. } => {
                            object(mutex).map_or(Action::Other, Action::Acquire)
                        }
                        Op::Wait { mutex } => object(mutex).map_or(Action::Other, Action::Release),
                        Op::Send { msg } => Action::Write(Some(format!("#{msg}"))),
                        Op::Recv { msg } => Action::Read(Some(format!("#{msg}"))),
                        Op::CellRead => Action::Read(None),
                        Op::CellWrite => Action::Write(None),
                        ref op => match kind {
                            Some(ObjKind::Atomic(repr)) => match values(op, repr) {
                                Some((Some(read), Some(wrote))) => Action::Update {
                                    read: value(read),
                                    wrote: value(wrote),
                                },
                                Some((Some(read), None)) => Action::Read(Some(value(read))),
                                Some((None, Some(wrote))) => Action::Write(Some(value(wrote))),
                                _ => Action::Other,
                            },
                            _ => Action::Other,
                        },
                    };
                    rows.push(Row::Step(TimelineStep {
                        number: i + 1,
                        lane: lane(event.thread).expect("every event's thread has a lane"),
                        object: object_of(&event.op, event.obj).and_then(object),
                        action,
                        text,
                        site: (!site.is_empty()).then_some(site),
                        stale: step_rows[i].stale,
                        read_from: read_from.get(&i).copied(),
                    }));
                }
            }
        }
    }
    let blocked = super::describe_blocked(&ending.blocked, recording)
        .into_iter()
        .zip(&ending.blocked)
        .filter_map(|(words, &(thread, _))| {
            let name = labels.thread(thread);
            let what = words.strip_prefix(&format!("{name} ")).unwrap_or(&words);
            Some((lane(thread)?, what.to_owned()))
        })
        .collect();
    Timeline {
        lanes: threads.iter().map(|&t| labels.thread(t)).collect(),
        objects: listed
            .iter()
            .map(|(_, o)| TimelineObject {
                name: o.name.clone(),
                kind: type_name(o.kind).to_owned(),
                site: super::made_at(o.site),
            })
            .collect(),
        rows,
        failing: ending.thread.and_then(lane),
        blocked,
        outcome: outcome.map(str::to_owned),
    }
}

impl Timeline {
    /// The steps, without the gaps.
    pub fn steps(&self) -> impl Iterator<Item = &TimelineStep> {
        self.rows.iter().filter_map(|row| match row {
            Row::Step(step) => Some(step),
            Row::Gap(_) => None,
        })
    }

    /// The swimlane diagram: one lane per thread, time flowing down, each step a box, locks
    /// held drawn as bars, arrows from a write to the reads that read it, and the failing
    /// step marked. The same timeline gives the same bytes.
    pub fn svg(&self) -> String {
        super::svg::render(self)
    }
}

/// The text trace the timeline was built from, as [`Trace`](super::Trace) prints it: a saved
/// schedule's `[trace]` section prints as the failure did, without the program.
impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let objects: Vec<[String; 3]> = self
            .objects
            .iter()
            .map(|o| [o.name.clone(), o.kind.clone(), o.site.clone()])
            .collect();
        let rows: Vec<TableRow> = self
            .rows
            .iter()
            .map(|row| match row {
                Row::Step(s) => TableRow::Step([
                    s.number.to_string(),
                    self.lanes.get(s.lane).cloned().unwrap_or_default(),
                    s.text.clone(),
                    s.site.clone().unwrap_or_default(),
                ]),
                Row::Gap(text) => TableRow::Gap(text.clone()),
            })
            .collect();
        write_table(&objects, &rows, self.outcome.as_deref(), f)
    }
}
