//! The checker against histories whose answer is known by hand (some need the search to
//! backtrack), and against a brute-force checker on random small histories.

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};
use tapestry_lincheck::{CallId, History, Model, Verdict, check, check_by_key};

/// A register: `Some(v)` writes `v`, `None` reads; both return the value after.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Register(u8);

impl Model for Register {
    type Op = Option<u8>;
    type Ret = u8;
    fn apply(&mut self, op: &Option<u8>) -> u8 {
        if let Some(v) = op {
            self.0 = *v;
        }
        self.0
    }
}

/// A FIFO queue: `Some(v)` enqueues (returns `None`), `None` dequeues (returns the front).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Queue(std::collections::VecDeque<u8>);

impl Model for Queue {
    type Op = Option<u8>;
    type Ret = Option<u8>;
    fn apply(&mut self, op: &Option<u8>) -> Option<u8> {
        match op {
            Some(v) => {
                self.0.push_back(*v);
                None
            }
            None => self.0.pop_front(),
        }
    }
}

fn register(history: &History<Option<u8>, u8>) -> Verdict {
    check(Register::default(), history)
}

#[test]
fn sequential_calls_are_linearizable_in_their_order() {
    let mut h = History::new();
    let w = h.invoke(0, Some(3));
    h.returns(w, 3);
    let r = h.invoke(1, None);
    h.returns(r, 3);
    assert_eq!(
        register(&h),
        Verdict::Linearizable {
            order: vec![CallId(0), CallId(1)]
        }
    );
}

#[test]
fn a_read_overlapping_a_write_may_see_either_value() {
    for seen in [0, 1] {
        let mut h = History::new();
        let w = h.invoke(0, Some(1));
        let r = h.invoke(1, None);
        h.returns(r, seen);
        h.returns(w, 1);
        assert!(register(&h).is_linearizable(), "read {seen}");
    }
}

#[test]
fn a_value_cannot_be_unseen() {
    // A read sees the write; a later read, after the write returned, sees the old value.
    let mut h = History::new();
    let w = h.invoke(0, Some(1));
    let r1 = h.invoke(1, None);
    h.returns(r1, 1);
    h.returns(w, 1);
    let r2 = h.invoke(1, None);
    h.returns(r2, 0);
    match register(&h) {
        Verdict::NotLinearizable { longest } => {
            // The write, then the first read: the second read can go nowhere.
            assert_eq!(longest, vec![CallId(0), CallId(1)]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn concurrent_enqueues_take_effect_in_the_order_the_dequeues_saw() {
    // Needs the search to undo its first choice (the first-invoked enqueue first).
    let mut h: History<Option<u8>, Option<u8>> = History::new();
    let a = h.invoke(0, Some(1));
    let b = h.invoke(1, Some(2));
    h.returns(a, None);
    h.returns(b, None);
    let d1 = h.invoke(0, None);
    h.returns(d1, Some(2));
    let d2 = h.invoke(1, None);
    h.returns(d2, Some(1));
    assert_eq!(
        check(Queue::default(), &h),
        Verdict::Linearizable {
            order: vec![CallId(1), CallId(0), CallId(2), CallId(3)]
        }
    );
}

#[test]
fn enqueues_ordered_in_real_time_must_dequeue_in_that_order() {
    let mut h: History<Option<u8>, Option<u8>> = History::new();
    let a = h.invoke(0, Some(1));
    h.returns(a, None);
    let b = h.invoke(1, Some(2));
    h.returns(b, None);
    let d = h.invoke(0, None);
    h.returns(d, Some(2));
    assert!(!check(Queue::default(), &h).is_linearizable());
}

#[test]
fn a_call_that_never_returned_may_take_effect_or_not() {
    for seen in [0, 1] {
        let mut h = History::new();
        let _pending = h.invoke(0, Some(1));
        let r = h.invoke(1, None);
        h.returns(r, seen);
        assert!(register(&h).is_linearizable(), "read {seen}");
    }
    // Not before it was invoked.
    let mut h = History::new();
    let r = h.invoke(1, None);
    h.returns(r, 1);
    let _pending = h.invoke(0, Some(1));
    assert!(!register(&h).is_linearizable());
}

/// Whether some order of the calls (every completed one, and any subset of the pending ones)
/// respects the history's order (`History::orders`) and the model: every order, tried.
fn brute_force<M: Model>(model: M, history: &History<M::Op, M::Ret>) -> bool {
    fn extend<M: Model>(
        state: &M,
        history: &History<M::Op, M::Ret>,
        placed: &mut Vec<bool>,
    ) -> bool {
        let calls = history.calls();
        let all_completed = calls
            .iter()
            .zip(placed.iter())
            .all(|(c, &p)| p || c.returned.is_none());
        if all_completed {
            return true;
        }
        for i in 0..calls.len() {
            // Placeable: not yet placed, and every call that returned before it was invoked
            // is placed.
            let ready = !placed[i]
                && (0..calls.len()).all(|j| placed[j] || !history.orders(CallId(j), CallId(i)));
            if !ready {
                continue;
            }
            let mut next = state.clone();
            let ret = next.apply(&calls[i].op);
            if calls[i].ret.as_ref().is_some_and(|r| *r != ret) {
                continue;
            }
            placed[i] = true;
            if extend(&next, history, placed) {
                return true;
            }
            placed[i] = false;
        }
        false
    }
    extend(&model, history, &mut vec![false; history.len()])
}

/// A random small history of `model`'s object, calls drawn from `call`: each thread's calls in
/// order, events interleaved at random; each call takes effect at a random moment while it
/// runs, so the returns are those of a real execution; then `alter` in 4 of the returns are
/// changed by `change` (and the history may no longer be linearizable), and a thread's last
/// call may never return.
fn history_of<M>(
    model: M,
    call: impl Strategy<Value = M::Op> + Clone,
    change: fn(M::Ret, usize) -> M::Ret,
) -> impl Strategy<Value = History<M::Op, M::Ret>>
where
    M: Model + std::fmt::Debug + 'static,
    M::Op: Clone + std::fmt::Debug + 'static,
    M::Ret: Clone + 'static,
{
    let threads = prop::collection::vec(prop::collection::vec(call, 1..3), 1..4);
    (threads, any::<u64>(), 0u8..3).prop_map(move |(threads, seed, alter)| {
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
        let mut below = move |n: usize| (rng.next_u64() % n as u64) as usize;
        let mut object = model.clone();
        let mut history = History::new();
        // Each thread's calls as (op, returns?), consumed in order.
        let mut todo: Vec<std::collections::VecDeque<(M::Op, bool)>> = threads
            .iter()
            .map(|calls| {
                let last = calls.len() - 1;
                calls
                    .iter()
                    .enumerate()
                    .map(|(i, op)| (op.clone(), i < last || below(5) > 0))
                    .collect()
            })
            .collect();
        // The call each thread is inside: its id, whether it returns, its effect if taken.
        type Inside<Ret> = Option<(CallId, bool, Option<Ret>)>;
        let mut inside: Vec<Inside<M::Ret>> = vec![None; todo.len()];
        loop {
            let live: Vec<usize> = (0..todo.len())
                .filter(|&t| inside[t].is_some() || !todo[t].is_empty())
                .collect();
            let Some(&t) = live.get(below(live.len().max(1))) else {
                break;
            };
            inside[t] = match inside[t].take() {
                None => {
                    let (op, returns) = todo[t].pop_front().expect("a call to make");
                    Some((history.invoke(t, op), returns, None))
                }
                Some((id, returns, None)) => {
                    let effect = object.apply(&history.calls()[id.0].op);
                    if returns {
                        Some((id, returns, Some(effect)))
                    } else {
                        // A call that never returns ends its thread here.
                        todo[t].clear();
                        None
                    }
                }
                Some((id, _, Some(mut ret))) => {
                    if below(4) < alter as usize {
                        ret = change(ret, below(3));
                    }
                    history.returns(id, ret);
                    None
                }
            };
        }
        history
    })
}

fn queue_history() -> impl Strategy<Value = History<Option<u8>, Option<u8>>> {
    let call = prop_oneof![(0u8..3).prop_map(Some), Just(None)];
    history_of(Queue::default(), call, |ret, r| {
        if ret.is_some() { None } else { Some(r as u8) }
    })
}

/// The generated histories are of both kinds, often enough to test both answers.
#[test]
fn random_histories_are_linearizable_or_not() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut yes, mut no) = (0, 0);
    for _ in 0..1000 {
        let history = queue_history().new_tree(&mut runner).unwrap().current();
        if brute_force(Queue::default(), &history) {
            yes += 1;
        } else {
            no += 1;
        }
    }
    assert!(yes > 200 && no > 200, "{yes} linearizable, {no} not");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_checker_agrees_with_brute_force(history in queue_history()) {
        let verdict = check(Queue::default(), &history);
        prop_assert_eq!(
            verdict.is_linearizable(),
            brute_force(Queue::default(), &history),
            "{:?}: {:?}", history, verdict
        );
        // Ordered by threads alone, as for weak memory: the same agreement.
        let loose = history.clone().without_real_time();
        prop_assert_eq!(
            check(Queue::default(), &loose).is_linearizable(),
            brute_force(Queue::default(), &loose),
            "{:?}", loose
        );
        // A linearization it gives is one: replayed, the model returns what the calls did.
        if let Verdict::Linearizable { order } = verdict {
            let mut queue = Queue::default();
            for id in &order {
                let call = &history.calls()[id.0];
                let ret = queue.apply(&call.op);
                prop_assert!(call.ret.is_none() || call.ret == Some(ret));
            }
            for (i, call) in history.calls().iter().enumerate() {
                prop_assert!(call.returned.is_none() || order.contains(&CallId(i)));
            }
        }
    }
}

/// A map of small keys to values: `(k, Some(v))` puts (returns the old value), `(k, None)`
/// gets.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Map(std::collections::BTreeMap<u8, u8>);

impl Model for Map {
    type Op = (u8, Option<u8>);
    type Ret = Option<u8>;
    fn apply(&mut self, &(key, put): &(u8, Option<u8>)) -> Option<u8> {
        match put {
            Some(v) => self.0.insert(key, v),
            None => self.0.get(&key).copied(),
        }
    }
}

fn map_history() -> impl Strategy<Value = History<(u8, Option<u8>), Option<u8>>> {
    let call = (0u8..3, prop::option::of(0u8..2));
    history_of(Map::default(), call, |ret, r| {
        if ret.is_some() { None } else { Some(r as u8) }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Checking each key alone gives the same answer as checking the whole map.
    #[test]
    fn checking_by_key_agrees_with_checking_the_whole(history in map_history()) {
        let whole = check(Map::default(), &history).is_linearizable();
        let by_key = check_by_key(Map::default, |&(key, _)| key, &history).is_linearizable();
        prop_assert_eq!(whole, by_key, "{:?}", history);
        prop_assert_eq!(whole, brute_force(Map::default(), &history), "{:?}", history);
    }
}
