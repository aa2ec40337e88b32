//! Exhaustive exploration against the optimum: how many executions the DPOR engine, the
//! exhaustive engine (loom, no preemption bound) and shuttle's DFS (raw, no reduction) run to
//! cover classic programs, against their number of Mazurkiewicz traces, the fewest any
//! exhaustive search needs.

use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;
use tapestry::{Engine, Explorer, Outcome};
use tapestry_catalogue::classic::{self, Classic};

use super::{Args, Section};

/// Each program's budget; a search that runs out of it is reported as a lower bound. Counted
/// in executions, so that the page does not depend on the machine's load (lastzero(4) needs
/// 144,074; readers(4) and counter(5) far more); the time limit is a safety net.
const MAX_EXECUTIONS: u64 = 200_000;
const MAX_TIME: Duration = Duration::from_secs(60);

#[derive(Serialize)]
struct Row {
    engine: &'static str,
    program: &'static str,
    size: usize,
    optimum: u64,
    executions: u64,
    /// Whether the search finished; if not, `executions` and `ratio` are lower bounds.
    complete: bool,
    ratio: f64,
    per_sec: f64,
    secs: f64,
}

/// Executions to exhaust `readers`, `lastzero` and `counter` at growing sizes.
pub fn optimum(_args: &Args) -> Result<Section> {
    type Make = fn(usize) -> Classic;
    // DPOR goes past loom's five threads; loom and shuttle's DFS stop at the first size whose
    // search runs out of budget.
    let families: [(Make, RangeInclusive<usize>, usize); 3] = [
        (classic::readers, 1..=8, 4),
        (classic::lastzero, 1..=5, 4),
        (classic::counter, 2..=7, 5),
    ];
    let mut rows = Vec::new();
    for (make, sizes, loom_max) in families {
        let (mut loom_on, mut dfs_on) = (true, true);
        for n in sizes {
            let c = make(n);
            rows.push(exhaust(&c, "dpor")?);
            if loom_on && n <= loom_max {
                let row = exhaust(&c, "loom")?;
                loom_on = row.complete;
                rows.push(row);
            }
            if dfs_on && n <= loom_max {
                let row = shuttle_dfs(&c)?;
                dfs_on = row.complete;
                rows.push(row);
            }
        }
    }
    let mut md = String::from("## Exhaustive exploration against the optimum\n\n");
    md += &format!(
        "Executions to cover small classic programs (`tapestry_catalogue::classic`) against the optimum, the programs' number of Mazurkiewicz traces: an optimal partial-order reduction explores each exactly once (ratio 1.0). Engines: **dpor** (tapestry's DPOR engine, unbounded), **loom** (the exhaustive engine: loom's DFS, no preemption bound) and **shuttle DFS** (shuttle's `DfsScheduler` on the same programs written directly against shuttle, no reduction). `readers(n)`: one writer, n readers of one variable (optimum 2^n); `lastzero(n)`: Abdulla et al.'s benchmark from *Optimal DPOR* (POPL 2014), optimum counted by brute force over every interleaving of an abstract model; `counter(n)`: n threads each doing one `fetch_add` (optimum n!). All accesses `SeqCst`. loom and shuttle DFS run up to loom's limit of five threads; a search stops after {}k executions or {} s (`>`: a lower bound), and the larger sizes are then skipped for that engine. Rates only for searches of 1,000 executions or more.\n\n",
        MAX_EXECUTIONS / 1000,
        MAX_TIME.as_secs()
    );
    md += "| program | optimum | engine | executions | ratio | time | exec/s |\n|---|---:|---|---:|---:|---:|---:|\n";
    for r in &rows {
        let bound = if r.complete { "" } else { "> " };
        // A search of a few executions takes milliseconds: its rate would be mostly setup.
        let per_sec = if r.executions >= 1_000 {
            format!("{:.0}", r.per_sec)
        } else {
            "–".to_owned()
        };
        md += &format!(
            "| {}({}) | {} | {} | {bound}{} | {bound}{:.1} | {:.3} s | {per_sec} |\n",
            r.program, r.size, r.optimum, r.engine, r.executions, r.ratio, r.secs
        );
    }
    Ok(Section {
        name: "optimum",
        markdown: md,
        json: serde_json::to_value(rows)?,
    })
}

fn exhaust(c: &Classic, engine: &'static str) -> Result<Row> {
    let chosen: Engine = match engine {
        "dpor" => Engine::dpor()
            .unbounded()
            .max_executions(MAX_EXECUTIONS)
            .max_time(MAX_TIME)
            .into(),
        _ => Engine::exhaustive()
            .unbounded()
            .iterative(false)
            .max_executions(MAX_EXECUTIONS)
            .max_time(MAX_TIME)
            .into(),
    };
    let (executions, complete, secs) = search(c, chosen)?;
    Ok(row(c, engine, executions, complete, secs))
}

/// One search of `c` with `engine`, which must pass: its executions, whether it was
/// complete, and its time in seconds.
pub(super) fn search(c: &Classic, engine: Engine) -> Result<(u64, bool, f64)> {
    let program = c.program.clone();
    let start = Instant::now();
    let report = Explorer::new().engine(engine).run(move || program());
    let secs = start.elapsed().as_secs_f64();
    let run = &report.engines()[0];
    let complete = match run.outcome() {
        Outcome::Passed { complete } => *complete,
        other => bail!("{c:?} should pass, but: {other}\n{report}"),
    };
    Ok((run.executions(), complete, secs))
}

fn row(c: &Classic, engine: &'static str, executions: u64, complete: bool, secs: f64) -> Row {
    Row {
        engine,
        program: c.name,
        size: c.size,
        optimum: c.optimum,
        executions,
        complete,
        ratio: executions as f64 / c.optimum as f64,
        per_sec: executions as f64 / secs,
        secs,
    }
}

/// `c` written directly against shuttle, under its depth-first scheduler.
fn shuttle_dfs(c: &Classic) -> Result<Row> {
    let (name, n) = (c.name, c.size);
    let body: Box<dyn Fn() + Send + Sync> = match name {
        "readers" => Box::new(move || raw::readers(n)),
        "lastzero" => Box::new(move || raw::lastzero(n)),
        "counter" => Box::new(move || raw::counter(n)),
        other => bail!("no shuttle version of {other}"),
    };
    let executions = Arc::new(AtomicU64::new(0));
    let scheduler = Counted {
        inner: shuttle::scheduler::DfsScheduler::new(None, false),
        executions: executions.clone(),
        max: MAX_EXECUTIONS,
    };
    let mut config = shuttle::Config::new();
    config.max_time = Some(MAX_TIME);
    config.silence_warnings = true;
    let start = Instant::now();
    let _quiet = tapestry_catalogue::quiet::Silenced::stderr();
    shuttle::Runner::new(scheduler, config).run(body);
    let secs = start.elapsed().as_secs_f64();
    let ran = executions.load(Relaxed);
    let complete = ran < MAX_EXECUTIONS && start.elapsed() < MAX_TIME;
    Ok(row(c, "shuttle DFS", ran, complete, secs))
}

/// Counts a scheduler's executions, and stops it after `max`.
struct Counted<S> {
    inner: S,
    executions: Arc<AtomicU64>,
    max: u64,
}

impl<S: shuttle::scheduler::Scheduler> shuttle::scheduler::Scheduler for Counted<S> {
    fn new_execution(&mut self) -> Option<shuttle::scheduler::Schedule> {
        if self.executions.load(Relaxed) >= self.max {
            return None;
        }
        let schedule = self.inner.new_execution()?;
        self.executions.fetch_add(1, Relaxed);
        Some(schedule)
    }

    fn next_task(
        &mut self,
        runnable: &[&shuttle::scheduler::Task],
        current: Option<shuttle::scheduler::TaskId>,
        is_yielding: bool,
    ) -> Option<shuttle::scheduler::TaskId> {
        self.inner.next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// The classic programs on shuttle's own types (the same accesses as `classic`).
mod raw {
    use shuttle::sync::Arc;
    use shuttle::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use shuttle::thread;

    fn shared(len: usize) -> Arc<Vec<AtomicU64>> {
        Arc::new((0..len).map(|_| AtomicU64::new(0)).collect())
    }

    pub fn readers(n: usize) {
        let x = shared(1);
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let x = x.clone();
                thread::spawn(move || x[0].load(SeqCst))
            })
            .collect();
        x[0].store(1, SeqCst);
        for t in threads {
            assert!(t.join().unwrap() <= 1);
        }
    }

    pub fn lastzero(n: usize) {
        let a = shared(n + 1);
        let threads: Vec<_> = (1..=n)
            .map(|j| {
                let a = a.clone();
                thread::spawn(move || a[j].store(a[j - 1].load(SeqCst) + 1, SeqCst))
            })
            .collect();
        let zero = (0..=n).rev().find(|&i| a[i].load(SeqCst) == 0);
        for t in threads {
            t.join().unwrap();
        }
        assert!(zero.is_some());
    }

    pub fn counter(n: usize) {
        let counter = shared(1);
        let threads: Vec<_> = (1..n)
            .map(|_| {
                let counter = counter.clone();
                thread::spawn(move || counter[0].fetch_add(1, SeqCst))
            })
            .collect();
        counter[0].fetch_add(1, SeqCst);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter[0].load(SeqCst), n as u64);
    }
}
