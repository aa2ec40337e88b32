//! `loom::hint`: std's hints, as model operations.

/// A spin-loop iteration: the engines let another thread run (see `tapestry::hint`).
pub use tapestry::hint::spin_loop;

/// As [`std::hint::unreachable_unchecked`].
///
/// # Safety
/// As std's: reaching it is undefined behaviour.
pub unsafe fn unreachable_unchecked() -> ! {
    // SAFETY: the caller promises this is never reached.
    unsafe { std::hint::unreachable_unchecked() }
}
