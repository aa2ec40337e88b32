//! The loop that an execution stopped at its step limit was caught in.
//!
//! A step limit is hit by a livelock (threads that keep reacting to each other), by a spin loop
//! that never lets the thread it waits for run, or by a wait that nothing ends. Thousands of
//! steps of trace do not say which; the end of the recording does, because it repeats. This
//! module finds the shortest period with which the tail repeats, so that the failure can say
//! "T1 and T2 repeat 2,496 times: ..." and the trace can show two rounds instead of all.

mod describe;
#[cfg(test)]
mod tests;

pub(crate) use self::describe::thousands;
use crate::rt::{Event, ObjId, Op, Site, ThreadIdx};

/// Longer loops are not summarised; it bounds the search at O(events × period).
const MAX_PERIOD: usize = 256;
/// Trailing events allowed to break the pattern: whatever the threads did when the limit hit.
const SLACK: usize = 16;
/// Fewer rounds than this could be a coincidence rather than a loop.
const MIN_REPEATS: usize = 3;
/// The rounds must fill at least 1/`MIN_SHARE` of the recording: a long program that merely
/// ends with a short loop did not hit its step limit because of the loop.
const MIN_SHARE: usize = 4;

/// Events `start .. start + period * repeats` are `repeats` rounds of the same `period`
/// operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub period: usize,
    pub repeats: usize,
}

/// The loop of a recording's tail.
#[derive(Clone, Debug)]
pub(crate) struct Cycle {
    /// The rounds, when every thread repeats in step with the others (each round interleaves
    /// the same way), so the trace can elide all but two of them.
    pub in_step: Option<Span>,
    /// One loop of all threads in step, else one per thread (random schedules and real
    /// threads interleave each round differently).
    loops: Vec<Loop>,
}

/// One loop: its first and its last full round (indices into the recording).
#[derive(Clone, Debug)]
struct Loop {
    first: Vec<usize>,
    last: Vec<usize>,
    repeats: usize,
}

impl Loop {
    /// The loop of `span`, whose positions index `events`, a subsequence of the recording.
    fn new(events: &[usize], span: Span) -> Loop {
        let round = |n: usize| events[span.start + n * span.period..][..span.period].to_vec();
        Loop {
            first: round(0),
            last: round(span.repeats - 1),
            repeats: span.repeats,
        }
    }
}

/// What two events must share to be the same step of a loop: values may be compared or not.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    thread: ThreadIdx,
    obj: ObjId,
    op: Op,
    site: Site,
}

impl Key {
    fn new(event: &Event, values: bool) -> Key {
        Key {
            thread: event.thread,
            obj: event.obj,
            op: if values {
                event.op
            } else {
                without_values(event.op)
            },
            site: event.site,
        }
    }
}

/// The operation with the values it moved zeroed, keeping its kind and outcome: a thread that
/// counts up, or waits for a counter to reach a value, repeats the same steps on new values.
fn without_values(op: Op) -> Op {
    match op {
        Op::Send { .. } => Op::Send { msg: 0 },
        Op::Recv { .. } => Op::Recv { msg: 0 },
        Op::Load { order, .. } => Op::Load { order, bits: 0 },
        Op::Store { order, .. } => Op::Store { order, bits: 0 },
        Op::Swap { order, .. } => Op::Swap {
            order,
            old: 0,
            new: 0,
        },
        Op::CompareExchange { order, ok, .. } => Op::CompareExchange {
            order,
            expected: 0,
            new: 0,
            actual: 0,
            ok,
        },
        Op::Rmw { rmw, order, .. } => Op::Rmw {
            rmw,
            order,
            operand: 0,
            old: 0,
        },
        op => op,
    }
}

/// The loop the end of `events` repeats, if it repeats often enough to be one.
pub(crate) fn find(events: &[Event]) -> Option<Cycle> {
    let all: Vec<usize> = (0..events.len()).collect();
    if let Some(span) = periodic(events, &all) {
        return Some(Cycle {
            in_step: Some(span),
            loops: vec![Loop::new(&all, span)],
        });
    }
    // Each thread that keeps acting in the tail, on its own: every one must loop. A thread
    // with a step or two there (it exits, say) is not part of the loop.
    let mut tail: Vec<ThreadIdx> = events[events.len() - events.len() / MIN_SHARE..]
        .iter()
        .map(|e| e.thread)
        .collect();
    tail.sort_unstable();
    let threads = tail
        .chunk_by(|a, b| a == b)
        .filter(|steps| steps.len() >= MIN_REPEATS)
        .map(|steps| steps[0]);
    let loops = threads
        .map(|thread| {
            let own: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&i| events[i].thread == thread)
                .collect();
            periodic(events, &own).map(|span| Loop::new(&own, span))
        })
        .collect::<Option<Vec<Loop>>>()?;
    (!loops.is_empty()).then_some(Cycle {
        in_step: None,
        loops,
    })
}

/// The rounds of the subsequence `which` of `events`: alike with their values if that finds
/// any (a flag that flips shows both values), else alike in all but their values.
fn periodic(events: &[Event], which: &[usize]) -> Option<Span> {
    [true, false].into_iter().find_map(|values| {
        let keys: Vec<Key> = which
            .iter()
            .map(|&i| Key::new(&events[i], values))
            .collect();
        shortest_period(&keys)
    })
}

fn shortest_period(keys: &[Key]) -> Option<Span> {
    let n = keys.len();
    (1..=MAX_PERIOD.min(n / MIN_REPEATS)).find_map(|period| {
        let (start, end) = repeating(keys, period)?;
        let start = start + round_start(&keys[start..start + period]);
        let span = Span {
            start,
            period,
            repeats: (end - start) / period,
        };
        (span.repeats >= MIN_REPEATS && (end - start) * MIN_SHARE >= n).then_some(span)
    })
}

/// The longest stretch `start..end` of `keys` that repeats with `period` and ends within
/// `SLACK` of the end.
fn repeating(keys: &[Key], period: usize) -> Option<(usize, usize)> {
    let n = keys.len();
    let mut best: Option<(usize, usize)> = None;
    let mut end = n;
    while end + SLACK >= n {
        let mut start = end;
        while start > period && keys[start - 1] == keys[start - 1 - period] {
            start -= 1;
        }
        // Every key from `start` on equals the one a period earlier.
        let stretch = (start - period, end);
        if best.is_none_or(|(s, e)| end - stretch.0 > e - s) {
            best = Some(stretch);
        }
        if start == period {
            break;
        }
        end = start - 1;
    }
    best
}

/// Where a round should begin: where a thread's turn begins, not in the middle of one, and
/// there at the earliest line of code, most often the head of the loop.
fn round_start(round: &[Key]) -> usize {
    let before = |i: usize| round[(i + round.len() - 1) % round.len()].thread;
    let turns: Vec<usize> = (0..round.len())
        .filter(|&i| round[i].thread != before(i))
        .collect();
    let candidates = if turns.is_empty() {
        (0..round.len()).collect()
    } else {
        turns
    };
    // A lock is released where it was taken, and a thread exits nowhere: no line to go by.
    let line = |i: &usize| {
        let (op, site) = (round[*i].op, round[*i].site);
        let sited = !matches!(op, Op::Unlock | Op::ReadUnlock | Op::WriteUnlock | Op::Exit);
        (!sited, site.file(), site.line(), site.column())
    };
    candidates.into_iter().min_by_key(line).unwrap_or(0)
}
