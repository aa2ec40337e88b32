//! Fair yields for loom's search: a spin loop that yields does not hand the processor back and
//! forth with another spinner forever while the thread they wait for never runs.
//!
//! loom lets a yielding thread's rival run next, and its search tries every rival at every
//! yield: two threads spinning on a flag that a third sets are explored handing over to each
//! other ever longer, until the model exceeds its branch limit. loom reports that as a failure
//! ("maximum number of branches"), on code that is correct under any fair scheduler. We follow
//! the fairness rule of CHESS (Musuvathi and Qadeer, "Fair stateless model checking", PLDI
//! 2008): a thread that yields with nobody having run since its last yield (it steps aside,
//! `rt::yield_point`) may not run again until every other thread that could run at that moment
//! has run. Such a thread is parked in loom, so no branch of the search picks it early; the
//! executions this prunes are those where a spinner keeps running while a thread that could
//! end its spin never does, which no fair scheduler produces.
//!
//! A thread counts as able to run unless it has finished, is blocked in a facade operation, is
//! inside a call that takes a lock of loom's, or is itself parked here. The lock calls matter
//! because loom blocks a thread paused in one (even in a `try_lock`) while another holds the
//! lock, which no facade frame marks. Parking is never a deadlock: a thread waits only for
//! threads loom can run, each of which clears itself from every wait as soon as it runs (its
//! next operation, or its end), and a wait that empties unparks its thread.
//!
//! The price: loom's unpark makes the parked thread synchronise with the thread that ended its
//! wait, as of that thread's last operation. A behaviour that needs a spinner to miss what that
//! thread did before is still reached through the schedules where the spinner's first yield
//! (a plain branch point, never a park) let the other run.
//!
//! The state is per OS thread: loom runs every model thread of a model on the thread that runs
//! the model, one at a time.

use std::cell::RefCell;

use crate::rt::{self, ThreadIdx};

thread_local! {
    static WAITS: RefCell<Waits> = const {
        RefCell::new(Waits { exec: u64::MAX, waiting: Vec::new(), locking: Vec::new() })
    };
}

struct Waits {
    /// The execution the waits belong to: a new execution starts with none.
    exec: u64,
    waiting: Vec<Waiter>,
    /// The threads inside a call that takes one of loom's locks.
    locking: Vec<ThreadIdx>,
}

struct Waiter {
    thread: ThreadIdx,
    handle: loom::thread::Thread,
    /// The threads that must run before this one may.
    behind: Vec<ThreadIdx>,
}

impl Waits {
    fn of(&mut self, exec: u64) -> &mut Vec<Waiter> {
        if self.exec != exec {
            self.exec = exec;
            self.waiting.clear();
            self.locking.clear();
        }
        &mut self.waiting
    }
}

/// Runs `call`, a call of loom's that takes a lock, marking the running thread as inside one.
pub(super) fn locking<R>(call: impl FnOnce() -> R) -> R {
    let Some((exec, me)) = rt::current_thread() else {
        return call();
    };
    WAITS.with_borrow_mut(|waits| {
        waits.of(exec);
        waits.locking.push(me);
    });
    let result = call();
    WAITS.with_borrow_mut(|waits| {
        waits.of(exec);
        if let Some(i) = waits.locking.iter().rposition(|&t| t == me) {
            waits.locking.swap_remove(i);
        }
    });
    result
}

/// Steps the running thread aside until the threads that could run now have run; `false` when
/// no other thread could run (the caller yields to loom as usual).
pub(super) fn step_aside() -> bool {
    let Some((exec, me)) = rt::current_thread() else {
        return false;
    };
    let behind: Vec<ThreadIdx> = WAITS.with_borrow_mut(|waits| {
        waits.of(exec);
        rt::unblocked_threads()
            .into_iter()
            .filter(|&t| {
                t != me
                    && !waits.waiting.iter().any(|w| w.thread == t)
                    && !waits.locking.contains(&t)
            })
            .collect()
    });
    if behind.is_empty() {
        return false;
    }
    let handle = rt::engine_call(loom::thread::current);
    WAITS.with_borrow_mut(|waits| {
        waits.of(exec).push(Waiter {
            thread: me,
            handle,
            behind,
        })
    });
    // A yield of loom's first: after it, loom lets no load read a value the thread saw before
    // when a newer one exists (its model of stores becoming visible), and the others get
    // their turn without a park where they take it at once.
    rt::engine_call(loom::thread::yield_now);
    // A stray unpark (a condition variable's, meant for an earlier wait) ends a park early.
    while WAITS.with_borrow_mut(|waits| waits.of(exec).iter().any(|w| w.thread == me)) {
        rt::engine_call(loom::thread::park);
    }
    true
}

/// The running thread ran: no thread waits for it any more.
pub(super) fn ran() {
    if WAITS.with_borrow(|waits| waits.waiting.is_empty()) {
        return;
    }
    let Some((exec, me)) = rt::current_thread() else {
        return;
    };
    let free: Vec<loom::thread::Thread> = WAITS.with_borrow_mut(|waits| {
        let waiting = waits.of(exec);
        for waiter in waiting.iter_mut() {
            waiter.behind.retain(|&t| t != me);
        }
        let (free, still): (Vec<_>, Vec<_>) = waiting.drain(..).partition(|w| w.behind.is_empty());
        *waiting = still;
        free.into_iter().map(|w| w.handle).collect()
    });
    for handle in free {
        // An unpark is no branch point in loom.
        rt::engine_call(|| handle.unpark());
    }
}
