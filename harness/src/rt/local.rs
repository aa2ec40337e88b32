//! The per-OS-thread view of the running execution.
//!
//! Model engines (loom, shuttle) run every model thread as a coroutine on the OS thread that
//! started the exploration, so one `Local` serves all of them: it holds the execution, the
//! recording in global order, and which model thread is running. Switches happen only inside
//! engine calls, so a facade operation notes the running thread before its engine call and
//! restores it afterwards. The stress engine runs model threads on real OS threads, each with a
//! `Local` of its own over the shared execution.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::marker::PhantomData;
use std::ptr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use super::event::{Event, ObjId, ObjectInfo, Op, Recording, Site, ThreadIdx, ThreadInfo};
use super::execution::Execution;
use super::lent::WriteBack;

thread_local! {
    static LOCAL: Cell<*const Local> = const { Cell::new(ptr::null()) };
}

/// The `Local` installed on this OS thread, if an exploration is running here.
///
/// The reference must not outlive the facade call that asked for it: [`Installed`] removes the
/// pointer before its `Local` is dropped.
#[inline]
pub(crate) fn local() -> Option<&'static Local> {
    let ptr = LOCAL.with(Cell::get);
    // SAFETY: the pointer is set only by `Local::install`, whose guard clears it before the
    // `Local` can be dropped (the guard borrows it), and it is only read on this OS thread.
    unsafe { ptr.as_ref() }
}

pub(crate) struct Local {
    pub(crate) exec: Arc<Execution>,
    running: Cell<ThreadIdx>,
    recording: UnsafeCell<Recording>,
    /// Events announced but not recorded yet, at most one per model thread: a condition
    /// variable's wait, recorded once its thread has joined the waiters (see
    /// `rt::record_when_waiting`).
    pending: RefCell<Vec<Event>>,
    /// Whether `pending` holds an event: asked at every scheduling decision.
    any_pending: Cell<bool>,
    /// Switches between model threads seen so far (changes of `running`).
    switches: Cell<u64>,
    /// For each model thread, `switches` when its last yield returned.
    yields: RefCell<Vec<u64>>,
    /// Whether the yield being scheduled must let another thread run first (see
    /// `rt::yield_point`).
    aside: Cell<bool>,
    /// Values the program holds `&mut` through an engine's `get_mut`, with the thread that
    /// took each (see [`WriteBack`]). Registered objects unregister before they are dropped.
    parked: RefCell<Vec<(ThreadIdx, *const dyn WriteBack)>>,
    /// Whether `parked` holds anything: asked before every operation.
    any_parked: Cell<bool>,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("exec", &self.exec)
            .field("running", &self.running)
            .finish()
    }
}

/// Keeps a [`Local`] installed on this OS thread; reinstalls the previous one when dropped.
pub(crate) struct Installed<'a> {
    previous: *const Local,
    _local: PhantomData<&'a Local>,
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        LOCAL.with(|cell| cell.set(self.previous));
    }
}

impl Local {
    pub(crate) fn new(exec: Arc<Execution>) -> Local {
        Local {
            exec,
            running: Cell::new(0),
            recording: UnsafeCell::new(Recording::default()),
            pending: RefCell::new(Vec::new()),
            any_pending: Cell::new(false),
            switches: Cell::new(0),
            yields: RefCell::new(Vec::new()),
            aside: Cell::new(false),
            parked: RefCell::new(Vec::new()),
            any_parked: Cell::new(false),
        }
    }

    pub(crate) fn install(&self) -> Installed<'_> {
        let previous = LOCAL.with(|cell| cell.replace(self));
        Installed {
            previous,
            _local: PhantomData,
        }
    }

    /// The model thread running on this OS thread now.
    #[inline]
    pub(crate) fn running(&self) -> ThreadIdx {
        self.running.get()
    }

    #[inline]
    pub(crate) fn set_running(&self, idx: ThreadIdx) {
        if self.running.get() != idx {
            self.running.set(idx);
            self.switches.set(self.switches.get() + 1);
        }
    }

    /// Whether no thread switch happened since `thread`'s last yield returned: yielding again
    /// now, it must let another thread run first.
    pub(crate) fn yielded_alone(&self, thread: ThreadIdx) -> bool {
        self.yields.borrow().get(thread as usize) == Some(&self.switches.get())
    }

    /// `thread`'s yield returned.
    pub(crate) fn note_yield(&self, thread: ThreadIdx) {
        let mut yields = self.yields.borrow_mut();
        let i = thread as usize;
        if yields.len() <= i {
            yields.resize(i + 1, u64::MAX);
        }
        yields[i] = self.switches.get();
    }

    pub(crate) fn set_aside(&self, aside: bool) {
        self.aside.set(aside);
    }

    pub(crate) fn aside(&self) -> bool {
        self.aside.get()
    }

    /// Records what `op` makes, unless tracing is off: `op` is only called when recording, so
    /// a facade operation builds no event with tracing off.
    #[inline(always)]
    pub(crate) fn record(
        &self,
        thread: ThreadIdx,
        obj: ObjId,
        op: impl FnOnce() -> Op,
        site: Site,
    ) {
        // Only the check is inlined into every facade operation: with tracing off it is all.
        if self.exec.tracing && !self.exec.has_failed() {
            self.push(thread, obj, op(), site);
        }
    }

    #[inline(never)]
    fn push(&self, thread: ThreadIdx, obj: ObjId, op: Op, site: Site) {
        let event = Event {
            thread,
            obj,
            op,
            site,
        };
        if self.exec.concurrent {
            let stamp = timestamp();
            self.with_recording(|r| {
                r.events.push(event);
                r.stamps.push(stamp);
            });
        } else {
            self.with_recording(|r| r.events.push(event));
        }
    }

    /// The index the next recorded event will have, if events are recorded.
    pub(crate) fn next_step(&self) -> Option<u32> {
        (self.exec.tracing && !self.exec.has_failed())
            .then(|| self.peek_recording(|r| r.events.len() as u32))
    }

    /// The event recorded at index `step` (the next, from [`next_step`](Self::next_step)), a
    /// read, read the store recorded at index `from` (`None`: the initial value).
    pub(crate) fn note_read_from(&self, step: u32, from: Option<u32>) {
        self.with_recording(|r| r.reads_from.push((step, from)));
    }

    /// Keeps an event of `thread` until [`commit`](Self::commit) records it.
    pub(crate) fn defer(&self, thread: ThreadIdx, obj: ObjId, op: Op, site: Site) {
        if !self.exec.tracing {
            return;
        }
        let mut pending = self.pending.borrow_mut();
        pending.retain(|e| e.thread != thread);
        pending.push(Event {
            thread,
            obj,
            op,
            site,
        });
        self.any_pending.set(true);
    }

    /// Records the event announced for `thread`, if any, now.
    #[inline]
    pub(crate) fn commit(&self, thread: ThreadIdx) {
        if self.any_pending.get() {
            self.commit_pending(thread);
        }
    }

    #[inline(never)]
    fn commit_pending(&self, thread: ThreadIdx) {
        let event = {
            let mut pending = self.pending.borrow_mut();
            let Some(i) = pending.iter().position(|e| e.thread == thread) else {
                return;
            };
            let event = pending.swap_remove(i);
            self.any_pending.set(!pending.is_empty());
            event
        };
        self.record(event.thread, event.obj, || event.op, event.site);
    }

    pub(crate) fn record_object(&self, info: ObjectInfo) {
        self.with_recording(|r| r.objects.push(info));
    }

    pub(crate) fn record_thread(&self, info: ThreadInfo) {
        self.with_recording(|r| r.threads.push(info));
    }

    /// Starts a new recording; events announced in the last execution are dropped (their
    /// threads never got that far).
    pub(crate) fn clear_recording(&self) {
        self.pending.borrow_mut().clear();
        self.any_pending.set(false);
        self.with_recording(Recording::clear);
    }

    /// `value` is held `&mut` by the running thread, which must write it back before each of its
    /// operations (see [`WriteBack`]).
    pub(crate) fn park(&self, value: *const dyn WriteBack) {
        self.parked.borrow_mut().push((self.running(), value));
        self.any_parked.set(true);
    }

    /// `value` is no longer held, or is about to be dropped.
    pub(crate) fn unpark(&self, value: *const dyn WriteBack) {
        let mut parked = self.parked.borrow_mut();
        parked.retain(|&(_, p)| !std::ptr::addr_eq(p, value));
        self.any_parked.set(!parked.is_empty());
    }

    /// The running thread is about to perform an operation through which what it wrote may
    /// reach another thread: the values it holds `&mut` are written back first.
    #[inline(always)]
    pub(crate) fn settle(&self) {
        if self.any_parked.get() {
            self.write_back_parked();
        }
    }

    #[inline(never)]
    fn write_back_parked(&self) {
        let me = self.running();
        let mine: Vec<_> = self
            .parked
            .borrow()
            .iter()
            .filter(|&&(thread, _)| thread == me)
            .map(|&(_, value)| value)
            .collect();
        for value in mine {
            // SAFETY: a parked value unregisters before it is dropped (`unpark`), and the
            // list is emptied when an execution begins, so every pointer here is live.
            unsafe { (*value).write_back() };
        }
    }

    /// Forgets the last execution's parked values: what was not unregistered then belongs to
    /// objects leaked from it.
    pub(crate) fn forget_parked(&self) {
        self.parked.borrow_mut().clear();
        self.any_parked.set(false);
    }

    /// Forgets the last execution's yields.
    pub(crate) fn forget_yields(&self) {
        self.yields.borrow_mut().clear();
    }

    pub(crate) fn recording(&self) -> Recording {
        self.with_recording(|r| r.clone())
    }

    pub(crate) fn take_recording(&self) -> Recording {
        self.pending.borrow_mut().clear();
        self.any_pending.set(false);
        self.with_recording(std::mem::take)
    }

    /// Reads the recording in place, for a signal handler on this thread (`rt::crumbs`).
    pub(crate) fn peek_recording<R>(&self, f: impl FnOnce(&Recording) -> R) -> R {
        // SAFETY: a `Local` is used by one OS thread only; a signal handler that interrupted
        // this thread reads while the interrupted code waits.
        f(unsafe { &*self.recording.get() })
    }

    fn with_recording<R>(&self, f: impl FnOnce(&mut Recording) -> R) -> R {
        // SAFETY: a `Local` is used by one OS thread only (it is `!Sync`), and `f` never calls
        // back into the facade, so no other reference to the recording exists meanwhile.
        f(unsafe { &mut *self.recording.get() })
    }
}

/// A clock shared by all threads, for ordering events recorded on different cores: the
/// processor's time-stamp counter where the kernel uses it as its own clock (so it is constant
/// rate and synchronised between cores), read in about half the time `Instant::now` takes;
/// else nanoseconds of the monotonic clock.
pub(crate) fn timestamp() -> u64 {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    if tsc_is_the_clock() {
        // The fence lets the operation just recorded complete first, as the kernel's own
        // clock does: a load stamped before it read would seem to precede the store it read.
        // SAFETY: `lfence` and `rdtsc` have no preconditions on x86_64.
        return unsafe {
            std::arch::x86_64::_mm_lfence();
            std::arch::x86_64::_rdtsc()
        };
    }
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn tsc_is_the_clock() -> bool {
    static TSC: OnceLock<bool> = OnceLock::new();
    *TSC.get_or_init(|| {
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .is_ok_and(|source| source.trim() == "tsc")
    })
}
