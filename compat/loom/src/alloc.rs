//! `loom::alloc`: std's allocation functions and loom's `Track`.
//!
//! Not emulated yet: loom fails a model whose execution leaks memory allocated here or a
//! `Track`ed value; here they are std's allocation and a plain wrapper, so such a leak goes
//! unreported (tapestry still reports a leaked `sync::Arc`).

pub use std::alloc::Layout;

/// As [`std::alloc::alloc`].
///
/// # Safety
/// As std's.
pub unsafe fn alloc(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's promise.
    unsafe { std::alloc::alloc(layout) }
}

/// As [`std::alloc::alloc_zeroed`].
///
/// # Safety
/// As std's.
pub unsafe fn alloc_zeroed(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's promise.
    unsafe { std::alloc::alloc_zeroed(layout) }
}

/// As [`std::alloc::dealloc`].
///
/// # Safety
/// As std's.
pub unsafe fn dealloc(ptr: *mut u8, layout: Layout) {
    // SAFETY: the caller's promise.
    unsafe { std::alloc::dealloc(ptr, layout) }
}

/// A value loom would check is dropped by the end of the execution (see the module docs).
#[derive(Debug)]
pub struct Track<T> {
    value: T,
}

impl<T> Track<T> {
    pub fn new(value: T) -> Track<T> {
        Track { value }
    }

    pub fn get_ref(&self) -> &T {
        &self.value
    }

    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    pub fn into_inner(self) -> T {
        self.value
    }
}
