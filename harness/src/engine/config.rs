//! Settings of each engine, built like `Engine::pct().depth(3).schedules(5_000)`.
//!
//! Every engine has a budget: a number of executions and a wall-time limit, whichever comes
//! first. A budget running out is not a failure; the report says how far the engine got.

use std::time::Duration;

/// Settings of the exhaustive engine (loom).
#[derive(Clone, Debug, PartialEq)]
pub struct Exhaustive {
    pub(crate) preemption_bound: Option<usize>,
    pub(crate) iterative: bool,
    pub(crate) max_executions: Option<u64>,
    pub(crate) max_time: Duration,
}

impl Default for Exhaustive {
    fn default() -> Self {
        Exhaustive {
            preemption_bound: Some(2),
            iterative: true,
            max_executions: None,
            max_time: Duration::from_secs(30),
        }
    }
}

impl Exhaustive {
    /// Explore only interleavings with at most `bound` preemptions (switches away from a thread
    /// that could have continued). Most bugs need one or two; each extra one multiplies the
    /// search. Default 2.
    pub fn preemption_bound(mut self, bound: usize) -> Self {
        self.preemption_bound = Some(bound);
        self
    }

    /// Explore every interleaving, however many preemptions it has. Only small programs finish.
    pub fn unbounded(mut self) -> Self {
        self.preemption_bound = None;
        self
    }

    /// Search with bound 0, then 1, ... up to the preemption bound (default), so the first
    /// failure found has the fewest preemptions and shallow bugs are found first; or, with
    /// `false`, search once with the full bound.
    pub fn iterative(mut self, iterative: bool) -> Self {
        self.iterative = iterative;
        self
    }

    /// Stop after this many executions.
    pub fn max_executions(mut self, executions: u64) -> Self {
        self.max_executions = Some(executions);
        self
    }

    /// Stop after this much time (default 30 s).
    pub fn max_time(mut self, time: Duration) -> Self {
        self.max_time = time;
        self
    }
}

/// Settings of the DPOR engine (partial-order reduction, on shuttle's runtime).
#[derive(Clone, Debug, PartialEq)]
pub struct Dpor {
    pub(crate) preemption_bound: Option<usize>,
    pub(crate) iterative: bool,
    pub(crate) max_executions: Option<u64>,
    pub(crate) max_time: Duration,
    pub(crate) estimate: bool,
}

impl Default for Dpor {
    fn default() -> Self {
        Dpor {
            preemption_bound: None,
            iterative: true,
            max_executions: Some(10_000),
            max_time: Duration::from_secs(30),
            estimate: true,
        }
    }
}

impl Dpor {
    /// Explore only executions with at most `bound` preemptions (with [`iterative`](Self::iterative),
    /// bound 0, then 1, ... up to this one). Default: no bound, deepened until the search
    /// completes or the budget runs out.
    pub fn preemption_bound(mut self, bound: usize) -> Self {
        self.preemption_bound = Some(bound);
        self
    }

    /// One search of every execution, with no preemption bound and no execution budget (the
    /// time limit still holds): each equivalence class of executions is explored exactly once.
    pub fn unbounded(mut self) -> Self {
        self.preemption_bound = None;
        self.iterative = false;
        self.max_executions = None;
        self
    }

    /// Search with preemption bound 0, then 1, 2, ... (default), each round a complete search
    /// of its bound, until a round leaves nothing out or the budget runs out; shallow bugs come
    /// first and the failure found has the fewest preemptions. With `false`, one search.
    pub fn iterative(mut self, iterative: bool) -> Self {
        self.iterative = iterative;
        self
    }

    /// Stop after this many executions in all (default 10,000).
    pub fn max_executions(mut self, executions: u64) -> Self {
        self.max_executions = Some(executions);
        self
    }

    /// Stop after this much time (default 30 s).
    pub fn max_time(mut self, time: Duration) -> Self {
        self.max_time = time;
        self
    }

    /// Whether a search that its execution budget stops estimates how many executions a
    /// complete one would run, by sampling random paths of the program's sequentially
    /// consistent execution graphs for a quarter of the search's time, within 0.2 s and 2 s
    /// (default: yes). A tool that runs many short searches and shows no report of its own
    /// (`tapestry-lincheck`) turns it off.
    pub fn estimate(mut self, estimate: bool) -> Self {
        self.estimate = estimate;
        self
    }
}

/// Settings for the c11 engine: every execution the C/C++/Rust memory model (RC11) allows,
/// each once (see [`Engine::c11`](crate::Engine::c11)).
#[derive(Clone, Debug, PartialEq)]
pub struct C11 {
    pub(crate) max_executions: Option<u64>,
    pub(crate) max_time: Duration,
}

impl Default for C11 {
    fn default() -> Self {
        C11 {
            max_executions: Some(10_000),
            max_time: Duration::from_secs(30),
        }
    }
}

impl C11 {
    /// Stop after this many executions (default 10,000).
    pub fn max_executions(mut self, executions: u64) -> Self {
        self.max_executions = Some(executions);
        self
    }

    /// Explore every execution, however many (the time limit still holds).
    pub fn unbounded(mut self) -> Self {
        self.max_executions = None;
        self
    }

    /// Stop after this much time (default 30 s).
    pub fn max_time(mut self, time: Duration) -> Self {
        self.max_time = time;
        self
    }
}

/// The settings every seeded engine shares: how many schedules, their seed, and a time limit.
macro_rules! seeded_settings {
    ($($engine:ident),*) => {$(
        impl $engine {
            /// How many schedules to run (default 1,000).
            pub fn schedules(mut self, schedules: u64) -> Self {
                self.schedules = schedules;
                self
            }

            /// The seed of the schedules: the same seed runs the same schedules (default 0).
            pub fn seed(mut self, seed: u64) -> Self {
                self.seed = seed;
                self
            }

            /// Stop after this much time (default 30 s).
            pub fn max_time(mut self, time: Duration) -> Self {
                self.max_time = time;
                self
            }
        }
    )*};
}

seeded_settings!(Random, Pct, Surw, Priority);

/// Settings of the random engine (shuttle's uniformly random scheduler).
#[derive(Clone, Debug, PartialEq)]
pub struct Random {
    pub(crate) schedules: u64,
    pub(crate) seed: u64,
    pub(crate) max_time: Duration,
}

impl Default for Random {
    fn default() -> Self {
        Random {
            schedules: 1_000,
            seed: 0,
            max_time: Duration::from_secs(30),
        }
    }
}

/// Settings of the PCT engine (probabilistic concurrency testing, on shuttle).
#[derive(Clone, Debug, PartialEq)]
pub struct Pct {
    pub(crate) depth: usize,
    pub(crate) schedules: u64,
    pub(crate) seed: u64,
    pub(crate) max_time: Duration,
}

impl Default for Pct {
    fn default() -> Self {
        Pct {
            depth: 3,
            schedules: 1_000,
            seed: 0,
            max_time: Duration::from_secs(30),
        }
    }
}

impl Pct {
    /// The bug depth PCT aims at: how many ordering constraints the bug needs (default 3).
    /// Each schedule finds a bug of depth `d` with probability at least `1/(n k^(d-1))` for
    /// `n` threads and `k` steps.
    pub fn depth(mut self, depth: usize) -> Self {
        self.depth = depth;
        self
    }
}

/// Settings of the SURW engine (a selectively uniform random walk, on shuttle).
#[derive(Clone, Debug, PartialEq)]
pub struct Surw {
    pub(crate) schedules: u64,
    pub(crate) seed: u64,
    pub(crate) max_time: Duration,
    /// Run shuttle's own `UrwRandomScheduler` instead (a baseline for benchmarks).
    pub(crate) shuttle_urw: bool,
}

impl Default for Surw {
    fn default() -> Self {
        Surw {
            schedules: 1_000,
            seed: 0,
            max_time: Duration::from_secs(30),
            shuttle_urw: false,
        }
    }
}

impl Surw {
    /// Runs shuttle's `UrwRandomScheduler` (uniform over every event, no selection) instead,
    /// on one worker, with the same runtime and detectors: a baseline for the benchmarks.
    /// Its `SHUTTLE_RANDOM_SEED` environment variable can replace the seed.
    #[doc(hidden)]
    pub fn shuttle_urw(mut self) -> Self {
        self.shuttle_urw = true;
        self
    }
}

/// Settings of the priority engine (a real-time scheduler, on shuttle). Its seed decides the
/// threads' release times and the choices among threads of equal priority.
#[derive(Clone, Debug, PartialEq)]
pub struct Priority {
    pub(crate) schedules: u64,
    pub(crate) seed: u64,
    pub(crate) max_time: Duration,
    pub(crate) inversion_bound: u64,
}

impl Default for Priority {
    fn default() -> Self {
        Priority {
            schedules: 1_000,
            seed: 0,
            max_time: Duration::from_secs(30),
            inversion_bound: 20,
        }
    }
}

impl Priority {
    /// A thread waiting for a lock held by a less urgent thread, while threads of priority
    /// between theirs take more than this many steps, is an unbounded priority inversion
    /// (default 20 steps).
    pub fn inversion_bound(mut self, steps: u64) -> Self {
        self.inversion_bound = steps;
        self
    }
}

/// Settings of the stress engine (real threads).
#[derive(Clone, Debug, PartialEq)]
pub struct Stress {
    pub(crate) iterations: Option<u64>,
    pub(crate) time: Option<Duration>,
    pub(crate) jitter: bool,
    pub(crate) race_detection: bool,
    pub(crate) seed: u64,
    pub(crate) watchdog: Duration,
}

impl Default for Stress {
    fn default() -> Self {
        Stress {
            iterations: Some(Self::DEFAULT_ITERATIONS),
            time: Some(Self::DEFAULT_TIME),
            jitter: true,
            race_detection: true,
            seed: 0,
            watchdog: Duration::from_secs(2),
        }
    }
}

impl Stress {
    /// The default budget: 100,000 iterations or 1 s, whichever ends first. The catalogue's
    /// programs (two to five threads, a few dozen operations) take 6 to 60 µs an iteration on a
    /// 2-core machine: those up to 10 µs stop at the count, after 0.6 to 1 s, and run the same
    /// iterations on every run; the others stop at 1 s, still past 15,000 iterations. About a
    /// second per passing test is what the old default (10,000 iterations or 2 s) cost before
    /// the engine's handoffs got about 20 times cheaper; it now buys up to 10 times the
    /// iterations, for the rare interleavings real threads need.
    pub(crate) const DEFAULT_ITERATIONS: u64 = 100_000;
    /// See [`DEFAULT_ITERATIONS`](Self::DEFAULT_ITERATIONS).
    pub(crate) const DEFAULT_TIME: Duration = Duration::from_secs(1);

    /// Run the body this many times (default 100,000), or until the time budget runs out.
    pub fn iterations(mut self, iterations: u64) -> Self {
        self.iterations = Some(iterations);
        self
    }

    /// Run for this long (default 1 s), or until the iteration budget runs out.
    pub fn time(mut self, time: Duration) -> Self {
        self.time = Some(time);
        self
    }

    /// Insert seeded random spins and yields before facade operations to widen race windows
    /// (default on).
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Check `cell::UnsafeCell` accesses for data races with vector clocks (default on). The
    /// detector's bookkeeping at atomic operations is a barrier, which can hide hardware
    /// reorderings around them; turn it off to see those.
    pub fn race_detection(mut self, on: bool) -> Self {
        self.race_detection = on;
        self
    }

    /// The seed of the jitter (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Report a deadlock (or a hang) when no facade operation completes for this long
    /// (default 2 s).
    pub fn watchdog(mut self, timeout: Duration) -> Self {
        self.watchdog = timeout;
        self
    }
}
