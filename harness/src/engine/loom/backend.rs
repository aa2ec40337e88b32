//! Facade objects on loom's model: loom explores every interleaving of them and models the C++
//! memory model for atomics and `UnsafeCell` accesses.
//!
//! Architecture invariant: every loom call here is skipped during [`teardown`]. After loom
//! reports a deadlock it has no running thread, and a call from a destructor would panic during
//! unwinding and abort the whole test process (loom issues #52 and #291).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::condvar::LoomCondvar;
use super::pool::AtomicPool;
use crate::engine::guarded::guarded_locks;
use crate::engine::stack;
use crate::rt::{
    self, AtomicRepr, Backend, Execution, RawAtomic, RawCell, RawCondvar, RawJoin, RawMutex,
    RawRwLock, RmwOp, ThreadIdx, atomic_enum, teardown,
};

atomic_enum!(LoomAtomicInner, loom::sync::atomic);
guarded_locks!(LoomMutex, LoomRwLock, loom::sync);

#[derive(Debug, Default)]
pub(crate) struct LoomBackend {
    /// The loom atomics of each execution, made at its start.
    atomics: AtomicPool,
    /// A condition variable of the running execution that nobody waits on: notifying it is a
    /// branch point with no effect.
    branch: PlainBranch,
}

#[derive(Default)]
struct PlainBranch(RefCell<Option<(u64, Rc<loom::sync::Condvar>)>>);

// SAFETY: loom runs every model thread on the OS thread that runs the model, one at a time;
// the cell is touched only between loom calls.
unsafe impl Send for PlainBranch {}
// SAFETY: as above.
unsafe impl Sync for PlainBranch {}

impl std::fmt::Debug for PlainBranch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainBranch")
    }
}

impl LoomBackend {
    /// A branch point of loom's with no effect, made on this execution's own object.
    fn plain_branch(&self) {
        let Some((exec, _)) = rt::current_thread() else {
            return;
        };
        let condvar = {
            let mut branch = self.branch.0.borrow_mut();
            match &*branch {
                Some((id, condvar)) if *id == exec => condvar.clone(),
                _ => {
                    let condvar = Rc::new(loom::sync::Condvar::new());
                    *branch = Some((exec, condvar.clone()));
                    condvar
                }
            }
        };
        // Not borrowed across the call: loom may run other threads, which may yield too.
        rt::engine_call(|| condvar.notify_one());
    }
}

impl Backend for LoomBackend {
    fn spawn(
        &self,
        _exec: &Arc<Execution>,
        _child: ThreadIdx,
        body: Box<dyn FnOnce() + Send + 'static>,
        name: Option<&str>,
        stack_size: Option<usize>,
    ) -> Box<dyn RawJoin> {
        if teardown() {
            return Box::new(NotStarted);
        }
        // loom's own stack holds only the switch to ours (`engine::stack`).
        let body = stack::wrap(stack::for_spawned(stack_size), body);
        let mut builder = loom::thread::Builder::new();
        if let Some(name) = name {
            builder = builder.name(name.to_owned());
        }
        let handle = rt::engine_call(|| builder.spawn(body))
            .expect("loom spawns model threads without OS resources");
        Box::new(LoomJoin(handle))
    }

    fn max_threads(&self) -> Option<u32> {
        Some(loom::MAX_THREADS as u32)
    }

    /// Loom's yield always lets another thread run first; a yield that need not (see
    /// `rt::yield_point`) is a plain branch point instead, where loom may go on or switch.
    fn yield_now(&self) {
        if teardown() {
            return;
        }
        rt::yield_point(false, |aside| {
            if aside {
                rt::engine_call(loom::thread::yield_now);
            } else {
                self.plain_branch();
            }
        });
    }

    fn new_mutex(&self) -> Box<dyn RawMutex> {
        Box::new(LoomMutex::new())
    }

    fn new_rwlock(&self) -> Box<dyn RawRwLock> {
        Box::new(LoomRwLock::new())
    }

    fn new_condvar(&self) -> Box<dyn RawCondvar> {
        Box::new(LoomCondvar::new())
    }

    fn begin(&self) {
        self.atomics.begin();
    }

    fn unsure_failure(&self) -> bool {
        self.atomics.unsure()
    }

    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic> {
        Box::new(LoomAtomic {
            inner: self.atomics.take(repr, bits),
            shadow: AtomicU64::new(bits),
        })
    }

    fn new_cell(&self) -> Option<Box<dyn RawCell>> {
        Some(Box::new(LoomCell(loom::cell::UnsafeCell::new(()))))
    }

    fn fence(&self, order: Ordering) {
        if !teardown() {
            rt::engine_call(|| loom::sync::atomic::fence(order));
        }
    }
}

struct LoomJoin(loom::thread::JoinHandle<()>);

impl RawJoin for LoomJoin {
    fn join(self: Box<Self>) -> std::thread::Result<()> {
        if teardown() {
            return Err(Box::new(
                "the execution failed before this thread was joined",
            ));
        }
        rt::engine_call(|| self.0.join())
    }
}

/// A thread that was never started because its execution had already failed.
struct NotStarted;

impl RawJoin for NotStarted {
    fn join(self: Box<Self>) -> std::thread::Result<()> {
        Err(Box::new(
            "the execution failed before this thread could start",
        ))
    }
}

/// A loom atomic, plus the last value the facade saw, which stands in for it during
/// [`teardown`] when loom cannot be asked.
///
/// `SeqCst` accesses get a `SeqCst` fence: after a store (and a read-modify-write), before a
/// load. Loom treats `SeqCst` accesses as `AcqRel` (loom#180): two `SeqCst` stores of
/// different threads are unordered unless something else orders them, and a `SeqCst` load
/// may read the older one, so correct code such as store buffering, Dekker's handshake,
/// Peterson's lock and IRIW with every access `SeqCst` failed. Loom's `SeqCst` fences are
/// totally ordered and carry everything their thread has seen to every later fence; with one
/// after every `SeqCst` write and before every `SeqCst` read, a read sees every `SeqCst`
/// write whose fence came before its own, which is the total order sequential consistency
/// asks for. The fences are no branch points, so the search has the same shape.
///
/// A `SeqCst` store is made a swap too. Loom orders a plain store only after the writes its
/// thread has seen, and lets a later load pick between two stores it left unordered, even
/// when a read-modify-write read the older one: after `store(2)` and a concurrent `swap(0)`
/// that read the initial 0, a load after both could read 0, which no interleaving allows.
/// A read-modify-write always goes after the write it read, so `SeqCst` writes are totally
/// ordered. (Fences and swaps order more than the language does: loom may need another
/// interleaving to show a race between threads that only share `SeqCst` atomics, and the
/// other engines check those too. The property test `tests/dpor_complete.rs` checks that
/// all-`SeqCst` programs show exactly the behaviours of their interleavings.)
struct LoomAtomic {
    inner: LoomAtomicInner,
    shadow: AtomicU64,
}

// SAFETY: loom's atomics are used by model threads of one OS thread only.
unsafe impl Send for LoomAtomic {}
// SAFETY: as above.
unsafe impl Sync for LoomAtomic {}

/// The fence that makes `order` sequentially consistent, if it is `SeqCst` (see [`LoomAtomic`]).
fn seq_cst_fence(order: Ordering) {
    if order == Ordering::SeqCst {
        loom::sync::atomic::fence(Ordering::SeqCst);
    }
}

impl LoomAtomic {
    fn seen(&self, bits: u64) -> u64 {
        self.shadow.store(bits, Ordering::Relaxed);
        bits
    }

    fn last(&self) -> u64 {
        self.shadow.load(Ordering::Relaxed)
    }
}

// No `engine_call` around loom here: the `rt` frame restores the running thread (see
// `RawAtomic`).
impl RawAtomic for LoomAtomic {
    fn load(&self, order: Ordering) -> u64 {
        if teardown() {
            return self.last();
        }
        seq_cst_fence(order);
        self.seen(self.inner.load(order))
    }

    fn store(&self, bits: u64, order: Ordering) {
        if !teardown() {
            if order == Ordering::SeqCst {
                // A swap: loom puts a read-modify-write after every write it could read, so
                // `SeqCst` writes are totally ordered (see `LoomAtomic`).
                self.inner.swap(bits, order);
            } else {
                self.inner.store(bits, order);
            }
            seq_cst_fence(order);
        }
        self.seen(bits);
    }

    fn swap(&self, bits: u64, order: Ordering) -> u64 {
        if teardown() {
            return self.last();
        }
        let old = self.inner.swap(bits, order);
        seq_cst_fence(order);
        self.seen(bits);
        old
    }

    fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
        weak: bool,
    ) -> Result<u64, u64> {
        if teardown() {
            return Err(self.last());
        }
        // A failed exchange is a load with the failure ordering, a successful one a write.
        seq_cst_fence(failure);
        let result = self
            .inner
            .compare_exchange(current, new, success, failure, weak);
        if result.is_ok() {
            seq_cst_fence(success);
        }
        self.seen(match result {
            Ok(_) => new,
            Err(actual) => actual,
        });
        result
    }

    fn fetch(&self, op: RmwOp, bits: u64, order: Ordering) -> u64 {
        if teardown() {
            return self.last();
        }
        let old = self.inner.fetch(op, bits, order);
        seq_cst_fence(order);
        // The shadow keeps the old value: close enough for destructors of a failed execution.
        self.seen(old)
    }
}

struct LoomCell(loom::cell::UnsafeCell<()>);

// SAFETY: used by model threads of one OS thread only; loom checks the accesses themselves.
unsafe impl Send for LoomCell {}
// SAFETY: as above.
unsafe impl Sync for LoomCell {}

impl RawCell for LoomCell {
    fn read(&self, access: &mut dyn FnMut()) {
        if teardown() {
            return access();
        }
        rt::engine_call(|| self.0.with(|_| access()));
    }

    fn write(&self, access: &mut dyn FnMut()) {
        if teardown() {
            return access();
        }
        rt::engine_call(|| self.0.with_mut(|_| access()));
    }
}
