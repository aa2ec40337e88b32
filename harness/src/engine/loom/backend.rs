//! Facade objects on loom's model: loom explores every interleaving of them and models the C++
//! memory model for atomics and `UnsafeCell` accesses.
//!
//! Architecture invariant: every loom call here is skipped during [`teardown`]. After loom
//! reports a deadlock it has no running thread, and a call from a destructor would panic during
//! unwinding and abort the whole test process (loom issues #52 and #291).

use std::cell::{RefCell, UnsafeCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::condvar::LoomCondvar;
use super::fair;
use super::pool::{AtomicPool, PooledAtomic};
use crate::engine::choices::Choices;
use crate::engine::guarded::guarded_locks;
use crate::engine::stack;
use crate::rt::{
    self, ArcOperations, AtomicRepr, Backend, Bits, Execution, Lent, RawAtomic, RawCell,
    RawCondvar, RawJoin, RawMutex, RawRwLock, RmwOp, ThreadIdx, WriteBack, each_int, teardown,
};

guarded_locks!(LoomMutex, LoomRwLock, loom::sync, around = fair::locking);

#[derive(Debug, Default)]
pub(crate) struct LoomBackend {
    /// The loom atomics of each execution, made at its start.
    atomics: AtomicPool,
    /// A condition variable of the running execution that nobody waits on: notifying it is a
    /// branch point with no effect.
    branch: PlainBranch,
    /// The data choices of the running round, which `loom::explore` sets and reads.
    pub choices: Arc<Mutex<Choices>>,
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
    pub(crate) fn choices(&self) -> std::sync::MutexGuard<'_, Choices> {
        self.choices.lock().unwrap_or_else(PoisonError::into_inner)
    }

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
        let body = Box::new(move || {
            body();
            fair::ran();
        });
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

    /// loom's locks keep a std lock inside and `unwrap` it when taken: released while another
    /// thread's panic unwinds, it is poisoned for good (see `Backend::survives_task_panics`).
    fn survives_task_panics(&self) -> bool {
        false
    }

    /// Cells and atomics are ordered by loom's clocks, which see a facade `Arc`'s ordering only
    /// as operations (see `rt::arc_ops`).
    fn arc_operations(&self) -> ArcOperations {
        ArcOperations::Clocked
    }

    /// Loom's yield always lets another thread run first; a yield that need not (see
    /// `rt::yield_point`) is a plain branch point instead, where loom may go on or switch. A
    /// yield that must waits for the others that could run (`fair`).
    fn yield_now(&self) {
        if teardown() {
            return;
        }
        rt::yield_point(false, |aside| {
            if !aside {
                self.plain_branch();
            } else if !fair::step_aside() {
                rt::engine_call(loom::thread::yield_now);
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
        self.choices().new_execution();
    }

    /// The round's value for this choice: loom has no data choices, so the engine searches
    /// once per combination of their values (`engine::choices`).
    fn choose(&self, n: usize) -> Option<usize> {
        let (_, me) = rt::current_thread()?;
        Some(self.choices().choose(me as usize, n))
    }

    fn acts_before_ops(&self) -> bool {
        true
    }

    fn before_op(&self) {
        fair::ran();
    }

    fn unsure_failure(&self) -> bool {
        self.atomics.unsure()
    }

    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic> {
        Box::new(LoomAtomic {
            repr,
            inner: UnsafeCell::new(self.atomics.take(repr, bits)),
            shadow: AtomicU64::new(bits),
            lent: Lent::default(),
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

/// One of loom's atomics per [`AtomicRepr`]. A `bool` lives in an `AtomicU8` and a pointer in
/// an `AtomicUsize`, as 0 or 1 and as an address: loom's `AtomicBool` has no `with_mut`
/// (which `get_mut` needs) and its `AtomicPtr` no arithmetic. Loom models every atomic as
/// `u64` bits whatever its type, so the model is the same.
pub(super) enum LoomAtomicInner {
    Bool(loom::sync::atomic::AtomicU8),
    U8(loom::sync::atomic::AtomicU8),
    I8(loom::sync::atomic::AtomicI8),
    U16(loom::sync::atomic::AtomicU16),
    I16(loom::sync::atomic::AtomicI16),
    U32(loom::sync::atomic::AtomicU32),
    I32(loom::sync::atomic::AtomicI32),
    U64(loom::sync::atomic::AtomicU64),
    I64(loom::sync::atomic::AtomicI64),
    Usize(loom::sync::atomic::AtomicUsize),
    Isize(loom::sync::atomic::AtomicIsize),
    Ptr(loom::sync::atomic::AtomicUsize),
}

impl LoomAtomicInner {
    pub(super) fn new(repr: AtomicRepr, bits: u64) -> LoomAtomicInner {
        use loom::sync::atomic as m;
        match repr {
            AtomicRepr::Bool => Self::Bool(m::AtomicU8::new(Bits::from_bits(bits))),
            AtomicRepr::U8 => Self::U8(m::AtomicU8::new(Bits::from_bits(bits))),
            AtomicRepr::I8 => Self::I8(m::AtomicI8::new(Bits::from_bits(bits))),
            AtomicRepr::U16 => Self::U16(m::AtomicU16::new(Bits::from_bits(bits))),
            AtomicRepr::I16 => Self::I16(m::AtomicI16::new(Bits::from_bits(bits))),
            AtomicRepr::U32 => Self::U32(m::AtomicU32::new(Bits::from_bits(bits))),
            AtomicRepr::I32 => Self::I32(m::AtomicI32::new(Bits::from_bits(bits))),
            AtomicRepr::U64 => Self::U64(m::AtomicU64::new(Bits::from_bits(bits))),
            AtomicRepr::I64 => Self::I64(m::AtomicI64::new(Bits::from_bits(bits))),
            AtomicRepr::Usize => Self::Usize(m::AtomicUsize::new(Bits::from_bits(bits))),
            AtomicRepr::Isize => Self::Isize(m::AtomicIsize::new(Bits::from_bits(bits))),
            AtomicRepr::Ptr => Self::Ptr(m::AtomicUsize::new(Bits::from_bits(bits))),
        }
    }

    pub(super) fn load(&self, order: Ordering) -> u64 {
        each_int!(LoomAtomicInner, self, a, T, a.load(order).to_bits(), bool: u8, ptr: usize)
    }

    pub(super) fn store(&self, bits: u64, order: Ordering) {
        each_int!(LoomAtomicInner, self, a, T, a.store(T::from_bits(bits), order),
            bool: u8, ptr: usize)
    }

    pub(super) fn swap(&self, bits: u64, order: Ordering) -> u64 {
        each_int!(LoomAtomicInner, self, a, T, a.swap(T::from_bits(bits), order).to_bits(),
            bool: u8, ptr: usize)
    }

    pub(super) fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
        weak: bool,
    ) -> Result<u64, u64> {
        each_int!(LoomAtomicInner, self, a, T, {
            let (c, n) = (T::from_bits(current), T::from_bits(new));
            let result = if weak {
                a.compare_exchange_weak(c, n, success, failure)
            } else {
                a.compare_exchange(c, n, success, failure)
            };
            result.map(Bits::to_bits).map_err(Bits::to_bits)
        }, bool: u8, ptr: usize)
    }

    pub(super) fn fetch(&self, op: RmwOp, bits: u64, order: Ordering) -> u64 {
        macro_rules! rmw {
            ($a:ident, $v:expr) => {
                match op {
                    RmwOp::Add => $a.fetch_add($v, order),
                    RmwOp::Sub => $a.fetch_sub($v, order),
                    RmwOp::And => $a.fetch_and($v, order),
                    RmwOp::Nand => $a.fetch_nand($v, order),
                    RmwOp::Or => $a.fetch_or($v, order),
                    RmwOp::Xor => $a.fetch_xor($v, order),
                    RmwOp::Max => $a.fetch_max($v, order),
                    RmwOp::Min => $a.fetch_min($v, order),
                }
                .to_bits()
            };
        }
        each_int!(LoomAtomicInner, self, a, T, rmw!(a, T::from_bits(bits)), bool: u8 => {
            let v = u8::from(bool::from_bits(bits));
            match op {
                RmwOp::And => a.fetch_and(v, order),
                RmwOp::Or => a.fetch_or(v, order),
                RmwOp::Xor => a.fetch_xor(v, order),
                // Bitwise nand on a byte would leave 0 and 1 behind. On a bool, `nand true`
                // negates and `nand false` sets `true`: each one read-modify-write, as std's.
                RmwOp::Nand if v == 1 => a.fetch_xor(1, order),
                RmwOp::Nand => a.swap(1, order),
                RmwOp::Add | RmwOp::Sub | RmwOp::Max | RmwOp::Min => {
                    unreachable!("AtomicBool has no fetch_{op:?}")
                }
            }
            .to_bits()
        }, ptr: usize => rmw!(a, usize::from_bits(bits)))
    }

    /// Loom's exclusive access (`with_mut`): `f` reads and may change the value as bits. Loom
    /// checks that this access happens after every other access to the atomic.
    pub(super) fn with_bits<R>(&mut self, f: impl FnOnce(&mut u64) -> R) -> R {
        each_int!(LoomAtomicInner, self, a, T, a.with_mut(|value| {
            let mut bits = value.to_bits();
            let result = f(&mut bits);
            *value = T::from_bits(bits);
            result
        }), bool: u8, ptr: usize)
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
///
/// `get_mut` cannot lend loom's own cell (loom reaches it only inside `with_mut`), so the
/// value is read out with `with_mut` (loom checks that the thread may access it exclusively)
/// into a [`Lent`], lent from there, and written back with `with_mut` as the thread that took
/// it (see [`WriteBack`]).
struct LoomAtomic {
    repr: AtomicRepr,
    /// Reached `&mut` only by `with_mut`, which is no branch point: model threads run one at a
    /// time, so nothing else holds a reference to it then.
    inner: UnsafeCell<PooledAtomic>,
    shadow: AtomicU64,
    lent: Lent,
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
    fn inner(&self) -> &PooledAtomic {
        // SAFETY: see `inner`: no `&mut` to it exists outside `with_bits`, which does not
        // reach this.
        unsafe { &*self.inner.get() }
    }

    fn seen(&self, bits: u64) -> u64 {
        self.shadow.store(bits, Ordering::Relaxed);
        bits
    }

    fn last(&self) -> u64 {
        self.shadow.load(Ordering::Relaxed)
    }

    /// Writes back what the program wrote through `get_mut`, and ends the lending: before an
    /// operation on the atomic (see [`Lent::end`]).
    #[inline]
    fn unpark(&self) {
        self.lent.end(self);
    }
}

impl WriteBack for LoomAtomic {
    fn write_back(&self) {
        let Some(bits) = self.lent.changed(self.repr) else {
            return;
        };
        self.seen(bits);
        if !teardown() {
            // SAFETY: see `inner`; no reference from `inner()` is alive across a facade
            // operation's start, where write-backs run.
            let inner = unsafe { &mut *self.inner.get() };
            inner.with_bits(|value| *value = bits);
        }
    }
}

impl Drop for LoomAtomic {
    fn drop(&mut self) {
        self.lent.forget(self);
    }
}

// No `engine_call` around loom here: the `rt` frame restores the running thread (see
// `RawAtomic`).
impl RawAtomic for LoomAtomic {
    fn load(&self, order: Ordering) -> u64 {
        self.unpark();
        if teardown() {
            return self.last();
        }
        seq_cst_fence(order);
        self.seen(self.inner().load(order))
    }

    fn store(&self, bits: u64, order: Ordering) {
        self.unpark();
        if !teardown() {
            if order == Ordering::SeqCst {
                // A swap: loom puts a read-modify-write after every write it could read, so
                // `SeqCst` writes are totally ordered (see `LoomAtomic`).
                self.inner().swap(bits, order);
            } else {
                self.inner().store(bits, order);
            }
            seq_cst_fence(order);
        }
        self.seen(bits);
    }

    fn swap(&self, bits: u64, order: Ordering) -> u64 {
        self.unpark();
        if teardown() {
            return self.last();
        }
        let old = self.inner().swap(bits, order);
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
        self.unpark();
        if teardown() {
            return Err(self.last());
        }
        // A failed exchange is a load with the failure ordering, a successful one a write.
        seq_cst_fence(failure);
        let result = self
            .inner()
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
        self.unpark();
        if teardown() {
            return self.last();
        }
        let old = self.inner().fetch(op, bits, order);
        seq_cst_fence(order);
        // The shadow keeps the old value: close enough for destructors of a failed execution.
        self.seen(old)
    }

    fn get_mut(&mut self) -> *mut u8 {
        let owner = &*self as &dyn WriteBack as *const dyn WriteBack;
        let (inner, shadow) = (&mut self.inner, &self.shadow);
        self.lent.lend(self.repr, owner, true, || match teardown() {
            true => shadow.load(Ordering::Relaxed),
            false => inner.get_mut().with_bits(|value| *value),
        })
    }

    fn peek(&self) -> u64 {
        self.lent.peek(self.repr).unwrap_or_else(|| self.last())
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
