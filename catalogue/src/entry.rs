//! What the catalogue knows about each program, and the lesson and code it shows.

use tapestry::{EngineKind, Failure, FailureKind};

/// A bug class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Two threads' steps interleave where one thread's steps must be indivisible.
    Atomicity,
    /// A weak memory ordering lets a thread see writes in an order no interleaving gives.
    MemoryOrdering,
    /// Threads wait for each other in a cycle.
    Deadlock,
    /// Threads keep running but make no progress, or the wrong thread runs.
    Liveness,
    /// A higher-level design flaw built from correct primitives.
    Pattern,
    /// Async tasks: wakers, cancellation at await points, time.
    Async,
}

impl Category {
    /// The category's name as the CLI prints it.
    pub fn name(self) -> &'static str {
        match self {
            Category::Atomicity => "atomicity",
            Category::MemoryOrdering => "memory ordering",
            Category::Deadlock => "deadlock",
            Category::Liveness => "liveness",
            Category::Pattern => "pattern",
            Category::Async => "async",
        }
    }
}

/// Every engine but stress: what most entries claim, the stress engine's real threads
/// hitting a narrow window only by luck.
pub const MODEL_ENGINES: [EngineKind; 6] = [
    EngineKind::Exhaustive,
    EngineKind::Dpor,
    EngineKind::Random,
    EngineKind::Pct,
    EngineKind::Surw,
    EngineKind::Priority,
];

/// [`MODEL_ENGINES`] and the opt-in c11 engine.
pub const MODEL_ENGINES_AND_C11: [EngineKind; 7] = {
    let mut engines = [EngineKind::C11; 7];
    let mut i = 0;
    while i < MODEL_ENGINES.len() {
        engines[i] = MODEL_ENGINES[i];
        i += 1;
    }
    engines
};

/// One catalogued program.
#[derive(Debug)]
pub struct Entry {
    /// Short `snake_case` name, the name of its module.
    pub name: &'static str,
    /// The bug class.
    pub category: Category,
    /// One sentence: what goes wrong.
    pub summary: &'static str,
    /// The failure the buggy program has.
    pub kind: FailureKind,
    /// The buggy program.
    pub buggy: fn(),
    /// The fixed program.
    pub fixed: fn(),
    /// Engines expected to find the bug within their default budgets.
    pub found_by: &'static [EngineKind],
    /// Engines that cannot find it, and why.
    pub missed_by: &'static [(EngineKind, &'static str)],
    /// The module's source: its docs are the lesson, its functions the code.
    pub source: &'static str,
}

impl Entry {
    /// Whether a failure of `kind` found by `engine` is this entry's bug. The stress engine
    /// runs real threads: whether the lock-order cycle of a deadlock entry deadlocks first or
    /// is predicted first (`PotentialDeadlock`) depends on how the machine interleaves them,
    /// so either is the bug. Every other engine must find the entry's own kind.
    pub fn is_its_bug(&self, engine: EngineKind, kind: FailureKind) -> bool {
        kind == self.kind
            || (engine == EngineKind::Stress
                && self.kind == FailureKind::Deadlock
                && kind == FailureKind::PotentialDeadlock)
    }

    /// The lesson: the module's documentation, as Markdown.
    pub fn lesson(&self) -> String {
        let mut lesson = String::new();
        for line in self.source.lines().take_while(|l| l.starts_with("//!")) {
            lesson.push_str(
                line.trim_start_matches("//!")
                    .strip_prefix(' ')
                    .unwrap_or(""),
            );
            lesson.push('\n');
        }
        lesson
    }

    /// The program: the module's source without its documentation and its `ENTRY` metadata.
    pub fn code(&self) -> String {
        let body: Vec<&str> = self
            .source
            .lines()
            .skip_while(|l| l.starts_with("//!"))
            .collect();
        let mut code = String::new();
        let mut in_entry = false;
        for line in body {
            if line.starts_with("/// The catalogue entry.") || line.starts_with("pub const ENTRY") {
                in_entry = true;
            }
            // The metadata's imports are not part of the program.
            let blank_again = line.is_empty() && code.ends_with("\n\n");
            if !in_entry && !line.starts_with("use crate::") && !blank_again {
                code.push_str(line);
                code.push('\n');
            }
            if in_entry && line == "};" {
                in_entry = false;
            }
        }
        code.trim().to_owned() + "\n"
    }

    /// The bug's failure with the fewest spurious wakeups (beside the point of every entry but
    /// one), then preemptions, then steps, from the model engines that claim it
    /// (stress traces depend on the hardware; the c11 engine's show the order it replays a
    /// graph in, not one with few preemptions), preferring the sequentially consistent ones:
    /// the exhaustive engine's alone can also fail through a weak-memory read, the trace to
    /// show only when it alone finds the bug.
    pub fn minimal_failure(&self) -> Option<Failure> {
        let settings = crate::hunt::Settings::default();
        self.found_by
            .iter()
            .filter(|&&k| k != EngineKind::Stress && k != EngineKind::C11)
            .filter_map(|&k| settings.explorer(k).run(self.buggy).failure().cloned())
            .min_by_key(|f| {
                (
                    f.engine() == EngineKind::Exhaustive,
                    spurious_wakeups(f),
                    f.preemptions().unwrap_or(usize::MAX),
                    f.trace().len(),
                )
            })
    }

    /// The source of the module's function `name` (`buggy`, `fixed`, or a helper), with its
    /// doc comment.
    pub fn function(&self, name: &str) -> Option<String> {
        let lines: Vec<&str> = self.source.lines().collect();
        let header = format!("fn {name}(");
        let start = lines
            .iter()
            .position(|l| l.contains(&header) && !l.trim_start().starts_with("//"))?;
        let first = (0..start)
            .rev()
            .take_while(|&i| {
                lines[i].trim_start().starts_with("///") || lines[i].trim_start().starts_with("#[")
            })
            .last()
            .unwrap_or(start);
        let mut depth = 0i32;
        let mut opened = false;
        let mut end = start;
        for (i, line) in lines.iter().enumerate().skip(start) {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            opened |= line.contains('{');
            end = i;
            if opened && depth <= 0 {
                break;
            }
        }
        Some(lines[first..=end].join("\n") + "\n")
    }
}

/// The condition-variable waits of `failure`'s trace that woke spuriously.
fn spurious_wakeups(failure: &Failure) -> usize {
    let timeline = failure.trace().timeline();
    timeline
        .steps()
        .filter(|step| step.text.contains("spuriously"))
        .count()
}
