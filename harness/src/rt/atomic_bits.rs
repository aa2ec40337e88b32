//! Atomic values as the engines see them: `u64` bits of an [`AtomicRepr`], the read-modify-
//! writes of `fetch_*` on them ([`RmwOp`]), and the macros that give an engine's own atomics
//! (one per value type) the [`RawAtomic`](super::RawAtomic) interface.

use std::sync::atomic::Ordering;

/// The value type behind a facade atomic. Values cross this interface as `u64` bits:
/// zero-extended for unsigned types and `bool`, sign-extended for signed ones, and a
/// pointer's address (its provenance exposed, see [`Bits`] for `*mut T`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AtomicRepr {
    Bool,
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    Usize,
    Isize,
    /// `AtomicPtr<T>`, whatever `T`: an address.
    Ptr,
}

/// A read-modify-write operation of `fetch_*`. On a pointer, `Add` and `Sub` move it by a
/// number of bytes and the bitwise operations act on its address.
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

/// `$rmw` on two values of integer type `$t` given as bits, wrapping at `$t`'s width (so an
/// `AtomicU8` at 255 plus 1 is 0, as in std); the result as bits again.
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
            AtomicRepr::U8 => apply_int!(u8, rmw, old, operand),
            AtomicRepr::I8 => apply_int!(i8, rmw, old, operand),
            AtomicRepr::U16 => apply_int!(u16, rmw, old, operand),
            AtomicRepr::I16 => apply_int!(i16, rmw, old, operand),
            AtomicRepr::U32 => apply_int!(u32, rmw, old, operand),
            AtomicRepr::I32 => apply_int!(i32, rmw, old, operand),
            AtomicRepr::U64 => apply_int!(u64, rmw, old, operand),
            AtomicRepr::I64 => apply_int!(i64, rmw, old, operand),
            // An address is a `usize`: byte offsets and masks act on it as on one.
            AtomicRepr::Usize | AtomicRepr::Ptr => apply_int!(usize, rmw, old, operand),
            AtomicRepr::Isize => apply_int!(isize, rmw, old, operand),
        }
    }
}

/// The ordering of the load that starts a compare-and-exchange loop standing in for a
/// read-modify-write of ordering `order` (a load cannot release).
pub(crate) fn load_part(order: Ordering) -> Ordering {
    match order {
        Ordering::Release => Ordering::Relaxed,
        Ordering::AcqRel => Ordering::Acquire,
        order => order,
    }
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
            // Through the 64-bit type of the same signedness: sign-extended for signed types,
            // so that an `i8` of -1 and an `i64` of -1 are the same bits, and bits compare
            // equal exactly when the values do.
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
    u8 => U8, u64;
    i8 => I8, i64;
    u16 => U16, u64;
    i16 => I16, i64;
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

/// A pointer crosses the engines as its address. Its provenance is exposed on the way in and
/// taken back from the exposed ones on the way out (std's `expose_provenance` and
/// `with_exposed_provenance_mut`), so that a pointer loaded from a facade `AtomicPtr` may be
/// dereferenced as one loaded from std's.
impl<T> Bits for *mut T {
    const REPR: AtomicRepr = AtomicRepr::Ptr;
    #[inline]
    fn to_bits(self) -> u64 {
        self.expose_provenance() as u64
    }
    #[inline]
    fn from_bits(bits: u64) -> Self {
        std::ptr::with_exposed_provenance_mut(bits as usize)
    }
}

/// Writes `bits` as a value of `repr`'s type at `at` (see [`RawAtomic::get_mut`]).
///
/// # Safety
///
/// `at` is valid for writes of that type and aligned for it (any 8-aligned slot is).
pub(crate) unsafe fn write_bits(repr: AtomicRepr, at: *mut u8, bits: u64) {
    fn put<T: Bits>(at: *mut u8, bits: u64) {
        // SAFETY: the caller's contract.
        unsafe { at.cast::<T>().write(T::from_bits(bits)) }
    }
    match repr {
        AtomicRepr::Bool => put::<bool>(at, bits),
        AtomicRepr::U8 => put::<u8>(at, bits),
        AtomicRepr::I8 => put::<i8>(at, bits),
        AtomicRepr::U16 => put::<u16>(at, bits),
        AtomicRepr::I16 => put::<i16>(at, bits),
        AtomicRepr::U32 => put::<u32>(at, bits),
        AtomicRepr::I32 => put::<i32>(at, bits),
        AtomicRepr::U64 => put::<u64>(at, bits),
        AtomicRepr::I64 => put::<i64>(at, bits),
        AtomicRepr::Usize => put::<usize>(at, bits),
        AtomicRepr::Isize => put::<isize>(at, bits),
        AtomicRepr::Ptr => put::<*mut ()>(at, bits),
    }
}

/// Reads a value of `repr`'s type at `at` as bits (see [`RawAtomic::get_mut`]).
///
/// # Safety
///
/// `at` holds a valid value of that type, aligned for it.
pub(crate) unsafe fn read_bits(repr: AtomicRepr, at: *const u8) -> u64 {
    fn get<T: Bits>(at: *const u8) -> u64 {
        // SAFETY: the caller's contract.
        unsafe { at.cast::<T>().read() }.to_bits()
    }
    match repr {
        AtomicRepr::Bool => get::<bool>(at),
        AtomicRepr::U8 => get::<u8>(at),
        AtomicRepr::I8 => get::<i8>(at),
        AtomicRepr::U16 => get::<u16>(at),
        AtomicRepr::I16 => get::<i16>(at),
        AtomicRepr::U32 => get::<u32>(at),
        AtomicRepr::I32 => get::<i32>(at),
        AtomicRepr::U64 => get::<u64>(at),
        AtomicRepr::I64 => get::<i64>(at),
        AtomicRepr::Usize => get::<usize>(at),
        AtomicRepr::Isize => get::<isize>(at),
        AtomicRepr::Ptr => get::<*mut ()>(at),
    }
}

/// Runs `$body` with `$a` bound to the inner atomic of an enum with one variant per
/// [`AtomicRepr`] (an [`atomic_enum`], or loom's) and `$t` to the value type that variant's
/// atomic holds. `bool: B, ptr: P` say what the `Bool` and `Ptr` variants hold (std's
/// `AtomicBool` holds `bool`; an engine may keep a `bool` in an `AtomicU8`), and with
/// `=> expr` give them bodies of their own, for the operations their atomics lack.
macro_rules! each_int {
    ($name:ident, $self:expr, $a:ident, $t:ident, $body:expr, bool: $bt:ty, ptr: $pt:ty) => {
        $crate::rt::each_int!($name, $self, $a, $t, $body, bool: $bt => $body, ptr: $pt => $body)
    };
    ($name:ident, $self:expr, $a:ident, $t:ident, $body:expr,
     bool: $bt:ty => $bool_body:expr, ptr: $pt:ty => $ptr_body:expr) => {
        match $self {
            $name::Bool($a) => {
                #[allow(dead_code)]
                type $t = $bt;
                $bool_body
            }
            $name::U8($a) => {
                #[allow(dead_code)]
                type $t = u8;
                $body
            }
            $name::I8($a) => {
                #[allow(dead_code)]
                type $t = i8;
                $body
            }
            $name::U16($a) => {
                #[allow(dead_code)]
                type $t = u16;
                $body
            }
            $name::I16($a) => {
                #[allow(dead_code)]
                type $t = i16;
                $body
            }
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
            $name::Ptr($a) => {
                #[allow(dead_code)]
                type $t = $pt;
                $ptr_body
            }
        }
    };
}

/// Makes `$name`, an enum of one atomic type per [`AtomicRepr`] taken from a std-shaped module
/// (`std::sync::atomic`, `shuttle::sync::atomic`), with its constructor. Loom's atomics lack
/// some of what this needs (an `AtomicBool` with `with_mut`, arithmetic on `AtomicPtr`), so
/// the loom backend has an enum of its own.
///
/// `$exclusive` says how the program reaches the value with exclusive access (`get_mut`):
/// `memory` for std's atomics, whose value lives in plain memory (`as_ptr` may hand it out),
/// `engine` for an engine's, whose value lives in the engine's own cell.
macro_rules! atomic_enum {
    (@exclusive memory, $name:ident) => {
        fn get_mut(&mut self) -> *mut u8 {
            $crate::rt::each_int!($name, self, a, T, (a.get_mut() as *mut T).cast::<u8>(),
                bool: bool, ptr: *mut ())
        }

        fn peek(&self) -> u64 {
            self.load(std::sync::atomic::Ordering::Relaxed)
        }

        fn as_ptr(&self) -> Option<*mut u8> {
            Some($crate::rt::each_int!($name, self, a, T, a.as_ptr().cast::<u8>(),
                bool: bool, ptr: *mut ()))
        }
    };
    (@exclusive engine, $name:ident) => {
        fn get_mut(&mut self) -> *mut u8 {
            $crate::rt::each_int!($name, self, a, T, (a.get_mut() as *mut T).cast::<u8>(),
                bool: bool, ptr: *mut ())
        }

        fn peek(&self) -> u64 {
            use $crate::rt::Bits;
            // SAFETY: the engine's own read, without a scheduling point (see `RawAtomic::peek`).
            $crate::rt::each_int!($name, self, a, T, unsafe { a.raw_load() }.to_bits(),
                bool: bool, ptr: *mut ())
        }
    };
    ($name:ident, $($m:ident)::+, $exclusive:ident) => {
        pub(crate) enum $name {
            Bool($($m)::+::AtomicBool),
            U8($($m)::+::AtomicU8),
            I8($($m)::+::AtomicI8),
            U16($($m)::+::AtomicU16),
            I16($($m)::+::AtomicI16),
            U32($($m)::+::AtomicU32),
            I32($($m)::+::AtomicI32),
            U64($($m)::+::AtomicU64),
            I64($($m)::+::AtomicI64),
            Usize($($m)::+::AtomicUsize),
            Isize($($m)::+::AtomicIsize),
            Ptr($($m)::+::AtomicPtr<()>),
        }

        impl $name {
            pub(crate) fn new(repr: $crate::rt::AtomicRepr, bits: u64) -> Self {
                use $crate::rt::{AtomicRepr, Bits};
                use $($m)::+ as m;
                match repr {
                    AtomicRepr::Bool => Self::Bool(m::AtomicBool::new(Bits::from_bits(bits))),
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
                    AtomicRepr::Ptr => Self::Ptr(m::AtomicPtr::new(Bits::from_bits(bits))),
                }
            }

        }

        impl $crate::rt::RawAtomic for $name {
            fn load(&self, order: std::sync::atomic::Ordering) -> u64 {
                use $crate::rt::Bits;
                $crate::rt::each_int!($name, self, a, T, a.load(order).to_bits(),
                    bool: bool, ptr: *mut ())
            }

            fn store(&self, bits: u64, order: std::sync::atomic::Ordering) {
                use $crate::rt::Bits;
                $crate::rt::each_int!($name, self, a, T, a.store(T::from_bits(bits), order),
                    bool: bool, ptr: *mut ())
            }

            fn swap(&self, bits: u64, order: std::sync::atomic::Ordering) -> u64 {
                use $crate::rt::Bits;
                $crate::rt::each_int!($name, self, a, T, a.swap(T::from_bits(bits), order).to_bits(),
                    bool: bool, ptr: *mut ())
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
                }, bool: bool, ptr: *mut ())
            }

            #[inline]
            fn fetch(&self, op: $crate::rt::RmwOp, bits: u64, order: std::sync::atomic::Ordering) -> u64 {
                use $crate::rt::{AtomicRepr, Bits, RmwOp};
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
                }, bool: bool => {
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
                }, ptr: *mut () => {
                    // std's pointer arithmetic on `AtomicPtr` is newer than the crate's
                    // minimum Rust; `fetch_update` is one atomic read-modify-write (a
                    // compare-and-exchange loop on hardware, one step in shuttle).
                    let new = |old: *mut ()| {
                        Some(<*mut ()>::from_bits(op.apply(AtomicRepr::Ptr, old.to_bits(), bits)))
                    };
                    let old = a.fetch_update(order, $crate::rt::load_part(order), new);
                    old.unwrap_or_else(|old| old).to_bits()
                })
            }

            $crate::rt::atomic_enum!(@exclusive $exclusive, $name);
        }
    };
}

pub(crate) use {atomic_enum, each_int};

#[cfg(test)]
mod tests {
    use super::*;

    /// What std's atomics compute, at each type's width.
    #[test]
    fn read_modify_writes_wrap_at_the_width_of_their_type() {
        let cases: &[(RmwOp, AtomicRepr, u64, u64, u64)] = &[
            (RmwOp::Add, AtomicRepr::U8, 255, 1, 0),
            (RmwOp::Sub, AtomicRepr::U8, 0, 1, 255),
            (RmwOp::Add, AtomicRepr::I8, 127, 1, (-128i8).to_bits()),
            (RmwOp::Max, AtomicRepr::I8, (-1i8).to_bits(), 1, 1),
            (
                RmwOp::Min,
                AtomicRepr::I16,
                (-1i16).to_bits(),
                1,
                (-1i16).to_bits(),
            ),
            (RmwOp::Nand, AtomicRepr::U16, 0xff00, 0x0ff0, 0xf0ff),
            (RmwOp::Add, AtomicRepr::U16, 0xffff, 2, 1),
            (RmwOp::Nand, AtomicRepr::Bool, 1, 1, 0),
            (RmwOp::Nand, AtomicRepr::Bool, 0, 0, 1),
            (RmwOp::Add, AtomicRepr::Ptr, 0x1000, 8, 0x1008),
            (RmwOp::Sub, AtomicRepr::Ptr, 0, 1, usize::MAX as u64),
            (RmwOp::Or, AtomicRepr::Ptr, 0x1000, 1, 0x1001),
        ];
        for &(rmw, repr, old, operand, new) in cases {
            assert_eq!(
                rmw.apply(repr, old, operand),
                new,
                "{rmw:?} {repr:?} {old:#x} {operand:#x}"
            );
        }
    }

    /// Signed values are sign-extended, so that a trace prints them signed and bits compare
    /// equal exactly when values do.
    #[test]
    fn bits_sign_extend_signed_types_only() {
        assert_eq!((-1i8).to_bits(), u64::MAX);
        assert_eq!((-2i16).to_bits(), (-2i64) as u64);
        assert_eq!(255u8.to_bits(), 255);
        assert_eq!(i8::from_bits(u64::MAX), -1);
        let mut slot = 0u64;
        let at = (&mut slot as *mut u64).cast::<u8>();
        for (repr, bits) in [
            (AtomicRepr::I8, (-3i8).to_bits()),
            (AtomicRepr::U16, 0xbeef),
            (AtomicRepr::Bool, 1),
            (AtomicRepr::Ptr, 0x1234),
        ] {
            // SAFETY: `slot` is 8-aligned and 8 bytes long.
            unsafe { write_bits(repr, at, bits) };
            assert_eq!(unsafe { read_bits(repr, at) }, bits, "{repr:?}");
        }
    }
}
