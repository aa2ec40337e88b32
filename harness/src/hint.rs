//! Hints, as [`std::hint`].

use std::panic::Location;

use crate::rt::{self, Op};

/// Signals a spin loop, as [`std::hint::spin_loop`]. Under the exhaustive, random and PCT
/// engines it yields, so that the thread being waited for gets to run: call it in every spin
/// loop, or those engines explore the loop until the step limit.
#[track_caller]
pub fn spin_loop() {
    // A spin as `yield_now`'s: counted, so that a thread spinning here lets time pass (the
    // priority engine's late arrivals come; timers may fire).
    rt::note_yield();
    rt::backend_op(Location::caller(), |b| b.spin_loop(), |_| Op::Yield);
}
