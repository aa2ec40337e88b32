//! Outside an exploration the facade behaves as std: these tests use real threads.

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use proptest::prelude::*;
use tapestry::sync::atomic::{
    self, AtomicBool, AtomicI8, AtomicI16, AtomicI32, AtomicI64, AtomicIsize, AtomicPtr, AtomicU8,
    AtomicU16, AtomicU32, AtomicU64, AtomicUsize,
};
use tapestry::sync::mpsc::{self, RecvTimeoutError, TryRecvError, TrySendError};
use tapestry::sync::{Arc, Barrier, Condvar, Mutex, Once, RwLock, Weak};
use tapestry::thread;

#[test]
fn mutex_counts_every_increment_of_every_thread() {
    let counter = Arc::new(Mutex::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let counter = counter.clone();
            thread::spawn(move || {
                for _ in 0..1_000 {
                    *counter.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*counter.lock().unwrap(), 4_000);
    assert!(counter.try_lock().is_ok());
}

#[test]
fn a_panic_while_locked_poisons_as_in_std() {
    let lock = Arc::new(Mutex::new(1));
    let l = lock.clone();
    let joined = thread::spawn(move || {
        let _guard = l.lock().unwrap();
        panic!("poison it");
    })
    .join();
    assert!(joined.is_err(), "join returns the panic");
    assert!(lock.is_poisoned());
    let guard = lock.lock().expect_err("poisoned").into_inner();
    assert_eq!(*guard, 1, "the value is still there");
    drop(guard);
    lock.clear_poison();
    assert!(lock.lock().is_ok());
}

#[test]
fn condvar_wakes_a_waiter_and_times_out_without_a_notification() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let p = pair.clone();
    let t = thread::spawn(move || {
        *p.0.lock().unwrap() = true;
        p.1.notify_one();
    });
    let ready = pair
        .1
        .wait_while(pair.0.lock().unwrap(), |ready| !*ready)
        .unwrap();
    assert!(*ready);
    drop(ready);
    t.join().unwrap();

    let (guard, result) = pair
        .1
        .wait_timeout(pair.0.lock().unwrap(), Duration::from_millis(10))
        .unwrap();
    assert!(result.timed_out());
    assert!(*guard);
}

#[test]
fn rwlock_lets_readers_share_and_writers_exclude() {
    let lock = Arc::new(RwLock::new(5));
    let both_reading = Arc::new(Barrier::new(2));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (lock, both) = (lock.clone(), both_reading.clone());
            // Passes the barrier only if both hold read locks at once.
            thread::spawn(move || {
                let value = lock.read().unwrap();
                both.wait();
                *value
            })
        })
        .collect();
    for r in readers {
        assert_eq!(r.join().unwrap(), 5);
    }
    let writer = lock.write().unwrap();
    assert!(lock.try_read().is_err());
    drop(writer);
    *lock.write().unwrap() += 1;
    assert_eq!(*lock.read().unwrap(), 6);
}

#[test]
fn channels_deliver_in_order_and_report_disconnection() {
    let (tx, rx) = mpsc::channel();
    let senders: Vec<_> = (0..3)
        .map(|i| {
            let tx = tx.clone();
            thread::spawn(move || {
                for j in 0..10 {
                    tx.send((i, j)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut last = [None; 3];
    let mut count = 0;
    for (i, j) in &rx {
        assert!(
            last[i].is_none_or(|previous| previous < j),
            "per-sender order kept"
        );
        last[i] = Some(j);
        count += 1;
    }
    assert_eq!(count, 30);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    for s in senders {
        s.join().unwrap();
    }

    let (tx, rx) = mpsc::channel::<u8>();
    drop(rx);
    assert_eq!(
        tx.send(7).unwrap_err().0,
        7,
        "a send to a dropped receiver gives the value back"
    );
}

#[test]
fn sync_channels_bound_and_rendezvous() {
    let (tx, rx) = mpsc::sync_channel(1);
    tx.try_send(1).unwrap();
    assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(10)),
        Err(RecvTimeoutError::Timeout)
    );

    let (tx, rx) = mpsc::sync_channel(0);
    let received = Arc::new(AtomicBool::new(false));
    let r = received.clone();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        r.store(true, SeqCst);
        rx.recv().unwrap()
    });
    tx.send(9).unwrap();
    assert!(
        received.load(SeqCst),
        "a rendezvous send returns only once the message is taken"
    );
    assert_eq!(t.join().unwrap(), 9);
}

#[test]
fn barrier_has_one_leader_per_round() {
    let barrier = Arc::new(Barrier::new(3));
    let leaders = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (barrier, leaders) = (barrier.clone(), leaders.clone());
            thread::spawn(move || {
                for _ in 0..2 {
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, SeqCst);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(leaders.load(SeqCst), 2);
}

#[test]
fn once_runs_once_and_poisons_on_panic() {
    let once = Arc::new(Once::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (once, runs) = (once.clone(), runs.clone());
            thread::spawn(move || {
                once.call_once(|| {
                    runs.fetch_add(1, SeqCst);
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(runs.load(SeqCst), 1);
    assert!(once.is_completed());

    let poisoned = Arc::new(Once::new());
    let p = poisoned.clone();
    assert!(
        thread::spawn(move || p.call_once(|| panic!("init fails")))
            .join()
            .is_err()
    );
    let p = poisoned.clone();
    assert!(
        thread::spawn(move || p.call_once(|| {})).join().is_err(),
        "a poisoned Once panics"
    );
    let mut saw_poison = false;
    poisoned.call_once_force(|state| saw_poison = state.is_poisoned());
    assert!(saw_poison && poisoned.is_completed());
}

#[test]
fn threads_have_names_ids_and_results() {
    let t = thread::Builder::new()
        .name("worker".to_owned())
        .spawn(|| {
            (
                thread::current().name().map(str::to_owned),
                thread::current().id(),
            )
        })
        .unwrap();
    let thread_id = t.thread().id();
    let (name, id) = t.join().unwrap();
    assert_eq!(name.as_deref(), Some("worker"));
    assert_eq!(id, thread_id);
    assert_ne!(id, thread::current().id());
}

#[test]
fn arc_and_weak_count_references() {
    let a = Arc::new(3);
    let weak: Weak<i32> = Arc::downgrade(&a);
    let b = a.clone();
    assert_eq!(Arc::strong_count(&a), 2);
    assert!(Arc::ptr_eq(&a, &b));
    drop(b);
    assert_eq!(Arc::try_unwrap(a), Ok(3));
    assert!(weak.upgrade().is_none());
}

#[test]
fn invalid_orderings_panic_as_in_std() {
    for bad in [
        std::panic::catch_unwind(|| AtomicUsize::new(0).load(atomic::Ordering::Release)),
        std::panic::catch_unwind(|| {
            AtomicUsize::new(0).store(1, atomic::Ordering::Acquire);
            0
        }),
    ] {
        assert!(bad.is_err());
    }
}

/// One atomic operation, applied alike to a facade atomic and a std one.
#[derive(Clone, Debug)]
enum AtomicOp {
    Store(i32),
    Swap(i32),
    CompareExchange(i32, i32),
    Add(i32),
    Sub(i32),
    And(i32),
    Nand(i32),
    Or(i32),
    Xor(i32),
    Max(i32),
    Min(i32),
}

fn atomic_op() -> impl Strategy<Value = AtomicOp> {
    let v = prop_oneof![
        Just(i32::MIN),
        Just(i32::MAX),
        Just(-1),
        Just(0),
        Just(1),
        any::<i32>()
    ];
    prop_oneof![
        v.clone().prop_map(AtomicOp::Store),
        v.clone().prop_map(AtomicOp::Swap),
        (v.clone(), v.clone()).prop_map(|(a, b)| AtomicOp::CompareExchange(a, b)),
        v.clone().prop_map(AtomicOp::Add),
        v.clone().prop_map(AtomicOp::Sub),
        v.clone().prop_map(AtomicOp::And),
        v.clone().prop_map(AtomicOp::Nand),
        v.clone().prop_map(AtomicOp::Or),
        v.clone().prop_map(AtomicOp::Xor),
        v.clone().prop_map(AtomicOp::Max),
        v.prop_map(AtomicOp::Min),
    ]
}

/// Applies `$op` to both atomics (of value types `$t` converted from `i32` by `$conv`) and
/// checks they return the same and hold the same.
macro_rules! check_same {
    ($facade:expr, $std:expr, $op:expr, $conv:expr) => {{
        let (f, s, c) = (&$facade, &$std, $conv);
        let (a, b) = match $op.clone() {
            AtomicOp::Store(v) => {
                f.store(c(v), SeqCst);
                s.store(c(v), SeqCst);
                (Ok(c(0)), Ok(c(0)))
            }
            AtomicOp::Swap(v) => (Ok(f.swap(c(v), SeqCst)), Ok(s.swap(c(v), SeqCst))),
            AtomicOp::CompareExchange(x, y) => (
                f.compare_exchange(c(x), c(y), SeqCst, SeqCst),
                s.compare_exchange(c(x), c(y), SeqCst, SeqCst),
            ),
            AtomicOp::Add(v) => (Ok(f.fetch_add(c(v), SeqCst)), Ok(s.fetch_add(c(v), SeqCst))),
            AtomicOp::Sub(v) => (Ok(f.fetch_sub(c(v), SeqCst)), Ok(s.fetch_sub(c(v), SeqCst))),
            AtomicOp::And(v) => (Ok(f.fetch_and(c(v), SeqCst)), Ok(s.fetch_and(c(v), SeqCst))),
            AtomicOp::Nand(v) => (
                Ok(f.fetch_nand(c(v), SeqCst)),
                Ok(s.fetch_nand(c(v), SeqCst)),
            ),
            AtomicOp::Or(v) => (Ok(f.fetch_or(c(v), SeqCst)), Ok(s.fetch_or(c(v), SeqCst))),
            AtomicOp::Xor(v) => (Ok(f.fetch_xor(c(v), SeqCst)), Ok(s.fetch_xor(c(v), SeqCst))),
            AtomicOp::Max(v) => (Ok(f.fetch_max(c(v), SeqCst)), Ok(s.fetch_max(c(v), SeqCst))),
            AtomicOp::Min(v) => (Ok(f.fetch_min(c(v), SeqCst)), Ok(s.fetch_min(c(v), SeqCst))),
        };
        prop_assert_eq!(a, b, "{:?}", $op);
        prop_assert_eq!(f.load(SeqCst), s.load(SeqCst), "{:?}", $op);
    }};
}

proptest! {
    #[test]
    fn atomics_compute_what_std_atomics_compute(start: i32, ops in proptest::collection::vec(atomic_op(), 1..40)) {
        let (fi, si) = (AtomicI32::new(start), std::sync::atomic::AtomicI32::new(start));
        let (fu, su) = (AtomicU32::new(start as u32), std::sync::atomic::AtomicU32::new(start as u32));
        let (f8, s8) = (AtomicU8::new(start as u8), std::sync::atomic::AtomicU8::new(start as u8));
        let (fi8, si8) = (AtomicI8::new(start as i8), std::sync::atomic::AtomicI8::new(start as i8));
        let (f16, s16) = (AtomicU16::new(start as u16), std::sync::atomic::AtomicU16::new(start as u16));
        let (fi16, si16) = (AtomicI16::new(start as i16), std::sync::atomic::AtomicI16::new(start as i16));
        for op in &ops {
            check_same!(fi, si, op, |v: i32| v);
            check_same!(fu, su, op, |v: i32| v as u32);
            check_same!(f8, s8, op, |v: i32| v as u8);
            check_same!(fi8, si8, op, |v: i32| v as i8);
            check_same!(f16, s16, op, |v: i32| v as u16);
            check_same!(fi16, si16, op, |v: i32| v as i16);
        }
    }

    #[test]
    fn atomic_ptr_computes_what_std_computes(start in 0..8usize, ops in proptest::collection::vec((0..10u8, 0..8usize), 1..30)) {
        let mut items = [0u64; 8];
        let base = items.as_mut_ptr();
        let at = |i: usize| base.wrapping_add(i);
        let (f, s) = (AtomicPtr::new(at(start)), std::sync::atomic::AtomicPtr::new(at(start)));
        for &(op, n) in &ops {
            let (a, b) = match op {
                0 => (f.swap(at(n), SeqCst), s.swap(at(n), SeqCst)),
                1 => {
                    let (x, y) = (at(n), at(7 - n));
                    let (a, b) = (f.compare_exchange(x, y, SeqCst, SeqCst), s.compare_exchange(x, y, SeqCst, SeqCst));
                    prop_assert_eq!(a.is_ok(), b.is_ok());
                    (a.unwrap_or_else(|p| p), b.unwrap_or_else(|p| p))
                }
                2 => (f.fetch_ptr_add(n, SeqCst), s.fetch_ptr_add(n, SeqCst)),
                3 => (f.fetch_ptr_sub(n, SeqCst), s.fetch_ptr_sub(n, SeqCst)),
                4 => (f.fetch_byte_add(n, SeqCst), s.fetch_byte_add(n, SeqCst)),
                5 => (f.fetch_byte_sub(n, SeqCst), s.fetch_byte_sub(n, SeqCst)),
                6 => (f.fetch_or(n, SeqCst), s.fetch_or(n, SeqCst)),
                7 => (f.fetch_and(!n, SeqCst), s.fetch_and(!n, SeqCst)),
                8 => (f.fetch_xor(n, SeqCst), s.fetch_xor(n, SeqCst)),
                _ => {
                    f.store(at(n), SeqCst);
                    s.store(at(n), SeqCst);
                    (at(n), at(n))
                }
            };
            prop_assert_eq!(a, b, "op {} {}", op, n);
            prop_assert_eq!(f.load(SeqCst), s.load(SeqCst));
        }
        // What comes back is usable as a pointer into the array.
        f.store(at(start), SeqCst);
        // SAFETY: `at(start)` points into `items`, alive and not otherwise borrowed.
        unsafe { *f.load(SeqCst) = 9 };
        prop_assert_eq!(items[start], 9);
    }

    #[test]
    fn atomic_bool_computes_what_std_computes(start: bool, ops in proptest::collection::vec((0..6u8, any::<bool>()), 1..20)) {
        let (f, s) = (AtomicBool::new(start), std::sync::atomic::AtomicBool::new(start));
        for &(op, v) in &ops {
            let (a, b) = match op {
                0 => (f.swap(v, SeqCst), s.swap(v, SeqCst)),
                1 => (f.fetch_and(v, SeqCst), s.fetch_and(v, SeqCst)),
                2 => (f.fetch_nand(v, SeqCst), s.fetch_nand(v, SeqCst)),
                3 => (f.fetch_or(v, SeqCst), s.fetch_or(v, SeqCst)),
                4 => (f.fetch_xor(v, SeqCst), s.fetch_xor(v, SeqCst)),
                _ => (f.fetch_not(SeqCst), s.fetch_not(SeqCst)),
            };
            prop_assert_eq!(a, b);
            prop_assert_eq!(f.load(SeqCst), s.load(SeqCst));
        }
    }
}

/// The methods every atomic has beside its operations, on every type, against std's.
macro_rules! same_as_std {
    ($($facade:ty, $std:ty, $a:expr, $b:expr;)*) => {$({
        let (a, b) = ($a, $b);
        // Default, From, Debug.
        assert_eq!(format!("{:?}", <$facade>::default()), format!("{:?}", <$std>::default()));
        assert_eq!(format!("{:?}", <$facade>::from(a)), format!("{:?}", <$std>::from(a)));
        // get_mut and into_inner.
        let (mut f, mut s) = (<$facade>::new(a), <$std>::new(a));
        *f.get_mut() = b;
        *s.get_mut() = b;
        assert_eq!(f.load(SeqCst), s.load(SeqCst));
        assert_eq!(f.into_inner(), s.into_inner());
        // The update family and the deprecated compare_and_swap.
        let (f, s) = (<$facade>::new(a), <$std>::new(a));
        #[allow(deprecated)]
        {
            assert_eq!(f.compare_and_swap(b, a, SeqCst), s.compare_and_swap(b, a, SeqCst));
            assert_eq!(f.compare_and_swap(a, b, atomic::Ordering::AcqRel), s.compare_and_swap(a, b, atomic::Ordering::AcqRel));
        }
        assert_eq!(f.fetch_update(SeqCst, SeqCst, |_| None), s.fetch_update(SeqCst, SeqCst, |_| None));
        assert_eq!(f.fetch_update(SeqCst, SeqCst, |_| Some(a)), s.fetch_update(SeqCst, SeqCst, |_| Some(a)));
        assert_eq!(f.try_update(SeqCst, SeqCst, |v| Some(v)), s.try_update(SeqCst, SeqCst, |v| Some(v)));
        assert_eq!(f.update(SeqCst, SeqCst, |_| b), s.update(SeqCst, SeqCst, |_| b));
        assert_eq!(f.load(SeqCst), s.load(SeqCst));
        // as_ptr reaches the value, as std's does.
        // SAFETY: no other access while the pointers are used.
        unsafe {
            *f.as_ptr() = a;
            *s.as_ptr() = a;
        }
        assert_eq!(f.load(SeqCst), s.load(SeqCst));
    })*};
}

#[test]
fn atomics_have_std_s_methods_and_traits() {
    same_as_std! {
        AtomicBool, std::sync::atomic::AtomicBool, true, false;
        AtomicU8, std::sync::atomic::AtomicU8, 200, 7;
        AtomicI8, std::sync::atomic::AtomicI8, -100, 7;
        AtomicU16, std::sync::atomic::AtomicU16, 60_000, 7;
        AtomicI16, std::sync::atomic::AtomicI16, -30_000, 7;
        AtomicU32, std::sync::atomic::AtomicU32, 4_000_000_000, 7;
        AtomicI32, std::sync::atomic::AtomicI32, -2_000_000_000, 7;
        AtomicU64, std::sync::atomic::AtomicU64, u64::MAX, 7;
        AtomicI64, std::sync::atomic::AtomicI64, i64::MIN, 7;
        AtomicUsize, std::sync::atomic::AtomicUsize, usize::MAX, 7;
        AtomicIsize, std::sync::atomic::AtomicIsize, isize::MIN, 7;
    }
    let (mut x, mut y) = (1u8, 2u8);
    let (a, b): (*mut u8, *mut u8) = (&mut x, &mut y);
    same_as_std! {
        AtomicPtr<u8>, std::sync::atomic::AtomicPtr<u8>, a, b;
    }
    assert_eq!(
        format!("{:p}", AtomicPtr::new(a)),
        format!("{:p}", std::sync::atomic::AtomicPtr::new(a))
    );
    assert!(AtomicPtr::<u8>::default().load(SeqCst).is_null());
    let flag = AtomicBool::new(true);
    assert!(flag.fetch_not(SeqCst));
    assert!(!flag.into_inner());
}

/// std's atomics are `Send`, `Sync`, unwind-safe and `Unpin` (`AtomicPtr<T>` whatever `T`):
/// code that relies on it compiles with the facade's too.
#[test]
fn atomics_have_std_s_auto_traits() {
    use std::panic::{RefUnwindSafe, UnwindSafe};
    fn check<T: Send + Sync + RefUnwindSafe + UnwindSafe + Unpin>() {}
    check::<AtomicBool>();
    check::<AtomicU8>();
    check::<AtomicI8>();
    check::<AtomicU16>();
    check::<AtomicI16>();
    check::<AtomicU32>();
    check::<AtomicI32>();
    check::<AtomicU64>();
    check::<AtomicI64>();
    check::<AtomicUsize>();
    check::<AtomicIsize>();
    check::<AtomicPtr<std::cell::Cell<u8>>>();
    let counter = AtomicUsize::new(1);
    let caught = std::panic::catch_unwind(|| counter.fetch_add(1, SeqCst));
    assert_eq!(caught.ok(), Some(1));
}

/// One script of the non-blocking and timed channel operations, against a module shaped as
/// `std::sync::mpsc`: the facade's and std's must give the same results.
macro_rules! channel_script {
    ($mpsc:path) => {{
        use $mpsc as m;
        let tick = Duration::from_millis(10);
        let (tx, rx) = m::channel::<u32>();
        let empty = rx.try_recv();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        let waiting: Vec<u32> = rx.try_iter().collect();
        let nothing_yet = rx.recv_timeout(tick);
        tx.send(3).unwrap();
        let third = rx.recv_timeout(tick);
        tx.send(4).unwrap();
        // A timeout past what the clock holds waits without one.
        let fourth = rx.recv_timeout(Duration::MAX);
        drop(tx);
        let gone = (rx.recv_timeout(tick), rx.try_recv(), rx.try_iter().count());

        let (tx, rx) = m::sync_channel::<u32>(1);
        let sent = tx.try_send(1);
        let full = tx.try_send(2);
        let got = rx.try_recv();
        drop(rx);
        let disconnected = (tx.try_send(3), tx.send(4).map_err(|e| e.0));

        let (tx, rx) = m::sync_channel::<u32>(0);
        // A rendezvous with no receiver waiting is full.
        let rendezvous = tx.try_send(5);
        drop(rx);
        (
            (empty, waiting, nothing_yet, third, fourth, gone),
            (sent, full, got, disconnected, rendezvous),
        )
    }};
}

#[test]
fn channels_try_and_time_out_as_std_s_do() {
    assert_eq!(
        channel_script!(tapestry::sync::mpsc),
        channel_script!(std::sync::mpsc)
    );
}
