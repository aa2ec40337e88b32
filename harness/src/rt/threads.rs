//! The per-thread state of an execution: a table of slots that threads register in without a
//! lock, and what each slot holds (what the thread is blocked on, its clocks, its held locks).

use std::any::Any;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, Ordering::*};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use super::event::{BlockReason, Blocked, ThreadIdx, WakerNote};
use super::lock_order::Held;
use super::race::ThreadClocks;

const CHUNK: usize = 64;
const CHUNKS: usize = 64;

/// Per-thread state, in fixed chunks so that threads can register without a lock and a slot
/// never moves: at most `CHUNK * CHUNKS` threads per execution. The first chunk exists from
/// the start, so the common lookup is an index.
pub(super) struct ThreadTable {
    first: Box<[ThreadSlot; CHUNK]>,
    more: [OnceLock<Box<[ThreadSlot; CHUNK]>>; CHUNKS - 1],
    len: AtomicU32,
}

const MAX_THREADS: u32 = (CHUNK * CHUNKS) as u32;

fn new_chunk() -> Box<[ThreadSlot; CHUNK]> {
    Box::new(std::array::from_fn(|_| ThreadSlot::new()))
}

impl ThreadTable {
    pub(super) fn new() -> ThreadTable {
        ThreadTable {
            first: new_chunk(),
            more: [const { OnceLock::new() }; CHUNKS - 1],
            len: AtomicU32::new(0),
        }
    }

    pub(super) fn len(&self) -> u32 {
        self.len.load(Acquire)
    }

    pub(super) fn reset(&self) {
        for i in 0..self.len() {
            self.slot(i).reset();
        }
        self.len.store(0, Release);
    }

    pub(super) fn push(&self) -> ThreadIdx {
        let idx = self.len.fetch_add(1, AcqRel);
        assert!(
            idx < MAX_THREADS,
            "an execution may start at most {MAX_THREADS} threads; this one started more"
        );
        // Clean already: new, or reset by `reset` when the next execution began.
        idx
    }

    #[inline]
    pub(super) fn slot(&self, idx: ThreadIdx) -> &ThreadSlot {
        let idx = idx as usize;
        match self.first.get(idx) {
            Some(slot) => slot,
            None => self.slot_beyond_first(idx),
        }
    }

    #[cold]
    #[inline(never)]
    fn slot_beyond_first(&self, idx: usize) -> &ThreadSlot {
        &self.more[idx / CHUNK - 1].get_or_init(new_chunk)[idx % CHUNK]
    }
}

pub(super) struct ThreadSlot {
    /// `NOT_BLOCKED`, or a [`Blocked`] packed as `reason << 32 | target`.
    pub(super) blocked: AtomicU64,
    /// The site of the blocking operation (null: none), stored before `blocked`.
    blocked_at: AtomicPtr<Location<'static>>,
    pub(super) finished: AtomicBool,
    pub(super) name: Mutex<Option<Arc<str>>>,
    pub(super) priority: AtomicU8,
    pub(super) clocks: Mutex<ThreadClocks>,
    pub(super) held: Mutex<Held>,
    /// What `thread::park` and `Thread::unpark` share (the facade's `Parker`), made at the
    /// first of them and dropped when the thread exits.
    pub(super) parker: Mutex<Option<Parker>>,
    /// The last thing that happened to the waker of the task this thread polls.
    pub(super) waker: Mutex<Option<WakerNote>>,
    /// Where the future this thread polls waits (null: unknown), as the innermost of
    /// tapestry's futures that returned `Pending` says (`rt::pending_at`).
    pub(super) pending_at: AtomicPtr<Location<'static>>,
    /// How many `static`s this thread is initialising now (nested): what they allocate
    /// belongs to the static, not to the execution (`rt::initialising_static`).
    pub(super) initialising: AtomicU32,
    /// Whether the thread is in a call that must not wait for another thread
    /// (`rt::waiting`).
    pub(super) forbids_waiting: AtomicBool,
    /// Whether the thread's last condition-variable wait ended spuriously: its next may not
    /// (`rt::may_wake_spuriously_releasing`).
    pub(super) woke_spuriously: AtomicBool,
    /// Whether the thread's panic is unwinding (see `rt::panicking`).
    pub(super) unwinding: AtomicBool,
    /// Whether the thread unwinds out of an abandoned execution (`rt::abandon_thread`).
    pub(super) abandoning: AtomicBool,
    /// The thread's yields in a row while the virtual clock stood at `spin_clock`, with no
    /// wait for a wake between them (`Execution::note_yield`).
    pub(super) spins: AtomicU32,
    pub(super) spin_clock: AtomicU64,
}

/// A thread's parker, as the facade makes it: `rt` only keeps it.
pub(crate) type Parker = Arc<dyn Any + Send + Sync>;

const NOT_BLOCKED: u64 = u64::MAX;

impl ThreadSlot {
    fn new() -> ThreadSlot {
        ThreadSlot {
            blocked: AtomicU64::new(NOT_BLOCKED),
            blocked_at: AtomicPtr::new(std::ptr::null_mut()),
            finished: AtomicBool::new(false),
            name: Mutex::new(None),
            priority: AtomicU8::new(0),
            clocks: Mutex::new(ThreadClocks::default()),
            held: Mutex::new(Held::default()),
            parker: Mutex::new(None),
            waker: Mutex::new(None),
            pending_at: AtomicPtr::new(std::ptr::null_mut()),
            initialising: AtomicU32::new(0),
            forbids_waiting: AtomicBool::new(false),
            woke_spuriously: AtomicBool::new(false),
            unwinding: AtomicBool::new(false),
            abandoning: AtomicBool::new(false),
            spins: AtomicU32::new(0),
            spin_clock: AtomicU64::new(0),
        }
    }

    fn reset(&self) {
        self.blocked.store(NOT_BLOCKED, Relaxed);
        self.blocked_at.store(std::ptr::null_mut(), Relaxed);
        self.finished.store(false, Relaxed);
        *self.name.lock() = None;
        self.priority.store(0, Relaxed);
        self.clocks.lock().reset();
        self.held.lock().clear();
        *self.waker.lock() = None;
        self.pending_at.store(std::ptr::null_mut(), Relaxed);
        self.initialising.store(0, Relaxed);
        self.forbids_waiting.store(false, Relaxed);
        self.woke_spuriously.store(false, Relaxed);
        self.unwinding.store(false, Relaxed);
        self.abandoning.store(false, Relaxed);
        self.spins.store(0, Relaxed);
        // A thread that never exited belongs to a failed execution, whose engine left its
        // objects behind without dropping them (they may be loom's or shuttle's, which must not
        // be touched outside their execution): so is its parker.
        std::mem::forget(self.parker.lock().take());
    }

    #[inline]
    pub(super) fn set_blocked(&self, blocked: Option<Blocked>) {
        let packed = match blocked {
            Some(b) => {
                // Read only as a `&'static Location` again (see `blocked`).
                let site = b
                    .site
                    .map_or(std::ptr::null_mut(), |s| std::ptr::from_ref(s).cast_mut());
                self.blocked_at.store(site, Relaxed);
                (u64::from(b.reason.code()) << 32) | u64::from(b.target)
            }
            None => NOT_BLOCKED,
        };
        self.blocked.store(packed, Release);
    }

    pub(super) fn blocked(&self) -> Option<Blocked> {
        let packed = self.blocked.load(Acquire);
        if packed == NOT_BLOCKED {
            return None;
        }
        let site = self.blocked_at.load(Relaxed);
        Some(Blocked {
            reason: BlockReason::from_code((packed >> 32) as u8)?,
            target: packed as u32,
            // SAFETY: only null or a `&'static Location` is ever stored (`set_blocked`).
            site: unsafe { site.as_ref() },
        })
    }
}
