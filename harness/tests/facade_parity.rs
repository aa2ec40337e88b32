//! User code that calls every item of the facade, compiled and run in both configurations:
//! with `explore` by `cargo test -p tapestry-harness`, and without it (the facade is std) by
//! `cargo test -p tapestry-harness --no-default-features --tests` (`cargo xtask production`).
//! Code a library writes against the facade must compile unchanged in both, so it ships.
//!
//! Outside an exploration both configurations behave as std, so every call is checked against
//! what std does. `every_facade_item_is_called_here` keeps this file complete: a `pub` item
//! added to the explore facade (`harness/src/{sync,thread,cell,hint,time}`) fails it until
//! this file calls it, so the production facade is checked to accept it too.

// One thread-local below has a runtime initialiser on purpose: both forms must compile.
#![allow(clippy::missing_const_for_thread_local)]

use std::collections::HashSet;
use std::time::Duration;

use tapestry::cell::UnsafeCell;
use tapestry::hint;
use tapestry::sync::atomic::{
    self, AtomicBool, AtomicI32, AtomicI64, AtomicIsize, AtomicU32, AtomicU64, AtomicUsize,
    Ordering, compiler_fence, fence,
};
use tapestry::sync::mpsc::{
    self, IntoIter, Iter, Receiver, RecvError, RecvTimeoutError, SendError, Sender, SyncSender,
    TryIter, TryRecvError, TrySendError, channel, named_channel, named_sync_channel, sync_channel,
};
use tapestry::sync::{
    Arc, Barrier, BarrierWaitResult, Condvar, LockResult, Mutex, MutexGuard, Once, OnceState,
    PiMutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError, TryLockResult,
    WaitTimeoutResult, Weak,
};
use tapestry::thread::{self, Builder, JoinHandle, Thread, ThreadId, panicking};

#[test]
fn mutexes_and_their_guards() {
    let m = Mutex::named("m", 1);
    {
        let mut guard: MutexGuard<'_, i32> = m.lock().unwrap();
        *guard += 1;
        assert_eq!(format!("{guard:?} {guard}"), "2 2");
        let busy: TryLockResult<MutexGuard<'_, i32>> = m.try_lock();
        assert!(matches!(busy, Err(TryLockError::WouldBlock)));
    }
    assert!(!m.is_poisoned());
    m.clear_poison();
    let mut m = Mutex::new(m.into_inner().unwrap());
    *m.get_mut().unwrap() += 1;
    assert_eq!(*m.try_lock().unwrap(), 3);
    assert!(format!("{m:?}").contains('3'));
    let defaulted: Mutex<u8> = Mutex::default();
    let converted = Mutex::from(5_u8);
    assert_eq!(*defaulted.lock().unwrap() + *converted.lock().unwrap(), 5);

    // A panic while the lock is held poisons it, in both configurations.
    let shared = Arc::new(Mutex::new(0));
    let s = shared.clone();
    let died = thread::spawn(move || {
        let _guard = s.lock().unwrap();
        panic!("poisons the mutex");
    })
    .join();
    assert!(died.is_err());
    let poisoned: LockResult<MutexGuard<'_, i32>> = shared.lock();
    let recovered = poisoned.unwrap_err();
    let _: &PoisonError<MutexGuard<'_, i32>> = &recovered;
    assert_eq!(*recovered.into_inner(), 0);
    assert!(shared.is_poisoned());

    let pi = PiMutex::named("pi", 1);
    *pi.lock().unwrap() += 1;
    assert!(pi.try_lock().is_ok() && !pi.is_poisoned());
    pi.clear_poison();
    let mut pi = PiMutex::new(pi.into_inner().unwrap());
    *pi.get_mut().unwrap() += 1;
    let defaulted: PiMutex<u8> = PiMutex::default();
    assert_eq!(
        *pi.lock().unwrap() + i32::from(*defaulted.lock().unwrap()),
        3
    );
    assert!(format!("{pi:?}").contains('3'));
}

#[test]
fn reader_writer_locks() {
    let lock = RwLock::named("lock", 1);
    {
        let a: RwLockReadGuard<'_, i32> = lock.read().unwrap();
        let b = lock.try_read().unwrap();
        assert_eq!(*a + *b, 2);
        assert!(lock.try_write().is_err());
    }
    {
        let mut w: RwLockWriteGuard<'_, i32> = lock.write().unwrap();
        *w += 1;
    }
    *lock.try_write().unwrap() += 1;
    assert!(!lock.is_poisoned());
    lock.clear_poison();
    let mut lock = RwLock::new(lock.into_inner().unwrap());
    *lock.get_mut().unwrap() += 1;
    assert!(format!("{lock:?}").contains('4'));
    let defaulted: RwLock<u8> = RwLock::default();
    assert_eq!(
        *RwLock::from(2_u8).read().unwrap() + *defaulted.read().unwrap(),
        2
    );
}

#[test]
fn condition_variables_hand_over_under_their_mutex() {
    let pair = Arc::new((Mutex::new(false), Condvar::named("ready")));
    let p = pair.clone();
    let waiter = thread::spawn(move || {
        let (ready, cv) = &*p;
        let guard = cv
            .wait_while(ready.lock().unwrap(), |ready| !*ready)
            .unwrap();
        assert!(*guard);
    });
    {
        let (ready, cv) = &*pair;
        *ready.lock().unwrap() = true;
        cv.notify_all();
        cv.notify_one();
    }
    waiter.join().unwrap();

    let (lock, cv) = (Mutex::new(0), Condvar::new());
    let (guard, timeout): (MutexGuard<'_, i32>, WaitTimeoutResult) = cv
        .wait_timeout(lock.lock().unwrap(), Duration::from_millis(1))
        .unwrap();
    // No one notifies: the only way out is the timeout (std allows a spurious wake-up too).
    let _ = timeout.timed_out();
    let (guard, timeout) = cv
        .wait_timeout_while(guard, Duration::from_millis(1), |n| *n == 0)
        .unwrap();
    assert!(timeout.timed_out() && *guard == 0);
    drop(guard);

    // A notification for a waiter that is not waiting yet is kept by no one: wait for a flag.
    let pair = Arc::new((Mutex::new(0), Condvar::default()));
    let p = pair.clone();
    let t = thread::spawn(move || {
        *p.0.lock().unwrap() = 1;
        p.1.notify_one();
    });
    let mut n = pair.0.lock().unwrap();
    while *n == 0 {
        n = pair.1.wait(n).unwrap();
    }
    drop(n);
    t.join().unwrap();
    assert!(format!("{:?}", pair.1).contains("Condvar"));
}

#[test]
fn barriers_and_once() {
    let barrier = Arc::new(Barrier::named("gate", 2));
    let b = barrier.clone();
    let t = thread::spawn(move || b.wait().is_leader());
    let leaders = [barrier.wait().is_leader(), t.join().unwrap()];
    assert_eq!(leaders.iter().filter(|&&l| l).count(), 1);
    let alone: BarrierWaitResult = Barrier::new(1).wait();
    assert!(alone.is_leader());
    assert!(format!("{barrier:?}").contains("Barrier"));

    let once = Once::named("init");
    let mut runs = 0;
    once.call_once(|| runs += 1);
    once.call_once(|| runs += 1);
    assert!(once.is_completed() && runs == 1);
    let forced = Once::new();
    forced.call_once_force(|state: &OnceState| assert!(!state.is_poisoned()));
    assert!(forced.is_completed() && !Once::default().is_completed());
    assert!(format!("{once:?}").contains("Once"));
}

#[test]
fn arcs_and_weaks() {
    let mut a = Arc::new(5);
    *Arc::get_mut(&mut a).unwrap() += 1;
    let b = a.clone();
    assert!(Arc::ptr_eq(&a, &b) && Arc::as_ptr(&a) == Arc::as_ptr(&b));
    assert_eq!((Arc::strong_count(&a), Arc::weak_count(&a)), (2, 0));
    let w: Weak<i32> = Arc::downgrade(&a);
    assert!(w.ptr_eq(&w.clone()) && w.strong_count() == 2);
    assert_eq!(*w.upgrade().unwrap(), 6);
    let mut c = b.clone();
    *Arc::make_mut(&mut c) += 1; // shared: cloned
    assert_eq!((*a, *c), (6, 7));
    assert_eq!(Arc::unwrap_or_clone(c), 7);
    let b = Arc::try_unwrap(b).unwrap_err();
    drop(a);
    assert_eq!(Arc::into_inner(b), Some(6));
    let raw = Arc::into_raw(Arc::new(8));
    // SAFETY: `raw` came from `into_raw`; its reference lives until `from_raw` takes it back, and
    // the one `increment_strong_count` adds until `decrement_strong_count` drops it.
    let back = unsafe {
        Arc::increment_strong_count(raw);
        Arc::decrement_strong_count(raw);
        Arc::from_raw(raw)
    };
    assert_eq!((*back, Arc::strong_count(&back)), (8, 1));
    assert!(w.upgrade().is_none() && Weak::<u8>::new().upgrade().is_none());
    assert!(Weak::<u8>::default().upgrade().is_none());

    let x: Arc<String> = Arc::from(String::from("x"));
    let y = Arc::new(String::from("x"));
    let as_ref: &String = y.as_ref();
    let borrowed: &String = std::borrow::Borrow::borrow(&y);
    assert_eq!(*x, *as_ref);
    assert_eq!(as_ref, borrowed);
    assert_eq!(format!("{y} {y:?} {}", Arc::<u8>::default()), "x \"x\" 0");
    assert!(!format!("{y:p}").is_empty() && !format!("{w:?}").is_empty());
    assert!(Arc::new(1) < Arc::new(2) && Arc::new(1) == Arc::new(1));
    assert_eq!(Arc::new(1).cmp(&Arc::new(1)), std::cmp::Ordering::Equal);
    assert_eq!(HashSet::from([Arc::new(1), Arc::new(1)]).len(), 1);
}

/// Every atomic type's operations; `$int` adds the arithmetic ones.
macro_rules! check_atomic {
    ($atomic:ident, $t:ty, $a:expr, $b:expr) => {{
        let x = $atomic::named(stringify!($atomic), $a);
        x.store($b, Ordering::Relaxed);
        assert_eq!(x.swap($a, Ordering::AcqRel), $b);
        assert_eq!(
            x.compare_exchange($a, $b, Ordering::SeqCst, Ordering::Acquire),
            Ok($a)
        );
        assert_eq!(
            x.compare_exchange($a, $b, Ordering::SeqCst, Ordering::Relaxed),
            Err($b)
        );
        let mut weak = x.compare_exchange_weak($b, $a, Ordering::Release, Ordering::Relaxed);
        while weak.is_err() {
            // A weak exchange may fail spuriously; the value is still $b.
            weak = x.compare_exchange_weak($b, $a, Ordering::Release, Ordering::Relaxed);
        }
        assert_eq!(
            x.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |_| Some($b)),
            Ok($a)
        );
        assert_eq!(x.fetch_and($b, Ordering::SeqCst), $b);
        assert_eq!(x.fetch_or($a, Ordering::SeqCst), $b);
        assert_eq!(x.fetch_xor($a, Ordering::SeqCst), $a | $b);
        let _ = x.fetch_nand($b, Ordering::SeqCst);
        assert!(!format!("{x:?}").is_empty());
        let _: $t = x.into_inner();
        let _: $t = $atomic::new($a).load(Ordering::SeqCst);
        assert_eq!($atomic::default().load(Ordering::SeqCst), <$t>::default());
        assert_eq!($atomic::from($b).load(Ordering::SeqCst), $b);
    }};
    ($atomic:ident, $t:ty, int) => {{
        check_atomic!($atomic, $t, 1, 2);
        let x = $atomic::new(5);
        assert_eq!(x.fetch_add(2, Ordering::SeqCst), 5);
        assert_eq!(x.fetch_sub(3, Ordering::SeqCst), 7);
        assert_eq!(x.fetch_max(9, Ordering::SeqCst), 4);
        assert_eq!(x.fetch_min(1, Ordering::SeqCst), 9);
        assert_eq!(x.load(Ordering::SeqCst), 1);
    }};
}

#[test]
fn atomics() {
    check_atomic!(AtomicBool, bool, false, true);
    assert!(!AtomicBool::new(false).fetch_not(Ordering::SeqCst));
    check_atomic!(AtomicUsize, usize, int);
    check_atomic!(AtomicIsize, isize, int);
    check_atomic!(AtomicU32, u32, int);
    check_atomic!(AtomicI32, i32, int);
    check_atomic!(AtomicU64, u64, int);
    check_atomic!(AtomicI64, i64, int);
    fence(Ordering::SeqCst);
    atomic::fence(Ordering::Acquire);
    compiler_fence(Ordering::Release);

    // Message passing through a release store and an acquire load.
    let data = Arc::new(AtomicUsize::new(0));
    let ready = Arc::new(AtomicBool::new(false));
    let (d, r) = (data.clone(), ready.clone());
    let t = thread::spawn(move || {
        d.store(42, Ordering::Relaxed);
        r.store(true, Ordering::Release);
    });
    while !ready.load(Ordering::Acquire) {
        hint::spin_loop();
    }
    assert_eq!(data.load(Ordering::Relaxed), 42);
    t.join().unwrap();
}

#[test]
fn channels() {
    let (tx, rx): (Sender<i32>, Receiver<i32>) = channel();
    let tx2 = tx.clone();
    let t = thread::spawn(move || tx2.send(2).unwrap());
    tx.send(1).unwrap();
    t.join().unwrap();
    let mut got = vec![rx.recv().unwrap(), rx.try_recv().unwrap()];
    got.sort();
    assert_eq!(got, [1, 2]);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    );
    tx.send(3).unwrap();
    let mut iter: TryIter<'_, i32> = rx.try_iter();
    assert_eq!(iter.next(), Some(3));
    drop(tx);
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.iter().count(), 0);

    let (tx, rx) = named_channel::<u8>("events");
    tx.send(1).unwrap();
    drop(tx);
    let every: Iter<'_, u8> = rx.iter();
    assert_eq!(every.collect::<Vec<_>>(), [1]);
    let mut after = 0;
    for message in &rx {
        after += message;
    }
    assert_eq!(after, 0, "messages after the senders are gone");
    let (tx, rx) = named_channel::<u8>("closed");
    drop(rx);
    let refused: SendError<u8> = tx.send(7).unwrap_err();
    assert_eq!(refused.0, 7);

    let (tx, rx): (SyncSender<u8>, Receiver<u8>) = sync_channel(1);
    tx.send(1).unwrap();
    assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    let tx2 = tx.clone();
    drop((tx, tx2));
    let rest: IntoIter<u8> = rx.into_iter();
    assert_eq!(rest.collect::<Vec<_>>(), [1]);
    let (tx, rx) = named_sync_channel::<u8>("rendezvous", 0);
    let t = thread::spawn(move || tx.send(9).unwrap());
    assert_eq!(rx.recv(), Ok(9));
    t.join().unwrap();
    let _ = mpsc::channel::<()>();
}

#[test]
fn threads() {
    let handle: JoinHandle<u32> = Builder::new()
        .name("worker".to_owned())
        .stack_size(1 << 20)
        .priority(3)
        .spawn(|| {
            thread::yield_now();
            thread::sleep(Duration::from_micros(1));
            assert!(!panicking());
            let me: Thread = thread::current();
            assert_eq!(me.name(), Some("worker"));
            7
        })
        .unwrap();
    let thread: &Thread = handle.thread();
    let id: ThreadId = thread.id();
    assert_ne!(id, thread::current().id());
    let _ = handle.is_finished();
    let result: thread::Result<u32> = handle.join();
    assert_eq!(result.unwrap(), 7);
    let ids: HashSet<ThreadId> = [id, id].into();
    assert_eq!(ids.len(), 1);
    let default = Builder::default();
    assert!(!format!("{default:?}").is_empty());
    let h = default.spawn(|| thread::current().clone()).unwrap();
    assert!(!format!("{h:?}").is_empty());
    let t = h.join().unwrap();
    assert!(!format!("{t:?}").is_empty() && t.name().is_none());
}

#[test]
fn cells() {
    let cell = UnsafeCell::named("cell", 1);
    // SAFETY: one thread, no other access to the cell while each pointer is used.
    cell.with_mut(|p| unsafe { *p += 1 });
    assert_eq!(cell.with(|p| unsafe { *p }), 2);
    let mut cell = UnsafeCell::new(cell.into_inner());
    *cell.get_mut() += 1;
    assert_eq!(cell.into_inner(), 3);
    let defaulted: UnsafeCell<u8> = UnsafeCell::default();
    assert!(format!("{defaulted:?}").contains("UnsafeCell"));
}

/// Whether `word` occurs in `text` as a whole identifier.
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        !text[..at].ends_with(ident) && !text[at + word.len()..].starts_with(ident)
    })
}

/// The names of the `pub` items (functions and methods, types, re-exports, exported macros) of
/// one explore-facade source file, read as text: a name is enough to catch an item this file
/// does not call.
fn public_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut lines = source.lines().map(str::trim).peekable();
    let mut exported = false;
    // Whether the last line of code (not a doc comment or an attribute) opened a macro call:
    // types made by a macro (`atomic_int!(AtomicUsize, usize)`) are its first argument.
    let mut in_call = false;
    while let Some(line) = lines.next() {
        if line.starts_with("///") || line.starts_with("#[") {
            exported |= line == "#[macro_export]";
            continue;
        }
        let first_arg = match line.split_once("!(") {
            Some((name, rest)) if ident(name) == name && !name.is_empty() => Some(rest),
            _ if in_call => Some(line),
            _ => None,
        };
        if let Some(arg) = first_arg
            && let Some((first, _)) = arg.split_once(',')
            && first.trim().starts_with(char::is_uppercase)
            && ident(first.trim()) == first.trim()
        {
            names.push(first.trim().to_owned());
        }
        in_call = line.ends_with("!(");
        for prefix in [
            "pub fn ",
            "pub const fn ",
            "pub struct ",
            "pub enum ",
            "pub type ",
        ] {
            if let Some(rest) = line.strip_prefix(prefix) {
                names.push(ident(rest));
            }
        }
        if let Some(rest) = line.strip_prefix("macro_rules! ")
            && exported
        {
            names.push(ident(rest));
        }
        exported = false;
        if let Some(rest) = line.strip_prefix("pub use ") {
            // `pub use a::b::{c, d};` possibly over several lines.
            let mut item = rest.to_owned();
            while !item.contains(';') {
                match lines.next() {
                    Some(next) => item += next,
                    None => break,
                }
            }
            let list = item.rsplit("::").next().unwrap_or("");
            let list = match (item.find('{'), item.rfind('}')) {
                (Some(open), Some(close)) => &item[open + 1..close],
                _ => list,
            };
            for name in list.split(',') {
                let name = name.trim().trim_end_matches(';');
                let name = name.rsplit(" as ").next().unwrap_or(name);
                let name = name.rsplit("::").next().unwrap_or(name);
                if !name.is_empty() && name != "self" {
                    names.push(ident(name));
                }
            }
        }
    }
    // `__`-names are macros' hidden helpers, not part of the facade.
    names.retain(|n| !n.is_empty() && !n.starts_with("__"));
    names
}

#[test]
fn every_facade_item_is_called_here() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let this = std::fs::read_to_string(root.join("tests/facade_parity.rs")).unwrap();
    let mut files = vec![];
    let mut dirs: Vec<_> = ["src/sync", "src/thread", "src/time"]
        .iter()
        .map(|dir| root.join(dir))
        .collect();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            match path.is_dir() {
                true => dirs.push(path),
                false => files.push(path),
            }
        }
    }
    for file in ["src/cell.rs", "src/hint.rs", "src/time.rs"] {
        files.push(root.join(file));
    }
    let mut missing = vec![];
    let mut seen = HashSet::new();
    for file in files.iter().filter(|f| f.exists()) {
        let source = std::fs::read_to_string(file).unwrap();
        for name in public_names(&source) {
            if !mentions(&this, &name) {
                missing.push(format!("{name} ({})", file.display()));
            }
            seen.insert(name);
        }
    }
    // The reader must find the facade's items of every kind, or this test would pass on
    // nothing: methods, functions, types, types a macro makes, re-exports.
    for name in [
        "with_mut",
        "named_sync_channel",
        "priority",
        "spin_loop",
        "PiMutex",
        "AtomicUsize",
        "fetch_not",
        "TryLockError",
        "panicking",
    ] {
        assert!(
            seen.contains(name),
            "the explore facade's `{name}` was not found: {seen:?}"
        );
    }
    assert!(
        missing.is_empty(),
        "items of the explore facade that facade_parity.rs never uses: call each here, so that \
         the production facade (harness/src/plain/, without `explore`) is checked to accept \
         it too:\n  {}",
        missing.join("\n  ")
    );
}

tapestry::thread_local! {
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static SEEN: std::cell::RefCell<Vec<u32>> = std::cell::RefCell::new(Vec::new());
}

#[test]
fn scoped_threads_parking_and_thread_locals() {
    let mut total = 0;
    let doubled = thread::scope(|s: &thread::Scope<'_, '_>| {
        let h: thread::ScopedJoinHandle<'_, u32> = s.spawn(|| 2);
        let b = Builder::new().spawn_scoped(s, || 3).unwrap();
        total += 1;
        h.join().unwrap() + b.join().unwrap()
    });
    assert_eq!((doubled, total), (5, 1));
    assert!(thread::available_parallelism().unwrap().get() >= 1);

    // An early token makes the next park return at once.
    thread::current().unpark();
    thread::park();
    thread::park_timeout(Duration::from_micros(1));

    let key: &'static thread::LocalKey<std::cell::Cell<u32>> = &DEPTH;
    key.set(3);
    assert_eq!(DEPTH.get(), 3);
    assert_eq!(DEPTH.replace(4), 3);
    assert_eq!(DEPTH.take(), 4);
    let read: Result<u32, thread::AccessError> = DEPTH.try_with(|d| d.get());
    assert_eq!(read, Ok(0));
    SEEN.with_borrow_mut(|v| v.push(1));
    SEEN.with_borrow(|v| assert_eq!(v, &[1]));
    SEEN.set(vec![2]);
    assert_eq!(SEEN.replace(vec![]), [2]);
    assert!(SEEN.take().is_empty());
    assert_eq!(SEEN.with(|v| v.borrow().len()), 0);
}

static LAZY: tapestry::sync::LazyLock<u32> = tapestry::sync::LazyLock::new(|| 6 * 7);

#[test]
fn once_locks_and_lazy_locks() {
    let cell = tapestry::sync::OnceLock::new();
    assert_eq!(cell.get(), None);
    assert_eq!(cell.set(1), Ok(()));
    assert_eq!(cell.set(2), Err(2));
    assert_eq!(*cell.get_or_init(|| 3), 1);
    let mut cell = cell;
    assert_eq!(cell.take(), Some(1));
    assert_eq!(cell.get(), None);
    assert_eq!(*tapestry::sync::LazyLock::force(&LAZY), 42);
}

#[test]
#[allow(deprecated)]
fn small_atomics_and_pointers() {
    use tapestry::sync::atomic::{AtomicI8, AtomicI16, AtomicPtr, AtomicU8, AtomicU16};
    let u8 = AtomicU8::new(255);
    assert_eq!(u8.fetch_add(1, Ordering::SeqCst), 255);
    assert_eq!(u8.compare_and_swap(0, 5, Ordering::SeqCst), 0);
    assert_eq!(
        u8.try_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(v + 1)),
        Ok(5)
    );
    assert_eq!(u8.update(Ordering::SeqCst, Ordering::SeqCst, |v| v * 2), 6);
    assert_eq!(u8.load(Ordering::SeqCst), 12);
    assert_eq!(AtomicI8::new(-128).fetch_sub(1, Ordering::SeqCst), -128);
    assert_eq!(AtomicU16::new(7).swap(8, Ordering::SeqCst), 7);
    assert_eq!(AtomicI16::new(-1).fetch_max(3, Ordering::SeqCst), -1);

    let mut values = [1u32, 2, 3];
    let ptr = AtomicPtr::new(values.as_mut_ptr());
    let first = ptr.fetch_ptr_add(1, Ordering::SeqCst);
    assert_eq!(
        ptr.fetch_ptr_sub(1, Ordering::SeqCst),
        first.wrapping_add(1)
    );
    assert_eq!(ptr.fetch_byte_add(4, Ordering::SeqCst), first);
    assert_eq!(
        ptr.fetch_byte_sub(4, Ordering::SeqCst),
        first.wrapping_add(1)
    );
    assert_eq!(ptr.compare_and_swap(first, first, Ordering::SeqCst), first);
    let next = ptr.try_update(Ordering::SeqCst, Ordering::SeqCst, |p| {
        Some(p.wrapping_add(2))
    });
    assert_eq!(next, Ok(first));
    assert_eq!(
        ptr.update(Ordering::SeqCst, Ordering::SeqCst, |p| p),
        first.wrapping_add(2)
    );
    // SAFETY: the pointer is into `values`, which is alive.
    assert_eq!(unsafe { *ptr.load(Ordering::SeqCst) }, 3);
}

#[test]
fn clocks() {
    use tapestry::time::{Instant, SystemTime, SystemTimeError, TryFromFloatSecsError, UNIX_EPOCH};
    let start = Instant::now();
    let later = Instant::now();
    assert!(later.duration_since(start) <= later.elapsed() + start.elapsed());
    assert!(later.checked_duration_since(start).is_some());
    assert_eq!(start.saturating_duration_since(later), Duration::ZERO);
    let shifted = start.checked_add(Duration::from_secs(1)).unwrap();
    assert_eq!(shifted.checked_sub(Duration::from_secs(1)), Some(start));
    let now = SystemTime::now();
    assert!(now.duration_since(UNIX_EPOCH).is_ok());
    let _ = now.elapsed();
    let back: Option<SystemTime> = now.checked_sub(Duration::from_secs(1));
    let ahead = now.checked_add(Duration::from_secs(1)).unwrap();
    let error: SystemTimeError = back.unwrap().duration_since(ahead).unwrap_err();
    assert_eq!(error.duration(), Duration::from_secs(2));
    let bad: Result<Duration, TryFromFloatSecsError> = Duration::try_from_secs_f64(-1.0);
    assert!(bad.is_err());
}

mod statics {
    //! Every constructor std makes `const` is `const` in both configurations.
    use tapestry::sync::atomic::*;
    use tapestry::sync::{Barrier, Condvar, LazyLock, Mutex, Once, OnceLock, RwLock};

    static M: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    static R: RwLock<u8> = RwLock::new(0);
    static C: Condvar = Condvar::new();
    static O: Once = Once::new();
    static B: Barrier = Barrier::new(1);
    static L: OnceLock<u8> = OnceLock::new();
    static Z: LazyLock<u8> = LazyLock::new(|| 9);
    static A: (
        AtomicBool,
        AtomicU8,
        AtomicI8,
        AtomicU16,
        AtomicI16,
        AtomicU32,
    ) = (
        AtomicBool::new(true),
        AtomicU8::new(1),
        AtomicI8::new(-1),
        AtomicU16::new(2),
        AtomicI16::new(-2),
        AtomicU32::new(3),
    );
    static W: (AtomicI32, AtomicU64, AtomicI64, AtomicUsize, AtomicIsize) = (
        AtomicI32::new(-3),
        AtomicU64::new(4),
        AtomicI64::new(-4),
        AtomicUsize::new(5),
        AtomicIsize::new(-5),
    );
    static P: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());

    #[test]
    fn statics_of_every_const_constructor() {
        M.lock().unwrap().push(1);
        assert_eq!(*M.lock().unwrap(), [1]);
        assert_eq!(*R.read().unwrap(), 0);
        C.notify_all();
        O.call_once(|| {});
        assert!(B.wait().is_leader());
        assert_eq!(*L.get_or_init(|| 8), 8);
        assert_eq!(*Z, 9);
        assert!(A.0.load(Ordering::SeqCst));
        assert_eq!(
            A.2.load(Ordering::SeqCst) + A.4.load(Ordering::SeqCst) as i8,
            -3
        );
        assert_eq!(W.0.load(Ordering::SeqCst), -3);
        assert_eq!(W.4.load(Ordering::SeqCst), -5);
        assert!(P.load(Ordering::SeqCst).is_null());
    }
}
