//! loom counts a thread's stack size in `usize` words (its coroutine library does), and loom's
//! own suite relies on it: `thread_api::thread_stack_size` asks for `2 * 65536` and puts
//! `65536` words (512 KiB) on the stack. tapestry-loom gives what loom gives. The test sets
//! the environment (the c11 engine, which runs a spawned thread on a stack of exactly the
//! size asked in a fresh exploration thread), so it is this binary's only one.

use tapestry_loom::{model, thread};

#[test]
fn a_stack_size_counts_words_as_in_loom() {
    // SAFETY: this binary's only test sets the environment, before any model runs.
    unsafe { std::env::set_var("TAPESTRY_LOOM_ENGINES", "c11") };
    const WORDS: usize = 1 << 16;
    model(|| {
        thread::Builder::new()
            // The array, and room for calls: a byte count would overflow (before, the test
            // binary died of it).
            .stack_size(2 * WORDS)
            .spawn(|| {
                std::hint::black_box(&mut [0usize; WORDS]);
            })
            .unwrap()
            .join()
            .unwrap();
    });
}
