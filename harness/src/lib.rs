//! tapestry hunts concurrency bugs: it runs one test body under every way it knows to shake
//! threads, and shows a failure as a readable interleaving, in text and as a picture.
//!
//! This page is a tutorial. It explains why concurrent code needs a harness, how to write
//! code tapestry can test, how to write a first test, how to read and replay a failure, and
//! how to choose engines and budgets; it ends with what each engine cannot see.
//!
//! # Why a harness
//!
//! A concurrency bug needs a particular interleaving: one thread must run between two steps
//! of another. A plain `#[test]` sees one interleaving, usually the same one, so a racy
//! counter passes a million runs on a laptop and fails once a week in production. Sleeping
//! in tests to provoke the bad order is slow and still proves nothing.
//!
//! tapestry controls the interleaving instead. It runs the test body many times, each time
//! choosing where threads switch, under seven engines:
//!
//! - **exhaustive** (on [loom]): every interleaving up to a bound on preemptions, including
//!   the reorderings that `Relaxed`, `Acquire` and `Release` allow;
//! - **dpor** (on [shuttle], with a scheduler of ours): optimal dynamic partial-order
//!   reduction, one execution per class of equivalent interleavings (two interleavings are
//!   equivalent when they differ only in the order of steps that commute, such as accesses
//!   to different objects or two loads), far fewer than loom's, for any number of threads;
//!   sequentially consistent, with iterative preemption bounds within a budget;
//! - **random** and **PCT** (on [shuttle]): many random schedules, PCT's aimed at bugs that
//!   need a few preemptions at the right moments;
//! - **surw** (on [shuttle], with a scheduler of ours): a selectively uniform random walk,
//!   which interleaves the accesses to one contended object at a time uniformly; it finds in
//!   a few schedules bugs that need one thread among many to act at one moment, where random
//!   walk and PCT need thousands;
//! - **priority**: a real-time OS's scheduler, which always runs the most urgent thread
//!   ([`thread::Builder::priority`]), with threads arriving at seeded times; it finds
//!   unbounded priority inversion, and the ordinary bugs random finds;
//! - **stress**: real threads on every core, released together, with random jitter.
//!
//! Besides panics, deadlocks, leaks and step limits, detectors see data races on
//! [`cell::UnsafeCell`] under every engine (vector clocks under DPOR, random, PCT, SURW,
//! priority and stress; loom's own under exhaustive), deadlocks before they happen (a cycle in the order
//! threads take locks, in sections that no other synchronisation orders:
//! [`FailureKind::PotentialDeadlock`]; [`Explorer::lock_order`] turns it off), and priority
//! inversion ([`FailureKind::PriorityInversion`], fixed by [`sync::PiMutex`]).
//!
//! # The facade
//!
//! Write the code under test against [`sync`], [`thread`], [`cell`] and [`time`] instead of `std`. The
//! types are shaped like std's and behave exactly like them outside an exploration, so the
//! same code ships; inside one, every operation is a point where the engine may switch threads
//! and is recorded for the trace. No `--cfg loom` rebuild: every engine runs in one binary.
//!
//! ```
//! // In the library: the facade where the code would use std.
//! use tapestry::sync::{Arc, Mutex};
//! use tapestry::thread;
//!
//! pub fn parallel_sum(parts: Vec<Vec<u64>>) -> u64 {
//!     let total = Arc::new(Mutex::named("total", 0));
//!     let workers: Vec<_> = parts
//!         .into_iter()
//!         .map(|part| {
//!             let total = total.clone();
//!             thread::spawn(move || *total.lock().unwrap() += part.iter().sum::<u64>())
//!         })
//!         .collect();
//!     for w in workers {
//!         w.join().unwrap();
//!     }
//!     let sum = *total.lock().unwrap();
//!     sum
//! }
//!
//! // Outside an exploration it is plain std: real threads, a real mutex.
//! assert_eq!(parallel_sum(vec![vec![1, 2], vec![3]]), 6);
//! ```
//!
//! Name the objects that matter (`Mutex::named`, `AtomicUsize::named`, and
//! `thread::Builder::name` for threads): traces and diagrams use the names. Create shared
//! state inside the test body or in a `static` of the facade's types (see [Statics](#statics)):
//! an object the body made belongs to one execution.
//!
//! ## Statics
//!
//! Constructors are `const fn` where std's are (`Mutex`, `RwLock`, `Condvar`, `Once`,
//! `Barrier`, `OnceLock`, `LazyLock`, every atomic), so facade objects can live in statics:
//!
//! ```
//! use tapestry::sync::atomic::{AtomicUsize, Ordering};
//! use tapestry::sync::{LazyLock, Mutex, OnceLock};
//!
//! static REQUESTS: AtomicUsize = AtomicUsize::new(0);
//! static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
//! static CONFIG: OnceLock<String> = OnceLock::new();
//! static NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| vec!["a", "b"]);
//! # REQUESTS.fetch_add(1, Ordering::SeqCst);
//! # LOG.lock().unwrap().push(NAMES[0].to_owned());
//! # assert_eq!(CONFIG.get_or_init(|| "x".to_owned()), "x");
//! ```
//!
//! Under exploration a static behaves as a fresh object in every execution, as loom's
//! `lazy_static!` does: it holds its initial value again when an execution first uses it (a
//! `OnceLock` is empty, a `LazyLock` runs its initialiser again), the value the last
//! execution left is dropped then, and its operations are explored and traced like any
//! object's, named by the line of its initialiser. Outside explorations it is std's static.
//! How: a facade object binds to the engine at its first operation (constructors are `const`,
//! so they cannot), and one found in the program's static memory, made by constant
//! evaluation, gets the bytes it held before its first use copied back (`rt::slot`).
//!
//! What is not a static is not reset: an object the body made that reaches a later execution
//! (through a std `static`, `std::sync::LazyLock`, a std thread-local) fails that execution
//! as `Misuse`, naming the line that made it. A static used by two explorations at once in
//! one process is a `Misuse` too (`#[tapestry::test]` runs each test in a process of its own);
//! so is a facade object that a thread tapestry did not start (`std::thread::spawn`) uses
//! while an exploration runs. Statics are found in the loaded program's writable segments,
//! on Linux; elsewhere none is reset and a static used by two executions is a `Misuse`.
//!
//! ## The facade and std, item by item
//!
//! "Same as std": outside explorations (and without the `explore` feature) it is std's, or a
//! wrapper that calls std's. "Modelled": inside an exploration the engines see it, explore its
//! orders and trace it. "Not modelled": not offered, or offered only outside explorations.
//!
//! | std item | facade | inside an exploration |
//! |---|---|---|
//! | `sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard}` | same as std, `const fn new`, `into_inner`, `get_mut`, `clear_poison`, poisoning | modelled; lock order predicted |
//! | `sync::{Condvar, WaitTimeoutResult}`, `wait_while`, `wait_timeout(_while)` | same as std | modelled: a timed wait may end by notification or time-out; `wait` may wake spuriously (not under stress) |
//! | `sync::{Once, OnceState, OnceLock, LazyLock}` | same as std, `const` | modelled: racing initialisers, one runs; a static starts each execution empty |
//! | `sync::{Barrier, BarrierWaitResult}` | same as std | modelled |
//! | `sync::{Arc, Weak}` | same as std; `Arc<dyn Trait>` by `Arc::from(Box::new(x) as Box<dyn Trait>)` (stable Rust cannot coerce a custom `Arc`) | modelled: the last drop synchronises; a leak fails the execution |
//! | `sync::mpsc` (`channel`, `sync_channel`, `try_recv`, `recv_timeout`, `try_iter`, `try_send`, errors) | same as std | modelled; `recv_timeout` may time out |
//! | `sync::atomic::{AtomicBool, AtomicU8/I8/U16/I16/U32/I32/U64/I64/Usize/Isize, AtomicPtr}`, `fence`, `compiler_fence` | same as std, `const fn new`, every stable method | modelled; weak memory under the exhaustive engine only; `as_ptr` under stress only (`Unsupported` elsewhere); `from_ptr` not offered |
//! | `thread::{spawn, Builder, JoinHandle, Thread, ThreadId, current, yield_now, panicking}` | same as std, `Builder::priority` added | modelled; `stack_size` honoured |
//! | `thread::{scope, Scope, ScopedJoinHandle}`, `Builder::spawn_scoped` | same as std | modelled: scoped threads are model threads |
//! | `thread::{park, park_timeout}`, `Thread::unpark` | same as std | modelled, spurious wake-ups included (not under stress) |
//! | `thread::sleep` | same as std | a yield that moves the virtual clock |
//! | `thread::available_parallelism` | same as std | 4 under model engines (`TAPESTRY_PARALLELISM`), real under stress |
//! | `thread_local!`, `thread::LocalKey`, `thread::AccessError` | std's macro without `explore`; the key's methods as std's | modelled: a value per model thread, dropped at its exit |
//! | `time::{Instant, SystemTime, UNIX_EPOCH, Duration}` | same as std | a virtual clock per execution under model engines; real under stress |
//! | `hint::spin_loop` | same as std | a yield |
//! | `alloc::{alloc, alloc_zeroed, dealloc, realloc, Layout, GlobalAlloc, System}` | same as std | a block left allocated when every thread has finished fails the execution (`Leak`, naming where it was allocated) |
//! | `cell::UnsafeCell` | loom's shape (`with`, `with_mut`), not std's | accesses checked for data races |
//! | `sync::{Exclusive, ReentrantLock, mpmc}`, `thread::Builder::spawn_unchecked`, `Arc::new_cyclic`, `Arc::into_raw/from_raw` | not offered | — |
//!
//! # Writing a first test
//!
//! Most tests need only the attribute: `#[tapestry::test]` makes a `#[test]` that runs the
//! function body under every engine, with budgets that keep a small test to a few seconds.
//!
//! ```no_run
//! use tapestry::sync::{Arc, Mutex};
//! use tapestry::thread;
//!
//! #[tapestry::test]
//! fn transfers_keep_the_total() {
//!     let accounts = Arc::new(Mutex::named("accounts", [100, 0]));
//!     let a = accounts.clone();
//!     let t = thread::spawn(move || {
//!         let mut acc = a.lock().unwrap();
//!         acc[0] -= 10;
//!         acc[1] += 10;
//!     });
//!     let total: i32 = accounts.lock().unwrap().iter().sum();
//!     assert_eq!(total, 100);
//!     t.join().unwrap();
//! }
//! ```
//!
//! Arguments, all optional, are `key = literal` pairs:
//!
//! | argument | meaning |
//! |---|---|
//! | `engines = "exhaustive, pct"` | which engines run (default: all seven: `exhaustive`, `dpor`, `random`, `pct`, `surw`, `priority`, `stress`) |
//! | `schedules = 1000` | random, PCT, SURW and priority schedules |
//! | `seed = 42` | seed of the random, PCT, SURW, priority and stress engines (default 0) |
//! | `preemption_bound = 2` | the exhaustive engine's bound |
//! | `pct_depth = 3` | the bug depth PCT aims at |
//! | `inversion_bound = 20` | steps of intermediate-priority threads after which the priority engine reports a priority inversion |
//! | `stress_iterations = 100000`, `stress_time = "1s"` | the stress engine's budget |
//! | `max_steps = 20000` | an execution longer than this fails with `StepLimit` (default 1,000,000, shuttle's: a correct program is never failed for being long; the exhaustive engine runs at most 60,000 steps of an execution, loom's limit, and says so past it) |
//! | `workers = 1` | models an async runtime with this many worker threads: at most that many task polls run at once, so a task blocked inside its poll starves the others (see [`Explorer::workers`]; default: a thread per task) |
//! | `timeouts = "when_idle"` | a `timeout` of `tapestry::tokio::time` fires only when nothing else can run, as a sleep: for timeouts that guard against a hang (default `"early"`: at any await point of the work it guards; see [`Explorer::timeouts`]) |
//! | `lock_order = false` | no lock-order prediction: only a deadlock an engine runs into fails the test, not a `PotentialDeadlock` (default `true`; see [`Explorer::lock_order`]) |
//! | `expect = "deadlock"` | the test passes only if **every** engine that runs finds a failure of this kind; for keeping known bugs as tests |
//! | `snapshot = true` | with `expect`: the minimal failing interleaving is checked against an [insta] snapshot |
//!
//! Mistakes are compile errors on the token that is wrong. `#[ignore]` and other attributes
//! pass through. `#[should_panic]` works: a failure found is a panic whose message holds the
//! report and the trace (and no schedule is saved, as the failure is expected); but prefer
//! `expect`, which also checks the kind of failure and can snapshot its interleaving.
//!
//! ## Knobs
//!
//! Read when the test runs, never when it compiles. An argument in the attribute wins over
//! the environment; an invalid value fails the test with a message naming the variable, the
//! value and the expected form, and so does a `TAPESTRY_*` variable that is no knob (with the
//! nearest name: a misspelt knob is a setting that silently would not apply).
//!
//! | variable | meaning |
//! |---|---|
//! | `TAPESTRY_ENGINES` | engines, as in `engines = ...` |
//! | `TAPESTRY_SCHEDULES`, `TAPESTRY_SEED`, `TAPESTRY_PREEMPTION_BOUND` (a number or `none`), `TAPESTRY_PCT_DEPTH`, `TAPESTRY_INVERSION_BOUND`, `TAPESTRY_STRESS_ITERATIONS`, `TAPESTRY_STRESS_TIME`, `TAPESTRY_MAX_STEPS` | as the arguments of the same names |
//! | `TAPESTRY_BUDGET` | scales every budget: `0.1` for a quick local run, `10` for a nightly soak |
//! | `TAPESTRY_JOBS` | worker threads for the random, PCT, SURW and priority engines' schedules (default 1; see [`Explorer::jobs`]) |
//! | `TAPESTRY_SHARD` | `i/n`: run only this CI machine's share of those schedules, so `n` machines together run `n` times as many (see [`Explorer::shard`]) |
//! | `TAPESTRY_TRACING` | `0`: record nothing while exploring and trace a failure by replaying it (faster; see [`Explorer::tracing`]) |
//! | `TAPESTRY_TIMEOUTS` | `when_idle` or `early`, as `timeouts = "..."` |
//! | `TAPESTRY_LOCK_ORDER` | `0`: no lock-order prediction, as `lock_order = false` |
//! | `TAPESTRY_REPLAY` | a `.schedule` file: replay its schedules of this test, print their traces, and explore nothing (a file that holds none of this test's is an error naming the tests it does hold) |
//! | `TAPESTRY_SCHEDULE_DIR` | where schedules are saved (default: `tapestry-schedules/` in the package) |
//! | `TAPESTRY_SAVE` | `0`: do not save failing schedules |
//! | `TAPESTRY_SVG` | `1`: also draw a failure as a swimlane diagram beside its schedule file, `<schedule file>.svg`: a new failure, one a saved schedule replays first, or one `TAPESTRY_REPLAY` replays (for a CI artifact) |
//! | `TAPESTRY_ISOLATE` | `0`: run each test in the test binary's own process rather than a child process (faster by one process start per test, but a crash then ends every test of the binary; see [Crashes, stacks and hangs](#crashes-stacks-and-hangs)) |
//! | `TAPESTRY_WATCHDOG` | how long a thread may run without reaching a tapestry operation before it is a hang (default `10s`; `off` for never); also the stress engine's watchdog |
//! | `TAPESTRY_PARALLELISM` | what `thread::available_parallelism` says inside explorations (default 4 under the model engines, the machine's count under stress; see [`Explorer::available_parallelism`]) |
//! | `RUST_MIN_STACK` | as for std: the stack of a spawned thread that asks for no size (default 2 MiB) |
//!
//! ## Async code
//!
//! `#[tapestry::test] async fn` runs the body as the first task. [`future`] has the
//! executor-agnostic pieces (`spawn`, `block_on`, `yield_now`, `JoinHandle`); [`tokio`] has
//! tokio's API over them (`spawn`, `select!`, `sync`, `task`, `time`, `runtime`), so tokio code
//! is tested by changing its `use` lines, or by renaming the `tapestry-tokio` crate to `tokio`
//! in `Cargo.toml`. Under the model engines every task runs on a model thread of its own, so
//! they explore where its polls interleave with the others' operations; a wake is an
//! operation and a synchronisation. Under the stress engine a real multi-threaded executor
//! polls the tasks on every core, moving them between threads as a work-stealing runtime
//! does. What is found by name:
//!
//! - a task that waits for a wake nothing will send is a [`LostWakeup`](FailureKind::LostWakeup);
//! - tasks waiting for [`tokio::sync`] locks held by each other are a `Deadlock` naming each
//!   holder; [`tokio::sync::Mutex`]es taken in a cycle of orders are a `PotentialDeadlock`
//!   even from an execution that did not deadlock, as facade mutexes are; a lost wakeup's
//!   report names the line each task waits at, when it waits in one of tapestry's futures,
//!   and the line of user code that last registered, woke or dropped its waker;
//! - a std lock held across `.await` that blocks a runtime's worker (`workers = 1`, or a
//!   runtime built with `Builder::new_current_thread()`) is a `Deadlock` "waiting for a worker";
//! - time is virtual under the model engines: a sleep fires when no other task can go on, in
//!   deadline order, and a `timeout` may also fire at any await point of its work; the trace
//!   says where a `select!` branch (named as written), a timeout's future or an aborted task
//!   was dropped, and the line it waited at when that was in one of tapestry's futures.
//!
//! A cache whose `get` checks and inserts under two separate locks loads a value twice when
//! two tasks miss at once. Every engine that runs here finds it:
//!
//! ```
//! use std::collections::HashMap;
//! use tapestry::sync::Arc;
//! use tapestry::sync::atomic::{AtomicUsize, Ordering::SeqCst};
//! use tapestry::tokio::{self, sync::Mutex};
//! use tapestry::{Explorer, FailureKind};
//!
//! #[derive(Default)]
//! struct Cache {
//!     values: Mutex<HashMap<u32, u64>>,
//!     loads: AtomicUsize,
//! }
//!
//! impl Cache {
//!     async fn get(&self, key: u32) -> u64 {
//!         if let Some(&value) = self.values.lock().await.get(&key) {
//!             return value;
//!         }
//!         self.loads.fetch_add(1, SeqCst); // the expensive load
//!         tokio::task::yield_now().await;
//!         self.values.lock().await.insert(key, 10);
//!         10
//!     }
//! }
//!
//! let report = Explorer::new().run(|| {
//!     tapestry::future::block_on(async {
//!         let cache = Arc::new(Cache::default());
//!         let other = {
//!             let cache = cache.clone();
//!             tokio::spawn(async move { cache.get(1).await })
//!         };
//!         cache.get(1).await;
//!         other.await.unwrap();
//!         assert_eq!(cache.loads.load(SeqCst), 1, "loaded twice");
//!     });
//! });
//! assert_eq!(report.failure().unwrap().kind(), FailureKind::Panic);
//! ```
//!
//! Which ready branch of an unbiased `select!` wins is the engine's choice: the DPOR,
//! exhaustive and c11 engines explore every one (a search per combination of choices), the
//! sampling and stress engines draw it, and a replay repeats it. Limit: `future` and `tokio`
//! need the `explore` feature.
//!
//! ## What tapestry tells you, and where
//!
//! A test that tapestry fails says why in its panic message, which every test runner shows. What
//! a person should read from a test that passes (an engine that could not run it and what that
//! leaves unexplored, a build without optimisation) is a *notice*: written to the process's
//! standard error directly, which `cargo test` shows without `--nocapture` (libtest captures only
//! the `print!` family). `cargo nextest run` shows a passing test's output only when asked
//! (`--success-output immediate`, or `success-output` in `.config/nextest.toml`). What each
//! engine ran for a test that passed (its executions, its time, whether a search was complete)
//! is the test's own output, through `print!`: libtest shows it with `--show-output` or
//! `--nocapture`. What a person must act on fails the test instead:
//!
//! | condition | what happens |
//! |---|---|
//! | a knob with an invalid value, or a `TAPESTRY_*` variable that is no knob | the test fails, naming the variable and what it expects |
//! | no engine could run the test, or an engine chosen with `engines = "..."` cannot | the test fails: nothing (or not what was asked) was tested |
//! | an engine chosen by default cannot run the test (the exhaustive engine and more than five threads) | a notice; the other engines decide |
//! | tapestry built without optimisation | a notice, once per test binary, with the `Cargo.toml` lines that fix it |
//!
//! ## Running a body yourself: the explorer
//!
//! [`Explorer`] runs a closure under engines you choose and returns a [`Report`] of what each
//! found; [`Explorer::check`] panics with the report and the failing interleaving instead.
//!
//! ```
//! use tapestry::sync::atomic::{AtomicUsize, Ordering};
//! use tapestry::sync::Arc;
//! use tapestry::{thread, Engine, Explorer};
//!
//! let report = Explorer::new()
//!     .engine(Engine::exhaustive())
//!     .engine(Engine::pct().schedules(200))
//!     .run(|| {
//!         let hits = Arc::new(AtomicUsize::named("hits", 0));
//!         let h = hits.clone();
//!         let t = thread::spawn(move || h.fetch_add(1, Ordering::SeqCst));
//!         hits.fetch_add(1, Ordering::SeqCst);
//!         t.join().unwrap();
//!         assert_eq!(hits.load(Ordering::SeqCst), 2);
//!     });
//! assert!(report.is_clean(), "{report}");
//! ```
//!
//! # Production builds
//!
//! The facade is meant to ship: a library's code uses `tapestry::sync` where it would use
//! `std::sync`, and its tests explore that code. The engines, the explorer, reports and
//! `#[tapestry::test]` sit behind the cargo feature `explore`, which is on by default: a first
//! user adds tapestry as a dev-dependency, writes `#[tapestry::test]`, and it works, with no
//! feature to learn first. A library whose shipped code uses the facade depends on tapestry
//! twice, so that its production build leaves `explore` out:
//!
//! ```toml
//! [dependencies]
//! tapestry = { package = "tapestry-harness", git = "https://github.com/tapestry-rs/tapestry", default-features = false }
//!
//! [dev-dependencies]
//! tapestry = { package = "tapestry-harness", git = "https://github.com/tapestry-rs/tapestry", features = ["explore"] }
//! ```
//!
//! Cargo builds the library itself with the first line alone (dev-dependencies enable features
//! only for tests, examples and benchmarks), and there the facade is std: no engine, no
//! runtime, no other crate (`cargo tree -e normal` shows tapestry alone). Each facade item is
//! std's own, re-exported, or a `#[repr(transparent)]` wrapper of std's with std's size and
//! every method `#[inline]`, where the facade has more than std (`Mutex::named`,
//! `thread::Builder::priority`, `cell::UnsafeCell::with`). A lock, an atomic operation or a
//! message then costs what std's does (BENCHMARKS.md, "production"). Code written against the
//! facade compiles unchanged in both configurations; [`EXPLORE`] says which one a build has.
//!
//! What exists only for exploring is dropped: a name given with `named` (the object is what
//! `new` makes), `thread::Builder::priority`, and `sync::PiMutex`'s priority inheritance (std
//! has none: it is a plain mutex). Without `explore` there is no [`Explorer`], and
//! `#[tapestry::test]` is a compile error that names the feature to enable.
//!
//! # Reading a failure
//!
//! Here is the classic lost update: each thread loads the counter and stores one more, in two
//! steps where one indivisible `fetch_add` was needed.
//!
//! ```
//! use tapestry::sync::atomic::{AtomicUsize, Ordering};
//! use tapestry::sync::Arc;
//! use tapestry::{thread, Engine, Explorer, FailureKind};
//!
//! fn increment_twice() {
//!     let counter = Arc::new(AtomicUsize::named("counter", 0));
//!     let c = counter.clone();
//!     let t = thread::spawn(move || c.store(c.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
//!     counter.store(counter.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
//!     t.join().unwrap();
//!     assert_eq!(counter.load(Ordering::SeqCst), 2, "an increment was lost");
//! }
//!
//! let report = Explorer::new().engine(Engine::random().seed(1)).run(increment_twice);
//! let failure = report.failure().expect("random schedules find it");
//! assert_eq!(failure.kind(), FailureKind::Panic);
//! assert_eq!(failure.thread(), "main");
//! assert!(failure.message().contains("an increment was lost"));
//! // The trace: every operation in order, by which thread, on which object, from which line.
//! let trace = failure.trace().to_string();
//! assert!(trace.contains("load counter -> 0 (SeqCst)"));
//! assert!(trace.contains("!! main panicked"));
//! ```
//!
//! A [`Failure`] says what went wrong ([`FailureKind`]), in which thread, which engine found it
//! in which execution, and how to [`Replay`] it. Its [`Trace`] prints as a table, one row per
//! operation that took effect:
//!
//! ```text
//! objects:
//!   counter  AtomicUsize  src/lib.rs:9
//!
//! step  thread  operation                    at
//!    1  main    spawn T1                     src/lib.rs:11
//!    2  main    load counter -> 0 (SeqCst)   src/lib.rs:12
//!    3  T1      load counter -> 0 (SeqCst)   src/lib.rs:11
//!    4  T1      store counter <- 1 (SeqCst)  src/lib.rs:11
//!    5  T1      exit
//!    6  main    store counter <- 1 (SeqCst)  src/lib.rs:12
//!    7  main    join T1                      src/lib.rs:13
//!    8  main    load counter -> 1 (SeqCst)   src/lib.rs:14
//!       !! main panicked: assertion `left == right` failed: an increment was lost
//! ```
//!
//! Read it from the end: what failed (the `!!` line), then the values that led there. Both
//! threads loaded 0 (steps 2 and 3), so both stored 1. A read that returned a value older than
//! the latest store (possible with weak orderings, under the exhaustive and c11 engines) is
//! marked `not the latest`, with the store it read: `not the latest: read from the initial
//! value, not from T1's store of 1 at step 5` (the c11 engine knows that store; under the
//! exhaustive engine it is the latest store of the value read). The c11 engine shows an
//! execution that sequential consistency allows as an interleaving, so such marks appear only
//! where weak memory was needed. A deadlock ends with who waits for which lock, at which line, and who holds
//! it: `main waits to lock `a` (at src/bank.rs:12), held by T1`.
//!
//! Before a failure is reported, it is shrunk to the fewest preemptions that still fail, so the
//! trace shows the simplest interleaving that breaks the program.
//!
//! ## The picture
//!
//! The same trace draws as a swimlane diagram ([`Trace::svg`]): one lane per thread, time
//! flowing down, each step a box numbered as in the table, a bar beside a lane while its
//! thread holds a lock, a blue arrow from a write to each read of its value in another
//! thread, an interrupted update (step 4 above, between main's load and store) and the failing
//! step marked, and what blocked threads wait for.
//!
//! ```
//! # use tapestry::sync::atomic::{AtomicUsize, Ordering};
//! # use tapestry::sync::Arc;
//! # use tapestry::{thread, Engine, Explorer};
//! # fn increment_twice() {
//! #     let counter = Arc::new(AtomicUsize::named("counter", 0));
//! #     let c = counter.clone();
//! #     let t = thread::spawn(move || c.store(c.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
//! #     counter.store(counter.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
//! #     t.join().unwrap();
//! #     assert_eq!(counter.load(Ordering::SeqCst), 2, "an increment was lost");
//! # }
//! let report = Explorer::new().engine(Engine::random().seed(1)).run(increment_twice);
//! let trace = report.failure().unwrap().trace();
//! let svg = trace.svg();
//! assert!(svg.starts_with("<svg"));
//! // The diagram's data: lanes, steps (with the trace's numbers) and how it ended.
//! let timeline = trace.timeline();
//! assert_eq!(timeline.lanes, ["main", "T1"]);
//! assert_eq!(timeline.steps().count(), trace.len());
//! ```
//!
//! `TAPESTRY_SVG=1` makes a failing `#[tapestry::test]` write this picture beside its saved
//! schedule, for a CI artifact, whether the failure is new or came from a committed schedule
//! replayed first; `tapestry report --schedule <file or folder>` draws saved schedules in HTML
//! pages, without the program.
//!
//! # Replaying a failure
//!
//! When a test fails, the failing schedule is written to
//! `tapestry-schedules/<module path>/<test>.schedule` in the package, before the test reports
//! the failure. The file is text: what it is, the test, engine, seed, failure kind,
//! preemptions, the schedule itself, and the trace (as comments to read, and as data in a
//! `[trace]` section that draws it; see [`saved`]). Commit it: every run of the test replays
//! its saved schedules first (outside every budget), so a fixed bug cannot come back unnoticed.
//! The failure message prints the command that replays it alone:
//!
//! ```text
//! TAPESTRY_REPLAY=tapestry-schedules/my_tests/transfers.schedule cargo test -p my-crate transfers -- --exact
//! ```
//!
//! A schedule of the random, PCT, SURW, priority and DPOR engines replays step by step; one of
//! the exhaustive engine replays by running its deterministic search to the same execution. A
//! failure of the stress engine cannot be replayed: real threads need not interleave the same
//! way twice. Its message says so and prints, instead, the command that hunts again with the
//! same seed and budget,
//!
//! ```text
//! TAPESTRY_ENGINES=stress TAPESTRY_SEED=0 TAPESTRY_STRESS_ITERATIONS=100000 TAPESTRY_STRESS_TIME=1s cargo test -p my-crate transfers -- --exact
//! ```
//!
//! and its saved entry keeps them (`replay = stress seed=0 iteration=6 iterations=100000
//! time_ms=1000`): replayed first on later runs, it hunts again with that seed and budget, and
//! says what it found.
//!
//! With the explorer, [`Explorer::replay`] runs one [`Replay`]; its text form is what the
//! schedule file keeps.
//!
//! ```
//! # use tapestry::sync::atomic::{AtomicUsize, Ordering};
//! # use tapestry::sync::Arc;
//! # use tapestry::{thread, Engine, Explorer};
//! # fn increment_twice() {
//! #     let counter = Arc::new(AtomicUsize::named("counter", 0));
//! #     let c = counter.clone();
//! #     let t = thread::spawn(move || c.store(c.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
//! #     counter.store(counter.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
//! #     t.join().unwrap();
//! #     assert_eq!(counter.load(Ordering::SeqCst), 2, "an increment was lost");
//! # }
//! let explorer = Explorer::new().engine(Engine::pct().seed(3));
//! let found = explorer.run(increment_twice);
//! let failure = found.failure().unwrap();
//! let replay: tapestry::Replay = failure.replay().to_string().parse().unwrap();
//! let again = explorer.replay(&replay, increment_twice).expect("the schedule fits");
//! assert_eq!(
//!     again.failure().unwrap().trace().to_string(),
//!     failure.trace().to_string()
//! );
//! ```
//!
//! ## What a saved schedule does
//!
//! Nothing in a schedule file is skipped silently. What a person must act on fails the test,
//! because a notice on standard error can go unseen (`cargo test` shows it even for a passing
//! test, but nextest shows a passing test's output only when configured to, and CI logs are
//! rarely read when green); what only informs is such a notice.
//!
//! | found when the test runs | what happens |
//! |---|---|
//! | an entry that fails again | the test fails, with the trace and the command that replays it alone (the bug is back) |
//! | a step-by-step schedule that fits the program and passes | nothing: the bug it caught stays fixed |
//! | a schedule that no longer fits the program (it diverges, or the program ends first) | *stale*: the test fails, naming the entry, where it diverged, and what to delete |
//! | an exhaustive entry whose execution no longer exists, or no longer fails | *stale*: the test fails, as above |
//! | a stress entry | hunted again with its seed and budget: a failure fails the test; none is a notice saying what ran |
//! | an entry of another test in this test's file | the test fails: this test never replays it; the message says whose file it belongs in |
//! | a file that cannot be read, or of a newer format | the test fails, naming the line and the problem |
//! | saved schedules of a test with `expect` | the test fails: they are never replayed, delete them (under `#[should_panic]`, whose failing is its passing: a notice) |
//! | `TAPESTRY_REPLAY` naming a file with none of this test's schedules | the test fails, naming the tests the file holds, with the command for each |
//! | `TAPESTRY_REPLAY`: a schedule that passes now | a notice |
//! | the file of a test that was renamed or deleted | no test runs to see it: `tapestry schedules --orphans` lists such files and entries |
//!
//! A stale entry fails the test rather than warn, because it tests nothing while it looks like a
//! regression test, and deleting it takes a minute: the message names the file, or the entries
//! to cut. Deleting loses nothing, since the engines search on every run: if the bug is still
//! there they find it and save a schedule that fits. An exhaustive entry is stale as soon as it
//! passes: it is a position in a deterministic search, not an interleaving, so once the
//! program changed it names another interleaving, and a pass cannot tell a fixed bug from an
//! entry that points elsewhere; so fixing a bug the exhaustive engine found ends with deleting
//! its entry, as the message says. A stress entry never goes stale (a seed and a budget fit any
//! program), and a hunt that finds nothing is what real threads do, so it is a notice.
//!
//! The `tapestry` command (crate `tapestry-catalogue`) reads schedule files without the program:
//! `tapestry replay <file or folder>` prints the traces saved with them, `tapestry report
//! --schedule <file or folder>` draws them as web pages, and `tapestry schedules --orphans`,
//! run in the package, lists the files and entries of tests that no longer exist (it builds
//! the package's test binaries with `cargo test --no-run` and lists each one's tests).
//!
//! # Choosing engines and budgets
//!
//! By default a test runs all seven engines in turn, and the first failure found ends the
//! test (the engines after it do not run: the report shows which ran). With `expect = "..."`
//! every engine runs, so the report says which engines see the bug; so does
//! [`Explorer::keep_going`].
//!
//! | engine | use it for | budget (defaults) |
//! |---|---|---|
//! | exhaustive | small tests (two or three threads, a few dozen operations) and every memory-ordering question: it proves there is no failing interleaving within the bound | `preemption_bound = 2` (most bugs need 0 to 2); 30 s |
//! | random | larger tests; quick and broad | `schedules = 1000` |
//! | pct | bugs of a known small depth (the number of ordering constraints, often 1 to 3) in long runs | `schedules`, `pct_depth = 3` |
//! | surw | many threads where one must act at one moment after others' long work (see `tapestry_catalogue::deep`): it interleaves the accesses to one contended object at a time uniformly | `schedules` |
//! | priority | code with thread priorities, real-time locks, and what random finds | `schedules`, `inversion_bound` |
//! | stress | what the model engines cannot model: real hardware, code outside the facade | `stress_iterations = 100000`, `stress_time = "1s"` |
//! | c11 (opt-in: `engines = "c11"`) | lock-free code on atomics: every execution the C/C++/Rust memory model allows, each once, `SeqCst` exact, any number of threads; it models atomics, fences, locks, condition variables and what is built on them (channels, `Once`, barriers, scopes, tasks), yields and spin loops, spawn, join and `UnsafeCell` (data races by the model's happens-before); stopped by its budget it estimates the whole; which waiter `notify_one` wakes, whether a timed wait times out at once or once nothing else can run, and spurious wakeups of `wait` are explored too; no preemption bound, so retry loops that write on every round can outlast its budget | 10,000 executions; 30 s |
//!
//! Start with the defaults. If the exhaustive engine runs out of time, lower its bound or
//! shrink the test (fewer threads, fewer operations) rather than drop it: a small test
//! explored completely says more than a large one sampled. Raise budgets for a nightly run
//! (`TAPESTRY_BUDGET=10`); spread schedules over cores (`TAPESTRY_JOBS`) and machines
//! (`TAPESTRY_SHARD=i/n`). Seeds make every run reproducible: the same seed runs the same
//! schedules.
//!
//! ```
//! use std::time::Duration;
//! use tapestry::{Engine, Explorer};
//!
//! let explorer = Explorer::new()
//!     .engine(Engine::exhaustive().preemption_bound(1).max_time(Duration::from_secs(5)))
//!     .engine(Engine::random().schedules(100).seed(42))
//!     .engine(Engine::pct().depth(2).schedules(100).seed(42))
//!     .engine(Engine::stress().iterations(50).time(Duration::from_millis(200)));
//! explorer.check(|| {
//!     let t = tapestry::thread::spawn(|| 1 + 1);
//!     assert_eq!(t.join().unwrap(), 2);
//! });
//! ```
//!
//! # Crashes, stacks and hangs
//!
//! **Stacks.** Model threads get stacks as large as real threads': the test body 8 MiB (a
//! process's main thread's usual size), a spawned thread what
//! [`thread::Builder::stack_size`] asks for, else std's default (`RUST_MIN_STACK`, else 2 MiB);
//! the stress engine's threads likewise. The memory is reserved, not committed, so a large
//! stack costs only the pages a thread touches, and stacks are reused from one execution to the
//! next (no system call per execution).
//!
//! **Crashes.** Each `#[tapestry::test]` runs in a child process: the test binary again,
//! filtered to that test. A stack overflow, a segmentation fault or an abort in the code under
//! test then ends the child, not the binary: the test fails with
//! [`FailureKind::StackOverflow`] or [`FailureKind::Crash`], naming the engine, the execution,
//! the thread and its last tapestry operation, and the binary's other tests run on and are
//! reported. The child's output is shown as the test's (on failure, or with `--nocapture`), a
//! failing schedule is saved by the child before the test reports, and `#[should_panic]`,
//! `expect` and `snapshot` behave as without the child. A crash ends the exploration: the
//! engines after the one that crashed do not run, and no schedule can be saved for it.
//! Isolation costs one process start per test: 2 ms for a trivial test, about 35 ms for one
//! that runs all seven engines (each child warms them up again); `TAPESTRY_ISOLATE=0`
//! turns it off, and a crash is then described on standard error before the process dies.
//! Under `cargo nextest`, which already runs each test in a process of its own, the child is
//! started all the same: it is what reports where the crash happened.
//!
//! **Hangs.** Model threads are switched only at tapestry's operations, so a thread that never
//! reaches one (a loop on a std `AtomicBool` or a plain flag, a wait on a std `Mutex` or
//! channel) cannot be preempted, and the exploration would never end. A watchdog notices a
//! thread that reaches no tapestry operation for `TAPESTRY_WATCHDOG` (default 10 s) and fails
//! the test with [`FailureKind::Hang`], naming the thread and the last line where it used
//! tapestry, with the hint that it spins on plain memory or waits on a std lock; the child
//! process, which cannot stop that thread, ends. The stress engine's own watchdog
//! ([`Stress::watchdog`](engine::Stress::watchdog)) reports threads stuck outside the facade
//! the same way. With [`Explorer`] alone ([`Explorer::watchdog`]), a hang ends the process
//! after saying what it knows.
//!
//! **Threads tapestry did not start.** A facade object used on a `std::thread` (spawned in
//! the test body with `std::thread::spawn` or `std::thread::scope`) fails the test as
//! [`FailureKind::Misuse`], saying to use [`thread::spawn`] or [`thread::scope`] instead.
//!
//! # Verdicts
//!
//! A test fails when an engine finds a failure. These rules keep the verdict right on code
//! the engines model differently:
//!
//! - **An engine that cannot run the program is skipped, never a pass.** The exhaustive engine
//!   runs at most five threads (loom's limit); given more, it says so and the other engines
//!   still run. The test passes on their verdict, and a notice on standard error (shown by
//!   `cargo test` even for a passing test) names the engine, why, and what was therefore not
//!   explored (for the exhaustive engine: the reorderings of weak memory orderings). A test
//!   that no engine could run fails: nothing was tested. An engine chosen with `engines =
//!   "..."` that cannot run the test fails it too, since the test asked for it.
//! - **`SeqCst` is sequentially consistent everywhere.** loom treats `SeqCst` accesses as
//!   `AcqRel` (loom#180), so correct code such as store buffering, Dekker's handshake,
//!   Peterson's lock or IRIW with every access `SeqCst` would fail under it. The exhaustive
//!   engine puts a `SeqCst` fence after every `SeqCst` write and before every `SeqCst` read,
//!   which loom models exactly: every `SeqCst` access then sees all the `SeqCst` writes
//!   ordered before it, and an all-`SeqCst` program behaves as some interleaving, as the
//!   language promises. `Release`/`Acquire` code keeps all its weak behaviours.
//! - **A timed wait ends by notification or by timeout, and both are explored.**
//!   `Condvar::wait_timeout` (and `wait_timeout_while`) and `Receiver::recv_timeout` may time
//!   out at any point while they wait under the model engines, which run no thread for a real
//!   length of time: the moment the wait starts, or after any steps of the other threads (a
//!   wait that times out moves the execution's virtual clock, [`time`], to its deadline); with
//!   nothing else left to run,
//!   a timed wait times out as it would under std rather than deadlock. Correct polling loops
//!   pass; a bug that needs a timeout to fire (a lease that expires while its holder still
//!   works) is found, and its trace shows the step `wait ... timed out`. A timeout is a
//!   possible outcome, not a failure: code that treats one as impossible fails. So that a
//!   polling loop cannot time out forever while nobody else moves (which a real clock rules
//!   out), a thread that keeps timing out on one condition variable lets the others run
//!   between its timeouts. The stress engine and plain std wait in real time.
//! - **A park may wake spuriously, but a spurious wakeup never rescues a hang.**
//!   [`thread::park`] may return without a token under std, and the model engines explore
//!   that, at once or after any steps of the other threads: code that parks once and trusts
//!   it was unparked fails, while a `while !flag { park() }` loop passes (a thread that keeps
//!   waking spuriously lets the others run between its wakeups). A park that no other thread
//!   can end any more (all finished or blocked) does not wake: a lost unpark is reported as
//!   the deadlock it is under std, `T1 is parked (at ...)`. The stress engine parks real
//!   threads.
//! - **So may a condition variable's wait, under the same rule.** [`sync::Condvar::wait`]
//!   may return with no notification under std; the model engines explore that at once or
//!   after any steps of the others, so code that waits once under `if` and trusts it was
//!   notified fails (`woken ... spuriously` in the trace), while a `while` loop or
//!   `wait_while` passes. A wait wakes spuriously only while another thread may still go on
//!   once it has released its mutex (so a notification nobody will send is a deadlock), and
//!   never twice in a row (so a waiting loop waits for good the second time). The exhaustive,
//!   dpor and c11 engines explore it at every wait; the engines that sample let one wait in
//!   eight wake spuriously, so that sampled executions stay mostly those of notified waits.
//!   A timed wait (`wait_timeout`) times out early instead, as above; the stress engine waits
//!   as the OS does.
//! - **A yield or a sleep is a hint, not an order.** `thread::yield_now`, `thread::sleep` and
//!   `hint::spin_loop` let the other threads run, but under std the thread may also go on at
//!   once, and the engines explore that too: code that sleeps to let another thread get
//!   somewhere first fails. A thread that yields again with no other thread having run since
//!   lets the others run first, so a spin loop cannot spin forever while nobody else moves.
//! - **A lock-order cycle is a deadlock only if nothing else orders it.** Two sections that
//!   take locks in opposite orders are a [`FailureKind::PotentialDeadlock`] only if no other
//!   synchronisation (a join, a message, a condition variable, an atomic flag, a barrier) orders
//!   them; the vector clocks decide, ignoring the handoffs of the cycle's own locks. An
//!   unordered ABBA is predicted even when no execution explored deadlocked.
//!   `lock_order = false` turns the prediction off for a test.
//!
//! # Limits
//!
//! Each engine misses something; tapestry runs several because none sees everything.
//!
//! - **exhaustive** (loom) explores no load buffering, runs at most five threads (including
//!   the test body's; a larger test skips it, see [Verdicts](#verdicts)), and is bounded by
//!   its preemption bound and time budget. Even unbounded it is not complete: loom's search
//!   remembers only the last access to each atomic, so it never moves one thread's
//!   read-modify-write before another's earlier load when a load came between them (4 of 150
//!   random programs lost a behaviour in `tests/dpor_complete.rs`). The **dpor** engine is the
//!   complete one for sequentially consistent interleavings. The `SeqCst` fences and swaps
//!   order more than the language does, so loom may need another interleaving to show a race
//!   between threads that share only `SeqCst` atomics (the other engines check those too).
//! - **random and PCT** (shuttle) are sequentially consistent: they cannot see a bug that
//!   needs a weak memory ordering. They sample: a clean run is evidence, not proof.
//! - **priority** models a real-time scheduler: a thread spinning on `yield_now` lets only
//!   threads of its own priority run, as under `SCHED_FIFO`.
//! - **stress** sees what the hardware does: x86 is TSO, so message-passing reorderings that
//!   ARM shows never appear there; and it cannot replay a failure step by step (it hunts again
//!   with the same seed and budget). Its race detector synchronises atomics, which can hide a
//!   hardware reordering (`Stress::race_detection(false)` removes it).
//! - Model engines keep a virtual clock per execution ([`time::Instant`], [`time::SystemTime`]):
//!   it moves only when a sleep or a timed wait that times out ends, to the moment it was due
//!   to end, so computation takes no time (a loop that spins until a deadline without sleeping
//!   never reaches it), and a timed wait may be notified after its deadline passed on the
//!   clock. `std::time::Instant::now()` is the real clock, which they do not control: use
//!   `tapestry::time`.
//! - Only the facade is seen: code that synchronises through std, a C library or the OS is
//!   one opaque step to the model engines.
//! - `std::thread_local!` is shared by every model thread of a model engine (they are
//!   coroutines on one OS thread), and kept by the stress engine's pooled threads from one
//!   iteration to the next: state kept there leaks between threads and executions. Declare
//!   thread-locals with [`thread_local!`](crate::thread_local) instead, which gives each model
//!   thread its own value and drops it when the thread exits.
//! - A condition variable's `wait` never wakes spuriously twice in a row, nor while nobody
//!   else could go on (see [Verdicts](#verdicts)): code that is correct only if the second
//!   wakeup of a waiting loop is a real one passes. A `wait_timeout` that returns early says it
//!   timed out; one that returns early claiming a notification is not explored.
//! - `thread::JoinHandle::is_finished` is an operation where a thread may finish first; the
//!   dpor, random, PCT, SURW and priority engines explore both answers, but the exhaustive
//!   and c11 engines do not yet know that the answer depends on the thread's last step, and
//!   may explore only one.
//! - Which of several `thread_local!` values a thread drops first at exit is the reverse of
//!   the order it made them (as std on Linux); other platforms' orders are not explored.
//! - Spin loops (a thread that yields until another acts) give the exhaustive engine many
//!   executions to explore: a test with several spinning threads can use its whole time
//!   budget (30 s by default). The DPOR engine covers them in a few executions; lower the
//!   exhaustive engine's bound (`preemption_bound = 1`) or wait on a condition variable.
//! - The diagram's arrows match a read to the latest earlier write of the same value; when two
//!   writes store the same value, it may name the wrong one.
//!
//! [loom]: https://docs.rs/loom
//! [shuttle]: https://docs.rs/shuttle
//! [insta]: https://docs.rs/insta

#![deny(missing_docs)]
// In the production configuration (no `explore`) the tutorial above links to items that exist
// only with `explore` (`Explorer`, `FailureKind`, ...); rustdoc keeps those links as text.
#![cfg_attr(not(feature = "explore"), allow(rustdoc::broken_intra_doc_links))]

// The facade: with `explore`, types that go through the runtime and its engines; without it,
// `plain/`, which is std itself (re-exports, and `#[repr(transparent)]` wrappers where the
// facade has extras such as `named`). User code compiles unchanged against either.
#[cfg(feature = "explore")]
pub mod alloc;
#[cfg(feature = "explore")]
pub mod cell;
#[cfg(feature = "explore")]
pub mod hint;
#[cfg(feature = "explore")]
pub mod sync;
#[cfg(feature = "explore")]
pub mod thread;

#[cfg(not(feature = "explore"))]
mod plain;
#[cfg(not(feature = "explore"))]
pub use plain::{alloc, cell, hint, sync, thread, time};

/// Declares a thread-local, as [`std::thread_local!`]: without `explore` it is std's own macro.
#[cfg(not(feature = "explore"))]
pub use std::thread_local;

/// Whether this build of tapestry has the `explore` feature: the engines, the explorer and
/// `#[tapestry::test]`. Without it the facade is std itself (see
/// [Production builds](crate#production-builds)); code that must know which it runs against
/// (a benchmark, a test of the setup) can ask.
pub const EXPLORE: bool = cfg!(feature = "explore");

#[cfg(feature = "explore")]
pub mod engine;
#[cfg(feature = "explore")]
mod explain;
#[cfg(feature = "explore")]
mod explorer;
#[cfg(feature = "explore")]
mod failure;
#[cfg(feature = "explore")]
pub mod future;
#[cfg(feature = "explore")]
mod kinds;
#[cfg(feature = "explore")]
mod notice;
#[cfg(feature = "explore")]
mod report;
#[cfg(feature = "explore")]
mod rt;
#[cfg(feature = "explore")]
mod runner;
#[cfg(feature = "explore")]
pub mod saved;
#[cfg(feature = "explore")]
mod schedule;
#[cfg(feature = "explore")]
pub mod time;
#[cfg(feature = "explore")]
pub mod tokio;
#[cfg(feature = "explore")]
pub mod trace;

#[cfg(feature = "explore")]
pub use engine::{Engine, EngineKind, ParseShardError, Shard};
#[cfg(feature = "explore")]
pub use explorer::{Explorer, ReplayError};
#[cfg(feature = "explore")]
pub use failure::Failure;
#[cfg(feature = "explore")]
pub use kinds::{FailureKind, ParseKindError, Timeouts};
#[cfg(feature = "explore")]
pub use report::{EngineReport, Outcome, Report};
#[cfg(feature = "explore")]
pub use schedule::{ParseReplayError, ParseScheduleError, Replay, Schedule, Step};
#[cfg(feature = "explore")]
pub use trace::Trace;

/// Runs a test function under tapestry's engines: see the
/// [crate docs](crate#testing-with-tapestrytest).
// Without `explore`, rustc's error for `#[tapestry::test]` quotes the next three lines (this item
// is configured out), so the comment between them tells the user the fix.
#[cfg(feature = "explore")]
// `#[tapestry::test]` needs tapestry's feature "explore": `features = ["explore"]` on the dev-dependency
pub use tapestry_macros::test;

/// What `#[tapestry::test]` expands to uses these; not a public API.
#[cfg(feature = "explore")]
#[doc(hidden)]
pub mod __private {
    pub use crate::rt::waiting::without_waiting;
    pub use crate::runner::{Body, InputTest, TestOutput, TestSpec, run_model, run_test};
    pub use insta;
    pub use tapestry_macros::select_impl;
}
