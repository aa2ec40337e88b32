//! Atomic types, as [`std::sync::atomic`].
//!
//! Every ordering means what it means in std. The exhaustive engine (loom) explores the
//! reorderings weak orderings allow, with `SeqCst` accesses sequentially consistent (loom
//! alone treats them as `AcqRel`; see the crate docs' "Verdicts"); shuttle's engines run
//! everything sequentially consistent; the stress engine gets whatever the hardware does.
//!
//! Constructors are `const`, as std's: an atomic in a `static` holds its initial value again at
//! the start of every execution of an exploration (see the crate docs' "Statics").

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

pub use std::sync::atomic::{Ordering, compiler_fence};

use crate::rt::race::{self, AtomicSync, SyncClock};
use crate::rt::{self, AtomicRepr, Bits, Bound, ObjKind, Op, RawAtomic, RmwOp, Slot};

/// An ordering barrier, as [`std::sync::atomic::fence`].
#[track_caller]
pub fn fence(order: Ordering) {
    if order == Ordering::Relaxed {
        panic!("there is no such thing as a relaxed fence");
    }
    rt::backend_op(
        Location::caller(),
        |b| {
            b.fence(order);
            race::fence(order);
        },
        |_| Op::Fence { order },
    );
}

#[track_caller]
fn check_load(order: Ordering) {
    match order {
        Ordering::Release => panic!("there is no such thing as a release load"),
        Ordering::AcqRel => panic!("there is no such thing as an acquire-release load"),
        _ => {}
    }
}

#[track_caller]
fn check_store(order: Ordering) {
    match order {
        Ordering::Acquire => panic!("there is no such thing as an acquire store"),
        Ordering::AcqRel => panic!("there is no such thing as an acquire-release store"),
        _ => {}
    }
}

#[track_caller]
fn check_failure(order: Ordering) {
    match order {
        Ordering::Release => panic!("there is no such thing as a release failure ordering"),
        Ordering::AcqRel => panic!("there is no such thing as an acquire-release failure ordering"),
        _ => {}
    }
}

/// The facade object behind every atomic type: values cross it as `u64` bits.
struct Atomic {
    slot: Slot<Box<dyn RawAtomic>>,
    repr: AtomicRepr,
    /// The value it is created with, and holds again at the start of every execution if it
    /// is a `static`.
    init: Init,
    /// What the release sequence this atomic heads releases (race detection).
    clock: SyncClock,
}

/// An atomic's first value: bits, or a pointer (whose address constant evaluation cannot
/// read, so it is taken when the atomic is first used).
#[derive(Clone, Copy)]
enum Init {
    Bits(u64),
    #[allow(dead_code)]
    Ptr(*const ()),
}

// SAFETY: `Init::Ptr` is only ever turned into an address.
unsafe impl Send for Init {}
// SAFETY: as above.
unsafe impl Sync for Init {}

impl Atomic {
    /// An atomic of type `repr` holding `bits` (see `Bits`).
    #[track_caller]
    const fn new(repr: AtomicRepr, bits: u64, name: Option<Cow<'static, str>>) -> Atomic {
        Atomic {
            slot: Slot::new(Location::caller(), name),
            repr,
            init: Init::Bits(bits),
            clock: SyncClock::new(),
        }
    }

    /// This atomic's engine object in the running context (made at its first use there).
    #[inline]
    fn bound(&self) -> &Bound<Box<dyn RawAtomic>> {
        let bits = match self.init {
            Init::Bits(bits) => bits,
            Init::Ptr(ptr) => ptr.expose_provenance() as u64,
        };
        self.slot.get(
            ObjKind::Atomic(self.repr),
            |b| b.new_atomic(self.repr, bits),
            |_| self.clock.clear(),
        )
    }

    #[track_caller]
    fn load<T: Bits>(&self, order: Ordering) -> T {
        check_load(order);
        let bound = self.bound();
        let bits = rt::atomic(
            bound.obj,
            Location::caller(),
            &self.clock,
            || bound.raw.load(order),
            |_| AtomicSync::Load(order),
            |&bits| Op::Load { order, bits },
        );
        T::from_bits(bits)
    }

    #[track_caller]
    fn store<T: Bits>(&self, value: T, order: Ordering) {
        check_store(order);
        let bits = value.to_bits();
        let bound = self.bound();
        rt::atomic(
            bound.obj,
            Location::caller(),
            &self.clock,
            || bound.raw.store(bits, order),
            |_| AtomicSync::Store(order),
            |_| Op::Store { order, bits },
        );
    }

    #[track_caller]
    fn swap<T: Bits>(&self, value: T, order: Ordering) -> T {
        let new = value.to_bits();
        let bound = self.bound();
        let old = rt::atomic(
            bound.obj,
            Location::caller(),
            &self.clock,
            || bound.raw.swap(new, order),
            |_| AtomicSync::Rmw(order),
            |&old| Op::Swap { order, old, new },
        );
        T::from_bits(old)
    }

    #[track_caller]
    fn compare_exchange<T: Bits>(
        &self,
        current: T,
        new: T,
        success: Ordering,
        failure: Ordering,
        weak: bool,
    ) -> Result<T, T> {
        check_failure(failure);
        let (expected, new) = (current.to_bits(), new.to_bits());
        let bound = self.bound();
        let result = rt::atomic(
            bound.obj,
            Location::caller(),
            &self.clock,
            || {
                bound
                    .raw
                    .compare_exchange(expected, new, success, failure, weak)
            },
            |r| {
                if r.is_ok() {
                    AtomicSync::Rmw(success)
                } else {
                    AtomicSync::Load(failure)
                }
            },
            |r| {
                let (ok, actual) = match *r {
                    Ok(actual) => (true, actual),
                    Err(actual) => (false, actual),
                };
                Op::CompareExchange {
                    order: if ok { success } else { failure },
                    expected,
                    new,
                    actual,
                    ok,
                }
            },
        );
        result.map(T::from_bits).map_err(T::from_bits)
    }

    #[track_caller]
    fn fetch<T: Bits>(&self, rmw: RmwOp, value: T, order: Ordering) -> T {
        let operand = value.to_bits();
        let bound = self.bound();
        let old = rt::atomic(
            bound.obj,
            Location::caller(),
            &self.clock,
            || bound.raw.fetch(rmw, operand, order),
            |_| AtomicSync::Rmw(order),
            |&old| Op::Rmw {
                rmw,
                order,
                operand,
                old,
            },
        );
        T::from_bits(old)
    }

    #[track_caller]
    fn fetch_update<T: Bits, F>(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        mut f: F,
    ) -> Result<T, T>
    where
        F: FnMut(T) -> Option<T>,
    {
        let mut prev = self.load(fetch_order);
        while let Some(next) = f(prev) {
            match self.compare_exchange(prev, next, set_order, fetch_order, true) {
                Ok(value) => return Ok(value),
                Err(next_prev) => prev = next_prev,
            }
        }
        Err(prev)
    }
}

/// Methods every atomic type has.
macro_rules! atomic_common {
    ($name:ident, $t:ty) => {
        impl $name {
            /// Creates an atomic holding `value`. A `const fn`, as std's: a `static` atomic
            /// holds `value` again at the start of every execution of an exploration.
            #[track_caller]
            pub const fn new(value: $t) -> $name {
                // `as i128 as u64` extends signed values' signs and unsigned ones' zeros, as
                // `Bits` does, in a constant.
                $name(Atomic::new(<$t as Bits>::REPR, value as i128 as u64, None))
            }

            /// Creates an atomic that traces call `name`.
            #[track_caller]
            pub fn named(name: impl Into<Cow<'static, str>>, value: $t) -> $name {
                $name(Atomic::new(
                    <$t as Bits>::REPR,
                    value.to_bits(),
                    Some(name.into()),
                ))
            }

            /// Loads the value.
            #[track_caller]
            pub fn load(&self, order: Ordering) -> $t {
                self.0.load(order)
            }

            /// Stores `value`.
            #[track_caller]
            pub fn store(&self, value: $t, order: Ordering) {
                self.0.store(value, order)
            }

            /// Stores `value` and returns the previous value.
            #[track_caller]
            pub fn swap(&self, value: $t, order: Ordering) -> $t {
                self.0.swap(value, order)
            }

            /// Stores `new` if the value is `current`; returns the previous value, `Ok` if it
            /// was `current`.
            #[track_caller]
            pub fn compare_exchange(
                &self,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$t, $t> {
                self.0
                    .compare_exchange(current, new, success, failure, false)
            }

            /// Like `compare_exchange`, but may fail spuriously (under engines that model it).
            #[track_caller]
            pub fn compare_exchange_weak(
                &self,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$t, $t> {
                self.0
                    .compare_exchange(current, new, success, failure, true)
            }

            /// Bitwise "and" with `value`; returns the previous value.
            #[track_caller]
            pub fn fetch_and(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::And, value, order)
            }

            /// Bitwise "nand" with `value`; returns the previous value.
            #[track_caller]
            pub fn fetch_nand(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::Nand, value, order)
            }

            /// Bitwise "or" with `value`; returns the previous value.
            #[track_caller]
            pub fn fetch_or(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::Or, value, order)
            }

            /// Bitwise "xor" with `value`; returns the previous value.
            #[track_caller]
            pub fn fetch_xor(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::Xor, value, order)
            }

            /// Applies `f` until a compare-and-exchange succeeds, as std's `fetch_update`.
            #[track_caller]
            pub fn fetch_update<F>(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                f: F,
            ) -> Result<$t, $t>
            where
                F: FnMut($t) -> Option<$t>,
            {
                self.0.fetch_update(set_order, fetch_order, f)
            }

            /// Consumes the atomic and returns its value.
            #[track_caller]
            pub fn into_inner(self) -> $t {
                self.0.load(Ordering::SeqCst)
            }
        }

        impl Default for $name {
            #[track_caller]
            fn default() -> Self {
                $name::new(<$t>::default())
            }
        }

        impl From<$t> for $name {
            #[track_caller]
            fn from(value: $t) -> Self {
                $name::new(value)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.load(Ordering::Relaxed), f)
            }
        }
    };
}

/// Arithmetic of the integer atomic types.
macro_rules! atomic_int {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        pub struct $name(Atomic);

        atomic_common!($name, $t);

        impl $name {
            /// Adds `value` (wrapping); returns the previous value.
            #[track_caller]
            pub fn fetch_add(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::Add, value, order)
            }

            /// Subtracts `value` (wrapping); returns the previous value.
            #[track_caller]
            pub fn fetch_sub(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::Sub, value, order)
            }

            /// Stores the maximum of the value and `value`; returns the previous value.
            #[track_caller]
            pub fn fetch_max(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::Max, value, order)
            }

            /// Stores the minimum of the value and `value`; returns the previous value.
            #[track_caller]
            pub fn fetch_min(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::Min, value, order)
            }
        }
    };
}

/// A boolean shared between threads, as [`std::sync::atomic::AtomicBool`].
pub struct AtomicBool(Atomic);

atomic_common!(AtomicBool, bool);

impl AtomicBool {
    /// Negates the value; returns the previous value.
    #[track_caller]
    pub fn fetch_not(&self, order: Ordering) -> bool {
        self.0.fetch(RmwOp::Xor, true, order)
    }
}

atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicUsize`].
    AtomicUsize, usize
);
atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicIsize`].
    AtomicIsize, isize
);
atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicU32`].
    AtomicU32, u32
);
atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicI32`].
    AtomicI32, i32
);
atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicU64`].
    AtomicU64, u64
);
atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicI64`].
    AtomicI64, i64
);
