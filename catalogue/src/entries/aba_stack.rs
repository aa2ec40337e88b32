//! # ABA on a lock-free stack
//!
//! A lock-free stack of slots: the slots live in an array, each with the index of the slot
//! below it (`next`), and `head` holds the index of the top slot. `pop` reads `head`, reads
//! the top slot's `next`, and swings `head` to it with `compare_exchange`; `push` links a slot
//! on top the same way. Popped slots are reused: a thread pops a slot, uses it, and pushes it
//! back. Three slots, 0 on top of 1 on top of 2, start on the stack.
//!
//! ## The bug
//!
//! `compare_exchange` checks that `head` holds the same value, not that nothing happened. Between
//! main's read of slot 0's `next` (1) and its `compare_exchange`, T1 pops 0, pops 1, and pushes
//! 0 back. `head` is 0 again, so main's `compare_exchange(0, 1)` succeeds, but 1 is no longer on
//! the stack: T1 is using it. The stack now hands out slot 1 a second time.
//!
//! ```text
//! main  load head -> 0, load next[0] -> 1
//! T1    pop 0, pop 1                       T1 holds slot 1; head -> 2
//! T1    push 0                             next[0] <- 2, head -> 0 again
//! main  compare_exchange head 0 -> 1       succeeds: head looks unchanged
//! main  pop -> 1                           slot 1 again, while T1 holds it
//! ```
//!
//! ## The fix
//!
//! Pack a version tag with the index into one `AtomicU64` and increment it on every update of
//! `head`. After T1's three updates `head` is (0, tag 3), not main's (0, tag 0), and main's
//! `compare_exchange` fails and retries with the real top. (With pointers instead of indices
//! the usual fixes are tagged pointers, hazard pointers or epoch-based reclamation, which keep
//! a node from being reused while a thread may still be reading it.)
//!
//! ## In real systems
//!
//! Treiber stacks and free lists with node recycling, lock-free memory allocators, and
//! index-based pools in kernels and game engines. The tag fix appears in IBM's System/370
//! manuals; code without garbage collection keeps rediscovering the bug.

use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use tapestry::{EngineKind, FailureKind, hint, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "aba_stack",
    category: Category::Atomicity,
    summary: "a lock-free pop's compare_exchange succeeds on a recycled top slot and installs a stale next",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("aba_stack.rs"),
    missed_by: &[],
};

const SLOTS: u32 = 3;
const EMPTY: u32 = u32::MAX;

struct Stack {
    /// The top slot's index in the low 32 bits, a version tag in the high 32 bits.
    head: AtomicU64,
    next: Vec<AtomicU32>,
    tagged: bool,
}

fn index(head: u64) -> u32 {
    head as u32
}

impl Stack {
    /// A full stack: slot 0 on top of slot 1, on top of slot 2, ...
    fn new(tagged: bool) -> Stack {
        let below = |slot| if slot + 1 < SLOTS { slot + 1 } else { EMPTY };
        Stack {
            head: AtomicU64::named("head", 0),
            next: (0..SLOTS)
                .map(|slot| AtomicU32::named(format!("next[{slot}]"), below(slot)))
                .collect(),
            tagged,
        }
    }

    /// The value that replaces `head` to put `top` on top.
    fn new_head(&self, head: u64, top: u32) -> u64 {
        let tag = if self.tagged { (head >> 32) + 1 } else { 0 };
        tag << 32 | u64::from(top)
    }

    fn push(&self, slot: u32) {
        loop {
            let head = self.head.load(Ordering::Acquire);
            self.next[slot as usize].store(index(head), Ordering::Relaxed);
            let new = self.new_head(head, slot);
            if self
                .head
                .compare_exchange(head, new, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
            hint::spin_loop();
        }
    }

    fn pop(&self) -> Option<u32> {
        loop {
            let head = self.head.load(Ordering::Acquire);
            let top = index(head);
            if top == EMPTY {
                return None;
            }
            let next = self.next[top as usize].load(Ordering::Relaxed);
            let new = self.new_head(head, next);
            if self
                .head
                .compare_exchange(head, new, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Some(top);
            }
            hint::spin_loop();
        }
    }
}

fn run(tagged: bool) {
    let stack = Arc::new(Stack::new(tagged));
    let other = stack.clone();
    let t = thread::spawn(move || {
        let recycled = other.pop().unwrap();
        let kept = other.pop().unwrap();
        other.push(recycled);
        kept
    });
    let mine = stack.pop().unwrap();
    let kept = t.join().unwrap();
    // Three slots, two taken: exactly one is left on the stack.
    let left = stack.pop().unwrap();
    let mut slots = [mine, kept, left];
    slots.sort_unstable();
    assert_eq!(
        slots,
        [0, 1, 2],
        "the stack handed out a slot that a thread holds"
    );
}

/// `head` is the bare index: a recycled top slot looks unchanged.
pub fn buggy() {
    run(false);
}

/// `head` carries a tag that every update increments.
pub fn fixed() {
    run(true);
}
