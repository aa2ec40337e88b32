//! Litmus tests with known answers: the number of distinct consistent executions (reads-from
//! and coherence order) under sequential consistency and under RC11, as GenMC's test suite
//! expects them, and the outcomes, derived by hand from the model. Each count is also checked
//! against the brute force (every reads-from and coherence order, each judged by the model),
//! which the exploration must match exactly: no execution missed, none run twice.

mod support;

use std::collections::BTreeSet;

use support::{I, Litmus, Outcome, brute_force, explore};
use tapestry_c11::Model;
use tapestry_c11::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

const X: u32 = 0;
const Y: u32 = 1;

fn litmus(threads: Vec<Vec<I>>) -> Litmus {
    Litmus {
        locs: vec![(X, 0), (Y, 0)],
        threads,
    }
}

/// Explores `l` under both models: the counts must be `sc` and `rc11` and equal the brute
/// force's, with the same outcomes. Returns the outcomes under each.
fn counts(l: &Litmus, sc: u64, rc11: u64) -> (BTreeSet<Outcome>, BTreeSet<Outcome>) {
    let mut sets = Vec::new();
    for (model, expected) in [(Model::Sc, sc), (Model::Rc11, rc11)] {
        let (count, outcomes) = explore(l, model);
        let (brute, brute_outcomes) = brute_force(l, model);
        assert_eq!(brute, expected, "{model:?}: the brute force counts {brute}");
        assert_eq!(count, expected, "{model:?}: the exploration counts {count}");
        assert_eq!(outcomes, brute_outcomes, "{model:?}");
        sets.push(outcomes);
    }
    let rc11 = sets.pop().expect("two");
    (sets.pop().expect("two"), rc11)
}

/// The registers of threads 0 and 1, one each.
fn pairs(outcomes: &BTreeSet<Outcome>) -> BTreeSet<(u64, u64)> {
    outcomes.iter().map(|(r, _)| (r[0][0], r[1][0])).collect()
}

fn set<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
    items.iter().cloned().collect()
}

#[test]
fn store_buffering() {
    let sb = |ord_w, ord_r| {
        litmus(vec![
            vec![I::Store(X, 1, ord_w), I::Load(Y, ord_r)],
            vec![I::Store(Y, 1, ord_w), I::Load(X, ord_r)],
        ])
    };
    let (sc, rc11) = counts(&sb(Release, Acquire), 3, 4);
    assert_eq!(pairs(&sc), set(&[(0, 1), (1, 0), (1, 1)]));
    assert_eq!(pairs(&rc11), set(&[(0, 0), (0, 1), (1, 0), (1, 1)]));
    // All `SeqCst`: RC11 is sequentially consistent (loom's `AcqRel` would allow (0, 0)).
    let (_, rc11) = counts(&sb(SeqCst, SeqCst), 3, 3);
    assert!(!pairs(&rc11).contains(&(0, 0)));
}

#[test]
fn message_passing() {
    let mp = |ord_w, ord_r| {
        litmus(vec![
            vec![I::Store(X, 1, ord_w), I::Store(Y, 1, ord_w)],
            vec![I::Load(Y, ord_r), I::Load(X, ord_r)],
        ])
    };
    let regs = |o: &BTreeSet<Outcome>| -> BTreeSet<(u64, u64)> {
        o.iter().map(|(r, _)| (r[1][0], r[1][1])).collect()
    };
    let (sc, rc11) = counts(&mp(Release, Acquire), 3, 3);
    assert_eq!(regs(&sc), set(&[(0, 0), (0, 1), (1, 1)]));
    assert_eq!(regs(&rc11), regs(&sc), "flag seen, data missed: forbidden");
    let (_, rc11) = counts(&mp(Relaxed, Relaxed), 3, 4);
    assert!(
        regs(&rc11).contains(&(1, 0)),
        "relaxed, the data may be missed"
    );
}

#[test]
fn load_buffering() {
    let lb = litmus(vec![
        vec![I::Load(Y, Acquire), I::Store(X, 1, Release)],
        vec![I::Load(X, Acquire), I::Store(Y, 1, Release)],
    ]);
    let (sc, rc11) = counts(&lb, 3, 3);
    assert_eq!(pairs(&sc), set(&[(0, 0), (0, 1), (1, 0)]));
    assert_eq!(pairs(&rc11), pairs(&sc), "(1, 1) would be out of thin air");
}

#[test]
fn two_plus_two_writes() {
    let w = litmus(vec![
        vec![I::Store(X, 1, Release), I::Store(Y, 2, Release)],
        vec![I::Store(Y, 1, Release), I::Store(X, 2, Release)],
    ]);
    let finals = |o: &BTreeSet<Outcome>| -> BTreeSet<Vec<u64>> {
        o.iter().map(|(_, f)| f.clone()).collect()
    };
    let (sc, rc11) = counts(&w, 3, 4);
    assert_eq!(finals(&sc), set(&[vec![1, 2], vec![2, 1], vec![2, 2]]));
    assert_eq!(
        finals(&rc11),
        set(&[vec![1, 1], vec![1, 2], vec![2, 1], vec![2, 2]])
    );
}

#[test]
fn s() {
    let s = litmus(vec![
        vec![I::Store(X, 2, Relaxed), I::Store(Y, 1, Relaxed)],
        vec![I::Load(Y, Relaxed), I::Store(X, 1, Relaxed)],
    ]);
    // (what thread 1 read, x at the end)
    let seen = |o: &BTreeSet<Outcome>| -> BTreeSet<(u64, u64)> {
        o.iter().map(|(r, f)| (r[1][0], f[0])).collect()
    };
    let (sc, rc11) = counts(&s, 3, 4);
    assert_eq!(seen(&sc), set(&[(0, 1), (0, 2), (1, 1)]));
    assert_eq!(seen(&rc11), set(&[(0, 1), (0, 2), (1, 1), (1, 2)]));
}

#[test]
fn independent_reads_of_independent_writes() {
    let iriw = litmus(vec![
        vec![I::Store(X, 1, SeqCst)],
        vec![I::Load(X, Acquire), I::Load(Y, SeqCst)],
        vec![I::Load(Y, Acquire), I::Load(X, SeqCst)],
        vec![I::Store(Y, 1, SeqCst)],
    ]);
    let reads = |o: &BTreeSet<Outcome>| -> BTreeSet<Vec<u64>> {
        o.iter()
            .map(|(r, _)| [r[1].clone(), r[2].clone()].concat())
            .collect()
    };
    let (sc, rc11) = counts(&iriw, 15, 16);
    // The two readers disagree on the order of the writes: only RC11, through its acquire
    // (not SeqCst) first loads.
    assert!(!reads(&sc).contains(&vec![1, 0, 1, 0]));
    assert!(reads(&rc11).contains(&vec![1, 0, 1, 0]));
    assert_eq!(reads(&rc11).len(), 16);
}

#[test]
fn read_read_coherence() {
    let corr = litmus(vec![
        vec![I::Store(X, 1, Relaxed), I::Store(X, 2, Relaxed)],
        vec![I::Load(X, Relaxed), I::Load(X, Relaxed)],
    ]);
    let reads = |o: &BTreeSet<Outcome>| -> BTreeSet<(u64, u64)> {
        o.iter().map(|(r, _)| (r[1][0], r[1][1])).collect()
    };
    let (sc, rc11) = counts(&corr, 6, 6);
    let newer_then_older_never = set(&[(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]);
    assert_eq!(reads(&sc), newer_then_older_never);
    assert_eq!(reads(&rc11), newer_then_older_never);
}

#[test]
fn write_to_read_causality() {
    // Thread 1 passes on what it read of x through y; thread 2, seeing it, must see x too.
    let wrc = litmus(vec![
        vec![I::Store(X, 1, Release)],
        vec![I::Load(X, Acquire), I::StoreReg(Y, 0, Release)],
        vec![I::Load(Y, Acquire), I::Load(X, Relaxed)],
    ]);
    let reads = |o: &BTreeSet<Outcome>| -> BTreeSet<(u64, u64, u64)> {
        o.iter().map(|(r, _)| (r[1][0], r[2][0], r[2][1])).collect()
    };
    let (sc, rc11) = counts(&wrc, 7, 7);
    let allowed = set(&[(0, 0, 0), (0, 0, 1), (1, 0, 0), (1, 0, 1), (1, 1, 1)]);
    assert_eq!(reads(&sc), allowed);
    assert_eq!(reads(&rc11), allowed);
}

#[test]
fn a_relaxed_read_modify_write_continues_a_release_sequence() {
    // data = X, flag = Y. Thread 1's increment reads thread 0's release store and continues
    // its release sequence: thread 2, acquiring the incremented flag, sees the data.
    let rs = |flag_ord| {
        litmus(vec![
            vec![I::Store(X, 1, Relaxed), I::Store(Y, 1, flag_ord)],
            vec![I::FetchAdd(Y, 1, Relaxed)],
            vec![I::Load(Y, Acquire), I::Load(X, Relaxed)],
        ])
    };
    let stale = |o: &BTreeSet<Outcome>| {
        o.iter()
            .any(|(r, _)| r[1][0] == 1 && r[2][0] == 2 && r[2][1] == 0)
    };
    let (sc, rc11) = counts(&rs(Release), 9, 9);
    assert!(!stale(&sc) && !stale(&rc11));
    // With a relaxed store there is no release sequence, and the data may be missed.
    let (sc, rc11) = counts(&rs(Relaxed), 9, 12);
    assert!(!stale(&sc) && stale(&rc11));
}

#[test]
fn compare_exchange_has_its_failure_ordering() {
    // Thread 1's compare_exchange expects 0: it fails on reading the flag thread 0 set, and
    // then acquires only if its failure ordering does.
    let cas = |failure| {
        litmus(vec![
            vec![I::Store(X, 1, Relaxed), I::Store(Y, 1, Release)],
            vec![I::Cas(Y, 0, 2, AcqRel, failure), I::Load(X, Relaxed)],
        ])
    };
    let stale = |o: &BTreeSet<Outcome>| o.iter().any(|(r, _)| r[1] == [1, 0]);
    let (_, acquiring) = counts(&cas(Acquire), 3, 3);
    assert!(!stale(&acquiring));
    let (_, relaxed) = counts(&cas(Relaxed), 3, 4);
    assert!(stale(&relaxed));
}

#[test]
fn eight_threads_in_a_ring() {
    // Thread i stores to its location, then loads thread i+1's: each load may miss the store
    // under RC11 (2^8 executions); sequential consistency forbids only all eight missing.
    let n = 8u32;
    let ring = Litmus {
        locs: (0..n).map(|l| (l, 0)).collect(),
        threads: (0..n)
            .map(|i| vec![I::Store(i, 1, Relaxed), I::Load((i + 1) % n, Relaxed)])
            .collect(),
    };
    let (count, outcomes) = explore(&ring, Model::Rc11);
    assert_eq!(count, 256);
    assert_eq!(outcomes.len(), 256);
    let (count, outcomes) = explore(&ring, Model::Sc);
    assert_eq!(count, 255);
    assert!(!outcomes.iter().any(|(r, _)| r.iter().all(|r| r[0] == 0)));
}

/// Mutual exclusion: each thread raises its flag and enters its critical section unless the
/// other's flag is up (Dekker's handshake; Peterson's adds the turn, and waits only when the
/// other's flag is up and the turn is the other's). An execution counted has both threads
/// inside: with `SeqCst` there is none, with release stores and acquire loads (store
/// buffering) there is.
#[test]
fn dekker_and_peterson_need_seq_cst() {
    let dekker = |st, ld| {
        litmus(vec![
            vec![I::Store(X, 1, st), I::Load(Y, ld), I::Enter(&[(0, 1)])],
            vec![I::Store(Y, 1, st), I::Load(X, ld), I::Enter(&[(0, 1)])],
        ])
    };
    counts(&dekker(SeqCst, SeqCst), 0, 0);
    let (_, both_inside) = counts(&dekker(Release, Acquire), 0, 1);
    assert_eq!(pairs(&both_inside), set(&[(0, 0)]));

    const TURN: u32 = 2;
    let peterson = |st, ld| Litmus {
        locs: vec![(X, 0), (Y, 0), (TURN, 0)],
        threads: vec![
            vec![
                I::Store(X, 1, st),
                I::Store(TURN, 1, st),
                I::Load(Y, ld),
                I::Load(TURN, ld),
                I::Enter(&[(0, 1), (1, 1)]),
            ],
            vec![
                I::Store(Y, 1, st),
                I::Store(TURN, 0, st),
                I::Load(X, ld),
                I::Load(TURN, ld),
                I::Enter(&[(0, 1), (1, 0)]),
            ],
        ],
    };
    counts(&peterson(SeqCst, SeqCst), 0, 0);
    let (sc, rc11) = (
        explore(&peterson(Release, Acquire), Model::Sc),
        explore(&peterson(Release, Acquire), Model::Rc11),
    );
    assert_eq!(sc.0, 0, "sequentially consistent, Peterson's lock holds");
    assert!(rc11.0 > 0, "with release/acquire both threads get in");
    assert_eq!(rc11, brute_force(&peterson(Release, Acquire), Model::Rc11));
}

#[test]
fn isa2() {
    // x, then a release/acquire chain through y and z: whoever sees the end of the chain
    // sees x. Relaxed, the chain orders nothing.
    const Z: u32 = 2;
    let isa2 = |rel, acq| Litmus {
        locs: vec![(X, 0), (Y, 0), (Z, 0)],
        threads: vec![
            vec![I::Store(X, 1, Relaxed), I::Store(Y, 1, rel)],
            vec![I::Load(Y, acq), I::Store(Z, 1, rel)],
            vec![I::Load(Z, acq), I::Load(X, Relaxed)],
        ],
    };
    let reads = |o: &BTreeSet<Outcome>| -> BTreeSet<(u64, u64, u64)> {
        o.iter().map(|(r, _)| (r[1][0], r[2][0], r[2][1])).collect()
    };
    let every: Vec<(u64, u64, u64)> = (0..8).map(|b| (b >> 2 & 1, b >> 1 & 1, b & 1)).collect();
    let but_the_chain_seen_and_x_missed: Vec<_> =
        every.iter().copied().filter(|&o| o != (1, 1, 0)).collect();
    let (sc, rc11) = counts(&isa2(Release, Acquire), 7, 7);
    assert_eq!(reads(&sc), set(&but_the_chain_seen_and_x_missed));
    assert_eq!(reads(&rc11), set(&but_the_chain_seen_and_x_missed));
    let (_, rc11) = counts(&isa2(Relaxed, Relaxed), 7, 8);
    assert_eq!(reads(&rc11), set(&every));
}

#[test]
fn read_to_write_causality() {
    // RWC: thread 1 sees x, then misses y; thread 2 writes y, then misses x. Only a total
    // order of SeqCst forbids it.
    let rwc = |store, load| {
        litmus(vec![
            vec![I::Store(X, 1, store)],
            vec![I::Load(X, load), I::Load(Y, load)],
            vec![I::Store(Y, 1, store), I::Load(X, load)],
        ])
    };
    let reads = |o: &BTreeSet<Outcome>| -> BTreeSet<(u64, u64, u64)> {
        o.iter().map(|(r, _)| (r[1][0], r[1][1], r[2][0])).collect()
    };
    let (sc, rc11) = counts(&rwc(Release, Acquire), 7, 8);
    assert!(!reads(&sc).contains(&(1, 0, 0)));
    assert!(reads(&rc11).contains(&(1, 0, 0)));
    let (_, rc11) = counts(&rwc(SeqCst, SeqCst), 7, 7);
    assert!(!reads(&rc11).contains(&(1, 0, 0)));
}

#[test]
fn seq_cst_accesses_ordered_through_release_and_acquire() {
    // Thread 0's SeqCst store of x comes before its release of y; thread 1 acquires y, then
    // makes a SeqCst load of z; thread 2 stores z and loads x, both SeqCst. Seeing y but
    // missing both z and x needs the store of x before the load of z in `psc`, through the
    // release and acquire between them (`po|≠loc; hb; po|≠loc`, an edge of `scb`): RC11
    // forbids it, as sequential consistency does. The `SeqCst` events alone form no cycle.
    let z = 2;
    let l = Litmus {
        locs: vec![(X, 0), (Y, 0), (z, 0)],
        threads: vec![
            vec![I::Store(X, 1, SeqCst), I::Store(Y, 1, Release)],
            vec![I::Load(Y, Acquire), I::Load(z, SeqCst)],
            vec![I::Store(z, 1, SeqCst), I::Load(X, SeqCst)],
        ],
    };
    let reads = |o: &BTreeSet<Outcome>| -> BTreeSet<(u64, u64, u64)> {
        o.iter().map(|(r, _)| (r[1][0], r[1][1], r[2][0])).collect()
    };
    let (sc, rc11) = counts(&l, 7, 7);
    assert!(!reads(&sc).contains(&(1, 0, 0)));
    assert_eq!(
        reads(&rc11),
        reads(&sc),
        "y seen, z and x missed: forbidden"
    );
}
