//! `sync::Arc` against std's: trait objects, slices and strings through `From` (stable Rust
//! lets no type but std's coerce `Arc<T>` to `Arc<dyn Trait>`), and `make_mut`'s three cases;
//! and inside explorations, where its allocations are counted for leaks.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;

use tapestry::sync::Arc;
use tapestry::{EngineKind, Explorer, FailureKind, thread};
use tapestry_tests::quick;

trait Job: Send + Sync {
    fn run(&self) -> usize;
}

/// A job that counts its drops in a counter of its own.
struct Counting {
    value: usize,
    drops: std::sync::Arc<AtomicUsize>,
}

impl Job for Counting {
    fn run(&self) -> usize {
        self.value
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// The same code against an `Arc` type: `tapestry::sync::Arc` and `std::sync::Arc` must give
/// the same results.
macro_rules! dyn_arcs {
    ($arc:ident) => {{
        use $arc as A;
        let drops = std::sync::Arc::new(AtomicUsize::new(0));
        let job: A<dyn Job> = A::from(Box::new(Counting {
            value: 7,
            drops: drops.clone(),
        }) as Box<dyn Job>);
        let clone = A::clone(&job);
        let weak = A::downgrade(&job);
        let counts = (A::strong_count(&job), A::weak_count(&job));
        let same = A::ptr_eq(&job, &clone);
        drop(clone);
        let run = weak.upgrade().map(|j| j.run());
        drop(job);
        let after = (weak.upgrade().is_none(), drops.load(SeqCst));
        let items: A<[String]> = A::from(vec!["a".to_owned(), "b".to_owned()]);
        let copied: A<[u8]> = A::from(&[1u8, 2, 3][..]);
        let name: A<str> = A::from("worker");
        let owned: A<str> = A::from(String::from("owned"));
        let empty: A<[u64]> = A::from(Vec::new());
        let zst: A<dyn Send + Sync> = A::from(Box::new(()) as Box<dyn Send + Sync>);
        (
            counts,
            same,
            run,
            after,
            items.join(","),
            copied.iter().sum::<u8>(),
            format!("{name:?} {owned}"),
            empty.len(),
            A::strong_count(&zst),
        )
    }};
}

#[test]
fn trait_objects_slices_and_strings_come_from_boxes_as_in_std() {
    use std::sync::Arc as StdArc;
    assert_eq!(dyn_arcs!(Arc), dyn_arcs!(StdArc));
}

/// A value with a padded, over-aligned layout, behind a trait object: the value must land
/// where `repr(C)` puts it, whatever its alignment.
#[test]
fn over_aligned_trait_objects_keep_their_value() {
    #[repr(align(64))]
    struct Wide([u8; 3]);
    impl Job for Wide {
        fn run(&self) -> usize {
            assert_eq!(self as *const Wide as usize % 64, 0, "misaligned");
            self.0.iter().map(|&b| b as usize).sum()
        }
    }
    let job: Arc<dyn Job> = Arc::from(Box::new(Wide([1, 2, 3])) as Box<dyn Job>);
    assert_eq!(job.run(), 6);
}

/// `make_mut` clones a shared value, moves one only `Weak`s point to (the `Weak`s then
/// dangle, no clone), and uses a unique one in place: as std's, counted by clones.
macro_rules! make_mut_cases {
    ($arc:ident) => {{
        use $arc as A;
        #[derive(Debug)]
        struct Cloned(u32, std::sync::Arc<AtomicUsize>);
        impl Clone for Cloned {
            fn clone(&self) -> Cloned {
                self.1.fetch_add(1, SeqCst);
                Cloned(self.0, self.1.clone())
            }
        }
        let clones = std::sync::Arc::new(AtomicUsize::new(0));
        let mut shared = A::new(Cloned(1, clones.clone()));
        let other = A::clone(&shared);
        A::make_mut(&mut shared).0 = 2;
        let after_shared = (other.0, shared.0, clones.load(SeqCst));
        let weak = A::downgrade(&shared);
        A::make_mut(&mut shared).0 = 3;
        let after_weak = (weak.upgrade().is_none(), shared.0, clones.load(SeqCst));
        A::make_mut(&mut shared).0 = 4;
        let unique = (
            shared.0,
            clones.load(SeqCst),
            A::get_mut(&mut shared).is_some(),
        );
        (
            after_shared,
            after_weak,
            unique,
            A::try_unwrap(shared).map(|c| c.0).ok(),
        )
    }};
}

#[test]
fn make_mut_clones_moves_or_writes_in_place_as_std() {
    use std::sync::Arc as StdArc;
    assert_eq!(make_mut_cases!(Arc), make_mut_cases!(StdArc));
}

/// Inside explorations an `Arc<dyn Trait>` is shared and dropped as any `Arc` is, under every
/// engine; one never freed is a leak.
#[test]
fn trait_object_arcs_are_counted_inside_explorations() {
    let shared = |forget: bool| {
        move || {
            let drops = std::sync::Arc::new(AtomicUsize::new(0));
            let job: Arc<dyn Job> = Arc::from(Box::new(Counting {
                value: 3,
                drops: drops.clone(),
            }) as Box<dyn Job>);
            let j = job.clone();
            let t = thread::spawn(move || j.run());
            assert_eq!(job.run() + t.join().unwrap(), 6);
            if forget {
                std::mem::forget(job);
            } else {
                drop(job);
                assert_eq!(drops.load(SeqCst), 1);
            }
        }
    };
    for kind in EngineKind::ALL {
        let clean = Explorer::new().engine(quick(kind)).run(shared(false));
        assert!(clean.failure().is_none(), "{clean}");
        let leaked = Explorer::new().engine(quick(kind)).run(shared(true));
        assert_eq!(
            leaked.failure().map(|f| f.kind()),
            Some(FailureKind::Leak),
            "{leaked}"
        );
    }
}

/// `into_raw`, `from_raw` and the raw strong counts, as std's (event-listener keeps its `Arc`s
/// as raw pointers under loom), and on a thread of an exploration, where an `Arc` left raw at
/// the end is a leak.
macro_rules! raw_cases {
    ($A:ident) => {{
        let drops = std::sync::Arc::new(AtomicUsize::new(0));
        let shared = $A::new(Counting {
            value: 7,
            drops: drops.clone(),
        });
        let raw = $A::into_raw(shared);
        // SAFETY: `raw` came from `into_raw` and its reference is alive until `from_raw`.
        unsafe { $A::increment_strong_count(raw) };
        let value = unsafe { (*raw).value };
        let back = unsafe { $A::from_raw(raw) };
        let counted = $A::strong_count(&back);
        // SAFETY: the reference `increment_strong_count` added is still alive.
        unsafe { $A::decrement_strong_count(raw) };
        let after = ($A::strong_count(&back), drops.load(SeqCst));
        drop(back);
        (value, counted, after, drops.load(SeqCst))
    }};
}

#[test]
fn raw_pointers_and_raw_counts_behave_as_std() {
    use std::sync::Arc as StdArc;
    assert_eq!(raw_cases!(Arc), raw_cases!(StdArc));
    assert_eq!(raw_cases!(Arc), (7, 2, (1, 0), 1));
}

#[test]
fn an_arc_left_raw_is_a_leak_and_one_taken_back_is_not() {
    let program = |take_back: bool| {
        move || {
            let raw = Arc::into_raw(Arc::new(5u32)) as usize;
            let t = thread::spawn(move || {
                let raw = raw as *const u32;
                // SAFETY: the pointer came from `into_raw`, and only this thread takes it back.
                take_back.then(|| unsafe { Arc::from_raw(raw) })
            });
            assert_eq!(t.join().unwrap().map(|a| *a), take_back.then_some(5));
        }
    };
    for kind in EngineKind::ALL {
        let clean = Explorer::new().engine(quick(kind)).run(program(true));
        assert!(clean.failure().is_none(), "{kind}: {clean}");
        let leaked = Explorer::new().engine(quick(kind)).run(program(false));
        let failure = leaked.failure().map(|f| f.kind());
        assert_eq!(failure, Some(FailureKind::Leak), "{kind}: {leaked}");
    }
}

/// What the last `Arc`'s destructor does, in whichever thread drops it: writes a cell and, with
/// `atomic_too`, an atomic through `get_mut` (bytes' `Drop for Bytes` does).
struct ClearsOnDrop {
    count: tapestry::sync::atomic::AtomicUsize,
    cell: tapestry::cell::UnsafeCell<usize>,
    atomic_too: bool,
}

// SAFETY: the threads only read the cell; the destructor, run once no other reference is
// left, writes it.
unsafe impl Sync for ClearsOnDrop {}

impl Drop for ClearsOnDrop {
    fn drop(&mut self) {
        if self.atomic_too {
            *self.count.get_mut() = 0;
        }
        self.cell.with_mut(|v| unsafe { *v = 0 });
    }
}

/// Two threads read an atomic and a cell inside an `Arc`; whichever drops the last clone runs
/// the destructor, which writes them without synchronising.
fn last_drop_clears(atomic_too: bool) -> impl Fn() + Send + Sync + 'static {
    use tapestry::sync::atomic::Ordering::Relaxed;
    move || {
        let a = Arc::new(ClearsOnDrop {
            count: tapestry::sync::atomic::AtomicUsize::new(1),
            cell: tapestry::cell::UnsafeCell::new(1),
            atomic_too,
        });
        let b = a.clone();
        let t = thread::spawn(move || {
            b.count.load(Relaxed);
            b.cell.with(|v| unsafe { *v });
        });
        a.count.load(Relaxed);
        a.cell.with(|v| unsafe { *v });
        drop(a);
        t.join().unwrap();
    }
}

/// std's `Arc` orders every drop before the destructor (its count is released on each
/// decrement and acquired by the last), so [`last_drop_clears`] has no race: every engine must
/// learn that order, the exhaustive one (loom's clocks order its cells and atomics) too. It
/// reported a data race before (bytes 1.12.2's loom tests were a false alarm).
#[test]
fn every_drop_of_an_arc_happens_before_its_destructor_under_every_engine() {
    tapestry_tests::passes_everywhere("arc drops before its destructor", || {
        last_drop_clears(true)()
    });
}

/// The c11 engine learns it from its graph: each clone given up is an event that happens
/// before the last drop's (a take-over), so the destructor's write is no race. It reported one
/// before (and could not run the atomic's `get_mut`: bytes 1.12.2's loom tests' shape).
#[test]
fn every_drop_of_an_arc_happens_before_its_destructor_under_c11() {
    let report = Explorer::new()
        .engine(tapestry::Engine::c11())
        .run(last_drop_clears(true));
    assert_eq!(
        report.engines()[0].outcome(),
        &tapestry::Outcome::Passed { complete: true },
        "{report}"
    );
}

/// A drop that is not the last acquires nothing (std's `Arc` releases on every decrement and
/// acquires only on the last): T2 reads, after dropping its clone of `token`, what T1 wrote
/// before dropping its own, and nothing orders the two, whichever drops first.
fn a_drop_that_is_not_the_last_acquires_nothing() {
    struct Shared(tapestry::cell::UnsafeCell<usize>);
    // SAFETY: not safe, which is what the test finds: T1 writes while T2 may read.
    unsafe impl Sync for Shared {}
    let data = Arc::new(Shared(tapestry::cell::UnsafeCell::new(0)));
    let token = Arc::new(());
    let (data1, token1, token2) = (data.clone(), token.clone(), token.clone());
    let t1 = thread::spawn(move || {
        data1.0.with_mut(|v| unsafe { *v = 1 });
        drop(token1);
    });
    let t2 = thread::spawn(move || {
        drop(token2);
        data.0.with(|v| unsafe { *v })
    });
    t1.join().unwrap();
    t2.join().unwrap();
    drop(token);
}

#[test]
fn drops_that_are_not_the_last_do_not_synchronise_under_c11() {
    let report = Explorer::new()
        .engine(tapestry::Engine::c11())
        .run(a_drop_that_is_not_the_last_acquires_nothing);
    let failure = report.failure().expect("the race is found");
    assert_eq!(failure.kind(), FailureKind::DataRace, "{report}");
}

/// T upgrades a `Weak` while main drops the only `Arc`: whether T gets the value depends only
/// on which goes first. The assertion (T never gets it) is wrong when T goes first.
fn upgrade_races_the_last_drop() {
    let a = Arc::new(5);
    let weak = Arc::downgrade(&a);
    let t = thread::spawn(move || weak.upgrade().is_some());
    drop(a);
    assert!(
        !t.join().unwrap(),
        "T upgraded the Weak before main dropped the Arc"
    );
}

/// T takes the value out with `into_inner` while main drops its clone; only the last of the
/// two gets it, and the assertion (T always does) is wrong when T goes first.
fn into_inner_races_a_drop() {
    let a = Arc::new(5);
    let b = a.clone();
    let t = thread::spawn(move || Arc::into_inner(b).is_some());
    drop(a);
    assert!(
        t.join().unwrap(),
        "main dropped its clone after T's into_inner"
    );
}

/// Which of two threads gives up the last reference, and whether an upgrade comes before it,
/// are explored by every engine that chooses where threads switch. Before, an `Arc`'s counting
/// was no operation: main always dropped first, and every engine passed both programs (the
/// DPOR engine calling its search complete).
#[test]
fn the_order_of_reference_counting_is_explored() {
    let engines = [
        EngineKind::Exhaustive,
        EngineKind::Dpor,
        EngineKind::Random,
        EngineKind::Pct,
        EngineKind::Surw,
        EngineKind::Priority,
    ];
    for (program, message) in [
        (upgrade_races_the_last_drop as fn(), "T upgraded"),
        (into_inner_races_a_drop, "after T's"),
    ] {
        for report in tapestry_tests::found_by(program, &engines, FailureKind::Panic) {
            let failure = tapestry_tests::failure(&report);
            assert!(failure.message().contains(message), "{failure}");
        }
    }
}

/// With the counting operations, a program that drops clones in many threads still runs one
/// execution per order of its own operations: drops that are not the last are independent.
#[test]
fn drops_that_are_not_the_last_are_independent_under_dpor() {
    let program = || {
        let shared = Arc::new(tapestry::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || drop(shared))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(Arc::strong_count(&shared), 1);
    };
    let report = Explorer::new()
        .engine(tapestry::Engine::dpor().unbounded())
        .run(program);
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.executions(), 1, "{report}");
}
