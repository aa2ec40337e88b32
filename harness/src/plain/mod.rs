//! The facade without `explore`: std itself.
//!
//! A library ships code written against `tapestry::sync`, `thread`, `cell`, `alloc`, `hint` and
//! `time`;
//! its production build leaves the `explore` feature out and gets these modules instead of the
//! ones that go through the runtime. Each item is std's own, re-exported, wherever the
//! explore facade offers nothing std lacks; where it does (`named` constructors,
//! `thread::Builder::priority`, `sync::PiMutex`, `cell::UnsafeCell::with`), it is a
//! `#[repr(transparent)]` wrapper of the std type, with std's size, every method `#[inline]`
//! and forwarding to std's, and `const fn new` where std's is const. The extras do nothing
//! here: a name is for traces, and a priority for the priority engine.
//!
//! The wrappers also carry std's whole stable API, not only what the explore facade has
//! today: what the explore side gains later (it is std-shaped) then already compiles here.

pub mod cell;
pub mod sync;
pub mod thread;

pub mod alloc {
    //! Memory allocation, [`std::alloc`]'s.

    pub use std::alloc::{
        GlobalAlloc, Layout, LayoutError, System, alloc, alloc_zeroed, dealloc, handle_alloc_error,
        realloc,
    };
}

pub mod hint {
    //! Hints, [`std::hint`]'s.

    pub use std::hint::spin_loop;
}

pub mod time {
    //! Time, [`std::time`]'s: the real clock.

    pub use std::time::{
        Duration, Instant, SystemTime, SystemTimeError, TryFromFloatSecsError, UNIX_EPOCH,
    };
}
