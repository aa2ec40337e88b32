//! Stacks for model threads, as large as real threads' and as large as a thread asks for.
//!
//! loom runs model threads on 32 KiB coroutine stacks (its test body's size cannot be changed)
//! and shuttle on stacks of one size for all threads, reused whatever size a thread asks for.
//! So every model engine runs each model thread's code on a stack of ours instead: the test
//! body gets [`MAIN`] (a process's main thread's usual 8 MiB), a spawned thread what
//! `thread::Builder::stack_size` asked, else std's default for spawned threads
//! (`RUST_MIN_STACK`, else 2 MiB). The engine's own coroutine stack then holds only the few
//! frames that switch to ours.
//!
//! Memory is reserved, not committed: the kernel maps a page when it is first touched, so a
//! large stack costs only what the thread uses. Stacks are pooled per OS thread (every model
//! thread of a loom or shuttle execution runs on the exploration's OS thread), so an execution
//! reuses the previous one's stacks, each by a thread of the size it was made for, and makes
//! no system call for them. Each stack has a guard
//! page below it: an overflow faults there, and [`guard_of`] tells the crash handler so.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult};

use crate::rt::stranded;

/// The test body's stack: what a process's main thread usually gets (`ulimit -s`, 8 MiB).
pub(crate) const MAIN: usize = 8 << 20;

/// std's default stack for a spawned thread: `RUST_MIN_STACK` if set, else 2 MiB.
pub(crate) fn spawned() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| {
        std::env::var("RUST_MIN_STACK")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(2 << 20)
    })
}

/// The stack a thread spawned with `asked` (`thread::Builder::stack_size`) gets.
pub(crate) fn for_spawned(asked: Option<usize>) -> usize {
    asked.unwrap_or_else(spawned)
}

thread_local! {
    /// Stacks free for the next model thread run on this OS thread, each with the size it was
    /// made for: a thread gets one of exactly its size, never a larger one, or a thread that
    /// overflows the stack it asked for would pass whenever a larger one was free (as it did
    /// under the engines whose explorations share an OS thread).
    static POOL: RefCell<Vec<(usize, DefaultStack)>> = const { RefCell::new(Vec::new()) };
}

/// The guard pages of every stack made here, as (lowest address, end): a fault in one is a
/// stack overflow. Written only while making a stack; read by the crash handler, which must
/// not lock, so it is a fixed table of atomics.
static GUARDS: [(AtomicUsize, AtomicUsize); 256] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 256];
static GUARDS_LEN: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` on a stack of at least `size` bytes, taken from this OS thread's pool, as a
/// coroutine that `rt::stranded` can leave for good: `f`'s thread is then stranded, its stack
/// leaked, and this panics on as the thread's panic would have.
pub(crate) fn run_on(size: usize, f: impl FnOnce()) {
    let stack = POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let fits = pool.iter().position(|&(made_for, _)| made_for == size);
        fits.map(|i| pool.swap_remove(i).1)
    });
    let stack = stack.unwrap_or_else(|| make(size));
    // Given back to the pool however `f` ends, unwinding included; not if it is stranded.
    let mut lent = Lent(size, Some(stack));
    let stack = lent.1.as_mut().expect("just lent");
    let range = stack.limit().get()..stack.base().get();
    let start = range.start;
    let body = move |yielder: &stranded::Yielder, ()| {
        let _running = stranded::running_on(range, yielder);
        f()
    };
    // SAFETY: the coroutine is resumed only here, and either runs to its end (or panics out
    // of it) before `f`'s borrows end, or is stranded: then neither it nor its stack is used
    // again (both are leaked), so what its frames borrow may end.
    let mut coroutine = unsafe { Coroutine::with_stack_unchecked(stack, body) };
    match coroutine.resume(()) {
        CoroutineResult::Return(()) => {}
        CoroutineResult::Yield(()) => {
            stranded::left(start);
            std::mem::forget(coroutine);
            std::mem::forget(lent.1.take());
            std::panic::resume_unwind(Box::new(Stranded))
        }
    }
}

/// The payload a stranded thread's engine sees unwind out of it: its execution has already
/// failed, and that failure is what is reported.
#[derive(Debug)]
pub(crate) struct Stranded;

/// Wraps a model thread's body so that it runs on a stack of `size` bytes (see [`run_on`]).
pub(crate) fn wrap(
    size: usize,
    body: Box<dyn FnOnce() + Send + 'static>,
) -> Box<dyn FnOnce() + Send + 'static> {
    Box::new(move || run_on(size, body))
}

/// A stack lent to a thread, with the size it was made for.
struct Lent(usize, Option<DefaultStack>);

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(stack) = self.1.take() {
            // During thread exit the pool may be gone: the stack is then simply freed.
            let _ = POOL.try_with(|pool| pool.borrow_mut().push((self.0, stack)));
        }
    }
}

fn make(size: usize) -> DefaultStack {
    let stack = DefaultStack::new(size).unwrap_or_else(|e| {
        panic!("tapestry could not reserve a stack of {size} bytes for a model thread: {e}")
    });
    let page = page_size();
    let low = stack.limit().get();
    let i = GUARDS_LEN.fetch_add(1, Relaxed);
    if let Some((start, end)) = GUARDS.get(i % GUARDS.len()) {
        start.store(low, Relaxed);
        end.store(low + page, Relaxed);
    }
    stack
}

fn page_size() -> usize {
    // SAFETY: `sysconf` has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).unwrap_or(4096)
}

/// Whether `addr` lies in the guard page of a stack made here. Async-signal-safe.
pub(crate) fn guard_of(addr: usize) -> bool {
    GUARDS
        .iter()
        .any(|(start, end)| (start.load(Relaxed)..end.load(Relaxed)).contains(&addr))
}
