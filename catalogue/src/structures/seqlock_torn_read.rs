//! # A sequence lock whose reader can return a torn value
//!
//! A writer (one at a time, under a mutex) makes the sequence number odd, writes the two halves
//! of the value, and makes it even again with a `Release` store. A reader reads the sequence
//! number (`Acquire`), both halves (`Relaxed`), and the sequence number again: if it is the
//! same even number, no write overlapped, and the halves belong together. The buggy reader
//! puts nothing between reading the halves and reading the number again, so under the memory
//! model its `Relaxed` loads may read a write's new halves while the second read of the
//! number still sees the old one: it returns one new half and one old. No sequentially
//! consistent interleaving does this, so only the exhaustive engine (loom's, which explores
//! weak memory) finds it. The fix puts a `fence(Acquire)` before the second read: a half read
//! from a write then makes that write's odd number visible, and the reader retries.

use proptest::prelude::*;
use tapestry::sync::Mutex;
use tapestry::sync::atomic::{AtomicU8, AtomicUsize, Ordering, fence};
use tapestry::{Engine, Explorer};
use tapestry_lincheck::{Lincheck, Model};

use super::{Found, Structure};

/// What the cell offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Writes the value into both halves.
    Write(u8),
    Read,
}

/// The sequential cell: both halves always equal. A write returns `None`, a read the halves.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Cell(u8);

impl Model for Cell {
    type Op = Op;
    type Ret = Option<(u8, u8)>;
    fn apply(&mut self, op: &Op) -> Option<(u8, u8)> {
        match *op {
            Op::Write(v) => {
                self.0 = v;
                None
            }
            Op::Read => Some((self.0, self.0)),
        }
    }
}

struct SeqLock {
    writer: Mutex<()>,
    seq: AtomicUsize,
    halves: [AtomicU8; 2],
    fenced: bool,
}

impl SeqLock {
    fn call(&self, op: &Op) -> Option<(u8, u8)> {
        match *op {
            Op::Write(v) => {
                let _one_writer = self.writer.lock().unwrap();
                let seq = self.seq.load(Ordering::Relaxed);
                self.seq.store(seq + 1, Ordering::Relaxed);
                fence(Ordering::Release);
                self.halves[0].store(v, Ordering::Relaxed);
                self.halves[1].store(v, Ordering::Relaxed);
                self.seq.store(seq + 2, Ordering::Release);
                None
            }
            Op::Read => loop {
                let before = self.seq.load(Ordering::Acquire);
                if before.is_multiple_of(2) {
                    let first = self.halves[0].load(Ordering::Relaxed);
                    let second = self.halves[1].load(Ordering::Relaxed);
                    if self.fenced {
                        fence(Ordering::Acquire);
                    }
                    if self.seq.load(Ordering::Relaxed) == before {
                        return Some((first, second));
                    }
                }
                tapestry::hint::spin_loop();
            },
        }
    }
}

fn check(unfenced: bool) -> Result<(), Found> {
    let cell = move || SeqLock {
        writer: Mutex::new(()),
        seq: AtomicUsize::new(0),
        halves: [AtomicU8::new(0), AtomicU8::new(0)],
        fenced: !unfenced,
    };
    let ops = prop_oneof![(1u8..3).prop_map(Op::Write), Just(Op::Read)];
    let lincheck = Lincheck::new(Cell::default, cell, SeqLock::call)
        .operations_per_thread(2)
        .operations_before(1)
        .operations_after(1)
        .scenarios(30)
        .explorer(Explorer::new().engine(Engine::exhaustive().preemption_bound(2)));
    super::found(lincheck.run(ops))
}

pub(super) const STRUCTURE: Structure = Structure {
    name: "seqlock_torn_read",
    summary: "a sequence lock's reader without an acquire fence returns one new half and one old (weak memory)",
    check,
    source: include_str!("seqlock_torn_read.rs"),
};
