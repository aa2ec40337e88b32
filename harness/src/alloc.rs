//! Memory allocation, as [`std::alloc`], with leaks found.
//!
//! The functions are std's; inside an exploration, a block allocated by an execution and not
//! freed by the time its threads have all finished fails it with
//! [`FailureKind::Leak`](crate::FailureKind::Leak), naming where the block was allocated (as
//! loom's `alloc` does). Blocks allocated outside the execution, or by a `static`'s
//! initialiser, are not counted. Outside an exploration they are std's functions.
//!
//! ```
//! use tapestry::alloc::{Layout, alloc, dealloc};
//!
//! let layout = Layout::new::<u64>();
//! // SAFETY: `layout` is not zero-sized; the block is freed with the same layout.
//! unsafe {
//!     let block = alloc(layout);
//!     assert!(!block.is_null());
//!     dealloc(block, layout);
//! }
//! ```

use std::panic::Location;

pub use std::alloc::{GlobalAlloc, Layout, LayoutError, System, handle_alloc_error};

use crate::rt;

/// As [`std::alloc::alloc`]; the block counts as live until [`dealloc`]ated.
///
/// # Safety
/// As std's: `layout` must not be zero-sized.
#[track_caller]
pub unsafe fn alloc(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's promise.
    let block = unsafe { std::alloc::alloc(layout) };
    if !block.is_null() {
        rt::block_allocated(block as usize, Location::caller());
    }
    block
}

/// As [`std::alloc::alloc_zeroed`]; the block counts as live until [`dealloc`]ated.
///
/// # Safety
/// As std's: `layout` must not be zero-sized.
#[track_caller]
pub unsafe fn alloc_zeroed(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's promise.
    let block = unsafe { std::alloc::alloc_zeroed(layout) };
    if !block.is_null() {
        rt::block_allocated(block as usize, Location::caller());
    }
    block
}

/// As [`std::alloc::dealloc`].
///
/// # Safety
/// As std's: `ptr` was allocated by this allocator with `layout`.
pub unsafe fn dealloc(ptr: *mut u8, layout: Layout) {
    rt::block_freed(ptr as usize);
    // SAFETY: the caller's promise.
    unsafe { std::alloc::dealloc(ptr, layout) }
}

/// As [`std::alloc::realloc`]; the block keeps where it was first allocated.
///
/// # Safety
/// As std's.
pub unsafe fn realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    // SAFETY: the caller's promise.
    let block = unsafe { std::alloc::realloc(ptr, layout, new_size) };
    if !block.is_null() {
        rt::block_moved(ptr as usize, block as usize);
    }
    block
}
