//! # A map whose `insert_if_absent` checks, then inserts
//!
//! `insert_if_absent` asks under the lock whether the key is there, and inserts under the lock
//! again if it was not. Two callers with the same key can both see it absent and both insert:
//! both return "inserted", which no sequential map does, and the first value is overwritten.
//! The fix checks and inserts in one critical section (`entry` API).

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use tapestry::sync::Mutex;
use tapestry_lincheck::{Lincheck, Model};

use super::{Found, Structure};

/// What the map offers, on small keys and values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Inserts the value unless the key has one; returns whether it inserted.
    InsertIfAbsent(u8, u8),
    Get(u8),
}

/// What an operation returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    Inserted(bool),
    Value(Option<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Map(BTreeMap<u8, u8>);

impl Model for Map {
    type Op = Op;
    type Ret = Ret;
    fn apply(&mut self, op: &Op) -> Ret {
        match *op {
            Op::InsertIfAbsent(k, v) => Ret::Inserted(match self.0.entry(k) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(v);
                    true
                }
                std::collections::btree_map::Entry::Occupied(_) => false,
            }),
            Op::Get(k) => Ret::Value(self.0.get(&k).copied()),
        }
    }
}

struct Shared {
    map: Mutex<HashMap<u8, u8>>,
    check_then_insert: bool,
}

impl Shared {
    fn call(&self, op: &Op) -> Ret {
        match *op {
            Op::Get(k) => Ret::Value(self.map.lock().unwrap().get(&k).copied()),
            Op::InsertIfAbsent(k, v) if self.check_then_insert => {
                let present = self.map.lock().unwrap().contains_key(&k);
                if !present {
                    self.map.lock().unwrap().insert(k, v);
                }
                Ret::Inserted(!present)
            }
            Op::InsertIfAbsent(k, v) => {
                let mut map = self.map.lock().unwrap();
                let vacant = !map.contains_key(&k);
                map.entry(k).or_insert(v);
                Ret::Inserted(vacant)
            }
        }
    }
}

fn check(check_then_insert: bool) -> Result<(), Found> {
    let shared = move || Shared {
        map: Mutex::new(HashMap::new()),
        check_then_insert,
    };
    let ops = prop_oneof![
        (0u8..2, 0u8..2).prop_map(|(k, v)| Op::InsertIfAbsent(k, v)),
        (0u8..2).prop_map(Op::Get),
    ];
    super::found(Lincheck::new(Map::default, shared, Shared::call).run(ops))
}

pub(super) const STRUCTURE: Structure = Structure {
    name: "map_insert_if_absent",
    summary: "a map's insert_if_absent checks then inserts: two callers both insert",
    check,
    source: include_str!("map_insert_if_absent.rs"),
};
