//! Which memory holds `static` items: the writable segments of the loaded program and its
//! libraries.
//!
//! A facade object found there was made by constant evaluation (Rust initialises every `static`
//! at compile time), so its first contents own no heap memory and are, like a `const`, fine to
//! copy: that is what lets [`Slot`](super::slot::Slot) give a `static` its first value back at
//! the start of every execution. Anything elsewhere (heap, stacks) may own memory and is never
//! copied.

use std::sync::OnceLock;

/// The address ranges (start, end) of the writable loaded segments: `.data` and `.bss`.
fn ranges() -> &'static [(usize, usize)] {
    static RANGES: OnceLock<Vec<(usize, usize)>> = OnceLock::new();
    RANGES.get_or_init(segments)
}

/// Whether `addr` lies in memory that holds `static` items.
pub(crate) fn contains(addr: usize) -> bool {
    ranges()
        .iter()
        .any(|&(start, end)| (start..end).contains(&addr))
}

#[cfg(target_os = "linux")]
fn segments() -> Vec<(usize, usize)> {
    use std::ffi::c_void;

    unsafe extern "C" fn each(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut c_void,
    ) -> libc::c_int {
        // SAFETY: the loader passes a valid `info` for the duration of the call, and `data` is
        // the `Vec` given to `dl_iterate_phdr` below, used by nothing else meanwhile.
        unsafe {
            let ranges = &mut *data.cast::<Vec<(usize, usize)>>();
            let info = &*info;
            for i in 0..usize::from(info.dlpi_phnum) {
                let header = &*info.dlpi_phdr.add(i);
                if header.p_type == libc::PT_LOAD && header.p_flags & libc::PF_W != 0 {
                    let start = info.dlpi_addr as usize + header.p_vaddr as usize;
                    ranges.push((start, start + header.p_memsz as usize));
                }
            }
        }
        0
    }

    let mut ranges: Vec<(usize, usize)> = Vec::new();
    // SAFETY: `each` only reads what the loader hands it and writes to `ranges`.
    unsafe {
        libc::dl_iterate_phdr(Some(each), (&raw mut ranges).cast());
    }
    ranges
}

/// Elsewhere tapestry cannot tell statics apart: none is reset between executions, and one
/// used by two executions is reported as misuse.
#[cfg(not(target_os = "linux"))]
fn segments() -> Vec<(usize, usize)> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::contains;
    use std::sync::atomic::AtomicU64;

    static IN_DATA: AtomicU64 = AtomicU64::new(7);
    static IN_BSS: AtomicU64 = AtomicU64::new(0);

    #[test]
    fn statics_are_found_and_the_heap_and_stack_are_not() {
        assert!(contains(&raw const IN_DATA as usize));
        assert!(contains(&raw const IN_BSS as usize));
        let on_stack = AtomicU64::new(0);
        assert!(!contains(&raw const on_stack as usize));
        let on_heap = Box::new(AtomicU64::new(0));
        assert!(!contains(&raw const *on_heap as usize));
    }
}
