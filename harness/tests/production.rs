//! The production configuration (`--no-default-features`): the facade is std itself. Its
//! wrappers have std's size and alignment, its re-exports are std's own types, `const`
//! constructors make statics, and `tapestry::thread_local!` is std's. Run by `cargo test -p
//! tapestry-harness --no-default-features --tests` (`cargo xtask production`); with `explore`
//! only the first test runs.

#[test]
fn explore_says_which_configuration_this_is() {
    assert_eq!(tapestry::EXPLORE, cfg!(feature = "explore"));
}

#[cfg(not(feature = "explore"))]
mod plain {
    use std::any::TypeId;
    use std::mem::{align_of, size_of};

    use tapestry::cell::UnsafeCell;
    use tapestry::sync::atomic::{self, AtomicPtr, AtomicU8, AtomicUsize, Ordering};
    use tapestry::sync::{self, Condvar, Mutex, Once, PiMutex, RwLock};
    use tapestry::thread;

    /// Asserts that each facade type has its std type's size and alignment.
    macro_rules! same_layout {
        ($($facade:ty => $std:ty),* $(,)?) => {$(
            assert_eq!(
                (size_of::<$facade>(), align_of::<$facade>()),
                (size_of::<$std>(), align_of::<$std>()),
                "{} is not laid out as {}",
                stringify!($facade),
                stringify!($std),
            );
        )*};
    }

    #[test]
    fn wrappers_are_laid_out_as_std() {
        same_layout!(
            Mutex<u64> => std::sync::Mutex<u64>,
            Mutex<[u8; 3]> => std::sync::Mutex<[u8; 3]>,
            PiMutex<u64> => std::sync::Mutex<u64>,
            RwLock<u64> => std::sync::RwLock<u64>,
            Condvar => std::sync::Condvar,
            sync::Barrier => std::sync::Barrier,
            Once => std::sync::Once,
            atomic::AtomicBool => std::sync::atomic::AtomicBool,
            AtomicU8 => std::sync::atomic::AtomicU8,
            atomic::AtomicI8 => std::sync::atomic::AtomicI8,
            atomic::AtomicU16 => std::sync::atomic::AtomicU16,
            atomic::AtomicI16 => std::sync::atomic::AtomicI16,
            atomic::AtomicU32 => std::sync::atomic::AtomicU32,
            atomic::AtomicI32 => std::sync::atomic::AtomicI32,
            atomic::AtomicU64 => std::sync::atomic::AtomicU64,
            atomic::AtomicI64 => std::sync::atomic::AtomicI64,
            AtomicUsize => std::sync::atomic::AtomicUsize,
            atomic::AtomicIsize => std::sync::atomic::AtomicIsize,
            AtomicPtr<u8> => std::sync::atomic::AtomicPtr<u8>,
            UnsafeCell<u64> => std::cell::UnsafeCell<u64>,
            thread::Builder => std::thread::Builder,
            // Guards and `Option`s of the wrappers keep std's niches.
            Option<Mutex<u8>> => Option<std::sync::Mutex<u8>>,
        );
    }

    /// Asserts that each facade item is std's own type, not a look-alike.
    macro_rules! std_itself {
        ($($facade:ty => $std:ty),* $(,)?) => {$(
            assert_eq!(
                TypeId::of::<$facade>(),
                TypeId::of::<$std>(),
                "{} is not {}",
                stringify!($facade),
                stringify!($std),
            );
        )*};
    }

    #[test]
    fn re_exports_are_std_itself() {
        std_itself!(
            sync::Arc<u8> => std::sync::Arc<u8>,
            sync::Weak<u8> => std::sync::Weak<u8>,
            sync::MutexGuard<'static, u8> => std::sync::MutexGuard<'static, u8>,
            sync::RwLockReadGuard<'static, u8> => std::sync::RwLockReadGuard<'static, u8>,
            sync::RwLockWriteGuard<'static, u8> => std::sync::RwLockWriteGuard<'static, u8>,
            sync::WaitTimeoutResult => std::sync::WaitTimeoutResult,
            sync::BarrierWaitResult => std::sync::BarrierWaitResult,
            sync::OnceLock<u8> => std::sync::OnceLock<u8>,
            sync::LazyLock<u8> => std::sync::LazyLock<u8>,
            sync::mpsc::Sender<u8> => std::sync::mpsc::Sender<u8>,
            sync::mpsc::SyncSender<u8> => std::sync::mpsc::SyncSender<u8>,
            sync::mpsc::Receiver<u8> => std::sync::mpsc::Receiver<u8>,
            sync::atomic::Ordering => std::sync::atomic::Ordering,
            thread::JoinHandle<u8> => std::thread::JoinHandle<u8>,
            thread::Thread => std::thread::Thread,
            thread::ThreadId => std::thread::ThreadId,
            thread::Scope<'static, 'static> => std::thread::Scope<'static, 'static>,
            thread::LocalKey<u8> => std::thread::LocalKey<u8>,
            tapestry::time::Instant => std::time::Instant,
            tapestry::time::Duration => std::time::Duration,
            tapestry::time::SystemTime => std::time::SystemTime,
        );
        let std_spawn: fn(fn()) -> std::thread::JoinHandle<()> = std::thread::spawn;
        let facade_spawn: fn(fn()) -> thread::JoinHandle<()> = thread::spawn;
        assert_eq!(std_spawn as usize, facade_spawn as usize);
    }

    // What the explore side is gaining (const constructors for statics, `thread::scope`,
    // `park`, `OnceLock`, `LazyLock`, `thread_local!`, `time`) is std's here already; these
    // items move to facade_parity.rs once the explore facade has them.
    static COUNTER: Mutex<u32> = Mutex::new(0);
    static FLAGS: AtomicUsize = AtomicUsize::new(0);
    static CELL_LOCK: PiMutex<()> = PiMutex::new(());
    static TABLE: RwLock<Vec<u8>> = RwLock::new(Vec::new());
    static READY: Condvar = Condvar::new();
    static INIT: Once = Once::new();
    static GATE: sync::Barrier = sync::Barrier::new(1);
    static CONFIG: sync::OnceLock<u8> = sync::OnceLock::new();
    static LAZY: sync::LazyLock<u8> = sync::LazyLock::new(|| 7);
    static SMALL: AtomicU8 = AtomicU8::new(1);
    static POINTER: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());

    tapestry::thread_local! {
        static LOCAL: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }

    #[test]
    fn statics_scoped_threads_and_thread_locals() {
        let (counter, flags) = (&COUNTER, &FLAGS);
        thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    *counter.lock().unwrap() += 1;
                    flags.fetch_or(1, Ordering::SeqCst);
                    LOCAL.with(|l| l.set(l.get() + 1));
                    LOCAL.with(|l| assert_eq!(l.get(), 1, "each thread has its own"));
                });
            }
        });
        assert_eq!(*COUNTER.lock().unwrap(), 2);
        assert_eq!(FLAGS.load(Ordering::SeqCst), 1);
        drop(CELL_LOCK.lock().unwrap());
        TABLE.write().unwrap().push(1);
        READY.notify_all();
        INIT.call_once(|| {});
        assert!(INIT.is_completed() && GATE.wait().is_leader());
        assert_eq!(*CONFIG.get_or_init(|| 3) + *LAZY, 10);
        assert_eq!(SMALL.fetch_add(1, Ordering::Relaxed), 1);
        assert!(POINTER.load(Ordering::Relaxed).is_null());

        // `park` and `unpark`: a token left by `unpark` makes the next `park` return at once.
        thread::current().unpark();
        thread::park();
        thread::park_timeout(std::time::Duration::ZERO);
        assert!(thread::available_parallelism().is_ok());
        let start = tapestry::time::Instant::now();
        assert!(start.elapsed() < tapestry::time::Duration::from_secs(3600));
    }
}
