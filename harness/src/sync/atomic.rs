//! Atomic types, as [`std::sync::atomic`].
//!
//! Every ordering means what it means in std. The exhaustive engine (loom) explores the
//! reorderings weak orderings allow, with `SeqCst` accesses sequentially consistent (loom
//! alone treats them as `AcqRel`; see the crate docs' "Verdicts"); shuttle's engines run
//! everything sequentially consistent; the stress engine gets whatever the hardware does.
//!
//! Constructors are `const`, as std's: an atomic in a `static` holds its initial value again at
//! the start of every execution of an exploration (see the crate docs' "Statics").
//!
//! Every type has std's methods as of Rust 1.95, with std's semantics: the eight `fetch_*`
//! operations wrap at the type's width (an `AtomicU8` at 255 plus 1 is 0 under every engine),
//! `fetch_update`, `try_update` and `update` are a load and a compare-and-exchange per try
//! (each an operation of the exploration, as they are steps on hardware), and the deprecated
//! `compare_and_swap` is there. [`AtomicPtr`] crosses the engines as an address; its traces
//! name pointers `ptr#1`, `ptr#2` in order of appearance (addresses differ from run to run).
//!
//! # Exclusive access
//!
//! `get_mut` and `into_inner` need no synchronisation in std, and are no operations of an
//! exploration here: no scheduling point, no step in the trace. Outside explorations, under
//! the stress engine and under the shuttle-based engines the reference is to the engine's own
//! cell. Loom lends its cell only inside a closure, so under the exhaustive engine the value is
//! read out (loom checks that the thread may access it exclusively) and lent from beside it;
//! the thread writes it back, as itself, before each of its later operations (any of them may
//! share the atomic with another thread), and the atomic's next operation ends the loan. So
//! every thread that gets the atomic afterwards sees the write, and loom checks its accesses
//! against the write of the thread that made it, as std's model says.
//!
//! `as_ptr` returns a pointer to the value where the value lives in memory: outside
//! explorations and under the stress engine (a std atomic). A model engine keeps the value in
//! a model of its own that no pointer reaches, so there `as_ptr` fails the execution as
//! [`Unsupported`](crate::FailureKind::Unsupported): the engine is reported as unable to run
//! the program, and the others decide. std's `from_ptr` (an atomic made over the program's own
//! memory) is not offered for the same reason, nor `from_mut` and the slice methods (unstable
//! in std).

use std::borrow::Cow;
use std::fmt;
use std::panic::{Location, RefUnwindSafe, UnwindSafe};

pub use std::sync::atomic::{Ordering, compiler_fence};

use crate::kinds::FailureKind;
use crate::rt::race::{self, AtomicSync, SyncClock};
use crate::rt::{self, AtomicRepr, Bits, Bound, ObjKind, Op, RawAtomic, RmwOp, Slot, load_part};

mod ptr;

pub use ptr::AtomicPtr;

/// An ordering barrier, as [`std::sync::atomic::fence`].
#[track_caller]
pub fn fence(order: Ordering) {
    if order == Ordering::Relaxed {
        panic!("there is no such thing as a relaxed fence");
    }
    rt::note_order(order);
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

    /// An `AtomicPtr`'s, holding `ptr`.
    #[track_caller]
    const fn new_ptr(ptr: *const (), name: Option<Cow<'static, str>>) -> Atomic {
        Atomic {
            slot: Slot::new(Location::caller(), name),
            repr: AtomicRepr::Ptr,
            init: Init::Ptr(ptr),
            clock: SyncClock::new(),
        }
    }

    /// This atomic's engine object in the running context (made at its first use there).
    #[inline]
    fn bound(&self) -> &Bound<Box<dyn RawAtomic>> {
        self.slot.get(
            ObjKind::Atomic(self.repr),
            |b| {
                let bits = match self.init {
                    Init::Bits(bits) => bits,
                    Init::Ptr(ptr) => ptr.expose_provenance() as u64,
                };
                b.new_atomic(self.repr, bits)
            },
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

/// Exclusive access, which needs no engine operation: what `&mut self` and `self` give.
impl Atomic {
    /// The value, lent for as long as `self` is borrowed: std's `get_mut`.
    fn get_mut<T: Bits>(&mut self) -> &mut T {
        self.bound();
        let at = self.slot.bound_mut().raw.get_mut().cast::<T>();
        // SAFETY: the raw object lends a valid, aligned value of the type it was made for,
        // `T`, until its next call; `&mut self` keeps every other call out while the
        // reference lives.
        unsafe { &mut *at }
    }

    /// Consumes the atomic: std's `into_inner`, a plain read of an atomic no other thread can
    /// reach.
    fn into_inner<T: Bits>(mut self) -> T {
        *self.get_mut()
    }

    /// A pointer to the value in memory, std's `as_ptr`: outside explorations and under the
    /// stress engine, where the value lives in a std atomic. A model engine keeps the value in
    /// its own cell, which no pointer reaches; there the execution fails as `Unsupported`.
    #[track_caller]
    fn as_ptr<T: Bits>(&self, type_name: &str) -> *mut T {
        match self.bound().raw.as_ptr() {
            Some(at) => at.cast(),
            None => rt::fail(
                FailureKind::Unsupported,
                format!(
                    "{type_name}::as_ptr at {}: this engine keeps the atomic's value in a model \
                     of its own, which no pointer reaches (reads and writes through one would \
                     bypass it); only the stress engine, on real memory, runs code that uses \
                     `as_ptr`",
                    Location::caller()
                ),
            ),
        }
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

            /// A mutable reference to the value: `&mut self` proves no other thread can reach
            /// it, so using it is no operation of the exploration (see the module docs).
            pub fn get_mut(&mut self) -> &mut $t {
                self.0.get_mut()
            }

            /// Consumes the atomic and returns its value (no operation of the exploration).
            pub fn into_inner(self) -> $t {
                self.0.into_inner()
            }

            /// A pointer to the value, as std's `as_ptr`. Outside explorations and under the
            /// stress engine it is the std atomic's; under a model engine the value lives in
            /// the engine, and the execution fails as
            /// [`Unsupported`](crate::FailureKind::Unsupported) (see the module docs).
            #[track_caller]
            pub fn as_ptr(&self) -> *mut $t {
                self.0.as_ptr(stringify!($name))
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

            /// Stores `new` if the value is `current`; returns the previous value either way.
            /// The failure ordering is the strongest a load of `order` allows, as in std.
            #[deprecated(note = "deprecated in std since 1.50.0: use `compare_exchange` or \
                                 `compare_exchange_weak` instead")]
            #[track_caller]
            pub fn compare_and_swap(&self, current: $t, new: $t, order: Ordering) -> $t {
                match self
                    .0
                    .compare_exchange(current, new, order, load_part(order), false)
                {
                    Ok(previous) | Err(previous) => previous,
                }
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

            /// Applies `f` until a compare-and-exchange succeeds, as std's `fetch_update`: a
            /// load, then one compare-and-exchange per try, each an operation of the
            /// exploration.
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

            /// std's newer name of [`fetch_update`](Self::fetch_update).
            #[track_caller]
            pub fn try_update(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                f: impl FnMut($t) -> Option<$t>,
            ) -> Result<$t, $t> {
                self.0.fetch_update(set_order, fetch_order, f)
            }

            /// Applies `f` until a compare-and-exchange succeeds; returns the previous value.
            #[track_caller]
            pub fn update(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                mut f: impl FnMut($t) -> $t,
            ) -> $t {
                let result = self.0.fetch_update(set_order, fetch_order, |v| Some(f(v)));
                result.unwrap_or_else(|previous| previous)
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
            #[track_caller]
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.load(Ordering::Relaxed), f)
            }
        }

        // As std's: an atomic is never left half-updated by a panic.
        impl RefUnwindSafe for $name {}
        impl UnwindSafe for $name {}
    };
}

/// The bitwise operations, on every atomic type but `AtomicPtr` (whose operand is a `usize`).
macro_rules! atomic_bits {
    ($name:ident, $t:ty) => {
        impl $name {
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
        }
    };
}

/// Arithmetic of the integer atomic types.
macro_rules! atomic_int {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        pub struct $name(Atomic);

        atomic_common!($name, $t);
        atomic_bits!($name, $t);

        impl $name {
            /// Adds `value`, wrapping at the type's width; returns the previous value.
            #[track_caller]
            pub fn fetch_add(&self, value: $t, order: Ordering) -> $t {
                self.0.fetch(RmwOp::Add, value, order)
            }

            /// Subtracts `value`, wrapping at the type's width; returns the previous value.
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
atomic_bits!(AtomicBool, bool);

impl AtomicBool {
    /// Negates the value; returns the previous value.
    #[track_caller]
    pub fn fetch_not(&self, order: Ordering) -> bool {
        self.0.fetch(RmwOp::Xor, true, order)
    }
}

atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicU8`].
    AtomicU8, u8
);
atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicI8`].
    AtomicI8, i8
);
atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicU16`].
    AtomicU16, u16
);
atomic_int!(
    /// An integer shared between threads, as [`std::sync::atomic::AtomicI16`].
    AtomicI16, i16
);
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
