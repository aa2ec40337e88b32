//! A loop in words: who repeats what, how often, and what that looks like.

use super::{Cycle, Loop};
use crate::rt::{Event, Op, ThreadIdx, Woke};
use crate::trace::Labels;
use crate::trace::render::operation;

impl Cycle {
    /// What repeats: "T1 and T2 repeat 480 times, in step: T1 `yield`, `try_lock b -> busy`;
    /// T2 ...". And what that looks like: a spin loop that needs a yield, a wait that nothing
    /// ends, threads that only wait for each other, or a livelock.
    pub(crate) fn describe(&self, events: &[Event], labels: &Labels) -> (String, &'static str) {
        let steps = || {
            self.loops
                .iter()
                .flat_map(|l| &l.first)
                .map(|&i| &events[i])
        };
        let mut threads: Vec<ThreadIdx> = steps().map(|e| e.thread).collect();
        threads.sort_unstable();
        threads.dedup();
        let who = and_list(threads.iter().map(|&t| labels.thread(t)).collect());
        let what = match (&self.loops[..], threads.len()) {
            ([one], 1) => format!(
                "{who} repeats {} times: {}",
                thousands(one.repeats),
                operations(one, events, labels, false)
            ),
            ([one], _) => format!(
                "{who} repeat {} times, in step: {}",
                thousands(one.repeats),
                operations(one, events, labels, true)
            ),
            (loops, _) => {
                let each: Vec<String> = loops
                    .iter()
                    .map(|l| {
                        format!(
                            "{} {} ({} times)",
                            labels.thread(events[l.first[0]].thread),
                            operations(l, events, labels, false),
                            thousands(l.repeats)
                        )
                    })
                    .collect();
                format!("{who} each repeat their own steps: {}", each.join("; "))
            }
        };
        let pauses = steps().any(|e| {
            matches!(
                e.op,
                Op::Yield
                    | Op::Sleep { .. }
                    | Op::Wait { .. }
                    | Op::Park { .. }
                    | Op::Pending
                    | Op::TimerWait { .. }
            )
        });
        let verdict = match threads.len() {
            1 if !pauses => {
                "A spin loop that never lets another thread run: add \
                 `tapestry::hint::spin_loop()` or `thread::yield_now()` in the loop"
            }
            1 => "It lets other threads run, but none of them acts while it waits",
            _ if steps().all(|e| only_looks(e.op)) => {
                "Every thread only waits, for something no other thread does: a deadlock that spins"
            }
            _ => "A livelock: the threads keep reacting to each other and none makes progress",
        };
        (what, verdict)
    }
}

/// Whether an operation leaves everything as it found it: a look, a failed attempt, a wait.
fn only_looks(op: Op) -> bool {
    matches!(
        op,
        Op::Yield
            | Op::Sleep { .. }
            | Op::Load { .. }
            | Op::CellRead
            | Op::Fence { .. }
            | Op::TryLock { ok: false }
            | Op::TryRead { ok: false }
            | Op::TryWrite { ok: false }
            | Op::CompareExchange { ok: false, .. }
            | Op::RecvEmpty
            | Op::RecvTimedOut
            | Op::RecvDisconnected
            | Op::SendFailed
            | Op::OnceCheck { .. }
            | Op::Once { ran: false }
            | Op::Wait { .. }
            | Op::Woken { .. }
            | Op::Park {
                woke: Woke::Spurious | Woke::TimedOut,
                ..
            }
    )
}

/// One round of a loop: "`load n -> 3..9 (SeqCst)`, `yield`", each thread's turn named when
/// `turns`: "T1 `yield`, `unlock a`; T2 `yield`".
fn operations(l: &Loop, events: &[Event], labels: &Labels, turns: bool) -> String {
    let mut out = String::new();
    for (k, (&first, &last)) in l.first.iter().zip(&l.last).enumerate() {
        let thread = events[first].thread;
        let op = values(
            &operation(&events[first], labels),
            &operation(&events[last], labels),
        );
        let new_turn = turns && (k == 0 || thread != events[l.first[k - 1]].thread);
        if k > 0 {
            out.push_str(if new_turn { "; " } else { ", " });
        }
        if new_turn {
            out.push_str(&labels.thread(thread));
            out.push(' ');
        }
        out.push_str(&format!("`{op}`"));
    }
    out
}

/// An operation as the first and the last round show it: "load n -> 3" and "load n -> 9" make
/// "load n -> 3..9". Operations whose text differs other than in values show the last round.
pub(super) fn values(first: &str, last: &str) -> String {
    let (a, b) = (words(first), words(last));
    let word = |s: &str| s.chars().all(|c| c.is_alphanumeric() || c == '_');
    if a.len() != b.len()
        || a.iter()
            .zip(&b)
            .any(|(x, y)| x != y && !(word(x) && word(y)))
    {
        return last.to_owned();
    }
    a.iter()
        .zip(&b)
        .map(|(x, y)| {
            if x == y {
                x.to_string()
            } else {
                format!("{x}..{y}")
            }
        })
        .collect()
}

/// `s` cut into words (letters, digits, `_`) and the single characters between them.
fn words(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let len = if c.is_alphanumeric() || c == '_' {
            rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())
        } else {
            c.len_utf8()
        };
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

/// "main", "T1 and T2", "T1, T2 and T3".
fn and_list(mut names: Vec<String>) -> String {
    match names.pop() {
        Some(last) if !names.is_empty() => format!("{} and {last}", names.join(", ")),
        Some(last) => last,
        None => String::new(),
    }
}

/// 24998 as "24,998".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}
