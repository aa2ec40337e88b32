//! `cargo xtask lincheck-crates`: `tapestry-lincheck` on a published data structure nobody
//! here wrote. concurrent-queue 2.5.0 (smol-rs) has loom support: built with `--cfg loom` and
//! its `loom` dependency renamed to `tapestry-loom` (the only edit to its published source),
//! its queues run on tapestry's facade, and a scratch crate checks each of its three queues
//! (the one-slot, bounded and unbounded implementations) against a sequential model. The
//! bounded and unbounded queues are linearizable in every explored execution; the one-slot
//! queue is not, and the command expects that finding (LOOM-SUITE.md, "lincheck-crates").

use std::time::Instant;

use anyhow::{Result, ensure};

use crate::loom_crates::{copy_dir, fetch_named, rename_loom};
use crate::scratch;

const CHECKS: &str = r#"//! concurrent-queue's three queues against a sequential queue with the same capacity.

use std::collections::VecDeque;

use concurrent_queue::{ConcurrentQueue, PopError, PushError};
use proptest::prelude::*;
use tapestry_lincheck::Lincheck;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Push(u8),
    Pop,
    Close,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ret {
    Pushed,
    Full,
    PushClosed,
    Popped(u8),
    Empty,
    PopClosed,
    /// `close`: whether this call closed it.
    Closed(bool),
}

/// The sequential queue: what concurrent-queue documents, one call at a time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Model {
    items: VecDeque<u8>,
    capacity: Option<usize>,
    closed: bool,
}

impl tapestry_lincheck::Model for Model {
    type Op = Op;
    type Ret = Ret;
    fn apply(&mut self, op: &Op) -> Ret {
        match *op {
            Op::Push(_) if self.closed => Ret::PushClosed,
            Op::Push(_) if Some(self.items.len()) == self.capacity => Ret::Full,
            Op::Push(v) => {
                self.items.push_back(v);
                Ret::Pushed
            }
            Op::Pop => match self.items.pop_front() {
                Some(v) => Ret::Popped(v),
                None if self.closed => Ret::PopClosed,
                None => Ret::Empty,
            },
            Op::Close => Ret::Closed(!std::mem::replace(&mut self.closed, true)),
        }
    }
}

fn call(queue: &ConcurrentQueue<u8>, op: &Op) -> Ret {
    match *op {
        Op::Push(v) => match queue.push(v) {
            Ok(()) => Ret::Pushed,
            Err(PushError::Full(_)) => Ret::Full,
            Err(PushError::Closed(_)) => Ret::PushClosed,
        },
        Op::Pop => match queue.pop() {
            Ok(v) => Ret::Popped(v),
            Err(PopError::Empty) => Ret::Empty,
            Err(PopError::Closed) => Ret::PopClosed,
        },
        Op::Close => Ret::Closed(queue.close()),
    }
}

fn check(capacity: Option<usize>, make: fn() -> ConcurrentQueue<u8>) {
    let model = move || Model {
        items: VecDeque::new(),
        capacity,
        closed: false,
    };
    let ops = prop_oneof![
        4 => (0u8..3).prop_map(Op::Push),
        4 => Just(Op::Pop),
        1 => Just(Op::Close),
    ];
    Lincheck::new(model, make, call).scenarios(SCENARIOS).check(ops);
}

const SCENARIOS: u32 = 50;

#[test]
fn single() {
    check(Some(1), || ConcurrentQueue::bounded(1));
}

#[test]
fn bounded() {
    check(Some(2), || ConcurrentQueue::bounded(2));
}

#[test]
fn unbounded() {
    check(None, ConcurrentQueue::unbounded);
}
"#;

/// What the one-slot queue's shrunk failure says: a push that finds the slot locked by a pop
/// that already took its element returns `Full` on a queue a pop just found empty.
const FINDING: &str = "Push(0) returned Full, where the model returns Pushed";

/// The shrunk failure of the `single` check, from its table to the end of its trace.
fn failure_of(stdout: &str) -> &str {
    let start = stdout.find("tapestry-lincheck: scenario").unwrap_or(0);
    let end = stdout[start..]
        .find("stack backtrace")
        .map_or(stdout.len(), |i| start + i);
    &stdout[start..end]
}

pub(crate) fn run() -> Result<()> {
    let root = scratch::workspace_root()?;
    let base = scratch::dir("lincheck-crates")?;
    let source = fetch_named("concurrent-queue", "2.5.0", &base, &root)?;
    let queue = base.join("concurrent-queue");
    copy_dir(&source, &queue)?;
    let _ = std::fs::remove_file(queue.join("Cargo.lock"));
    let manifest = queue.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)? + "\n[workspace]\n";
    std::fs::write(&manifest, rename_loom(&text, &root.join("compat/loom"))?)?;

    let check = base.join("check");
    std::fs::create_dir_all(check.join("src"))?;
    std::fs::create_dir_all(check.join("tests"))?;
    std::fs::write(check.join("src/lib.rs"), "")?;
    std::fs::write(check.join("tests/queues.rs"), CHECKS)?;
    std::fs::write(
        check.join("Cargo.toml"),
        format!(
            "[package]\nname = \"check\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [workspace]\n\n[dependencies]\n\
             concurrent-queue = {{ path = \"../concurrent-queue\", features = [\"loom\"] }}\n\
             tapestry-lincheck = {{ path = {:?} }}\nproptest = \"1\"\n",
            root.join("lincheck").display().to_string()
        ),
    )?;
    let target = scratch::target(&root, "cfg-loom");
    let env = [
        ("RUSTFLAGS", "--cfg loom"),
        ("CARGO_TARGET_DIR", target.as_str()),
    ];
    let args = ["test", "--release", "--test", "queues"];
    let (built, _, stderr) = scratch::cargo(
        &check,
        &root,
        &["test", "--release", "--no-run", "--test", "queues"],
        &env,
    )?;
    ensure!(built, "building the checks failed:\n{stderr}");
    let start = Instant::now();
    let (_, stdout, stderr) = scratch::cargo(&check, &root, &args, &env)?;
    let elapsed = start.elapsed();
    let verdict = |test: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("test {test} ... ")))
            .map(|l| l.rsplit(' ').next().unwrap_or("").to_owned())
    };
    // The one-slot queue is not linearizable (see `FINDING`); the others are.
    ensure!(
        verdict("bounded").as_deref() == Some("ok")
            && verdict("unbounded").as_deref() == Some("ok"),
        "concurrent-queue's bounded or unbounded queue failed a linearizability check:\n{stdout}\n{stderr}"
    );
    ensure!(
        verdict("single").as_deref() == Some("FAILED") && stdout.contains(FINDING),
        "concurrent-queue's one-slot queue no longer fails as it did (`{FINDING}`): \
         take it off this command's expectations and LOOM-SUITE.md:\n{stdout}\n{stderr}"
    );
    println!("{}", failure_of(&stdout));
    // Saved beside the tests, and replayed first by the next run.
    let saved = check.join("tapestry-schedules/queues/single.schedule");
    ensure!(
        std::fs::read_to_string(&saved).is_ok_and(|text| text.contains("input = lincheck seed=")),
        "the one-slot queue's failure is not saved with its scenario in {}",
        saved.display()
    );
    let (_, again, stderr) = scratch::cargo(
        &check,
        &root,
        &["test", "--release", "--test", "queues", "single"],
        &env,
    )?;
    ensure!(
        again.contains("a saved schedule of `queues::single` fails again")
            && again.contains(FINDING),
        "the next run did not replay the saved failure first:\n{again}\n{stderr}"
    );
    eprintln!(
        "lincheck-crates: concurrent-queue 2.5.0's bounded and unbounded queues are linearizable \
         in every explored execution of 50 scenarios each; its one-slot queue is not: a push \
         returns Full while a pop that took the element still holds the slot ({:.1} s); the \
         failure was saved with its scenario, and the next run replayed it first",
        elapsed.as_secs_f64()
    );
    Ok(())
}
