//! Whole checks of small concurrent objects: a counter whose increment is split across two
//! critical sections is found with a minimal scenario; its fix passes.

use proptest::prelude::*;
use tapestry::sync::Mutex;
use tapestry_lincheck::{Lincheck, Model};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
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
                // Read, then write, each under the lock: another increment can fall between.
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

fn counter(split: bool) -> Lincheck<Count, Counter> {
    Lincheck::new(
        Count::default,
        move || Counter {
            value: Mutex::new(0),
            split,
        },
        Counter::call,
    )
}

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Increment), Just(Op::Get)]
}

#[test]
fn a_split_increment_is_found_with_two_operations() {
    let failed = counter(true)
        .run(ops())
        .expect_err("the split increment loses one");
    // Shrunk to one increment per thread, nothing before or after.
    assert_eq!(failed.scenario.len(), 2, "{failed}");
    let text = failed.to_string();
    assert!(text.contains("not linearizable"), "{text}");
    assert!(text.contains("Increment: 1"), "{text}");
}

#[test]
fn the_whole_increment_passes() {
    counter(false).check(ops());
}
