//! What a failed check says: the scenario as a table, one column per thread, each operation
//! with what it returned; and why no sequential order explains it.

use std::fmt::Write;

use crate::history::{CallId, History};
use crate::{Model, Verdict};

/// The table of `history` (main thread 0 before and after, threads 1.. in parallel), with
/// what the verdict shows.
pub(crate) fn explain<M: Model>(
    model: M,
    history: &History<M::Op, M::Ret>,
    verdict: &Verdict,
) -> String {
    let calls = history.calls();
    let cell = |i: usize| {
        let call = &calls[i];
        match &call.ret {
            Some(ret) => format!("{:?}: {:?}", call.op, ret),
            None => format!("{:?}: (no return)", call.op),
        }
    };
    let threads = calls.iter().map(|c| c.thread).max().unwrap_or(0);
    // The main thread's calls before the first parallel one, and after.
    let first_parallel = calls
        .iter()
        .position(|c| c.thread != 0)
        .unwrap_or(calls.len());
    let (before, rest): (Vec<usize>, Vec<usize>) =
        (0..calls.len()).partition(|&i| calls[i].thread == 0 && i < first_parallel);
    let after: Vec<usize> = rest
        .iter()
        .copied()
        .filter(|&i| calls[i].thread == 0)
        .collect();
    let columns: Vec<Vec<String>> = (1..=threads)
        .map(|t| {
            rest.iter()
                .filter(|&&i| calls[i].thread == t)
                .map(|&i| cell(i))
                .collect()
        })
        .collect();
    let width = columns
        .iter()
        .flatten()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("thread 1".len());
    let mut out = String::new();
    if !before.is_empty() {
        out.push_str("before:\n");
        for &i in &before {
            let _ = writeln!(out, "  {}", cell(i));
        }
    }
    out.push_str("in parallel:\n ");
    for t in 1..=threads {
        let _ = write!(out, " {:width$} |", format!("thread {t}"));
    }
    out.push('\n');
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    for row in 0..rows {
        out.push(' ');
        for column in &columns {
            let text = column.get(row).map_or("", String::as_str);
            let _ = write!(out, " {text:width$} |");
        }
        out.push('\n');
    }
    if !after.is_empty() {
        out.push_str("after:\n");
        for &i in &after {
            let _ = writeln!(out, "  {}", cell(i));
        }
    }
    if let Verdict::NotLinearizable { longest } = verdict {
        out.push_str(&dead_end(model, history, longest));
    }
    out
}

/// "The model agrees with `a`, `b`; then no call can take effect: `c` returned 2 where the
/// model returns 1, ..."
fn dead_end<M: Model>(
    mut model: M,
    history: &History<M::Op, M::Ret>,
    longest: &[CallId],
) -> String {
    let calls = history.calls();
    let mut out = String::new();
    if longest.is_empty() {
        out.push_str("No call can take effect first:");
    } else {
        let order: Vec<String> = longest
            .iter()
            .map(|id| format!("{:?}", calls[id.0].op))
            .collect();
        let _ = write!(
            out,
            "The longest sequential order the model agrees with is {}; after it, no call can take effect:",
            order.join(", ")
        );
    }
    for id in longest {
        model.apply(&calls[id.0].op);
    }
    let placed = |id: CallId| longest.contains(&id);
    for (i, call) in calls.iter().enumerate() {
        if placed(CallId(i)) || !history.may_come_next(CallId(i), placed) {
            continue;
        }
        let expected = model.clone().apply(&call.op);
        match &call.ret {
            Some(ret) if *ret != expected => {
                let _ = write!(
                    out,
                    "\n  {:?} returned {:?}, where the model returns {:?}",
                    call.op, ret, expected
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "\n  {:?} would return {:?}, but every order from there fails",
                    call.op, expected
                );
            }
        }
    }
    out.push('\n');
    out
}
