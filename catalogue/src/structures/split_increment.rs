//! # A counter whose increment spans two critical sections
//!
//! `increment` reads the value under the lock, lets it go, and writes the value plus one under
//! the lock again. Each access is protected, yet two increments can both read 0 and both write
//! 1: the counter behaves like no sequential counter, since two increments that overlap must
//! still return 1 and 2 in some order. The fix makes the read and the write one critical
//! section.

use proptest::prelude::*;
use tapestry::sync::Mutex;
use tapestry_lincheck::{Lincheck, Model};

use super::{Found, Structure};

/// What the counter offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Increment,
    Get,
}

/// The sequential counter: an increment returns the new value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Count(u32);

impl Model for Count {
    type Op = Op;
    type Ret = u32;
    fn apply(&mut self, op: &Op) -> u32 {
        if *op == Op::Increment {
            self.0 += 1;
        }
        self.0
    }
}

struct Counter {
    value: Mutex<u32>,
    split: bool,
}

impl Counter {
    fn call(&self, op: &Op) -> u32 {
        match op {
            Op::Get => *self.value.lock().unwrap(),
            Op::Increment if self.split => {
                let seen = *self.value.lock().unwrap();
                *self.value.lock().unwrap() = seen + 1;
                seen + 1
            }
            Op::Increment => {
                let mut value = self.value.lock().unwrap();
                *value += 1;
                *value
            }
        }
    }
}

fn check(split: bool) -> Result<(), Found> {
    let counter = move || Counter {
        value: Mutex::new(0),
        split,
    };
    let ops = prop_oneof![Just(Op::Increment), Just(Op::Get)];
    super::found(Lincheck::new(Count::default, counter, Counter::call).run(ops))
}

pub(super) const STRUCTURE: Structure = Structure {
    name: "split_increment",
    summary: "a counter's read and write under two critical sections lose an increment",
    check,
    source: include_str!("split_increment.rs"),
};
