//! What an execution records: compact, `Copy` events plus a description of every object and
//! thread. Nothing here formats text; `trace::render` does that once a failure is shown.

use std::borrow::Cow;
use std::panic::Location;
use std::sync::atomic::Ordering;

use super::atomic_bits::{AtomicRepr, RmwOp};

/// A model thread's number in its execution: 0 is the thread that runs the test body, and
/// spawned threads count up in spawn order.
pub(crate) type ThreadIdx = u32;
/// An object's number in its execution, in creation order.
pub(crate) type ObjId = u32;
/// Where user code called the facade (`#[track_caller]`).
pub(crate) type Site = &'static Location<'static>;

/// One facade operation, recorded after it took effect.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub thread: ThreadIdx,
    pub obj: ObjId,
    pub op: Op,
    pub site: Site,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Spawn {
        child: ThreadIdx,
    },
    Join {
        child: ThreadIdx,
    },
    Exit,
    /// `JoinHandle::is_finished` of thread `child` said `done`.
    IsFinished {
        child: ThreadIdx,
        done: bool,
    },
    Yield,
    /// `thread::sleep`: a yield under model engines, which have no clock.
    Sleep {
        micros: u64,
    },
    /// `thread::park` (`timeout`: `park_timeout`) returned, and why.
    Park {
        timeout: bool,
        woke: Woke,
    },
    /// `Thread::unpark` of `thread`: its token is set.
    Unpark {
        thread: ThreadIdx,
    },
    /// A task's poll returned `Pending` and its thread waited for a wake, which came.
    Pending,
    /// A task's poll returned `Pending` with a timer set (a sleep or timeout of
    /// `tapestry::tokio::time`), and its thread waited for a wake or the timer: `fired` when
    /// the timer ended the wait.
    TimerWait {
        fired: bool,
    },
    /// A future that was pending was dropped (cancelled): no operation of any engine, a note
    /// in the trace at the line that made the future.
    Cancelled {
        why: Cancel,
        /// Where it waited, if one of tapestry's futures inside it said (`rt::pending_at`).
        waiting_at: Option<Site>,
    },
    /// A task's poll panicked: its handle returns the panic, as a `JoinError`.
    TaskPanicked,
    /// A poll of a task (or of `block_on`) runs on worker `worker` (counted from 1) of the
    /// modelled async runtime (`Explorer::workers`).
    Poll {
        worker: u8,
    },
    /// An unbiased `select!` polls its branch `branch` (counted from 1) of `of` first, as the
    /// engine chose: the first of them that is ready wins.
    SelectStart {
        branch: u8,
        of: u8,
    },
    /// A waker of the task that runs on `thread` was woken.
    Wake {
        thread: ThreadIdx,
    },
    Lock,
    TryLock {
        ok: bool,
    },
    Unlock,
    Read,
    TryRead {
        ok: bool,
    },
    ReadUnlock,
    Write,
    TryWrite {
        ok: bool,
    },
    WriteUnlock,
    /// A condition-variable wait began, releasing `mutex`.
    Wait {
        mutex: ObjId,
    },
    /// A condition-variable wait returned, holding `mutex` again.
    Woken {
        mutex: ObjId,
        timed_out: bool,
        /// Neither notified nor timed out: a spurious wakeup, which std allows (model engines
        /// explore it for untimed waits, as for `park`).
        spurious: bool,
    },
    NotifyOne,
    NotifyAll,
    BarrierWait {
        leader: bool,
    },
    /// `Once::call_once` ran its closure (`ran`) or found it done.
    Once {
        ran: bool,
    },
    /// `Once::is_completed` found it `done` or not.
    OnceCheck {
        done: bool,
    },
    Send {
        msg: u64,
    },
    SendFailed,
    Recv {
        msg: u64,
    },
    RecvEmpty,
    /// `recv_timeout` gave up: no message came in time.
    RecvTimedOut,
    RecvDisconnected,
    Load {
        order: Ordering,
        bits: u64,
    },
    Store {
        order: Ordering,
        bits: u64,
    },
    Swap {
        order: Ordering,
        old: u64,
        new: u64,
    },
    CompareExchange {
        order: Ordering,
        expected: u64,
        new: u64,
        actual: u64,
        ok: bool,
    },
    Rmw {
        rmw: RmwOp,
        order: Ordering,
        operand: u64,
        old: u64,
    },
    Fence {
        order: Ordering,
    },
    CellRead,
    CellWrite,
}

/// Why a `thread::park` or `park_timeout` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Woke {
    /// It took the thread's token: an `unpark` came before or while it waited.
    Unparked,
    /// Without a token: a spurious wakeup, which std allows (model engines explore it).
    Spurious,
    /// Without a token: `park_timeout`'s time ran out.
    TimedOut,
}

/// What kind of facade object an [`ObjectInfo`] describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjKind {
    Mutex,
    /// A mutex with priority inheritance.
    PiMutex,
    RwLock,
    Condvar,
    Barrier,
    Once,
    Channel,
    Atomic(AtomicRepr),
    Cell,
}

#[derive(Clone, Debug)]
pub(crate) struct ObjectInfo {
    pub id: ObjId,
    pub kind: ObjKind,
    pub name: Option<Cow<'static, str>>,
    pub site: Site,
}

#[derive(Clone, Debug)]
pub(crate) struct ThreadInfo {
    pub idx: ThreadIdx,
    pub name: Option<String>,
}

/// Everything one OS thread recorded during one execution.
#[derive(Clone, Debug, Default)]
pub(crate) struct Recording {
    pub events: Vec<Event>,
    /// A timestamp (`local::timestamp`) per event, for engines with real threads, whose
    /// per-thread recordings are merged by time; empty under model engines, which record in
    /// order. Kept apart so that the events model engines record stay small.
    pub stamps: Vec<u64>,
    pub objects: Vec<ObjectInfo>,
    pub threads: Vec<ThreadInfo>,
    /// For engines that know which store each read read (c11): (a read's index in `events`,
    /// the index of the store it read, `None` for the initial value), in order. A read not
    /// here is matched to a store by its value (`trace::stale`).
    pub reads_from: Vec<(u32, Option<u32>)>,
}

impl Recording {
    pub(crate) fn clear(&mut self) {
        self.events.clear();
        self.stamps.clear();
        self.objects.clear();
        self.threads.clear();
        self.reads_from.clear();
    }

    /// Merges the recordings of several OS threads into one, ordering events by time.
    pub(crate) fn merge(parts: Vec<Recording>) -> Recording {
        let mut merged = Recording::default();
        let mut stamped = Vec::new();
        for part in parts {
            debug_assert_eq!(
                part.events.len(),
                part.stamps.len(),
                "an event without a stamp"
            );
            stamped.extend(part.stamps.into_iter().zip(part.events));
            merged.objects.extend(part.objects);
            merged.threads.extend(part.threads);
        }
        // Stable: events of one thread keep their program order when stamps tie.
        stamped.sort_by_key(|&(stamp, _)| stamp);
        (merged.stamps, merged.events) = stamped.into_iter().unzip();
        merged.objects.sort_by_key(|o| o.id);
        merged.threads.sort_by_key(|t| t.idx);
        merged
    }
}

/// Why a pending future was dropped ([`Op::Cancelled`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Cancel {
    /// A `select!` branch, when another branch won: which one (counted from 1), and its
    /// future's expression as written.
    SelectBranch {
        branch: u8,
        future: &'static &'static str,
    },
    /// The future a `timeout` guards, when the timeout fired.
    Timeout,
    /// A task's future, aborted (`JoinHandle::abort`, the end of an async test); `polled`:
    /// after its first poll.
    Abort { polled: bool },
    /// A `spawn_blocking` closure, aborted before it started: it never runs.
    AbortBlocking,
}

/// The last thing that happened to a task's waker (its clones, as `Waker`s are cloned,
/// woken and dropped), which a lost wakeup's report names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WakerNote {
    pub what: WakerEvent,
    /// The thread that did it.
    pub by: ThreadIdx,
    /// How many steps the trace had then.
    pub after: usize,
    /// The line of user code that did it, when the execution noted it
    /// (`Execution::waker_sites`): `file:line`.
    pub site: Option<&'static str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WakerEvent {
    /// A clone was made (a future registered the waker somewhere).
    Cloned,
    /// A clone was dropped, and none is left but the poll loop's own.
    LastDropped,
    /// The waker was woken.
    Woken,
}

/// Why a thread cannot make progress: what it is blocked on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlockReason {
    Lock,
    Read,
    Write,
    Wait,
    Join,
    Recv,
    Send,
    Barrier,
    Once,
    /// `thread::park`: waits for its thread's token.
    Park,
    /// A task (`tapestry::future`) returned `Pending` and waits for a wake.
    Wake,
    /// A task waits for a lock or semaphore of `tapestry::tokio` (`target`: the thread that
    /// holds it, `u32::MAX` if none is known). Only in failure records: a task blocks as
    /// `Wake`, and `Execution::record_failure` says what it waited for.
    AsyncLock,
    /// A poll waits for a worker of the modelled async runtime (`future::workers`).
    Worker,
}

impl BlockReason {
    const ALL: [BlockReason; 13] = [
        BlockReason::Lock,
        BlockReason::Read,
        BlockReason::Write,
        BlockReason::Wait,
        BlockReason::Join,
        BlockReason::Recv,
        BlockReason::Send,
        BlockReason::Barrier,
        BlockReason::Once,
        BlockReason::Park,
        BlockReason::Wake,
        BlockReason::AsyncLock,
        BlockReason::Worker,
    ];

    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_code(code: u8) -> Option<BlockReason> {
        Self::ALL.get(code as usize).copied()
    }
}

/// A thread blocked in a facade operation: on object `target` (a thread for `Join`), at
/// `site`, the line of the blocking operation (known once the operation's frame has run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Blocked {
    pub reason: BlockReason,
    pub target: u32,
    pub site: Option<Site>,
}

impl Blocked {
    /// Blocked for `reason` on `target`; the frame that runs the operation adds the site.
    pub(crate) fn new(reason: BlockReason, target: u32) -> Blocked {
        Blocked {
            reason,
            target,
            site: None,
        }
    }
}

// Events are recorded at every facade operation: keep them small.
const _: () = assert!(std::mem::size_of::<Event>() <= 48);
