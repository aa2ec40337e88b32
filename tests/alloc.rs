//! `tapestry::alloc`: std's allocation functions, whose blocks an execution must free before
//! its threads have all finished, under every engine.

use tapestry::alloc::{Layout, alloc, alloc_zeroed, dealloc, realloc};
use tapestry::sync::LazyLock;
use tapestry::{EngineKind, Explorer, FailureKind, thread};
use tapestry_tests::quick;

const LAYOUT: Layout = Layout::new::<[u64; 2]>();

/// A block allocated by one thread and grown; freed by another thread, or not.
fn handed_over(free: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        // SAFETY: `LAYOUT` is not zero-sized; the block is grown and freed with its layouts.
        let block = unsafe { alloc_zeroed(LAYOUT) } as usize;
        assert_ne!(block, 0);
        let freer = thread::spawn(move || {
            // SAFETY: as above; the block is this thread's now.
            unsafe {
                let grown = realloc(block as *mut u8, LAYOUT, 64);
                assert!(!grown.is_null());
                if free {
                    dealloc(grown, Layout::from_size_align(64, LAYOUT.align()).unwrap());
                }
            }
        });
        freer.join().unwrap();
    }
}

#[test]
fn a_block_left_allocated_is_a_leak_under_every_engine() {
    for kind in EngineKind::ALL {
        let report = Explorer::new().engine(quick(kind)).run(handed_over(false));
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{kind}: {report}"));
        assert_eq!(failure.kind(), FailureKind::Leak, "{kind}: {report}");
        assert!(
            failure.message().contains(
                "1 block(s) of memory from `alloc` (the first allocated at tests/alloc.rs:15)"
            ),
            "{kind}: {}",
            failure.message()
        );
        let report = Explorer::new().engine(quick(kind)).run(handed_over(true));
        assert!(report.failure().is_none(), "{kind}: {report}");
    }
}

/// A block a static's initialiser allocated belongs to the static, as under std.
static TABLE: LazyLock<usize> = LazyLock::new(|| {
    // SAFETY: `LAYOUT` is not zero-sized; the block lives as long as the static.
    unsafe { alloc(LAYOUT) as usize }
});

#[test]
fn blocks_of_statics_and_from_outside_are_not_counted() {
    // SAFETY: as above; freed inside the exploration's first execution.
    let outside = unsafe { alloc(LAYOUT) } as usize;
    let report = Explorer::new().engine(EngineKind::Dpor).run(move || {
        assert_ne!(*TABLE, 0);
        let t = thread::spawn(|| assert_ne!(*TABLE, 0));
        t.join().unwrap();
    });
    assert!(report.failure().is_none(), "{report}");
    let report = Explorer::new()
        .engine(tapestry::Engine::random().schedules(1))
        .run(move || {
            // SAFETY: allocated above with `LAYOUT`, freed once (one schedule).
            unsafe { dealloc(outside as *mut u8, LAYOUT) }
        });
    assert!(report.failure().is_none(), "{report}");
}
