//! The linearizability checker (section `lincheck`): histories checked per second, random and
//! worst case, and the time `tapestry-lincheck` takes to find each catalogue structure's bug.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde::Serialize;
use tapestry_catalogue::structures::STRUCTURES;
use tapestry_lincheck::{History, Model, check};

use super::{Args, Section, median};

/// A FIFO queue: `Some(v)` enqueues, `None` dequeues.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Queue(VecDeque<u16>);

impl Model for Queue {
    type Op = Option<u16>;
    type Ret = Option<u16>;
    fn apply(&mut self, op: &Option<u16>) -> Option<u16> {
        match op {
            Some(v) => {
                self.0.push_back(*v);
                None
            }
            None => self.0.pop_front(),
        }
    }
}

/// A number in `0..n` from `rng`.
fn below(rng: &mut TestRng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// A history of a real queue used by `threads` threads making `calls` calls each, events
/// interleaved at random, each call taking effect at a random moment while it runs: always
/// linearizable.
fn random_history(
    rng: &mut TestRng,
    threads: usize,
    calls: usize,
) -> History<Option<u16>, Option<u16>> {
    let mut queue = Queue::default();
    let mut history = History::new();
    let mut left = vec![calls; threads];
    // The call each thread is inside, and its effect once taken.
    let mut inside = vec![None; threads];
    let mut value = 0;
    loop {
        let live: Vec<usize> = (0..threads)
            .filter(|&t| inside[t].is_some() || left[t] > 0)
            .collect();
        if live.is_empty() {
            return history;
        }
        let t = live[below(rng, live.len())];
        inside[t] = match inside[t].take() {
            None => {
                left[t] -= 1;
                let op = if below(rng, 2) == 0 {
                    value += 1;
                    Some(value)
                } else {
                    None
                };
                Some((history.invoke(t, op), None))
            }
            Some((id, None)) => Some((id, Some(queue.apply(&history.calls()[id.0].op)))),
            Some((id, Some(ret))) => {
                history.returns(id, ret);
                None
            }
        };
    }
}

/// The worst case for the search: `n` enqueues all overlapping, then a dequeue of a value
/// never enqueued. No linearization exists, and every subset of the enqueues taken in every
/// order leaves a queue of its own, so the search explores them all: the sum over k of
/// C(n, k) k! states (109,601 for n = 8; 9,864,101 for n = 10, past this machine's memory
/// at n = 12).
fn worst_history(n: usize) -> History<Option<u16>, Option<u16>> {
    let mut history = History::new();
    let ids: Vec<_> = (0..n).map(|t| history.invoke(t, Some(t as u16))).collect();
    for id in ids {
        history.returns(id, None);
    }
    let last = history.invoke(n, None);
    history.returns(last, Some(u16::MAX));
    history
}

#[derive(Serialize)]
struct Figures {
    random_histories: usize,
    random_calls: usize,
    random_micros_per_history: f64,
    worst: Vec<(usize, f64)>,
    structures: Vec<(String, f64, usize)>,
}

pub fn lincheck(args: &Args) -> Result<Section> {
    // Random histories: 3 threads of 5 calls, as Lincheck's scenarios (and etcd's histories,
    // which porcupine checks at about 47 µs each, have a few hundred calls over a few keys).
    let (threads, calls, count) = (3, 5, 2_000);
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[1; 32]);
    let histories: Vec<_> = (0..count)
        .map(|_| random_history(&mut rng, threads, calls))
        .collect();
    let mut times = Vec::new();
    for _ in 0..args.runs.max(1) {
        let start = Instant::now();
        for history in &histories {
            ensure!(check(Queue::default(), history).is_linearizable());
        }
        times.push(start.elapsed());
    }
    let per_history = median(&mut times).as_secs_f64() * 1e6 / count as f64;
    let mut worst = Vec::new();
    for n in [5, 6, 7, 8] {
        let history = worst_history(n);
        let start = Instant::now();
        ensure!(!check(Queue::default(), &history).is_linearizable());
        worst.push((n, start.elapsed().as_secs_f64() * 1e3));
    }
    let mut structures = Vec::new();
    for structure in STRUCTURES {
        let start = Instant::now();
        let found = (structure.check)(true);
        let elapsed: Duration = start.elapsed();
        let operations = found.err().map_or(0, |f| f.operations);
        ensure!(operations > 0, "{} was not found", structure.name);
        structures.push((structure.name.to_owned(), elapsed.as_secs_f64(), operations));
    }
    let mut markdown = String::from("## Linearizability checking\n\n");
    markdown += &format!(
        "`tapestry-lincheck`'s checker on {count} random linearizable histories of a FIFO queue ({threads} threads of {calls} calls each, events interleaved at random): **{per_history:.1} µs per history** (median of {} runs). For scale: porcupine-rust reports about 47 µs per etcd history (a few hundred calls, partitioned by key). The worst case is a history with no linearization whose every partial order the search must try: n overlapping enqueues, then a dequeue of a value never enqueued; every subset of the enqueues in every order leaves a different queue, so memoisation cannot help and the search visits the sum over k of C(n, k) k! states (109,601 at n = 8), growing factorially:\n\n| n | time |\n|---:|---:|\n",
        args.runs.max(1)
    );
    for (n, ms) in &worst {
        markdown += &format!("| {n} | {ms:.1} ms |\n");
    }
    markdown += "\nTime to find each catalogue structure's bug (scenarios generated and explored until one fails, then shrunk), and the operations of the shrunk scenario:\n\n| structure | time | operations |\n|---|---:|---:|\n";
    for (name, secs, operations) in &structures {
        markdown += &format!("| {name} | {:.1} ms | {operations} |\n", secs * 1e3);
    }
    markdown.push('\n');
    Ok(Section {
        name: "lincheck",
        markdown,
        json: serde_json::to_value(Figures {
            random_histories: count,
            random_calls: threads * calls,
            random_micros_per_history: per_history,
            worst,
            structures,
        })?,
    })
}
