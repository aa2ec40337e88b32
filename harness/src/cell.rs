//! Interior mutability checked for data races, in loom's style.
//!
//! [`UnsafeCell`] gives access only inside `with` (reads) and `with_mut` (writes), so an
//! engine can see every access. Every engine reports two accesses of one cell that no
//! happens-before order separates, one of them a write, as a
//! [`DataRace`](crate::FailureKind::DataRace): the exhaustive engine with loom's checks, the
//! others with tapestry's vector clocks.

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

use crate::rt::race::{self, CellShadow};
use crate::rt::{self, ObjKind, ObjRef, Op, RawCell};

/// A cell whose accesses are checked for data races, like `loom::cell::UnsafeCell`.
pub struct UnsafeCell<T: ?Sized> {
    obj: ObjRef,
    /// The engine's own checks (loom).
    tracker: Option<Box<dyn RawCell>>,
    /// The facade's race detector's view of the accesses, for engines that check nothing.
    shadow: CellShadow,
    data: std::cell::UnsafeCell<T>,
}

impl<T> UnsafeCell<T> {
    /// Creates a cell holding `value`.
    #[track_caller]
    pub fn new(value: T) -> UnsafeCell<T> {
        Self::make(None, value)
    }

    /// Creates a cell that traces call `name`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> UnsafeCell<T> {
        Self::make(Some(name.into()), value)
    }

    #[track_caller]
    fn make(name: Option<Cow<'static, str>>, value: T) -> UnsafeCell<T> {
        let (obj, tracker) = rt::create(ObjKind::Cell, name, Location::caller(), |b| b.new_cell());
        race::cell_created();
        UnsafeCell {
            obj,
            tracker,
            shadow: CellShadow::default(),
            data: std::cell::UnsafeCell::new(value),
        }
    }

    /// Consumes the cell and returns its value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Reads through a pointer to the value: `f` may only read.
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        let ptr = self.data.get() as *const T;
        self.access(Op::CellRead, || f(ptr))
    }

    /// Writes through a pointer to the value.
    #[track_caller]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        let ptr = self.data.get();
        self.access(Op::CellWrite, || f(ptr))
    }

    /// A mutable reference; `&mut self` proves no other access exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    #[track_caller]
    fn access<R>(&self, op: Op, f: impl FnOnce() -> R) -> R {
        // Recorded before the access: if the engine reports a race here, this is the step
        // that raced.
        let site = Location::caller();
        rt::announce(self.obj, site, op);
        let Some(tracker) = &self.tracker else {
            if let Some(race) =
                race::cell_access(&self.shadow, self.obj.id, op == Op::CellWrite, site)
            {
                rt::fail_race(race);
            }
            return f();
        };
        let mut f = Some(f);
        let mut result = None;
        let mut access = || result = f.take().map(|f| f());
        match op {
            Op::CellWrite => tracker.write(&mut access),
            _ => tracker.read(&mut access),
        }
        result.expect("the engine runs the access exactly once")
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    #[track_caller]
    fn default() -> Self {
        UnsafeCell::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for UnsafeCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsafeCell").finish_non_exhaustive()
    }
}
