//! What the diagram marks, found from the timeline alone: locks held, reads and the writes
//! they read from, and interrupted updates.

use super::super::timeline::{Action, ReadFrom, Row, Timeline, TimelineStep};

/// A lock held by a lane's thread from one row to another (`released`: the diagram shows the
/// release; else it is held to the end).
pub(super) struct Hold {
    pub lane: usize,
    pub lock: usize,
    pub slot: usize,
    pub from: usize,
    pub to: usize,
    pub released: bool,
}

/// Steps where one thread's write came between another's read and its write of the same
/// object: (the read, the write in between, the write that overwrites it), as row indices.
pub(super) fn interrupted_updates(rows: &[Row]) -> Vec<(usize, usize, usize)> {
    let step = |i: usize| match &rows[i] {
        Row::Step(s) => Some(s),
        Row::Gap(_) => None,
    };
    let writes = |s: &TimelineStep| matches!(s.action, Action::Write(_) | Action::Update { .. });
    let mut found = Vec::new();
    for j in 0..rows.len() {
        let Some(w) = step(j).filter(|s| matches!(s.action, Action::Write(_))) else {
            continue;
        };
        let Some(object) = w.object else { continue };
        // The same thread's previous access to the object, if it was a read.
        let previous = (0..j).rev().find(|&i| {
            step(i).is_some_and(|s| {
                s.lane == w.lane && s.object == Some(object) && !matches!(s.action, Action::Other)
            })
        });
        let Some(read) = previous.filter(|&i| {
            step(i).is_some_and(|s| matches!(s.action, Action::Read(_) | Action::Update { .. }))
        }) else {
            continue;
        };
        let between = (read + 1..j).rev().find(|&i| {
            step(i).is_some_and(|s| s.lane != w.lane && s.object == Some(object) && writes(s))
        });
        if let Some(between) = between {
            found.push((read, between, j));
        }
    }
    found
}

/// The value a step read, and the value it wrote, where the timeline knows them.
pub(super) fn read_value(s: &TimelineStep) -> Option<&str> {
    match &s.action {
        Action::Read(Some(v)) | Action::Update { read: v, .. } => Some(v),
        _ => None,
    }
}

fn written_value(s: &TimelineStep) -> Option<&str> {
    match &s.action {
        Action::Write(Some(v)) | Action::Update { wrote: v, .. } => Some(v),
        _ => None,
    }
}

/// Arrows from a write to a read of its value by another thread, as row indices: the store
/// the engine says the read read (`TimelineStep::read_from`, the c11 engine), or else the
/// latest earlier write of the value read (under sequential consistency, the latest write;
/// where two writes store the same value, the later one is taken).
pub(super) fn reads_from(rows: &[Row]) -> Vec<(usize, usize)> {
    let mut arrows = Vec::new();
    for (j, row) in rows.iter().enumerate() {
        let Row::Step(reader) = row else { continue };
        let (Some(value), Some(object)) = (read_value(reader), reader.object) else {
            continue;
        };
        let writer = match reader.read_from {
            Some(ReadFrom::Initial) => None,
            Some(ReadFrom::Step(step)) => rows[..j]
                .iter()
                .position(|row| matches!(row, Row::Step(s) if s.number == step)),
            None => rows[..j].iter().rposition(|row| {
                matches!(row, Row::Step(s) if s.object == Some(object) && written_value(s) == Some(value))
            }),
        };
        if let Some(i) = writer
            && matches!(&rows[i], Row::Step(s) if s.lane != reader.lane)
        {
            arrows.push((i, j));
        }
    }
    arrows
}

/// Which locks each lane holds over which rows; slots are the bars' positions in the lane.
pub(super) fn holds(t: &Timeline, end: usize) -> Vec<Hold> {
    let mut open: Vec<Vec<Option<(usize, usize)>>> = vec![Vec::new(); t.lanes.len()];
    let mut holds = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        let Row::Step(s) = row else { continue };
        let slots = &mut open[s.lane];
        match s.action {
            Action::Acquire(lock) => match slots.iter().position(Option::is_none) {
                Some(free) => slots[free] = Some((lock, i)),
                None => slots.push(Some((lock, i))),
            },
            Action::Release(lock) => {
                if let Some(slot) = slots
                    .iter()
                    .position(|x| matches!(x, Some((l, _)) if *l == lock))
                {
                    let (_, from) = slots[slot].take().expect("found above");
                    holds.push(Hold {
                        lane: s.lane,
                        lock,
                        slot,
                        from,
                        to: i,
                        released: true,
                    });
                }
            }
            _ => {}
        }
    }
    for (lane, slots) in open.into_iter().enumerate() {
        for (slot, held) in slots.into_iter().enumerate() {
            if let Some((lock, from)) = held {
                holds.push(Hold {
                    lane,
                    lock,
                    slot,
                    from,
                    to: end,
                    released: false,
                });
            }
        }
    }
    holds.sort_by_key(|h| (h.lane, h.from, h.slot));
    holds
}
