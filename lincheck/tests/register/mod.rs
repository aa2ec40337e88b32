//! A register whose compare-and-set can read and write under two critical sections (the
//! bug), or under one: the object the whole-check tests run.

use proptest::prelude::*;
use tapestry::sync::Mutex;
use tapestry_lincheck::{Lincheck, Sequential};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Sets the value to `.1` if it is `.0`; returns whether it did.
    CompareAndSet(u8, u8),
    Read,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    Set(bool),
    Value(u8),
}

pub struct Register {
    value: Mutex<u8>,
    split: bool,
}

impl Register {
    fn call(&self, op: &Op) -> Ret {
        match *op {
            Op::Read => Ret::Value(*self.value.lock().unwrap()),
            Op::CompareAndSet(expected, new) if self.split => {
                let matches = *self.value.lock().unwrap() == expected;
                if matches {
                    *self.value.lock().unwrap() = new;
                }
                Ret::Set(matches)
            }
            Op::CompareAndSet(expected, new) => {
                let mut value = self.value.lock().unwrap();
                let matches = *value == expected;
                if matches {
                    *value = new;
                }
                Ret::Set(matches)
            }
        }
    }
}

pub fn model() -> Sequential<u8, Op, Ret> {
    Sequential::new(0, |value, op| match *op {
        Op::Read => Ret::Value(*value),
        Op::CompareAndSet(expected, new) => {
            let matches = *value == expected;
            if matches {
                *value = new;
            }
            Ret::Set(matches)
        }
    })
}

pub fn register(split: bool) -> Lincheck<Sequential<u8, Op, Ret>, Register> {
    Lincheck::new(
        model,
        move || Register {
            value: Mutex::new(0),
            split,
        },
        Register::call,
    )
}

pub fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..2, 0u8..2).prop_map(|(e, n)| Op::CompareAndSet(e, n)),
        Just(Op::Read),
    ]
}
