//! Points out reads that did not read the latest value stored, in trace order. Weak memory
//! orderings allow them (a `Relaxed` load may read an older store), and they are the step to
//! look at in a memory-ordering bug.

use std::collections::HashMap;

use super::Labels;
use crate::rt::{AtomicRepr, Event, ObjId, ObjKind, Op};

/// The latest value stored to each atomic so far, and the step that stored it.
#[derive(Default)]
pub(crate) struct Latest(HashMap<ObjId, (u64, usize)>);

impl Latest {
    /// Takes event `step` (counting from 1) into account; returns a note if it read a value
    /// other than the latest.
    pub(crate) fn step(&mut self, step: usize, event: &Event, labels: &Labels) -> Option<String> {
        let repr = match labels.object(event.obj).map(|o| o.kind) {
            Some(ObjKind::Atomic(repr)) => repr,
            _ => return None,
        };
        let (read, written) = values(&event.op, repr)?;
        let note = read.and_then(|read| match self.0.get(&event.obj) {
            Some(&(latest, at)) if latest != read => Some(format!(
                "not the latest: {} stored at step {at}",
                labels.value(event.obj, latest)
            )),
            _ => None,
        });
        if let Some(written) = written {
            self.0.insert(event.obj, (written, step));
        }
        note
    }
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
