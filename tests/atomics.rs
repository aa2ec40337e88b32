//! The atomic types beyond the first seven: `AtomicU8`, `AtomicI8`, `AtomicU16`, `AtomicI16`
//! and `AtomicPtr`, and the methods of exclusive access (`get_mut`, `into_inner`, `as_ptr`).
//! Each behaves as std's outside an exploration (`std_behaviour.rs` compares them with std's
//! on random operations) and, here, inside one under every engine.

use std::ptr;
use std::sync::atomic::Ordering::{self, Acquire, Relaxed, Release, SeqCst};

use tapestry::cell::UnsafeCell;
use tapestry::sync::atomic::{
    AtomicBool, AtomicI8, AtomicI16, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicUsize,
};
use tapestry::sync::{Arc, Mutex};
use tapestry::{Engine, EngineKind, Explorer, FailureKind, Outcome, thread};
use tapestry_tests::quick;

/// Every engine, each run to the end (`keep_going`), with the stress engine's quick budget.
fn every_engine() -> Explorer {
    EngineKind::ALL
        .into_iter()
        .fold(Explorer::new(), |explorer, kind| {
            explorer.engine(quick(kind))
        })
        .keep_going(true)
}

/// Every engine must pass `body`; the exhaustive and DPOR engines must complete their search.
fn passes_everywhere(name: &str, body: fn()) {
    let report = every_engine().run(body);
    if let Some(failure) = report.failure() {
        panic!("{name}: a correct program failed\n{report}\n{failure}");
    }
    tapestry_tests::assert_complete(&report, name);
}

// ---- Narrow integers wrap at their width, under every engine ----

/// Two threads add to 8- and 16-bit counters near their limits, and take maxima and minima
/// of negative values: wrapping must happen at the type's width (255 + 3 is 2 in a `u8`) and
/// signed comparisons must see the sign (max(-1, 1) is 1, not -1 read as 255).
fn narrow_arithmetic() {
    let u8s = Arc::new(AtomicU8::named("u8", 250));
    let i8s = Arc::new(AtomicI8::named("i8", 126));
    let u16s = Arc::new(AtomicU16::named("u16", u16::MAX - 1));
    let i16s = Arc::new(AtomicI16::named("i16", -1));
    let (a, b, c, d) = (u8s.clone(), i8s.clone(), u16s.clone(), i16s.clone());
    let t = thread::spawn(move || {
        a.fetch_add(3, SeqCst);
        b.fetch_add(1, SeqCst);
        c.fetch_add(1, SeqCst);
        d.fetch_max(1, SeqCst);
    });
    u8s.fetch_add(3, SeqCst);
    i8s.fetch_add(1, SeqCst);
    u16s.fetch_add(1, SeqCst);
    i16s.fetch_min(-300, SeqCst);
    t.join().unwrap();
    assert_eq!(u8s.load(SeqCst), 0);
    assert_eq!(i8s.load(SeqCst), i8::MIN);
    assert_eq!(u16s.load(SeqCst), 0);
    // min(-1, -300) then max(.., 1) is 1; max(-1, 1) then min(1, -300) is -300.
    let i16 = i16s.load(SeqCst);
    assert!(i16 == 1 || i16 == -300, "i16 ended at {i16}");
    // Back below zero and past the bottom.
    assert_eq!(i8s.fetch_sub(1, SeqCst), i8::MIN);
    assert_eq!(i8s.load(SeqCst), i8::MAX);
    assert_eq!(u8s.fetch_sub(1, SeqCst), 0);
    assert_eq!(u8s.fetch_nand(0x0f, SeqCst), u8::MAX);
    assert_eq!(u8s.load(SeqCst), 0xf0);
    // Every operation of a bool (the exhaustive engine keeps one in a byte).
    let flag = AtomicBool::named("flag", true);
    assert!(flag.fetch_nand(true, SeqCst));
    assert!(!flag.fetch_nand(false, SeqCst));
    assert!(flag.fetch_not(SeqCst));
    assert!(!flag.fetch_or(true, SeqCst));
    assert!(flag.fetch_and(false, SeqCst));
    assert!(!flag.fetch_xor(true, SeqCst));
    assert!(flag.load(SeqCst));
}

#[test]
fn narrow_atomics_wrap_at_their_width_under_every_engine() {
    passes_everywhere("narrow_arithmetic", narrow_arithmetic);
}

/// The lost update of a load and a store, on an `AtomicU8` and an `AtomicI16`.
fn narrow_lost_update() {
    let small = Arc::new(AtomicU8::named("small", 0));
    let signed = Arc::new(AtomicI16::named("signed", -5));
    let (s, g) = (small.clone(), signed.clone());
    let t = thread::spawn(move || {
        s.store(s.load(SeqCst).wrapping_add(1), SeqCst);
        g.store(g.load(SeqCst) - 1, SeqCst);
    });
    small.store(small.load(SeqCst).wrapping_add(1), SeqCst);
    signed.store(signed.load(SeqCst) - 1, SeqCst);
    t.join().unwrap();
    assert_eq!(
        (small.load(SeqCst), signed.load(SeqCst)),
        (2, -7),
        "an update was lost"
    );
}

#[test]
fn a_lost_update_on_narrow_atomics_is_found_by_every_engine() {
    let report = every_engine().run(narrow_lost_update);
    for engine in report.engines() {
        if engine.engine() == EngineKind::Stress {
            // Real threads rarely meet in a window of two operations (ENGINE-FACTS).
            continue;
        }
        let failure = engine
            .failure()
            .unwrap_or_else(|| panic!("{} missed it\n{report}", engine.engine()));
        assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
        let trace = failure.trace().to_string();
        assert!(trace.contains("AtomicU8"), "{trace}");
        assert!(trace.contains("AtomicI16"), "{trace}");
        // Signed values print signed.
        assert!(trace.contains("load signed -> -5"), "{trace}");
    }
}

// ---- AtomicPtr publishes data, and needs Release/Acquire to ----

/// What a writer publishes through an `AtomicPtr`: a cell the race detectors check.
struct Node {
    value: UnsafeCell<u64>,
}

// SAFETY: `value` is written before the node is published and read after; whether the
// publication orders the two is what the tests check.
unsafe impl Sync for Node {}
unsafe impl Send for Node {}

/// A writer fills a `Box`ed node and publishes it; the reader reads it if it sees it. The
/// reader frees the node (after the join, when the writer published it).
fn publish_node(store: Ordering, load: Ordering) {
    let head = Arc::new(AtomicPtr::<Node>::named("head", ptr::null_mut()));
    let h = head.clone();
    let writer = thread::spawn(move || {
        let node = Box::new(Node {
            value: UnsafeCell::named("value", 0),
        });
        node.value.with_mut(|v| unsafe { *v = 42 });
        h.store(Box::into_raw(node), store);
    });
    let seen = head.load(load);
    if !seen.is_null() {
        // SAFETY: the writer never frees the node; the main thread frees it below.
        let value = unsafe { &*seen }.value.with(|v| unsafe { *v });
        assert_eq!(value, 42, "read the node before its value");
    }
    writer.join().unwrap();
    let node = head.swap(ptr::null_mut(), SeqCst);
    // SAFETY: published by `Box::into_raw` and taken out once.
    drop(unsafe { Box::from_raw(node) });
}

#[test]
fn a_pointer_published_relaxed_is_a_data_race_the_exhaustive_engine_finds() {
    let report = Explorer::new()
        .engine(Engine::exhaustive())
        .run(|| publish_node(Relaxed, Relaxed));
    let failure = report.failure().expect("loom sees the race");
    assert_eq!(failure.kind(), FailureKind::DataRace, "{failure}");
    let trace = failure.trace().to_string();
    // The reader got the writer's pointer, and read through it.
    assert!(trace.contains("store head <- ptr#1 (Relaxed)"), "{trace}");
    assert!(trace.contains("load head -> ptr#1 (Relaxed)"), "{trace}");
    assert!(trace.contains("AtomicPtr"), "{trace}");
}

#[test]
fn a_pointer_published_relaxed_races_under_every_model_engine() {
    // The vector clocks of the other engines see it too: no happens-before order between
    // the write of the value and its read.
    let report = every_engine().run(|| publish_node(Relaxed, Relaxed));
    for engine in report.engines() {
        if engine.engine() == EngineKind::Stress {
            continue;
        }
        let failure = engine
            .failure()
            .unwrap_or_else(|| panic!("{} missed it\n{report}", engine.engine()));
        assert_eq!(failure.kind(), FailureKind::DataRace, "{failure}");
    }
}

#[test]
fn a_pointer_published_release_acquire_passes_every_engine() {
    passes_everywhere("publish_node(Release, Acquire)", || {
        publish_node(Release, Acquire)
    });
}

/// Nodes made before the threads start, so every thread may touch them; the writer fills one
/// with `Relaxed` atomics and publishes it.
struct Slot {
    value: AtomicU32,
}

fn publish_slot(store: Ordering, load: Ordering) {
    let slots = Arc::new([Slot {
        value: AtomicU32::named("value", 0),
    }]);
    let head = Arc::new(AtomicPtr::<Slot>::named("head", ptr::null_mut()));
    let (s, h) = (slots.clone(), head.clone());
    let writer = thread::spawn(move || {
        s[0].value.store(42, Relaxed);
        h.store(&s[0] as *const Slot as *mut Slot, store);
    });
    let seen = head.load(load);
    if !seen.is_null() {
        // SAFETY: `slots` outlives both threads.
        let value = unsafe { &*seen }.value.load(Relaxed);
        assert_eq!(value, 42, "read the slot before its value");
    }
    writer.join().unwrap();
}

/// Weak memory: the reader sees the pointer but the old value behind it. Only the exhaustive
/// engine models weak memory; the others are sequentially consistent and cannot see it.
#[test]
fn a_pointer_published_relaxed_shows_a_stale_value_to_the_exhaustive_engine() {
    let report = Explorer::new()
        .engine(Engine::exhaustive())
        .run(|| publish_slot(Relaxed, Relaxed));
    let failure = report.failure().expect("loom reorders the relaxed stores");
    assert_eq!(failure.kind(), FailureKind::Panic, "{failure}");
    let trace = failure.trace().to_string();
    assert!(
        trace.contains("load value -> 0 (Relaxed), not the latest: read from the initial value"),
        "{trace}"
    );
    passes_everywhere("publish_slot(Release, Acquire)", || {
        publish_slot(Release, Acquire)
    });
}

/// Pointer arithmetic and tagging inside an exploration: `fetch_ptr_add` moves by elements,
/// `fetch_byte_sub` by bytes, `fetch_or` and `fetch_and` set and clear a tag bit.
fn pointer_arithmetic() {
    let items = Arc::new([0u64; 4]);
    let base = items.as_ptr() as *mut u64;
    let cursor = Arc::new(AtomicPtr::named("cursor", base));
    let c = cursor.clone();
    let t = thread::spawn(move || c.fetch_ptr_add(1, SeqCst).addr());
    let mine = cursor.fetch_ptr_add(1, SeqCst).addr();
    let theirs = t.join().unwrap();
    // Each thread got its own element.
    assert_ne!(mine, theirs);
    assert_eq!(cursor.load(SeqCst), base.wrapping_add(2));
    assert_eq!(cursor.fetch_byte_sub(8, SeqCst), base.wrapping_add(2));
    assert_eq!(cursor.fetch_ptr_sub(1, SeqCst), base.wrapping_add(1));
    assert_eq!(cursor.fetch_or(1, SeqCst), base);
    assert_eq!(cursor.load(SeqCst).addr() & 1, 1, "tagged");
    assert_eq!(cursor.fetch_and(!1, SeqCst).addr(), base.addr() | 1);
    assert_eq!(cursor.fetch_xor(0, SeqCst), base);
    // The pointer that comes back may be used: its provenance survived the engines.
    assert_eq!(unsafe { *cursor.load(SeqCst) }, 0);
}

#[test]
fn pointer_arithmetic_behaves_as_std_under_every_engine() {
    passes_everywhere("pointer_arithmetic", pointer_arithmetic);
    pointer_arithmetic();
}

// ---- Exclusive access: get_mut, into_inner, as_ptr ----

/// The value is set through `get_mut` before the atomic is shared; both readers, whichever
/// touches it first, must see it. (Under the exhaustive engine the value is written back by
/// the thread that held it, before it spawned the readers: were it written back by a reader,
/// loom would find the other reader's access unordered with that write.)
fn set_then_share() {
    let mut flag = AtomicU32::named("flag", 0);
    *flag.get_mut() = 5;
    *flag.get_mut() += 1;
    let flag = Arc::new(flag);
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let f = flag.clone();
            thread::spawn(move || assert_eq!(f.load(Relaxed), 6, "the write through get_mut"))
        })
        .collect();
    for r in readers {
        r.join().unwrap();
    }
}

/// Threads count; after the joins the owner reads and resets the count through `get_mut`,
/// shares it again, and a thread counts on from there; `into_inner` takes the result.
fn count_then_take() {
    let mut counter = Arc::new(AtomicUsize::named("counter", 0));
    let c = counter.clone();
    let t = thread::spawn(move || {
        c.fetch_add(1, SeqCst);
    });
    counter.fetch_add(1, SeqCst);
    t.join().unwrap();
    let exclusive = Arc::get_mut(&mut counter).expect("the thread's clone is gone");
    assert_eq!(*exclusive.get_mut(), 2);
    *exclusive.get_mut() = 10;
    let c = counter.clone();
    let t = thread::spawn(move || c.fetch_add(1, SeqCst));
    assert_eq!(t.join().unwrap(), 10);
    let counter = Arc::try_unwrap(counter).expect("the only reference");
    assert_eq!(counter.into_inner(), 11);
}

/// A `&mut` held across another operation (a lock) and written again after it: the value
/// the readers must see is the last one written.
fn write_across_an_operation() {
    let lock = Mutex::named("lock", ());
    let mut flag = AtomicBool::named("flag", false);
    let mut ptr = AtomicPtr::<u8>::named("ptr", ptr::null_mut());
    let byte = Box::into_raw(Box::new(7u8));
    {
        let (f, p) = (flag.get_mut(), ptr.get_mut());
        *f = false;
        *p = byte;
        drop(lock.lock().unwrap());
        *f = true;
    }
    let shared = Arc::new((flag, ptr));
    let s = shared.clone();
    let seen = thread::spawn(move || (s.0.load(Relaxed), s.1.load(Relaxed).addr()))
        .join()
        .unwrap();
    assert_eq!(seen, (true, byte.addr()));
    let (flag, ptr) = Arc::try_unwrap(shared).expect("the only reference");
    assert!(flag.into_inner());
    // SAFETY: from `Box::into_raw` above, freed once.
    drop(unsafe { Box::from_raw(ptr.into_inner()) });
}

#[test]
fn values_written_through_get_mut_reach_every_thread_under_every_engine() {
    passes_everywhere("set_then_share", set_then_share);
    passes_everywhere("count_then_take", count_then_take);
    passes_everywhere("write_across_an_operation", write_across_an_operation);
}

/// `as_ptr` hands out the std atomic's memory outside explorations and under the stress
/// engine; a model engine keeps the value in a model no pointer reaches, so it says it
/// cannot run the program (and the test passes only on the stress engine's verdict).
#[test]
fn as_ptr_is_std_outside_explorations_and_unsupported_by_model_engines() {
    let a = AtomicU16::new(7);
    // SAFETY: no other access to `a` while the pointer is used.
    unsafe { *a.as_ptr() += 1 };
    assert_eq!(a.load(SeqCst), 8);

    let report = every_engine().run(|| {
        let a = AtomicU8::new(1);
        // SAFETY: as above.
        unsafe { *a.as_ptr() = 2 };
        assert_eq!(a.load(SeqCst), 2);
    });
    assert!(report.failure().is_none(), "{report}");
    for engine in report.engines() {
        match engine.engine() {
            EngineKind::Stress => {
                assert!(
                    matches!(engine.outcome(), Outcome::Passed { .. }),
                    "{report}"
                )
            }
            _ => match engine.outcome() {
                Outcome::Unsupported { reason } => {
                    assert!(reason.contains("AtomicU8::as_ptr"), "{reason}")
                }
                other => panic!("{}: {other:?}\n{report}", engine.engine()),
            },
        }
    }
}

/// Same seed, same trace: pointers print as numbers of their first appearance, not as
/// addresses, which change from run to run.
#[test]
fn traces_of_pointer_programs_repeat_byte_for_byte() {
    let trace = || {
        let report = Explorer::new()
            .engine(Engine::random().seed(3).schedules(200))
            .run(|| publish_node(Relaxed, Relaxed));
        report.failure().expect("found").trace().to_string()
    };
    let first = trace();
    assert_eq!(first, trace());
    assert!(!first.contains("0x"), "{first}");
}
