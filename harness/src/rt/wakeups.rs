//! Who may wake a waiting thread, and when: spurious wakeups of parks and condition-variable
//! waits, a task's timer, and whether other threads took steps meanwhile.

use super::event::{ObjId, ThreadIdx};
use super::local;

/// Whether a `thread::park` of the running thread may end without a token now (a spurious
/// wakeup, which std allows): only under model engines, and only while another thread may
/// still run. When no other thread can run, a park that std might end spuriously would hang
/// unless it did; the model lets it block, so that a lost wakeup shows as a deadlock rather
/// than hide behind a wakeup that a real program can never count on.
pub(crate) fn may_wake_spuriously() -> bool {
    local().is_some_and(|l| !l.exec.concurrent && l.exec.another_may_run(l.running()))
}

/// How rarely an engine that samples executions lets a condition variable's wait wake
/// spuriously: one wait in this many, so that wakeups stay rare, as on real machines, and the
/// sampled executions stay those of notified waits (the exhaustive engines explore every
/// wait's).
const SPURIOUS_ONE_IN: usize = 8;

/// Whether the running thread's condition-variable wait, which is about to release `mutex`,
/// may end spuriously: as a park may (see [`may_wake_spuriously`]), while another thread may
/// still go on once `mutex` is released ([`may_still_wake_spuriously`]); not twice in a row,
/// so that a thread that waits in a loop waits for good the second time and an execution
/// cannot spin in spurious wakeups; and under an engine that samples, only in one wait of
/// [`SPURIOUS_ONE_IN`], a choice the engine draws (and a schedule replays).
pub(crate) fn may_wake_spuriously_releasing(
    mutex: ObjId,
    has_token: impl Fn(ThreadIdx) -> bool,
) -> bool {
    let Some(l) = local() else {
        return false;
    };
    !l.exec.last_woke_spuriously(l.running())
        && may_still_wake_spuriously(mutex, has_token)
        && (!samples_schedules() || l.exec.backend.choose(SPURIOUS_ONE_IN) == Some(0))
}

/// Whether a condition-variable wait that may end spuriously still may: under a model engine,
/// while another thread may go on once the waiter has released `mutex` (see
/// `Execution::another_may_go_on`; `has_token` says whether a thread waiting for its token has
/// it).
pub(crate) fn may_still_wake_spuriously(
    mutex: ObjId,
    has_token: impl Fn(ThreadIdx) -> bool,
) -> bool {
    local().is_some_and(|l| {
        !l.exec.concurrent
            && l.exec
                .another_may_go_on(l.running(), Some(mutex), has_token, |_| false)
    })
}

/// The running thread's condition-variable wait ended, spuriously or not (see
/// [`may_wake_spuriously_releasing`]).
pub(crate) fn condvar_woke(spurious: bool) {
    if let Some(l) = local() {
        l.exec.set_woke_spuriously(l.running(), spurious);
    }
}

/// Whether the running execution's engine samples schedules (random, PCT, SURW, priority):
/// it runs one model thread at a time, switches only at facade operations, and tracks no
/// dependencies between them, so code of tapestry's own may share state between model
/// threads without an operation (`future::shared_state`).
pub(crate) fn samples_schedules() -> bool {
    local().is_some_and(|l| {
        !l.exec.concurrent
            && l.exec
                .engine
                .is_some_and(crate::kinds::EngineKind::is_seeded)
    })
}

/// Facade operations begun so far in the running execution (the watchdog's count), if a
/// model engine runs it: a thread that counts the same before and after a wait of its own
/// knows that no other thread took a step meanwhile.
pub(crate) fn operations_begun() -> Option<u64> {
    local()
        .filter(|l| !l.exec.concurrent)
        .map(|l| l.exec.heartbeat().0)
}

/// Whether a timer of the running thread may fire now (see `Execution::time_may_pass`), asked
/// holding the lock `timers`; `has_token` says whether a thread waiting for its token has it.
pub(crate) fn time_may_pass(timers: ObjId, has_token: impl Fn(ThreadIdx) -> bool) -> bool {
    local().is_none_or(|l| l.exec.time_may_pass(l.running(), timers, has_token))
}

/// The running thread yielded (see `Execution::time_may_pass`: a thread that yields again and
/// again while the clock stands still waits for time).
pub(crate) fn note_yield() {
    if let Some(l) = local().filter(|l| !l.exec.concurrent) {
        l.exec.note_yield(l.running());
    }
}

/// The running thread waits for a wake: it is not spinning (see [`note_yield`]).
pub(crate) fn note_waiting() {
    if let Some(l) = local().filter(|l| !l.exec.concurrent) {
        l.exec.note_waiting(l.running());
    }
}

/// Whether a timeout may fire while the work it guards could go on (`Explorer::timeouts`): yes
/// outside explorations too, where the clock is real.
pub(crate) fn early_timeouts() -> bool {
    local().is_none_or(|l| l.exec.timeouts == crate::kinds::Timeouts::Early)
}
