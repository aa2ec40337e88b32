//! The interface between the facade and an engine.
//!
//! A facade object (`sync::Mutex`, `sync::atomic::AtomicUsize`, ...) owns one *raw* object made
//! by the backend of the execution it was created in. Raw objects carry no values and know
//! nothing about traces: the facade keeps the data, records events and implements everything
//! std promises on top (poisoning, guards, channels, barriers, `Once`). An engine only says how
//! threads run, block and wake.
//!
//! Architecture invariant: adding an engine means implementing these traits in one module under
//! `engine/`; no facade module changes.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::event::ThreadIdx;
use super::execution::Execution;

/// How the model threads of an execution are run.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Starts model thread `child` of `exec`, running `body`, on a stack of `stack_size` bytes
    /// if the program asked for one (`thread::Builder::stack_size`), else of the engine's
    /// default.
    fn spawn(
        &self,
        exec: &Arc<Execution>,
        child: ThreadIdx,
        body: Box<dyn FnOnce() + Send + 'static>,
        name: Option<&str>,
        stack_size: Option<usize>,
    ) -> Box<dyn RawJoin>;
    /// Whether the facade should keep vector clocks and check cell accesses for races: engines
    /// that check nothing themselves (loom has its own memory model and checks).
    fn detects_races(&self) -> bool {
        false
    }
    /// The most threads (including the test body's) an execution may run, if limited.
    fn max_threads(&self) -> Option<u32> {
        None
    }
    /// Lets the scheduler run another thread.
    fn yield_now(&self);
    /// Sleeps: model engines have no clock, so by default a sleep is a yield.
    fn sleep(&self, duration: Duration) {
        let _ = duration;
        self.yield_now();
    }
    /// A spin-loop iteration: model engines must switch threads here, or a spinning thread
    /// would never let the thread it waits for run.
    fn spin_loop(&self) {
        self.yield_now();
    }
    /// A new execution begins, on the test body's thread, before the body runs.
    fn begin(&self) {}
    /// Whether the failure of the execution that just ended may be the engine's artefact rather
    /// than the program's: the engine's search is then started over (see `engine::loom::pool`).
    fn unsure_failure(&self) -> bool {
        false
    }
    /// Called before every facade operation except spawning, if `acts_before_ops`; the stress
    /// engine releases the threads this one spawned and widens race windows here.
    fn before_op(&self) {}
    /// Whether `before_op` does anything. Asked once per exploration, so that the other
    /// engines pay no call per operation.
    fn acts_before_ops(&self) -> bool {
        false
    }
    fn new_mutex(&self) -> Box<dyn RawMutex>;
    fn new_rwlock(&self) -> Box<dyn RawRwLock>;
    fn new_condvar(&self) -> Box<dyn RawCondvar>;
    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic>;
    /// A tracker for `cell::UnsafeCell` accesses, or `None` when the engine checks nothing.
    fn new_cell(&self) -> Option<Box<dyn RawCell>>;
    fn fence(&self, order: Ordering);
}

/// A started model thread.
pub(crate) trait RawJoin: Send + Sync {
    /// Blocks until the thread has finished. `Err` carries the payload of a panic that the
    /// engine let the thread die of (engines that fail the execution on a panic never return it).
    fn join(self: Box<Self>) -> std::thread::Result<()>;
}

/// A lock with no data and no guard: the facade pairs every `lock` with one `unlock`.
///
/// Architecture invariant: whoever calls `lock`, `try_lock` or `unlock` restores the running
/// thread right after: the `rt` frames (`rt::lock`, `rt::op`, `rt::unlock`) do, and other
/// callers (`sync::Monitor`) wrap the call in `rt::engine_call`. So model engines make these
/// calls without `engine_call`, which would restore it twice on the facade's hottest path.
pub(crate) trait RawMutex: Send + Sync {
    fn lock(&self);
    fn try_lock(&self) -> bool;
    fn unlock(&self);
    /// For condition variables of the same backend, which need the concrete type back.
    fn as_any(&self) -> &dyn Any;
}

pub(crate) trait RawRwLock: Send + Sync {
    fn read(&self);
    fn try_read(&self) -> bool;
    fn unlock_read(&self);
    fn write(&self);
    fn try_write(&self) -> bool;
    fn unlock_write(&self);
}

pub(crate) trait RawCondvar: Send + Sync {
    /// Atomically releases `mutex`, waits for a notification, and takes `mutex` again.
    fn wait(&self, mutex: &dyn RawMutex);
    /// Like `wait`, but may give up after `timeout`; returns `true` when it timed out. Model
    /// engines have no clock: a timed wait may time out at any point (`engine::timed`).
    fn wait_timeout(&self, mutex: &dyn RawMutex, timeout: Duration) -> bool;
    fn notify_one(&self);
    fn notify_all(&self);
}

/// The value type behind a facade atomic. Values cross this interface as `u64` bits:
/// zero-extended for unsigned types and `bool`, sign-extended for signed ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AtomicRepr {
    Bool,
    U32,
    I32,
    U64,
    I64,
    Usize,
    Isize,
}

/// A read-modify-write operation of `fetch_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RmwOp {
    Add,
    Sub,
    And,
    Nand,
    Or,
    Xor,
    Max,
    Min,
}

macro_rules! apply_int {
    ($t:ty, $rmw:expr, $old:expr, $operand:expr) => {{
        let (a, b) = (<$t>::from_bits($old), <$t>::from_bits($operand));
        match $rmw {
            RmwOp::Add => a.wrapping_add(b),
            RmwOp::Sub => a.wrapping_sub(b),
            RmwOp::And => a & b,
            RmwOp::Nand => !(a & b),
            RmwOp::Or => a | b,
            RmwOp::Xor => a ^ b,
            RmwOp::Max => a.max(b),
            RmwOp::Min => a.min(b),
        }
        .to_bits()
    }};
}

impl RmwOp {
    /// The value this read-modify-write stores, given the value it read.
    pub(crate) fn apply(self, repr: AtomicRepr, old: u64, operand: u64) -> u64 {
        let rmw = self;
        match repr {
            AtomicRepr::Bool => {
                let (a, b) = (bool::from_bits(old), bool::from_bits(operand));
                match rmw {
                    RmwOp::And | RmwOp::Min => a & b,
                    RmwOp::Nand => !(a & b),
                    RmwOp::Or | RmwOp::Max => a | b,
                    RmwOp::Xor | RmwOp::Add | RmwOp::Sub => a ^ b,
                }
                .to_bits()
            }
            AtomicRepr::U32 => apply_int!(u32, rmw, old, operand),
            AtomicRepr::I32 => apply_int!(i32, rmw, old, operand),
            AtomicRepr::U64 => apply_int!(u64, rmw, old, operand),
            AtomicRepr::I64 => apply_int!(i64, rmw, old, operand),
            AtomicRepr::Usize => apply_int!(usize, rmw, old, operand),
            AtomicRepr::Isize => apply_int!(isize, rmw, old, operand),
        }
    }
}

/// Architecture invariant: called only from `rt::atomic`, which restores the running thread
/// right after the call (see [`RawMutex`]).
pub(crate) trait RawAtomic: Send + Sync {
    fn load(&self, order: Ordering) -> u64;
    fn store(&self, bits: u64, order: Ordering);
    fn swap(&self, bits: u64, order: Ordering) -> u64;
    #[allow(clippy::too_many_arguments)]
    fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
        weak: bool,
    ) -> Result<u64, u64>;
    fn fetch(&self, op: RmwOp, bits: u64, order: Ordering) -> u64;
}

/// Checks `cell::UnsafeCell` accesses for data races (loom's causality tracking).
pub(crate) trait RawCell: Send + Sync {
    /// Runs `access` as a read of the cell.
    fn read(&self, access: &mut dyn FnMut());
    /// Runs `access` as a write of the cell.
    fn write(&self, access: &mut dyn FnMut());
}

/// Converts between a std value type and the `u64` bits of [`RawAtomic`].
pub(crate) trait Bits: Copy {
    const REPR: AtomicRepr;
    fn to_bits(self) -> u64;
    fn from_bits(bits: u64) -> Self;
}

macro_rules! bits_int {
    ($($t:ty => $repr:ident, $wide:ty;)*) => {$(
        impl Bits for $t {
            const REPR: AtomicRepr = AtomicRepr::$repr;
            #[inline]
            fn to_bits(self) -> u64 {
                self as $wide as u64
            }
            #[inline]
            fn from_bits(bits: u64) -> Self {
                bits as $t
            }
        }
    )*};
}

bits_int! {
    u32 => U32, u64;
    i32 => I32, i64;
    u64 => U64, u64;
    i64 => I64, i64;
    usize => Usize, u64;
    isize => Isize, i64;
}

impl Bits for bool {
    const REPR: AtomicRepr = AtomicRepr::Bool;
    #[inline]
    fn to_bits(self) -> u64 {
        self as u64
    }
    #[inline]
    fn from_bits(bits: u64) -> Self {
        bits != 0
    }
}

/// Runs `$body` with `$a` bound to the inner atomic of an [`atomic_enum`] and `$t` to its value
/// type (`$bool_body` for `AtomicBool`, which lacks the arithmetic operations).
macro_rules! each_int {
    ($name:ident, $self:expr, $a:ident, $t:ident, $body:expr, bool => $bool_body:expr) => {
        match $self {
            $name::Bool($a) => $bool_body,
            $name::U32($a) => {
                #[allow(dead_code)]
                type $t = u32;
                $body
            }
            $name::I32($a) => {
                #[allow(dead_code)]
                type $t = i32;
                $body
            }
            $name::U64($a) => {
                #[allow(dead_code)]
                type $t = u64;
                $body
            }
            $name::I64($a) => {
                #[allow(dead_code)]
                type $t = i64;
                $body
            }
            $name::Usize($a) => {
                #[allow(dead_code)]
                type $t = usize;
                $body
            }
            $name::Isize($a) => {
                #[allow(dead_code)]
                type $t = isize;
                $body
            }
        }
    };
}

/// Implements [`RawAtomic`] for an enum of one atomic type per [`AtomicRepr`], taken from a
/// std-shaped module (`std::sync::atomic`, `loom::sync::atomic`, `shuttle::sync::atomic`).
macro_rules! atomic_enum {
    ($name:ident, $($m:ident)::+) => {
        pub(crate) enum $name {
            Bool($($m)::+::AtomicBool),
            U32($($m)::+::AtomicU32),
            I32($($m)::+::AtomicI32),
            U64($($m)::+::AtomicU64),
            I64($($m)::+::AtomicI64),
            Usize($($m)::+::AtomicUsize),
            Isize($($m)::+::AtomicIsize),
        }

        impl $name {
            pub(crate) fn new(repr: $crate::rt::AtomicRepr, bits: u64) -> Self {
                use $crate::rt::{AtomicRepr, Bits};
                match repr {
                    AtomicRepr::Bool => Self::Bool($($m)::+::AtomicBool::new(bool::from_bits(bits))),
                    AtomicRepr::U32 => Self::U32($($m)::+::AtomicU32::new(u32::from_bits(bits))),
                    AtomicRepr::I32 => Self::I32($($m)::+::AtomicI32::new(i32::from_bits(bits))),
                    AtomicRepr::U64 => Self::U64($($m)::+::AtomicU64::new(u64::from_bits(bits))),
                    AtomicRepr::I64 => Self::I64($($m)::+::AtomicI64::new(i64::from_bits(bits))),
                    AtomicRepr::Usize => Self::Usize($($m)::+::AtomicUsize::new(usize::from_bits(bits))),
                    AtomicRepr::Isize => Self::Isize($($m)::+::AtomicIsize::new(isize::from_bits(bits))),
                }
            }
        }

        impl $crate::rt::RawAtomic for $name {
            fn load(&self, order: std::sync::atomic::Ordering) -> u64 {
                use $crate::rt::Bits;
                $crate::rt::each_int!($name, self, a, T, a.load(order).to_bits(), bool => a.load(order).to_bits())
            }

            fn store(&self, bits: u64, order: std::sync::atomic::Ordering) {
                use $crate::rt::Bits;
                $crate::rt::each_int!($name, self, a, T, a.store(T::from_bits(bits), order),
                    bool => a.store(bool::from_bits(bits), order))
            }

            fn swap(&self, bits: u64, order: std::sync::atomic::Ordering) -> u64 {
                use $crate::rt::Bits;
                $crate::rt::each_int!($name, self, a, T, a.swap(T::from_bits(bits), order).to_bits(),
                    bool => a.swap(bool::from_bits(bits), order).to_bits())
            }

            fn compare_exchange(
                &self,
                current: u64,
                new: u64,
                success: std::sync::atomic::Ordering,
                failure: std::sync::atomic::Ordering,
                weak: bool,
            ) -> Result<u64, u64> {
                use $crate::rt::Bits;
                fn bits<T: Bits>(r: Result<T, T>) -> Result<u64, u64> {
                    r.map(Bits::to_bits).map_err(Bits::to_bits)
                }
                $crate::rt::each_int!($name, self, a, T, {
                    let (c, n) = (T::from_bits(current), T::from_bits(new));
                    bits(if weak {
                        a.compare_exchange_weak(c, n, success, failure)
                    } else {
                        a.compare_exchange(c, n, success, failure)
                    })
                }, bool => {
                    let (c, n) = (bool::from_bits(current), bool::from_bits(new));
                    bits(if weak {
                        a.compare_exchange_weak(c, n, success, failure)
                    } else {
                        a.compare_exchange(c, n, success, failure)
                    })
                })
            }

            #[inline]
            fn fetch(&self, op: $crate::rt::RmwOp, bits: u64, order: std::sync::atomic::Ordering) -> u64 {
                use $crate::rt::{Bits, RmwOp};
                $crate::rt::each_int!($name, self, a, T, {
                    let v = T::from_bits(bits);
                    match op {
                        RmwOp::Add => a.fetch_add(v, order),
                        RmwOp::Sub => a.fetch_sub(v, order),
                        RmwOp::And => a.fetch_and(v, order),
                        RmwOp::Nand => a.fetch_nand(v, order),
                        RmwOp::Or => a.fetch_or(v, order),
                        RmwOp::Xor => a.fetch_xor(v, order),
                        RmwOp::Max => a.fetch_max(v, order),
                        RmwOp::Min => a.fetch_min(v, order),
                    }
                    .to_bits()
                }, bool => {
                    let v = bool::from_bits(bits);
                    match op {
                        RmwOp::And => a.fetch_and(v, order),
                        RmwOp::Nand => a.fetch_nand(v, order),
                        RmwOp::Or => a.fetch_or(v, order),
                        RmwOp::Xor => a.fetch_xor(v, order),
                        RmwOp::Add | RmwOp::Sub | RmwOp::Max | RmwOp::Min => {
                            unreachable!("AtomicBool has no fetch_{op:?}")
                        }
                    }
                    .to_bits()
                })
            }
        }
    };
}

pub(crate) use {atomic_enum, each_int};
