//! The linearizability search (see the crate docs).

use std::collections::HashSet;

use crate::Model;
use crate::history::{CallId, History};

/// Whether a history is linearizable, with the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It is: the calls in the order they take effect (calls that never returned and did not
    /// take effect are left out).
    Linearizable { order: Vec<CallId> },
    /// It is not: the longest order of calls that the model agrees with and that no other
    /// call must precede, from which every way on fails.
    NotLinearizable { longest: Vec<CallId> },
}

impl Verdict {
    /// Whether the history is linearizable.
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable { .. })
    }
}

/// A set of calls, by number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Calls(Vec<u64>);

impl Calls {
    fn new(n: usize) -> Calls {
        Calls(vec![0; n.div_ceil(64)])
    }

    fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
}

/// One call taken into the linearization: which (its place among the calls by invocation),
/// and the model's state before it.
struct Step<M> {
    call: usize,
    before: M,
}

/// Decides whether `history` is linearizable with respect to `model`, starting from its
/// state.
pub fn check<M: Model>(model: M, history: &History<M::Op, M::Ret>) -> Verdict {
    let calls = history.calls();
    let n = calls.len();
    // Completed calls by return: the first not yet placed is the deadline every call placed
    // next must have been invoked before.
    let mut by_return: Vec<usize> = (0..n).filter(|&i| calls[i].returned.is_some()).collect();
    by_return.sort_by_key(|&i| calls[i].returned);
    let completed = by_return.len();
    let real_time = history.real_time();

    let mut state = model;
    let mut placed = Calls::new(n);
    let mut placed_completed = 0;
    let mut stack: Vec<Step<M>> = Vec::new();
    let mut seen: HashSet<(Calls, M)> = HashSet::new();
    let mut longest: Vec<usize> = Vec::new();
    // Where the scan for the next call resumes: after a backtrack, past the call undone.
    let mut resume = 0;
    loop {
        if placed_completed == completed {
            return Verdict::Linearizable {
                order: stack.iter().map(|s| CallId(s.call)).collect(),
            };
        }
        let deadline = by_return
            .iter()
            .find(|&&i| !placed.contains(i))
            .and_then(|&i| calls[i].returned)
            .expect("a completed call is still to be placed");
        let mut next = None;
        // Calls are numbered in the order they were invoked.
        for (i, call) in calls.iter().enumerate().skip(resume) {
            if real_time && call.invoked > deadline {
                break;
            }
            if placed.contains(i) {
                continue;
            }
            // Without real time, a call waits only for those its thread orders before it.
            if !real_time && !history.may_come_next(CallId(i), |c| placed.contains(c.0)) {
                continue;
            }
            let mut after = state.clone();
            let ret = after.apply(&call.op);
            if call.ret.as_ref().is_some_and(|expected| *expected != ret) {
                continue;
            }
            placed.insert(i);
            if seen.insert((placed.clone(), after.clone())) {
                next = Some((i, after));
                break;
            }
            placed.remove(i);
        }
        match next {
            Some((call, after)) => {
                let before = std::mem::replace(&mut state, after);
                stack.push(Step { call, before });
                if calls[call].returned.is_some() {
                    placed_completed += 1;
                }
                if stack.len() > longest.len() {
                    longest = stack.iter().map(|s| s.call).collect();
                }
                resume = 0;
            }
            None => {
                let Some(Step { call, before }) = stack.pop() else {
                    return Verdict::NotLinearizable {
                        longest: longest.into_iter().map(CallId).collect(),
                    };
                };
                placed.remove(call);
                if calls[call].returned.is_some() {
                    placed_completed -= 1;
                }
                state = before;
                resume = call + 1;
            }
        }
    }
}

/// Decides whether `history` is linearizable when its calls on different keys are
/// independent (a map's calls on different keys, say): each key's calls are checked alone
/// against a model of one key, made by `model` (P-compositionality: Horn and Kroening, "Faster
/// linearizability checking via P-compositionality", FORTE 2015). A history is linearizable
/// if and only if each key's is, and the parts are much smaller to search.
pub fn check_by_key<M: Model, K: Eq + std::hash::Hash>(
    model: impl Fn() -> M,
    key: impl Fn(&M::Op) -> K,
    history: &History<M::Op, M::Ret>,
) -> Verdict
where
    M::Op: Clone,
    M::Ret: Clone,
{
    // Each key's calls, as a history of their own, with their ids in the whole.
    type Part<K, Op, Ret> = (K, History<Op, Ret>, Vec<CallId>);
    let mut parts: Vec<Part<K, M::Op, M::Ret>> = Vec::new();
    for (id, call) in history.calls().iter().enumerate() {
        let k = key(&call.op);
        let index = match parts.iter().position(|(p, ..)| *p == k) {
            Some(i) => i,
            None => {
                parts.push((k, History::new(), Vec::new()));
                parts.len() - 1
            }
        };
        let (_, part, ids) = &mut parts[index];
        part.push_call(call.clone());
        ids.push(CallId(id));
    }
    let mut order = Vec::new();
    for (_, part, ids) in &parts {
        match check(model(), part) {
            Verdict::Linearizable { order: part_order } => {
                order.extend(part_order.iter().map(|c| ids[c.0]));
            }
            Verdict::NotLinearizable { longest } => {
                return Verdict::NotLinearizable {
                    longest: longest.iter().map(|c| ids[c.0]).collect(),
                };
            }
        }
    }
    Verdict::Linearizable { order }
}
