//! # A two-lock queue whose refill loses an element
//!
//! The queue keeps two stacks, each behind its own lock: `push` adds to the back stack;
//! `pop` takes from the front stack, and when that is empty, moves everything from the back
//! stack to the front (reversed, so the oldest comes first). The buggy `pop` empties the back
//! stack under its lock, lets it go, then *replaces* the front stack with what it moved. If
//! another `pop` refilled the front meanwhile, those elements are overwritten: pushed, never
//! popped. The fix holds the front lock for the whole refill, and adds to the front stack
//! instead of replacing it.

use proptest::prelude::*;
use tapestry::sync::Mutex;
use tapestry_lincheck::{Lincheck, Model};

use super::{Found, Structure};

/// What the queue offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Push(u8),
    Pop,
}

/// The sequential queue: a push returns `None`, a pop the front element.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Fifo(std::collections::VecDeque<u8>);

impl Model for Fifo {
    type Op = Op;
    type Ret = Option<u8>;
    fn apply(&mut self, op: &Op) -> Option<u8> {
        match *op {
            Op::Push(v) => {
                self.0.push_back(v);
                None
            }
            Op::Pop => self.0.pop_front(),
        }
    }
}

struct TwoLockQueue {
    /// Popped from the end: the oldest element last.
    front: Mutex<Vec<u8>>,
    /// Pushed at the end: the newest element last.
    back: Mutex<Vec<u8>>,
    replace: bool,
}

impl TwoLockQueue {
    fn call(&self, op: &Op) -> Option<u8> {
        match *op {
            Op::Push(v) => {
                self.back.lock().unwrap().push(v);
                None
            }
            Op::Pop if self.replace => {
                if let Some(v) = self.front.lock().unwrap().pop() {
                    return Some(v);
                }
                let moved = std::mem::take(&mut *self.back.lock().unwrap());
                let mut front = self.front.lock().unwrap();
                *front = moved.into_iter().rev().collect();
                front.pop()
            }
            Op::Pop => {
                let mut front = self.front.lock().unwrap();
                if front.is_empty() {
                    let moved = std::mem::take(&mut *self.back.lock().unwrap());
                    front.extend(moved.into_iter().rev());
                }
                front.pop()
            }
        }
    }
}

fn check(replace: bool) -> Result<(), Found> {
    let queue = move || TwoLockQueue {
        front: Mutex::new(Vec::new()),
        back: Mutex::new(Vec::new()),
        replace,
    };
    let ops = prop_oneof![(0u8..3).prop_map(Op::Push), Just(Op::Pop)];
    super::found(Lincheck::new(Fifo::default, queue, TwoLockQueue::call).run(ops))
}

pub(super) const STRUCTURE: Structure = Structure {
    name: "lost_refill",
    summary: "a two-lock queue's refill overwrites what another pop refilled: elements lost",
    check,
    source: include_str!("lost_refill.rs"),
};
