//! A systematic scheduler for shuttle's runtime: depth-first search over every schedule with
//! at most `bound` preemptions (iterative context bounding, as in CHESS: Musuvathi and Qadeer,
//! PLDI 2007).
//!
//! A preemption is a switch away from a thread that could have gone on: it is running, still
//! runnable and not yielding. Switches when a thread blocks, exits or yields are free. Each
//! execution replays the decisions of the previous one up to the deepest decision that still has
//! an untried choice within the bound, takes that choice, and from then on lets the running
//! thread continue whenever it can (the choice that costs nothing).

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

#[derive(Debug)]
pub(crate) struct BoundedDfs {
    bound: usize,
    max_executions: u64,
    executions: u64,
    frames: Vec<Frame>,
    depth: usize,
    /// The program made different choices available when a prefix was replayed: it is not
    /// deterministic under the facade, and the search cannot go on.
    pub(crate) nondeterministic: bool,
}

/// One decision: the runnable threads, which was taken, and what taking each would cost.
#[derive(Debug)]
struct Frame {
    /// The free choice first (if there is one), then the others in thread order.
    options: Vec<TaskId>,
    choice: usize,
    /// The thread whose continuing is free: running, runnable, not yielding.
    continuing: Option<TaskId>,
    /// Preemptions spent before this decision.
    spent: usize,
}

impl Frame {
    fn cost(&self, option: usize) -> usize {
        usize::from(self.continuing.is_some_and(|c| self.options[option] != c))
    }
}

impl BoundedDfs {
    pub(crate) fn new(bound: usize, max_executions: u64) -> Self {
        BoundedDfs {
            bound,
            max_executions,
            executions: 0,
            frames: Vec::new(),
            depth: 0,
            nondeterministic: false,
        }
    }

    /// Moves to the next schedule: the deepest decision with an untried choice in the bound.
    fn advance(&mut self) -> bool {
        while let Some(frame) = self.frames.last_mut() {
            let next = (frame.choice + 1..frame.options.len())
                .find(|&i| frame.spent + frame.cost(i) <= self.bound);
            if let Some(next) = next {
                frame.choice = next;
                return true;
            }
            self.frames.pop();
        }
        false
    }
}

impl Scheduler for BoundedDfs {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if self.nondeterministic || self.executions >= self.max_executions {
            return None;
        }
        if self.executions > 0 && !self.advance() {
            return None;
        }
        self.executions += 1;
        self.depth = 0;
        Some(ShuttleSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        if let Some(frame) = self.frames.get(self.depth) {
            let same = frame.options.len() == runnable.len()
                && runnable.iter().all(|t| frame.options.contains(&t.id()));
            if !same {
                self.nondeterministic = true;
                return None;
            }
            self.depth += 1;
            return Some(frame.options[frame.choice]);
        }
        let continuing = current.filter(|c| !is_yielding && runnable.iter().any(|t| t.id() == *c));
        let mut options: Vec<TaskId> = runnable.iter().map(|t| t.id()).collect();
        options.sort_by_key(|&id| (Some(id) != continuing, usize::from(id)));
        if is_yielding {
            // A yielding thread goes last, so that the free default lets another thread run.
            if let Some(i) = options.iter().position(|&id| Some(id) == current) {
                let yielding = options.remove(i);
                options.push(yielding);
            }
        }
        let spent = self.frames.last().map_or(0, |f| f.spent + f.cost(f.choice));
        self.frames.push(Frame {
            options,
            choice: 0,
            continuing,
            spent,
        });
        self.depth += 1;
        Some(self.frames[self.depth - 1].options[0])
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}
