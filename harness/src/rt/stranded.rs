//! Stranding a model thread: leaving its stack for good, with none of its frames unwound.
//!
//! A thread that unwinds out of an execution that is over (it failed, or its engine abandoned
//! it) runs its destructors with the engine out of the way: nothing they do matters, and the
//! engine is no longer asked who runs. A destructor that waits for another thread (a spin on
//! an atomic until another thread stores) then never ends: the other thread never runs, or
//! never gets to its store (under std the same program may hang too). Nor can the thread be
//! made to panic out of it: a panic in a destructor that runs while unwinding aborts the
//! process. So once such a thread has made [`LEAVE_AFTER`] operations, it is stranded: it
//! suspends out of the coroutine that runs it on a stack of ours (`engine::stack`), never to be
//! resumed, and the frame that started it panics on, as the thread's own panic would have:
//! its engine ends the execution with the failure it has recorded. The stack is leaked, not
//! reused: another thread may still point into it.
//!
//! A stranded thread's unwinding never reaches its catch, so std keeps counting a panic on
//! the OS thread: `std::thread::panicking()` stays true there. So no engine may explore on
//! there after a stranding: explorations run on OS threads of their own, and a stranding
//! always ends the exploration with a failure (`Execution::op_after_end`).

use std::cell::RefCell;
use std::ops::Range;

/// Operations unwinding threads make after their execution is over before one is stranded:
/// far more than the destructors of a test make, and a second or so of a spinning one in a
/// debug build (a tenth of that in a release build). Once one has been, so is every thread
/// that makes an operation after it.
pub(crate) const LEAVE_AFTER: u64 = 100_000;

/// What leaves a thread's coroutine.
pub(crate) type Yielder = corosensei::Yielder<(), ()>;

thread_local! {
    /// The stacks of this OS thread's running model threads (as address ranges) and their
    /// coroutines' yielders.
    static STACKS: RefCell<Vec<(Range<usize>, *const Yielder)>> = const { RefCell::new(Vec::new()) };
}

/// A model thread's stack, known here while the guard lives: made first thing in the thread's
/// coroutine and dropped as its body ends, by returning or unwinding. A stranded thread's never
/// is: the frame that ran its coroutine calls [`left`] instead.
pub(crate) struct Running(usize);

impl Drop for Running {
    fn drop(&mut self) {
        left(self.0);
    }
}

/// Notes that a model thread runs on `stack` (its addresses), in the coroutine `yielder`
/// leaves.
pub(crate) fn running_on(stack: Range<usize>, yielder: &Yielder) -> Running {
    let start = stack.start;
    STACKS.with(|stacks| stacks.borrow_mut().push((stack, yielder)));
    Running(start)
}

/// Forgets the stack that starts at `start`: its thread has ended, or was stranded.
pub(crate) fn left(start: usize) {
    let _ = STACKS.try_with(|stacks| stacks.borrow_mut().retain(|(s, _)| s.start != start));
}

/// Strands the running model thread (see the module's doc): does not return, unless the
/// thread runs on no stack of ours (a real thread of the stress engine), which cannot be left.
pub(crate) fn strand() {
    let here = here();
    let yielder = STACKS.with(|stacks| {
        let stacks = stacks.borrow();
        let found = stacks.iter().find(|(s, _)| s.contains(&here));
        found.map(|&(_, y)| y)
    });
    let Some(yielder) = yielder else { return };
    // SAFETY: the yielder of the coroutine running on this stack (the one `here` is on), which
    // lives as long as the coroutine, on the coroutine's own stack; called from that stack.
    unsafe { (*yielder).suspend(()) };
    unreachable!("a stranded model thread was resumed");
}

/// An address on the running stack.
#[inline(never)]
fn here() -> usize {
    let marker = 0u8;
    std::ptr::from_ref(std::hint::black_box(&marker)) as usize
}
