//! The production facade against std: the same workloads, written once, compiled against
//! `std::sync` and against `tapestry::sync` built without `explore`, run alternately in one
//! process. `cargo xtask bench --only production` builds and runs it (`cargo bench -p
//! tapestry-harness --no-default-features --bench production`) and writes the section of
//! BENCHMARKS.md; a build with `explore` refuses to run, as it would measure the wrong facade.
//!
//! Output, one record per line, tab-separated: `time <case> <std ns/op> <tapestry ns/op>
//! <ratio> <twin ns/op> <twin ratio> <overlap>` (medians over runs; a ratio is the median of
//! each run's ratio to std's time; the twin is std's code compiled a second time, the control;
//! the overlap is the share of a two-thread run during which both threads ran) and `size
//! <type> <std type> <tapestry bytes> <std bytes>`.

#[cfg(not(feature = "explore"))]
use std::hint::black_box;
#[cfg(not(feature = "explore"))]
use std::mem::size_of;
#[cfg(not(feature = "explore"))]
use std::time::{Duration, Instant};

/// An object alone in its cache lines, on the heap: where the object under test lives must
/// not differ between the two sides (on the stack, a neighbour in its cache line slows a
/// contended case by up to 1.6x, whichever side has it).
#[cfg(not(feature = "explore"))]
#[derive(Debug)]
#[repr(align(128))]
pub struct Alone<T>(pub T);

/// How much of the last two-thread run both threads ran, in millionths (0 for a one-thread
/// case).
#[cfg(not(feature = "explore"))]
static OVERLAP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Records the share of the two threads' spans (start, end) during which both ran.
#[cfg(not(feature = "explore"))]
fn record_overlap(a: (Instant, Instant), b: (Instant, Instant)) {
    let both = a.1.min(b.1).saturating_duration_since(a.0.max(b.0));
    let either = a.1.max(b.1).duration_since(a.0.min(b.0));
    let share = both.as_secs_f64() / either.as_secs_f64().max(1e-9);
    OVERLAP.store((share * 1e6) as u64, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(not(feature = "explore"))]
/// The workloads, expanded once per facade: names resolve where the macro is called, so each
/// module's `use` lines decide which `Mutex`, `RwLock`, ... the same code runs on.
macro_rules! workloads {
    () => {
        use std::hint::black_box;
        use std::time::{Duration, Instant};

        use super::Alone;

        fn alone<T>(value: T) -> Box<Alone<T>> {
            Box::new(Alone(value))
        }

        /// Runs `each(thread, iterations)` on two threads released together; the time from
        /// their release to the end of the slower one. Records how much of that time both
        /// ran (`super::record_overlap`): a contended case contends only while they do.
        fn two_threads<S: Sync>(
            shared: &Alone<S>,
            n: u64,
            each: impl Fn(&S, u64) + Sync,
        ) -> Duration {
            let shared = &shared.0;
            // std's own barrier and threads on both sides: only the facade object is measured.
            let start = alone(std::sync::Barrier::new(3));
            let start = &start.0;
            let (began, spans) = std::thread::scope(|s| {
                let threads: Vec<_> = (0..2)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            let began = Instant::now();
                            each(shared, n / 2);
                            (began, Instant::now())
                        })
                    })
                    .collect();
                start.wait();
                let began = Instant::now();
                let spans: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
                (began, spans)
            });
            let took = began.elapsed();
            super::record_overlap(spans[0], spans[1]);
            took
        }

        pub fn mutex(n: u64) -> Duration {
            let m = &alone(Mutex::new(0_u64)).0;
            let began = Instant::now();
            for _ in 0..n {
                *m.lock().unwrap() += 1;
            }
            black_box(&m);
            began.elapsed()
        }

        pub fn mutex_contended(n: u64) -> Duration {
            two_threads(&alone(Mutex::new(0_u64)), n, |m, n| {
                for _ in 0..n {
                    *m.lock().unwrap() += 1;
                }
            })
        }

        pub fn rwlock_read(n: u64) -> Duration {
            let l = &alone(RwLock::new(1_u64)).0;
            let mut sum = 0;
            let began = Instant::now();
            for _ in 0..n {
                sum += *l.read().unwrap();
            }
            black_box(sum);
            began.elapsed()
        }

        pub fn rwlock_read_contended(n: u64) -> Duration {
            two_threads(&alone(RwLock::new(1_u64)), n, |l, n| {
                let mut sum = 0;
                for _ in 0..n {
                    sum += *l.read().unwrap();
                }
                black_box(sum);
            })
        }

        pub fn rwlock_write(n: u64) -> Duration {
            let l = &alone(RwLock::new(0_u64)).0;
            let began = Instant::now();
            for _ in 0..n {
                *l.write().unwrap() += 1;
            }
            black_box(&l);
            began.elapsed()
        }

        pub fn rwlock_write_contended(n: u64) -> Duration {
            two_threads(&alone(RwLock::new(0_u64)), n, |l, n| {
                for _ in 0..n {
                    *l.write().unwrap() += 1;
                }
            })
        }

        pub fn fetch_add(n: u64) -> Duration {
            let a = &alone(AtomicU64::new(0)).0;
            let began = Instant::now();
            for _ in 0..n {
                a.fetch_add(1, Ordering::AcqRel);
            }
            black_box(&a);
            began.elapsed()
        }

        pub fn fetch_add_contended(n: u64) -> Duration {
            two_threads(&alone(AtomicU64::new(0)), n, |a, n| {
                for _ in 0..n {
                    a.fetch_add(1, Ordering::AcqRel);
                }
            })
        }

        /// An increment by compare-and-exchange: one load, one exchange per operation
        /// uncontended; under contention failures retry with the value they saw.
        fn increment(a: &AtomicU64, n: u64) {
            for _ in 0..n {
                let mut seen = a.load(Ordering::Relaxed);
                while let Err(actual) =
                    a.compare_exchange(seen, seen + 1, Ordering::AcqRel, Ordering::Relaxed)
                {
                    seen = actual;
                }
            }
        }

        pub fn compare_exchange(n: u64) -> Duration {
            let a = &alone(AtomicU64::new(0)).0;
            let began = Instant::now();
            increment(&a, n);
            black_box(&a);
            began.elapsed()
        }

        pub fn compare_exchange_contended(n: u64) -> Duration {
            two_threads(&alone(AtomicU64::new(0)), n, increment)
        }

        pub fn arc_clone_drop(n: u64) -> Duration {
            let a = &alone(Arc::new(0_u64)).0;
            let began = Instant::now();
            for _ in 0..n {
                drop(black_box(Arc::clone(&a)));
            }
            began.elapsed()
        }

        pub fn arc_clone_drop_contended(n: u64) -> Duration {
            two_threads(&alone(Arc::new(0_u64)), n, |a, n| {
                for _ in 0..n {
                    drop(black_box(Arc::clone(a)));
                }
            })
        }

        pub fn channel(n: u64) -> Duration {
            let (tx, rx) = mpsc::channel();
            let began = Instant::now();
            for i in 0..n {
                tx.send(i).unwrap();
                black_box(rx.recv().unwrap());
            }
            began.elapsed()
        }

        pub fn channel_contended(n: u64) -> Duration {
            let (tx, rx) = mpsc::channel();
            let start = std::sync::Barrier::new(2);
            let (took, spans) = std::thread::scope(|s| {
                let producer = s.spawn(|| {
                    start.wait();
                    let began = Instant::now();
                    for i in 0..n {
                        tx.send(i).unwrap();
                    }
                    (began, Instant::now())
                });
                start.wait();
                let began = Instant::now();
                for _ in 0..n {
                    black_box(rx.recv().unwrap());
                }
                let took = began.elapsed();
                (took, [producer.join().unwrap(), (began, began + took)])
            });
            super::record_overlap(spans[0], spans[1]);
            took
        }

        pub fn notify_one(n: u64) -> Duration {
            let c = &alone(Condvar::new()).0;
            let began = Instant::now();
            for _ in 0..n {
                c.notify_one();
            }
            black_box(&c);
            began.elapsed()
        }

        pub fn notify_one_contended(n: u64) -> Duration {
            two_threads(&alone(Condvar::new()), n, |c, n| {
                for _ in 0..n {
                    c.notify_one();
                }
            })
        }
    };
}

#[cfg(not(feature = "explore"))]
mod on_std {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Condvar, Mutex, RwLock, mpsc};

    workloads!();
}

#[cfg(not(feature = "explore"))]
/// std again, the same code compiled a second time: the control. Two copies of identical code
/// differ only in where they sit in memory, so their ratio is what layout and this machine's
/// noise alone make of a case.
mod on_std_twin {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Condvar, Mutex, RwLock, mpsc};

    workloads!();
}

#[cfg(not(feature = "explore"))]
mod on_tapestry {
    use tapestry::sync::atomic::{AtomicU64, Ordering};
    use tapestry::sync::{Arc, Condvar, Mutex, RwLock, mpsc};

    workloads!();
}

#[cfg(not(feature = "explore"))]
/// One comparison: a workload on each facade and on std's twin, and how many operations a
/// run does.
struct Case {
    name: &'static str,
    std: fn(u64) -> Duration,
    tapestry: fn(u64) -> Duration,
    twin: fn(u64) -> Duration,
    ops: u64,
}

#[cfg(not(feature = "explore"))]
macro_rules! cases {
    ($($name:ident: $ops:expr),* $(,)?) => {
        [$(Case {
            name: stringify!($name),
            std: on_std::$name,
            tapestry: on_tapestry::$name,
            twin: on_std_twin::$name,
            ops: $ops,
        }),*]
    };
}

#[cfg(not(feature = "explore"))]
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(feature = "explore")]
fn main() {
    eprintln!(
        "this benchmark measures the production facade: build it without `explore` \
         (cargo bench -p tapestry-harness --no-default-features --bench production)"
    );
    std::process::exit(2);
}

#[cfg(not(feature = "explore"))]
fn main() {
    // `cargo bench` passes `--bench`; `--runs N` sets the number of alternating runs.
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .map_or(15, |n| n.parse().expect("--runs takes a number"));
    let filter = args
        .iter()
        .position(|a| a == "--case")
        .and_then(|i| args.get(i + 1));

    let cases = cases!(
        mutex: 2_000_000,
        mutex_contended: 2_000_000,
        rwlock_read: 2_000_000,
        rwlock_read_contended: 2_000_000,
        rwlock_write: 2_000_000,
        rwlock_write_contended: 2_000_000,
        fetch_add: 4_000_000,
        fetch_add_contended: 8_000_000,
        compare_exchange: 4_000_000,
        compare_exchange_contended: 4_000_000,
        arc_clone_drop: 4_000_000,
        arc_clone_drop_contended: 4_000_000,
        channel: 1_000_000,
        channel_contended: 1_000_000,
        notify_one: 4_000_000,
        notify_one_contended: 2_000_000,
    );
    println!(
        "config\t{}",
        if tapestry::EXPLORE {
            "explore"
        } else {
            "production"
        }
    );
    for case in cases.iter().filter(|c| filter.is_none_or(|f| f == c.name)) {
        let subjects = [case.std, case.tapestry, case.twin];
        // Warm up (page faults, thread creation, frequency).
        for subject in subjects {
            black_box(subject(case.ops / 10));
        }
        let mut ns = [vec![], vec![], vec![]];
        let (mut ratios, mut twin_ratios, mut overlaps) = (vec![], vec![], vec![]);
        for run in 0..runs {
            // Each run starts with the next subject, so that none always runs on a warmer
            // machine or right after another.
            let mut this_run = [0.0; 3];
            for i in (0..3).map(|i| (i + run) % 3) {
                OVERLAP.store(0, std::sync::atomic::Ordering::Relaxed);
                this_run[i] = subjects[i](case.ops).as_nanos() as f64 / case.ops as f64;
                ns[i].push(this_run[i]);
                overlaps.push(OVERLAP.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6);
            }
            ratios.push(this_run[1] / this_run[0]);
            twin_ratios.push(this_run[2] / this_run[0]);
        }
        let [s, t, w] = ns.map(|mut v| median(&mut v));
        let (r, wr, o) = (
            median(&mut ratios),
            median(&mut twin_ratios),
            median(&mut overlaps),
        );
        println!(
            "time\t{}\t{s:.2}\t{t:.2}\t{r:.3}\t{w:.2}\t{wr:.3}\t{o:.3}",
            case.name
        );
        eprintln!(
            "{:<28} std {s:>7.2} ns  tapestry {t:>7.2} ns  {r:.3}x  (std twin {w:>7.2} ns  {wr:.3}x)  overlap {o:.2}",
            case.name
        );
    }

    macro_rules! sizes {
        ($($facade:ty => $std:ty),* $(,)?) => {$(
            println!(
                "size\t{}\t{}\t{}\t{}",
                stringify!($facade),
                stringify!($std),
                size_of::<$facade>(),
                size_of::<$std>()
            );
        )*};
    }
    use tapestry::{cell, sync, thread};
    sizes!(
        sync::Mutex<u64> => std::sync::Mutex<u64>,
        sync::PiMutex<u64> => std::sync::Mutex<u64>,
        sync::RwLock<u64> => std::sync::RwLock<u64>,
        sync::Condvar => std::sync::Condvar,
        sync::Barrier => std::sync::Barrier,
        sync::Once => std::sync::Once,
        sync::atomic::AtomicBool => std::sync::atomic::AtomicBool,
        sync::atomic::AtomicU8 => std::sync::atomic::AtomicU8,
        sync::atomic::AtomicU16 => std::sync::atomic::AtomicU16,
        sync::atomic::AtomicU32 => std::sync::atomic::AtomicU32,
        sync::atomic::AtomicU64 => std::sync::atomic::AtomicU64,
        sync::atomic::AtomicUsize => std::sync::atomic::AtomicUsize,
        sync::atomic::AtomicPtr<u8> => std::sync::atomic::AtomicPtr<u8>,
        cell::UnsafeCell<u64> => std::cell::UnsafeCell<u64>,
        thread::Builder => std::thread::Builder,
        sync::Arc<u64> => std::sync::Arc<u64>,
        sync::MutexGuard<'static, u64> => std::sync::MutexGuard<'static, u64>,
        sync::mpsc::Sender<u64> => std::sync::mpsc::Sender<u64>,
        sync::mpsc::Receiver<u64> => std::sync::mpsc::Receiver<u64>,
        thread::JoinHandle<u64> => std::thread::JoinHandle<u64>,
    );
}
