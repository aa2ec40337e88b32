//! `loom::thread`: tapestry's threads. As in loom, [`spawn`] takes closures that are not
//! `Send` (loom tests share `Rc`s between threads): model threads run one at a time on one
//! OS thread under the engines tapestry-loom runs (the stress engine, whose threads are real,
//! is refused; see `model`).

use std::fmt;

pub use tapestry::thread::{AccessError, LocalKey, Thread, ThreadId, current, park, yield_now};

/// Owns a value that crosses to a model thread, sent or not (see the module docs).
struct Unsent<T>(T);

// SAFETY: model threads of the engines tapestry-loom allows run one at a time on the OS
// thread that runs the model, so the value is never touched by two threads at once.
unsafe impl<T> Send for Unsent<T> {}

impl<T> Unsent<T> {
    fn into_inner(self) -> T {
        self.0
    }
}

/// A handle to join a spawned thread, as loom's.
pub struct JoinHandle<T>(tapestry::thread::JoinHandle<Unsent<T>>);

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish; its result, or the payload of its panic.
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        self.0.join().map(Unsent::into_inner)
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        self.0.thread()
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").finish_non_exhaustive()
    }
}

/// Starts a model thread running `f`, as loom's (`f` need not be `Send`).
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    let f = Unsent(f);
    // A method call moves the whole wrapper into the closure, not its unsent field.
    JoinHandle(tapestry::thread::spawn(move || Unsent(f.into_inner()())))
}

/// Configures a thread before it starts, as loom's.
#[derive(Debug, Default)]
pub struct Builder(tapestry::thread::Builder);

impl Builder {
    pub fn new() -> Builder {
        Builder(tapestry::thread::Builder::new())
    }

    /// Names the thread: the name traces show for it.
    pub fn name(self, name: String) -> Builder {
        Builder(self.0.name(name))
    }

    /// The thread's stack size in `usize` words, as loom counts it (loom hands the number to
    /// its coroutine library, which counts words, not bytes): `size` words are
    /// `size * size_of::<usize>()` bytes, what a loom test that asks for them gets under loom.
    pub fn stack_size(self, size: usize) -> Builder {
        Builder(
            self.0
                .stack_size(size.saturating_mul(std::mem::size_of::<usize>())),
        )
    }

    /// Starts the thread.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> std::io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.0.spawn(move || Unsent(f())).map(JoinHandle)
    }
}
