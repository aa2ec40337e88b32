//! An atomic's value while the program holds it `&mut` (`get_mut`, `into_inner`), for engines
//! whose atomics keep their value where the program cannot point (loom's cell, the c11 graph).

use std::cell::{Cell, UnsafeCell};

use super::atomic_bits::{AtomicRepr, read_bits, write_bits};

/// A value an engine handed to the program through [`RawAtomic::get_mut`] that lives apart from
/// the engine's own cell (loom's atomics give access to theirs only inside a closure), and
/// must be written back into it.
///
/// When is the program done writing? Its `&mut` borrow ends unseen. But what it wrote can
/// reach another thread only through an operation of the writing thread after that end (the
/// one that shares the atomic), so the runtime has that thread write the value back before
/// each of its operations (`Local::settle`), as that thread, while it is parked; and the
/// atomic's own next operation, whoever makes it, ends the parking.
///
/// [`RawAtomic::get_mut`]: super::RawAtomic::get_mut
pub(crate) trait WriteBack {
    /// Writes the value back into the engine, if the program changed it since the last time.
    fn write_back(&self);
}

/// Where an engine's atomic lends its value (see [`WriteBack`]): a slot the program writes
/// through, and what was last read out or written back, to tell whether it changed.
///
/// Not `Sync`: an engine that keeps one in its atomic runs model threads one at a time on
/// one OS thread, and says so where it declares the atomic `Sync`.
#[derive(Default)]
pub(crate) struct Lent {
    /// Whether the value lives in `slot`, to be written back.
    on: Cell<bool>,
    /// A value of the atomic's type at offset 0, 8-aligned (the atomic lives boxed behind the
    /// backend's `Box<dyn RawAtomic>`, so the slot does not move).
    slot: UnsafeCell<u64>,
    /// The bits last read out or written back.
    written: Cell<u64>,
}

impl Lent {
    /// The slot to hand to the program: lent already, or filled now with `read()`, a value of
    /// `repr`'s type. `owner` is the atomic holding this; it is parked (see [`WriteBack`])
    /// unless `park` is false (an execution that has failed: nothing is written back then).
    pub(crate) fn lend(
        &self,
        repr: AtomicRepr,
        owner: *const dyn WriteBack,
        park: bool,
        read: impl FnOnce() -> u64,
    ) -> *mut u8 {
        let slot = self.slot.get().cast();
        if !self.on.get() {
            let bits = read();
            // SAFETY: `slot` is a `u64`: 8-aligned, large enough for every atomic's type.
            unsafe { write_bits(repr, slot, bits) };
            self.written.set(bits);
            if park {
                self.on.set(true);
                super::park(owner);
            }
        }
        slot
    }

    /// The value lent, if it is.
    pub(crate) fn peek(&self, repr: AtomicRepr) -> Option<u64> {
        // SAFETY: as in `changed`.
        self.on
            .get()
            .then(|| unsafe { read_bits(repr, self.slot.get().cast()) })
    }

    /// The value, if the program changed it since it was read out or last written back; it
    /// counts as written back from now on.
    pub(crate) fn changed(&self, repr: AtomicRepr) -> Option<u64> {
        // SAFETY: `slot` holds a value of the atomic's type, written by `lend` and since only
        // through the `&mut` it lent, whose borrow is not in use while a facade operation runs
        // (where write-backs run).
        let bits = unsafe { read_bits(repr, self.slot.get().cast()) };
        (bits != self.written.replace(bits)).then_some(bits)
    }

    /// Ends the lending before an operation on `owner`, the atomic holding this: the
    /// program's borrow has ended. Normally the thread that took the value has written it
    /// back already (before the operation that shared the atomic); if not, whoever runs now
    /// does.
    #[inline]
    pub(crate) fn end(&self, owner: &(dyn WriteBack + 'static)) {
        if self.on.get() {
            owner.write_back();
            self.on.set(false);
            super::unpark(owner);
        }
    }

    /// `owner`, the atomic holding this, is being dropped.
    pub(crate) fn forget(&self, owner: &(dyn WriteBack + 'static)) {
        if self.on.get() {
            super::unpark(owner);
        }
    }
}
