//! Points out reads that did not read the latest value stored, in trace order, says which
//! store they read instead ("read from the initial value, not from T2's store of 1 at step
//! 5"), and explains the first: which reordering let it happen. Weak memory orderings allow
//! such reads (a `Relaxed` load may read an older store), and they are the step to look at in
//! a memory-ordering bug. The c11 engine says which store each read read
//! (`Recording::reads_from`); otherwise (loom) the store a read read is taken to be the latest
//! earlier one that stored the value read (both engines run a load only after the store it
//! reads), and none is the initial value: where two stores wrote the same value, the later.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::Labels;
use crate::rt::{AtomicRepr, Event, ObjKind, Op, Recording};

/// What a read read: the step of the store (`None`: the initial value), and the latest
/// store to the atomic before it, with the value it stored.
#[derive(Clone, Copy)]
pub(crate) struct ReadOf {
    from: Option<usize>,
    latest: Option<(usize, u64)>,
}

impl ReadOf {
    /// Whether it read an older value than the latest stored.
    fn is_stale(&self) -> bool {
        self.latest.is_some_and(|(at, _)| Some(at) != self.from)
    }
}

/// Per step of `recording` (index `i` is step `i + 1`): what it read, if it read an atomic.
pub(crate) fn reads(recording: &Recording, labels: &Labels) -> Vec<Option<ReadOf>> {
    let mut stores: HashMap<_, Vec<(u64, usize)>> = HashMap::new();
    // Steps (from 1) of the stores that reads read, where the engine said.
    let known: HashMap<usize, Option<usize>> = recording
        .reads_from
        .iter()
        .map(|&(read, from)| (read as usize + 1, from.map(|from| from as usize + 1)))
        .collect();
    recording
        .events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let Some(ObjKind::Atomic(repr)) = labels.object(event.obj).map(|o| o.kind) else {
                return None;
            };
            let (read, written) = values(&event.op, repr)?;
            let stores = stores.entry(event.obj).or_default();
            let of = read.map(|read| ReadOf {
                from: known
                    .get(&(i + 1))
                    .copied()
                    .unwrap_or_else(|| stores.iter().rev().find(|s| s.0 == read).map(|s| s.1)),
                latest: stores.last().map(|&(value, at)| (at, value)),
            });
            if let Some(written) = written {
                stores.push((written, i + 1));
            }
            of
        })
        .collect()
}

/// The note for step `step` (counting from 1), if it read a value other than the latest.
pub(crate) fn note(
    step: usize,
    events: &[Event],
    reads: &[Option<ReadOf>],
    labels: &Labels,
) -> Option<String> {
    let read = reads[step - 1].filter(ReadOf::is_stale)?;
    let (at, value) = read.latest?;
    let thread = |at: usize| labels.thread(events[at - 1].thread);
    let from = match read.from {
        Some(from) => format!("{}'s store at step {from}", thread(from)),
        None => "the initial value".to_owned(),
    };
    Some(format!(
        "not the latest: read from {from}, not from {}'s store of {} at step {at}",
        thread(at),
        labels.value(events[step - 1].obj, value)
    ))
}

/// Which reordering let the first read of an older value happen, in words: a thread's
/// stores seen out of order by another (message passing), a store and a later load of
/// another location reordered (store buffering), or, failing those, that nothing ordered the
/// store before the load.
pub(crate) fn reordering(
    events: &[Event],
    reads: &[Option<ReadOf>],
    labels: &Labels,
) -> Option<String> {
    let r = reads
        .iter()
        .position(|read| read.is_some_and(|r| r.is_stale()))?;
    let (s, _) = reads[r]?.latest?;
    let (load, store) = (&events[r], &events[s - 1]);
    let (reader, writer) = (labels.thread(load.thread), labels.thread(store.thread));
    if load.thread == store.thread {
        return None;
    }
    let x = labels.object_name(load.obj);
    let step = r + 1;
    let earlier = (0..r)
        .rev()
        .filter(|&i| events[i].thread == load.thread && events[i].obj != load.obj);
    // Message passing: the reader saw a later store of the writer, to another location.
    for l in earlier.clone() {
        let Some(ReadOf { from: Some(j), .. }) = reads[l] else {
            continue;
        };
        let (flag_store, flag_load) = (order(&events[j - 1].op), order(&events[l].op));
        if events[j - 1].thread == store.thread
            && j > s
            && !(releases(flag_store) && acquires(flag_load))
        {
            let y = labels.object_name(events[l].obj);
            return Some(format!(
                "Step {step} needs weak memory (message passing): {writer} stored {x} at step {s}, then {y} at step {j}; {reader} read the new {y} at step {} but the old {x} at step {step}: {writer}'s stores became visible to {reader} out of order. Only a Release (or stronger) store of {y} read by an Acquire (or stronger) load orders them; here the store is {} and the load {}.",
                l + 1,
                name(flag_store),
                name(flag_load)
            ));
        }
    }
    // Store buffering: the reader stored another location before this load.
    let load_order = order(&load.op);
    for i in earlier {
        let Some(ObjKind::Atomic(repr)) = labels.object(events[i].obj).map(|o| o.kind) else {
            continue;
        };
        let own = order(&events[i].op);
        let wrote = values(&events[i].op, repr).is_some_and(|(_, written)| written.is_some());
        if wrote && !(own == Some(Ordering::SeqCst) && load_order == Some(Ordering::SeqCst)) {
            let y = labels.object_name(events[i].obj);
            return Some(format!(
                "Step {step} needs weak memory (store buffering): {reader} stored {y} at step {} and then loaded {x}, reading the old value though {writer} had stored it at step {s}. A store and a later load of another location may be reordered unless both are SeqCst; here the store is {} and the load {}.",
                i + 1,
                name(own),
                name(load_order)
            ));
        }
    }
    Some(format!(
        "Step {step} needs weak memory: {reader} read the old {x} though {writer} stored it at step {s}; nothing orders that store before the load (a Release store read by an Acquire load, or fences, between the two threads), so this {} load may read an older value.",
        name(load_order)
    ))
}

fn order(op: &Op) -> Option<Ordering> {
    match *op {
        Op::Load { order, .. }
        | Op::Store { order, .. }
        | Op::Swap { order, .. }
        | Op::CompareExchange { order, .. }
        | Op::Rmw { order, .. }
        | Op::Fence { order } => Some(order),
        _ => None,
    }
}

/// `text` broken into lines of at most `width` characters, at spaces.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split(' ') {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// An ordering as code names it.
fn name(order: Option<Ordering>) -> String {
    order.map_or_else(|| "unordered".to_owned(), |o| format!("{o:?}"))
}

fn releases(order: Option<Ordering>) -> bool {
    matches!(
        order,
        Some(Ordering::Release | Ordering::AcqRel | Ordering::SeqCst)
    )
}

fn acquires(order: Option<Ordering>) -> bool {
    matches!(
        order,
        Some(Ordering::Acquire | Ordering::AcqRel | Ordering::SeqCst)
    )
}

/// The value an atomic operation read and the value it wrote, as bits (`None` for an
/// operation that is not an atomic access).
pub(crate) fn values(op: &Op, repr: AtomicRepr) -> Option<(Option<u64>, Option<u64>)> {
    Some(match *op {
        Op::Load { bits, .. } => (Some(bits), None),
        Op::Store { bits, .. } => (None, Some(bits)),
        Op::Swap { old, new, .. } => (Some(old), Some(new)),
        Op::CompareExchange {
            actual, new, ok, ..
        } => (Some(actual), ok.then_some(new)),
        Op::Rmw {
            rmw, operand, old, ..
        } => (Some(old), Some(rmw.apply(repr, old, operand))),
        _ => return None,
    })
}
