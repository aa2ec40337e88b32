//! The exploration against the brute force on random small programs: the same number of
//! consistent executions (none missed, none run twice) and the same outcomes, under RC11 and
//! under sequential consistency; and the order traces show graphs in.

mod support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use support::{I, Litmus, brute_force, explore, explore_graphs};
use tapestry_c11::order::sc_order;
use tapestry_c11::{EventId, Graph, Label, Loc, Model, Ordering, is_consistent};

fn ordering() -> impl Strategy<Value = Ordering> {
    prop_oneof![
        Just(Ordering::Relaxed),
        Just(Ordering::Acquire),
        Just(Ordering::Release),
        Just(Ordering::AcqRel),
        Just(Ordering::SeqCst),
    ]
}

/// An access's ordering must suit it, as std's panics say: no `Release` load, no `Acquire`
/// store.
fn instr() -> impl Strategy<Value = I> {
    let loc = 0u32..2;
    prop_oneof![
        (loc.clone(), 1u64..3, ordering()).prop_map(|(l, v, o)| {
            let o = if o.acquires() && o != Ordering::SeqCst {
                Ordering::Release
            } else {
                o
            };
            I::Store(l, v, o)
        }),
        (loc.clone(), ordering()).prop_map(|(l, o)| {
            let o = if o.releases() && o != Ordering::SeqCst {
                Ordering::Acquire
            } else {
                o
            };
            I::Load(l, o)
        }),
        (loc.clone(), ordering()).prop_map(|(l, o)| I::FetchAdd(l, 1, o)),
        (loc.clone(), 0u64..2, ordering()).prop_map(|(l, e, o)| I::Cas(
            l,
            e,
            2,
            o,
            Ordering::Relaxed
        )),
        ordering().prop_map(|o| I::Fence(if o == Ordering::Relaxed {
            Ordering::SeqCst
        } else {
            o
        })),
    ]
}

fn program() -> impl Strategy<Value = Litmus> {
    proptest::collection::vec(proptest::collection::vec(instr(), 1..=3), 2..=3).prop_map(
        |threads| Litmus {
            locs: vec![(0, 0), (1, 0)],
            threads,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn the_exploration_runs_each_consistent_execution_once(program in program()) {
        for model in [Model::Rc11, Model::Sc] {
            let (count, outcomes) = explore(&program, model);
            let (brute, brute_outcomes) = brute_force(&program, model);
            prop_assert_eq!(count, brute, "{:?}: {:?}", model, program);
            prop_assert_eq!(outcomes, brute_outcomes, "{:?}", model);
        }
    }
}

/// `program` with each ordering `o` made `order(o)`.
fn with_orderings(mut program: Litmus, order: impl Fn(Ordering) -> Ordering) -> Litmus {
    for instr in program.threads.iter_mut().flatten() {
        *instr = match *instr {
            I::Store(l, v, o) => I::Store(l, v, order(o)),
            I::StoreReg(l, r, o) => I::StoreReg(l, r, order(o)),
            I::Load(l, o) => I::Load(l, order(o)),
            I::FetchAdd(l, v, o) => I::FetchAdd(l, v, order(o)),
            I::Cas(l, e, n, o, f) => I::Cas(l, e, n, order(o), order(f)),
            I::Fence(o) => I::Fence(order(o)),
            other @ I::Enter(_) => other,
        };
    }
    program
}

/// `program` with every ordering `SeqCst`.
fn all_seq_cst(program: Litmus) -> Litmus {
    with_orderings(program, |_| Ordering::SeqCst)
}

/// `program` with every `SeqCst` ordering made `AcqRel` (which an access takes as acquire or
/// release, whichever it can).
fn no_seq_cst(program: Litmus) -> Litmus {
    with_orderings(program, |o| {
        if o == Ordering::SeqCst {
            Ordering::AcqRel
        } else {
            o
        }
    })
}

/// The exploration's count and outcomes of `program` under RC11 are the brute force's.
fn agrees_under_rc11(program: &Litmus) -> Result<(), TestCaseError> {
    let (count, outcomes) = explore(program, Model::Rc11);
    let (brute, brute_outcomes) = brute_force(program, Model::Rc11);
    prop_assert_eq!(count, brute, "{:?}", program);
    prop_assert_eq!(outcomes, brute_outcomes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    /// The exploration judges a graph whose every access is `SeqCst` by sequential
    /// consistency (`consistency::check_for`), RC11 being exactly that for such graphs; the
    /// brute force judges it by RC11's relations.
    #[test]
    fn all_seq_cst_programs_have_their_rc11_executions(program in program().prop_map(all_seq_cst)) {
        agrees_under_rc11(&program)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// The exploration judges a new event of a graph with no `SeqCst` event by coherence
    /// alone (`consistency::check_for`); the brute force judges every graph by RC11's
    /// relations.
    #[test]
    fn programs_without_seq_cst_have_their_rc11_executions(program in program().prop_map(no_seq_cst)) {
        agrees_under_rc11(&program)?;
    }
}

/// Whether `order` runs `graph` as an interleaving: every write of a location in its
/// coherence order, every read reading the latest write before it.
fn is_interleaving(graph: &Graph, order: &[EventId]) -> bool {
    let mut latest: BTreeMap<Loc, EventId> = BTreeMap::new();
    for &id in order {
        match graph.label(id) {
            Label::Read { loc, rf, .. }
                if latest.get(&loc).copied().unwrap_or(EventId::init(loc)) != rf =>
            {
                return false;
            }
            Label::Write { loc, .. } => {
                let co = graph.co(loc);
                let before = latest.get(&loc).copied().unwrap_or(EventId::init(loc));
                let place = co.iter().position(|&w| w == id);
                if place.is_none_or(|i| i == 0 || co[i - 1] != before) {
                    return false;
                }
                latest.insert(loc, id);
            }
            _ => {}
        }
    }
    order.len() == graph.events().count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// The order a trace shows a graph in (`order::sc_order`) exists exactly for the graphs
    /// that are sequentially consistent, and is an interleaving of them.
    #[test]
    fn a_graph_has_an_interleaving_order_exactly_when_it_is_sequentially_consistent(
        program in program()
    ) {
        let mut wrong = None;
        explore_graphs(&program, Model::Rc11, &mut |graph| {
            let order = sc_order(graph);
            let fits = order.as_ref().is_none_or(|order| is_interleaving(graph, order));
            if order.is_some() != is_consistent(graph, Model::Sc) || !fits {
                wrong.get_or_insert(format!("{graph:?}: {order:?}"));
            }
        });
        prop_assert!(wrong.is_none(), "{:?}: {}", program, wrong.unwrap_or_default());
    }
}
