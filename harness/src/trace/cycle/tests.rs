//! The cycle finder and its descriptions, case by case.

use std::panic::Location;
use std::sync::atomic::Ordering::SeqCst;

use super::describe::values;
use super::*;
use crate::rt::{AtomicRepr, ObjKind, ObjectInfo, Recording, RmwOp};
use crate::trace::Labels;

// The objects of every case, by id.
const A: ObjId = 0;
const B: ObjId = 1;
const FLAG: ObjId = 2;
const COUNTER: ObjId = 3;
/// Objects from this id on are distinct and unnamed: steps that never repeat.
const FRESH: ObjId = 10;

/// The event's site is the line of the test that made it.
#[track_caller]
fn ev(thread: ThreadIdx, obj: ObjId, op: Op) -> Event {
    Event {
        thread,
        obj,
        op,
        site: Location::caller(),
    }
}
#[track_caller]
fn spawn(child: ThreadIdx) -> Event {
    ev(0, 0, Op::Spawn { child })
}
#[track_caller]
fn yield_(t: ThreadIdx) -> Event {
    ev(t, 0, Op::Yield)
}
#[track_caller]
fn try_lock(t: ThreadIdx, obj: ObjId, ok: bool) -> Event {
    ev(t, obj, Op::TryLock { ok })
}
#[track_caller]
fn unlock(t: ThreadIdx, obj: ObjId) -> Event {
    ev(t, obj, Op::Unlock)
}
#[track_caller]
fn load(t: ThreadIdx, obj: ObjId, bits: u64) -> Event {
    ev(
        t,
        obj,
        Op::Load {
            order: SeqCst,
            bits,
        },
    )
}
#[track_caller]
fn fetch_add(t: ThreadIdx, obj: ObjId, old: u64) -> Event {
    let (rmw, order, operand) = (RmwOp::Add, SeqCst, 1);
    ev(
        t,
        obj,
        Op::Rmw {
            rmw,
            order,
            operand,
            old,
        },
    )
}
/// `n` steps that never repeat (each on an object of its own).
fn distinct(t: ThreadIdx, n: usize) -> Vec<Event> {
    (0..n).map(|i| load(t, FRESH + i as ObjId, 0)).collect()
}
fn rounds(round: &[Event], n: usize) -> Vec<Event> {
    round.repeat(n)
}

/// Two threads taking `a` and `b` in opposite orders, politely (the catalogue's
/// `polite_livelock`): each round, both step back and take their first lock again.
fn polite_round() -> Vec<Event> {
    vec![
        yield_(1),
        try_lock(1, B, false),
        yield_(2),
        try_lock(2, A, false),
        yield_(1),
        unlock(1, A),
        try_lock(1, A, true),
        yield_(2),
        unlock(2, B),
        try_lock(2, B, true),
    ]
}
fn polite(n: usize) -> Vec<Event> {
    let start = [
        spawn(1),
        spawn(2),
        try_lock(1, A, true),
        try_lock(2, B, true),
    ];
    [&start[..], &rounds(&polite_round(), n)].concat()
}

/// Two threads that each spin on `flag`, interleaved pseudo-randomly.
fn shuffled_spins(n: usize) -> Vec<Event> {
    let mut state: u32 = 7;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            load(1 + (state >> 16) % 2, FLAG, 0)
        })
        .collect()
}

#[derive(Debug, PartialEq)]
enum Found {
    InStep(Span),
    /// Each thread loops on its own: (thread, period).
    Apart(Vec<(ThreadIdx, usize)>),
}

fn found(events: &[Event]) -> Option<Found> {
    let cycle = find(events)?;
    Some(match cycle.in_step {
        Some(span) => Found::InStep(span),
        None => Found::Apart(
            cycle
                .loops
                .iter()
                .map(|l| (events[l.first[0]].thread, l.first.len()))
                .collect(),
        ),
    })
}

fn in_step(start: usize, period: usize, repeats: usize) -> Option<Found> {
    Some(Found::InStep(Span {
        start,
        period,
        repeats,
    }))
}

#[test]
fn finds_the_loop_a_recording_ends_in() {
    let flips: Vec<Event> = (0..300).map(|i| load(0, FLAG, i % 2)).collect();
    let counting: Vec<Event> = (0..300).map(|i| fetch_add(0, COUNTER, i)).collect();
    let look = load(0, FLAG, 0);
    let pause = yield_(0);
    let cases: Vec<(&str, Vec<Event>, Option<Found>)> = vec![
        (
            "one thread spins on a flag",
            [
                vec![spawn(1), ev(1, 0, Op::Exit)],
                rounds(&[load(0, FLAG, 0)], 500),
            ]
            .concat(),
            in_step(2, 1, 500),
        ),
        (
            "a spin that yields",
            [vec![spawn(1)], rounds(&[load(0, FLAG, 0), yield_(0)], 400)].concat(),
            in_step(1, 2, 400),
        ),
        (
            // The round starts at the loop's first line, not where the loop was first seen.
            "a spin seen first at its yield",
            [
                vec![spawn(1), look, ev(1, 0, Op::Exit)],
                rounds(&[pause, look], 400),
            ]
            .concat(),
            in_step(4, 2, 399),
        ),
        (
            // The round starts with T1's turn, not inside T2's.
            "two threads in a livelock",
            polite(100),
            in_step(4, 10, 100),
        ),
        (
            "a counter that changes every round",
            counting,
            in_step(0, 1, 300),
        ),
        (
            "a flag that flips is told by its values",
            flips,
            in_step(0, 2, 150),
        ),
        ("no step repeats", distinct(0, 300), None),
        (
            "a loop after other work",
            [distinct(0, 300), rounds(&polite_round()[..4], 200)].concat(),
            in_step(300, 4, 200),
        ),
        (
            "a loop too short for its trace",
            [distinct(0, 2000), rounds(&polite_round()[..4], 10)].concat(),
            None,
        ),
        (
            "two rounds are not a loop",
            [distinct(0, 4), rounds(&polite_round()[..4], 2)].concat(),
            None,
        ),
        (
            "a few steps after the loop",
            [rounds(&polite_round()[..3], 100), distinct(0, 5)].concat(),
            in_step(0, 3, 100),
        ),
        (
            "too many steps after the loop",
            [rounds(&polite_round()[..3], 100), distinct(0, SLACK + 1)].concat(),
            None,
        ),
        (
            "threads that spin out of step",
            shuffled_spins(600),
            Some(Found::Apart(vec![(1, 1), (2, 1)])),
        ),
        (
            // Not in step, but T1 exiting is not part of the loop.
            "a thread that exits late in another's loop",
            [
                rounds(&[look], 300),
                vec![ev(1, 0, Op::Exit)],
                rounds(&[look], 60),
            ]
            .concat(),
            Some(Found::Apart(vec![(0, 1)])),
        ),
        (
            "threads out of step, one of them not looping",
            [shuffled_spins(600), distinct(2, 200)].concat(),
            None,
        ),
    ];
    let failed: Vec<String> = cases
        .into_iter()
        .filter_map(|(name, events, expected)| {
            let actual = found(&events);
            (actual != expected).then(|| format!("{name}: expected {expected:?}, found {actual:?}"))
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

fn labels() -> Labels {
    let object = |id, kind, name: &'static str| ObjectInfo {
        id,
        kind,
        name: Some(name.into()),
        site: Location::caller(),
    };
    Labels::new(&Recording {
        events: Vec::new(),
        stamps: Vec::new(),
        objects: vec![
            object(A, ObjKind::Mutex, "a"),
            object(B, ObjKind::Mutex, "b"),
            object(FLAG, ObjKind::Atomic(AtomicRepr::Bool), "flag"),
            object(COUNTER, ObjKind::Atomic(AtomicRepr::Usize), "counter"),
        ],
        threads: Vec::new(),
        reads_from: Vec::new(),
    })
}

#[test]
fn says_what_repeats_and_what_it_looks_like() {
    let cases: Vec<(Vec<Event>, &str, &str)> = vec![
        (
            rounds(&[load(0, FLAG, 0)], 50),
            "main repeats 50 times: `load flag -> false (SeqCst)`",
            "A spin loop that never lets another thread run",
        ),
        (
            rounds(&[load(0, FLAG, 0), yield_(0)], 1_500),
            "main repeats 1,500 times: `load flag -> false (SeqCst)`, `yield`",
            "It lets other threads run, but none of them acts while it waits",
        ),
        (
            (0..40).map(|i| fetch_add(0, COUNTER, i)).collect(),
            "main repeats 40 times: `fetch_add counter 1, was 0..39 (SeqCst)`",
            "A spin loop",
        ),
        (
            polite(30),
            "T1 and T2 repeat 30 times, in step: T1 `yield`, `try_lock b -> busy`; \
             T2 `yield`, `try_lock a -> busy`; T1 `yield`, `unlock a`, \
             `try_lock a -> acquired`; T2 `yield`, `unlock b`, `try_lock b -> acquired`",
            "A livelock",
        ),
        (
            shuffled_spins(600),
            "T1 and T2 each repeat their own steps: T1 `load flag -> false (SeqCst)` (",
            "Every thread only waits",
        ),
    ];
    let labels = labels();
    for (events, what, verdict) in cases {
        let cycle = find(&events).unwrap_or_else(|| panic!("no loop in {what}"));
        let (said, looks) = cycle.describe(&events, &labels);
        assert!(said.starts_with(what), "{said}\nexpected: {what}");
        assert!(looks.starts_with(verdict), "{looks}\nexpected: {verdict}");
    }
}

#[test]
fn values_that_change_are_shown_as_ranges() {
    let cases = [
        (
            "load n -> 3 (SeqCst)",
            "load n -> 9 (SeqCst)",
            "load n -> 3..9 (SeqCst)",
        ),
        (
            "swap x <- 5, was 4",
            "swap x <- 9, was 8",
            "swap x <- 5..9, was 4..8",
        ),
        (
            "load flag -> false",
            "load flag -> false",
            "load flag -> false",
        ),
        // Not the same words around the values: the last round's text.
        ("load n -> 1", "load n -> -1", "load n -> -1"),
    ];
    for (first, last, shown) in cases {
        assert_eq!(values(first, last), shown, "{first} / {last}");
    }
}

#[test]
fn counts_are_grouped_by_thousands() {
    let cases = [(0, "0"), (999, "999"), (1_000, "1,000"), (24_998, "24,998")];
    for (n, shown) in cases {
        assert_eq!(thousands(n), shown);
    }
    assert_eq!(thousands(1_234_567), "1,234,567");
}
