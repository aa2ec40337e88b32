//! Model threads have stacks as large as real threads', and `thread::Builder::stack_size` is
//! honoured, under every engine: a table of stack-hungry programs, each run under each engine.

use std::hint::black_box;

use tapestry::sync::Arc;
use tapestry::sync::atomic::{AtomicUsize, Ordering};
use tapestry::{Engine, EngineKind, Explorer, thread};

/// Few executions of each engine: the point is the stacks, not the interleavings.
fn few(kind: EngineKind) -> Engine {
    match kind {
        EngineKind::Random => Engine::random().schedules(20).into(),
        EngineKind::Pct => Engine::pct().schedules(20).into(),
        EngineKind::Surw => Engine::surw().schedules(20).into(),
        EngineKind::Priority => Engine::priority().schedules(20).into(),
        EngineKind::Stress => Engine::stress().iterations(20).into(),
        EngineKind::Dpor => Engine::dpor().max_executions(50).into(),
        kind => kind.into(),
    }
}

/// Recursion `depth` frames deep, each with 512 bytes of locals; every 1,000 frames a facade
/// operation, so that the engine switches threads while the stack is deep.
#[inline(never)]
fn recurse(depth: usize, shared: &AtomicUsize) -> usize {
    let mut frame = [0u8; 512];
    black_box(&mut frame);
    if depth.is_multiple_of(1_000) {
        shared.fetch_add(1, Ordering::SeqCst);
    }
    if depth == 0 {
        return usize::from(frame[0]);
    }
    recurse(depth - 1, shared) + usize::from(black_box(frame[depth % 512]))
}

/// A 1 MiB buffer on the stack, written and read, between two facade operations.
#[inline(never)]
fn big_buffer(shared: &AtomicUsize) -> usize {
    let mut buffer = [0u8; 1 << 20];
    shared.fetch_add(1, Ordering::SeqCst);
    buffer[(1 << 20) - 1] = 1;
    black_box(&mut buffer);
    shared.fetch_add(1, Ordering::SeqCst);
    buffer.iter().map(|&b| usize::from(b)).sum()
}

const EIGHT_MIB: usize = 8 << 20;

/// What a thread does with the counter it shares.
type Job = fn(&AtomicUsize) -> usize;

/// What runs in a spawned thread: the job, and the stack it asks for (`None`: the default).
type Work = (Job, Option<usize>);

const DEEP: Job = |shared| recurse(5_000, shared);
const BUFFER: Job = big_buffer;
const NOTHING: Job = |shared| shared.fetch_add(1, Ordering::SeqCst);

/// (case, what the test body does, what a spawned thread does).
const CASES: &[(&str, Job, Work)] = &[
    ("a 1 MiB buffer in the body", BUFFER, (NOTHING, None)),
    (
        "a 1 MiB buffer in a spawned thread (std's 2 MiB default)",
        NOTHING,
        (BUFFER, None),
    ),
    (
        "recursion 5,000 frames deep in the body",
        DEEP,
        (NOTHING, None),
    ),
    (
        "recursion 5,000 frames deep in a thread spawned with stack_size(8 MiB)",
        NOTHING,
        (DEEP, Some(EIGHT_MIB)),
    ),
    ("both threads deep at once", DEEP, (DEEP, Some(EIGHT_MIB))),
];

#[test]
fn stack_hungry_programs_pass_under_every_engine() {
    for &(case, main, (spawned, stack_size)) in CASES {
        for engine in EngineKind::ALL {
            let report = Explorer::new().engine(few(engine)).run(move || {
                let shared = Arc::new(AtomicUsize::new(0));
                let s = shared.clone();
                let mut builder = thread::Builder::new();
                if let Some(size) = stack_size {
                    builder = builder.stack_size(size);
                }
                let t = builder.spawn(move || spawned(&s)).unwrap();
                main(&shared);
                t.join().unwrap();
            });
            assert!(report.is_clean(), "{case}, {engine}:\n{report}");
        }
    }
}
