//! # A Treiber stack whose pop is not a compare-and-swap
//!
//! The stack is a linked list of nodes whose head is an atomic index. `push` links its node to
//! the head it read and installs it with `compare_exchange`, retrying if the head moved. The
//! buggy `pop` reads the head, reads its successor, and *stores* the successor as the new head:
//! two pops that read the same head both return its element (and a push between the read and
//! the store is lost). The fix installs the successor with `compare_exchange`, retrying.
//! Nodes live in an arena and are never reused, so no ABA problem hides the lesson.

use proptest::prelude::*;
use tapestry::sync::atomic::{AtomicU8, AtomicUsize, Ordering::SeqCst};
use tapestry_lincheck::{Lincheck, Model};

use super::{Found, Structure};

/// What the stack offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Push(u8),
    Pop,
}

/// The sequential stack: a push returns `None`, a pop the top element.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Lifo(Vec<u8>);

impl Model for Lifo {
    type Op = Op;
    type Ret = Option<u8>;
    fn apply(&mut self, op: &Op) -> Option<u8> {
        match *op {
            Op::Push(v) => {
                self.0.push(v);
                None
            }
            Op::Pop => self.0.pop(),
        }
    }
}

/// Room for every push of a scenario.
const NODES: usize = 32;

struct Node {
    value: AtomicU8,
    /// The node below, as an index plus one (0: none).
    next: AtomicUsize,
}

struct TreiberStack {
    nodes: Vec<Node>,
    used: AtomicUsize,
    /// The top node, as an index plus one (0: empty).
    head: AtomicUsize,
    racy: bool,
}

impl TreiberStack {
    fn new(racy: bool) -> Self {
        TreiberStack {
            nodes: (0..NODES)
                .map(|_| Node {
                    value: AtomicU8::new(0),
                    next: AtomicUsize::new(0),
                })
                .collect(),
            used: AtomicUsize::new(0),
            head: AtomicUsize::new(0),
            racy,
        }
    }

    fn call(&self, op: &Op) -> Option<u8> {
        match *op {
            Op::Push(v) => {
                let index = self.used.fetch_add(1, SeqCst);
                let node = &self.nodes[index];
                node.value.store(v, SeqCst);
                loop {
                    let head = self.head.load(SeqCst);
                    node.next.store(head, SeqCst);
                    if self
                        .head
                        .compare_exchange(head, index + 1, SeqCst, SeqCst)
                        .is_ok()
                    {
                        return None;
                    }
                }
            }
            Op::Pop => loop {
                let head = self.head.load(SeqCst);
                let node = &self.nodes[head.checked_sub(1)?];
                let next = node.next.load(SeqCst);
                if self.racy {
                    self.head.store(next, SeqCst);
                    return Some(node.value.load(SeqCst));
                }
                if self
                    .head
                    .compare_exchange(head, next, SeqCst, SeqCst)
                    .is_ok()
                {
                    return Some(node.value.load(SeqCst));
                }
            },
        }
    }
}

fn check(racy: bool) -> Result<(), Found> {
    let ops = prop_oneof![(0u8..3).prop_map(Op::Push), Just(Op::Pop)];
    let stack = move || TreiberStack::new(racy);
    super::found(Lincheck::new(Lifo::default, stack, TreiberStack::call).run(ops))
}

pub(super) const STRUCTURE: Structure = Structure {
    name: "racy_pop",
    summary: "a Treiber stack's pop stores the new head instead of a compare-and-swap: two pops return one element",
    check,
    source: include_str!("racy_pop.rs"),
};
