//! Classic programs for measuring exhaustive exploration: each comes with the number of its
//! Mazurkiewicz traces (interleavings up to reordering of independent steps), the fewest
//! executions an exhaustive engine can run and still see every behaviour. An engine's
//! executions divided by this optimum measures its redundant work.
//!
//! Every access is `SeqCst` (`readers(n)` and so on): these measure interleavings, not weak
//! memory. The test body's own thread does one thread's work, so that the largest sizes fit
//! in loom's five threads; its spawns and joins conflict with no access, so they add no
//! traces. Each program can also be built with every access `Relaxed` (`readers_with(n,
//! Relaxed)`), whose optimum is then its number of RC11-consistent execution graphs (distinct
//! reads-from and coherence orders), which each function derives.

use std::collections::HashSet;
use std::sync::Arc;

use tapestry::sync::atomic::{AtomicU64, Ordering, Ordering::SeqCst};
use tapestry::thread;

/// A classic program at one size.
#[derive(Clone)]
pub struct Classic {
    /// `readers`, `lastzero`, `counter`, `long_run` or `locked_reads`.
    pub name: &'static str,
    /// The size `n` it was built with.
    pub size: usize,
    /// The test body: one execution of the program, asserting on its final state.
    pub program: Arc<dyn Fn() + Send + Sync>,
    /// The ordering of every access.
    pub ordering: Ordering,
    /// The number of Mazurkiewicz traces of the program (with `Relaxed`: of its RC11
    /// execution graphs).
    pub optimum: u64,
}

impl std::fmt::Debug for Classic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let relaxed = if self.ordering == SeqCst {
            ""
        } else {
            ", relaxed"
        };
        write!(
            f,
            "{}({}{relaxed}), optimum {}",
            self.name, self.size, self.optimum
        )
    }
}

/// `len` atomics, zero, shared between threads (also `deep`'s counters).
pub(crate) fn shared(len: usize) -> tapestry::sync::Arc<Vec<AtomicU64>> {
    tapestry::sync::Arc::new((0..len).map(|_| AtomicU64::new(0)).collect())
}

/// One writer stores to a shared variable while `n` readers each load it once (the body's
/// thread writes; `n` is at most 4). Each reader sees the store or not: 2^n traces.
pub fn readers(n: usize) -> Classic {
    readers_with(n, SeqCst)
}

/// [`readers`] with every access `ordering`. Relaxed, each reader still reads the store or
/// the initial value, independently: 2^n graphs.
pub fn readers_with(n: usize, ordering: Ordering) -> Classic {
    let program = move || {
        let x = shared(1);
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let x = x.clone();
                thread::spawn(move || x[0].load(ordering))
            })
            .collect();
        x[0].store(1, ordering);
        for t in threads {
            assert!(t.join().unwrap() <= 1, "a reader saw a value nobody wrote");
        }
    };
    Classic {
        name: "readers",
        size: n,
        program: Arc::new(program),
        ordering,
        optimum: 1 << n,
    }
}

/// Abdulla et al.'s `lastzero` ("Optimal dynamic partial order reduction", POPL 2014): an
/// array `a[0..=n]` of zeros; thread 0 scans it backwards for the last zero, threads
/// `1..=n` each set `a[j] = a[j-1] + 1` (the body's thread scans). Its traces, counted by
/// brute force with [`Model::traces`] up to n = 5 (a test), are (n+3) 2^(n-2) for n ≥ 2, the
/// count GenMC's benchmarks give too (69,632 at n = 14).
pub fn lastzero(n: usize) -> Classic {
    lastzero_with(n, SeqCst)
}

/// [`lastzero`] with every access `ordering`. Relaxed, each location `a[j]` has one write, so
/// a graph is its reads' choices, and nothing orders the threads but spawn and join: thread 1
/// reads `a[0]`'s initial value, each thread `j > 1` reads `a[j-1]` before or after thread
/// `j-1` wrote it (2^(n-1) ways), and the scan, independently, reads `k` writes and then a
/// zero, for `k` in `0..=n` (n+1 ways): (n+1) 2^(n-1) graphs. (Sequential consistency
/// forbids some: the scan cannot see `a[j]` written and `a[j-1]` not when thread `j` read
/// `a[j-1]`'s write.)
pub fn lastzero_with(n: usize, ordering: Ordering) -> Classic {
    let program = move || {
        let a = shared(n + 1);
        let threads: Vec<_> = (1..=n)
            .map(|j| {
                let a = a.clone();
                thread::spawn(move || a[j].store(a[j - 1].load(ordering) + 1, ordering))
            })
            .collect();
        let zero = (0..=n).rev().find(|&i| a[i].load(ordering) == 0);
        for t in threads {
            t.join().unwrap();
        }
        // a[0] is never written, so the scan stops there at the latest; a[j] is one more
        // than some value a[j-1] had, so it ends between 1 and j.
        assert!(zero.is_some(), "the scan passed a[0]");
        assert!((1..=n).all(|j| (1..=j as u64).contains(&a[j].load(ordering))));
    };
    let n64 = n as u64;
    let optimum = match (ordering == SeqCst, n) {
        (_, 0) => 1,
        (true, 1) => 2,
        (true, _) => (n64 + 3) << (n - 2),
        (false, _) => (n64 + 1) << (n - 1),
    };
    Classic {
        name: "lastzero",
        size: n,
        program: Arc::new(program),
        ordering,
        optimum,
    }
}

/// `n` threads (the body's among them; `n` is at most 5) each do one `fetch_add` on one
/// counter: every order of the increments is its own trace, n! of them.
pub fn counter(n: usize) -> Classic {
    counter_with(n, SeqCst)
}

/// [`counter`] with every access `ordering`. Relaxed, read-modify-writes still form one chain
/// in coherence order, each reading the one before: n! graphs, and the final load after the
/// joins reads the last.
pub fn counter_with(n: usize, ordering: Ordering) -> Classic {
    let program = move || {
        let counter = shared(1);
        let threads: Vec<_> = (1..n)
            .map(|_| {
                let counter = counter.clone();
                thread::spawn(move || counter[0].fetch_add(1, ordering))
            })
            .collect();
        counter[0].fetch_add(1, ordering);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter[0].load(ordering), n as u64, "an increment was lost");
    };
    Classic {
        name: "counter",
        size: n,
        program: Arc::new(program),
        ordering,
        optimum: (1..=n as u64).product(),
    }
}

/// A thread and the body each increment one counter once, then the body increments
/// another `n` times alone: two traces (two orders of the first increments; with `Relaxed`,
/// two coherence orders), each a run of about `n` events. What a search pays per event of a
/// long run: an engine that walks back over the run at each event pays its square.
pub fn long_run_with(n: usize, ordering: Ordering) -> Classic {
    let program = move || {
        let counters = shared(2);
        let other = counters.clone();
        let thread = thread::spawn(move || other[0].fetch_add(1, ordering));
        counters[0].fetch_add(1, ordering);
        thread.join().unwrap();
        for _ in 0..n {
            counters[1].fetch_add(1, ordering);
        }
        assert_eq!(counters[0].load(ordering), 2, "an increment was lost");
        assert_eq!(counters[1].load(ordering), n as u64);
    };
    Classic {
        name: "long_run",
        size: n,
        program: Arc::new(program),
        ordering,
        optimum: 2,
    }
}

/// A thread increments a counter `n` times, each time under a lock, while the body loads the
/// counter once: `n + 1` traces (the load reads one of the `n + 1` values; the lock is the
/// writer's alone, so it orders nothing else), and as many RC11 graphs. With `SeqCst`
/// increments the graph mixes them with the lock's acquires and releases, so a memory-model
/// checker cannot judge the load's choices as under sequential consistency alone: what it
/// pays per choice in a graph of about `5n` events.
pub fn locked_reads_with(n: usize, ordering: Ordering) -> Classic {
    let program = move || {
        let counter = shared(1);
        let lock = tapestry::sync::Arc::new(tapestry::sync::Mutex::new(()));
        let (writer_counter, writer_lock) = (counter.clone(), lock.clone());
        let writer = thread::spawn(move || {
            for _ in 0..n {
                let _held = writer_lock.lock().unwrap();
                writer_counter[0].fetch_add(1, ordering);
            }
        });
        assert!(
            counter[0].load(ordering) <= n as u64,
            "a value nobody wrote"
        );
        writer.join().unwrap();
    };
    Classic {
        name: "locked_reads",
        size: n,
        program: Arc::new(program),
        ordering,
        optimum: n as u64 + 1,
    }
}

/// One access of an abstract program to a shared variable (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read the variable.
    Load(usize),
    /// Write this value to the variable.
    Store(usize, u64),
    /// Add to the variable, reading its old value: a write that also reads.
    FetchAdd(usize, u64),
}

/// A thread of an abstract program: given what its accesses so far returned (a load or a
/// `fetch_add` the value it read, a store the value it wrote), its next access, or `None`
/// when it has finished.
pub type ModelThread = Box<dyn Fn(&[u64]) -> Option<Access> + Send + Sync>;

/// An abstract concurrent program, threads of accesses to variables that start at 0, plain
/// Rust with no facade, whose Mazurkiewicz traces [`Model::traces`] counts by brute force.
pub struct Model {
    vars: usize,
    threads: Vec<ModelThread>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Model({} threads, {} variables)",
            self.threads.len(),
            self.vars
        )
    }
}

impl Model {
    /// A program over `vars` variables.
    pub fn new(vars: usize, threads: Vec<ModelThread>) -> Model {
        Model { vars, threads }
    }

    /// [`readers`] as a model.
    pub fn readers(n: usize) -> Model {
        let mut threads: Vec<ModelThread> = vec![Box::new(|done: &[u64]| {
            done.is_empty().then_some(Access::Store(0, 1))
        })];
        for _ in 0..n {
            threads.push(Box::new(|done: &[u64]| {
                done.is_empty().then_some(Access::Load(0))
            }));
        }
        Model::new(1, threads)
    }

    /// [`lastzero`] as a model.
    pub fn lastzero(n: usize) -> Model {
        let mut threads: Vec<ModelThread> = vec![Box::new(move |read: &[u64]| {
            let k = read.len();
            (k <= n && read.last() != Some(&0)).then(|| Access::Load(n - k))
        })];
        for j in 1..=n {
            threads.push(Box::new(move |done: &[u64]| match done {
                [] => Some(Access::Load(j - 1)),
                [v] => Some(Access::Store(j, v + 1)),
                _ => None,
            }));
        }
        Model::new(n + 1, threads)
    }

    /// [`counter`] as a model.
    pub fn counter(n: usize) -> Model {
        let threads = (0..n)
            .map(|_| -> ModelThread {
                Box::new(|done: &[u64]| done.is_empty().then_some(Access::FetchAdd(0, 1)))
            })
            .collect();
        Model::new(1, threads)
    }

    /// The number of Mazurkiewicz traces (two accesses conflict when they touch the same
    /// variable and at least one writes), by running every interleaving and counting distinct
    /// classes. Under sequential consistency a class is determined by the order of each
    /// variable's writes and, for each read, how many writes of its variable came before it;
    /// that pair is what is collected. Exponential: for programs of a dozen accesses.
    pub fn traces(&self) -> u64 {
        let mut state = State {
            memory: vec![0; self.vars],
            done: vec![Vec::new(); self.threads.len()],
            writes: vec![Vec::new(); self.vars],
            reads: Vec::new(),
        };
        let mut classes = HashSet::new();
        self.explore(&mut state, &mut classes);
        classes.len() as u64
    }

    fn explore(&self, state: &mut State, classes: &mut HashSet<(Vec<Vec<usize>>, Vec<Read>)>) {
        let mut finished = true;
        for (t, thread) in self.threads.iter().enumerate() {
            let Some(access) = thread(&state.done[t]) else {
                continue;
            };
            finished = false;
            // Undo information: the state is shared by the whole search.
            let (var, old) = match access {
                Access::Load(v) | Access::Store(v, _) | Access::FetchAdd(v, _) => {
                    (v, state.memory[v])
                }
            };
            let event = (t, state.done[t].len());
            match access {
                Access::Load(_) => state.reads.push((event, state.writes[var].len())),
                Access::Store(_, value) => {
                    state.memory[var] = value;
                    state.writes[var].push(t);
                }
                Access::FetchAdd(_, add) => {
                    state.memory[var] = old + add;
                    state.writes[var].push(t);
                }
            }
            state.done[t].push(match access {
                Access::Store(_, value) => value,
                _ => old,
            });
            self.explore(state, classes);
            state.done[t].pop();
            state.memory[var] = old;
            match access {
                Access::Load(_) => drop(state.reads.pop()),
                _ => drop(state.writes[var].pop()),
            }
        }
        if finished {
            let mut reads = state.reads.clone();
            reads.sort_unstable();
            classes.insert((state.writes.clone(), reads));
        }
    }
}

/// A read, as (thread, its index among the thread's accesses), and how many writes of its
/// variable preceded it.
type Read = ((usize, usize), usize);

struct State {
    memory: Vec<u64>,
    /// What each thread's accesses returned so far.
    done: Vec<Vec<u64>>,
    /// Per variable, the threads that wrote it, in order. A thread's k-th write of a variable
    /// is the same event in every interleaving, so the thread names it.
    writes: Vec<Vec<usize>>,
    reads: Vec<Read>,
}
