//! `loom::alloc`: allocation whose leaks fail the model, and loom's `Track`.
//!
//! `alloc`, `alloc_zeroed` and `dealloc` are tapestry's ([`tapestry::alloc`]): a block an
//! execution allocates and does not free by the time its threads have all finished fails the
//! model with a `Leak` naming where it was allocated, as in loom. A [`Track`] counts the same
//! way until it is dropped.

pub use tapestry::alloc::{Layout, alloc, alloc_zeroed, dealloc};

/// A value that must be dropped before the execution ends: one that is not (a reference
/// cycle, a `mem::forget`) fails the model with a `Leak` naming where it was made.
#[derive(Debug)]
pub struct Track<T> {
    value: T,
    /// A byte of tracked memory, standing for `value` in the execution's leak check.
    token: *mut u8,
}

// SAFETY: `token` is a private, never-dereferenced block only freed by `drop`; `Track` is
// otherwise its `value`.
unsafe impl<T: Send> Send for Track<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for Track<T> {}

/// The layout of a `Track`'s token.
const TOKEN: Layout = Layout::new::<u8>();

impl<T> Track<T> {
    /// Tracks `value`.
    #[track_caller]
    pub fn new(value: T) -> Track<T> {
        // SAFETY: `TOKEN` is not zero-sized.
        let token = unsafe { alloc(TOKEN) };
        if token.is_null() {
            tapestry::alloc::handle_alloc_error(TOKEN);
        }
        Track { value, token }
    }

    /// The value.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// The value, no longer tracked.
    pub fn into_inner(self) -> T {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used again nor dropped; the token is freed once, here.
        unsafe {
            dealloc(this.token, TOKEN);
            std::ptr::read(&this.value)
        }
    }
}

impl<T> Drop for Track<T> {
    fn drop(&mut self) {
        // SAFETY: allocated with `TOKEN` in `new`, freed only here or in `into_inner`.
        unsafe { dealloc(self.token, TOKEN) }
    }
}
