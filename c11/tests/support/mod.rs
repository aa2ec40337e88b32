//! Litmus programs as data: threads of straight-line atomic instructions, run under the
//! explorer (`explore`) or counted by brute force (`brute_force`): every choice of the write
//! each read reads from and of each location's coherence order, kept if consistent.

#![allow(dead_code)]

use std::collections::BTreeSet;

use tapestry_c11::{Estimate, EventId, Explorer, Graph, Label, Loc, Model, Ordering, Val};

/// An instruction; each read puts the value it read in the thread's next register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum I {
    Store(Loc, Val, Ordering),
    /// Stores the value of the thread's register `.1` (a dependency).
    StoreReg(Loc, usize, Ordering),
    Load(Loc, Ordering),
    FetchAdd(Loc, Val, Ordering),
    /// `compare_exchange(expected, new, success, failure)`.
    Cas(Loc, Val, Val, Ordering, Ordering),
    Fence(Ordering),
    /// Waits for good if every register listed holds its value, else goes on: a spin loop
    /// that would not exit. An execution with a thread waiting is not counted (as GenMC's
    /// `assume`), so every execution counted has each thread past its `Enter`s.
    Enter(&'static [(usize, Val)]),
}

#[derive(Clone, Debug)]
pub struct Litmus {
    pub locs: Vec<(Loc, Val)>,
    pub threads: Vec<Vec<I>>,
}

/// What a consistent execution ended with: each thread's registers, then each location's
/// final value.
pub type Outcome = (Vec<Vec<Val>>, Vec<Val>);

/// Executions the explorer ran to their end, and their outcomes.
pub fn explore(litmus: &Litmus, model: Model) -> (u64, BTreeSet<Outcome>) {
    explore_graphs(litmus, model, &mut |_| {})
}

/// As [`explore`], showing `each` every graph run to its end.
pub fn explore_graphs(
    litmus: &Litmus,
    model: Model,
    each: &mut dyn FnMut(&Graph),
) -> (u64, BTreeSet<Outcome>) {
    let mut explorer = Explorer::new(litmus.threads.len(), &litmus.locs, model);
    let found = run_all(litmus, &mut explorer, |_| false, each);
    // Every run the exploration starts has a consistent choice at every step.
    assert_eq!(explorer.stats().blocked, 0, "{litmus:?}");
    found
}

/// The estimate of a sampling exploration of `litmus` from `paths` random paths.
pub fn estimate(litmus: &Litmus, model: Model, paths: usize, seed: u64) -> Estimate {
    let mut explorer = Explorer::sampling(litmus.threads.len(), &litmus.locs, model, seed);
    let enough = |e: &Explorer| e.estimate().is_some_and(|estimate| estimate.paths >= paths);
    run_all(litmus, &mut explorer, enough, &mut |_| {});
    // (No litmus with `Enter` is estimated: a run stopped there counts as complete.)
    explorer.estimate().expect("paths were run")
}

/// Runs `litmus` under `explorer` until it ends or `enough` says so; how many runs were
/// complete (no thread waiting for good), and their outcomes.
fn run_all(
    litmus: &Litmus,
    explorer: &mut Explorer,
    enough: impl Fn(&Explorer) -> bool,
    each: &mut dyn FnMut(&Graph),
) -> (u64, BTreeSet<Outcome>) {
    let mut complete = 0;
    let mut outcomes = BTreeSet::new();
    let mut runs = 0u64;
    while !enough(explorer) {
        let Some(mut run) = explorer.next_execution() else {
            break;
        };
        runs += 1;
        assert!(runs < 1_000_000, "the exploration does not end");
        let mut regs = vec![Vec::new(); litmus.threads.len()];
        let mut waiting = false;
        'threads: for (t, code) in litmus.threads.iter().enumerate() {
            let t = t as u32;
            for &instr in code {
                let regs = &mut regs[t as usize];
                let ok = match instr {
                    I::Store(loc, val, ord) => run.store(t, loc, val, ord).is_some(),
                    I::StoreReg(loc, reg, ord) => run.store(t, loc, regs[reg], ord).is_some(),
                    I::Load(loc, ord) => run.load(t, loc, ord).map(|v| regs.push(v)).is_some(),
                    I::FetchAdd(loc, add, ord) => run
                        .rmw(t, loc, ord, None, move |old| Some(old.wrapping_add(add)))
                        .map(|v| regs.push(v))
                        .is_some(),
                    I::Cas(loc, expected, new, success, failure) => run
                        .rmw(t, loc, success, Some(failure), move |old| {
                            (old == expected).then_some(new)
                        })
                        .map(|v| regs.push(v))
                        .is_some(),
                    I::Fence(ord) => run.fence(t, ord).is_some(),
                    I::Enter(waits) => {
                        if waits.iter().all(|&(reg, val)| regs[reg] == val) {
                            // This thread waits for good; the others go on (their writes may
                            // revisit its reads), and the execution is not counted.
                            waiting = true;
                            continue 'threads;
                        }
                        true
                    }
                };
                if !ok {
                    break 'threads;
                }
            }
        }
        if run.is_blocked() || waiting {
            run.finish();
            continue;
        }
        let finals = finals(run.graph());
        each(run.graph());
        run.finish();
        complete += 1;
        outcomes.insert((regs, finals));
    }
    (complete, outcomes)
}

fn finals(graph: &Graph) -> Vec<Val> {
    graph
        .locations()
        .map(|(_, co)| graph.value(*co.last().expect("an initial write")))
        .collect()
}

/// One memory event of the brute force: thread, position in the thread, and what it is.
#[derive(Clone, Copy, Debug)]
struct Slot {
    thread: usize,
    /// The instruction it belongs to.
    instr: usize,
    /// For a read-modify-write, its write part.
    write_part: bool,
}

/// Consistent executions by brute force, and their outcomes: every assignment of a write (or
/// initial value) to each read, every coherence order of each location's writes, each built
/// into a graph and checked.
pub fn brute_force(litmus: &Litmus, model: Model) -> (u64, BTreeSet<Outcome>) {
    // Every potential write: stores and the write parts of read-modify-writes.
    let mut writes: Vec<Slot> = Vec::new();
    let mut reads: Vec<Slot> = Vec::new();
    for (t, code) in litmus.threads.iter().enumerate() {
        for (i, instr) in code.iter().enumerate() {
            match instr {
                I::Store(..) | I::StoreReg(..) => writes.push(Slot {
                    thread: t,
                    instr: i,
                    write_part: false,
                }),
                I::Load(..) => reads.push(Slot {
                    thread: t,
                    instr: i,
                    write_part: false,
                }),
                I::FetchAdd(..) | I::Cas(..) => {
                    reads.push(Slot {
                        thread: t,
                        instr: i,
                        write_part: false,
                    });
                    writes.push(Slot {
                        thread: t,
                        instr: i,
                        write_part: true,
                    });
                }
                I::Fence(_) | I::Enter(_) => {}
            }
        }
    }
    let loc_of = |s: &Slot| match litmus.threads[s.thread][s.instr] {
        I::Store(l, ..)
        | I::StoreReg(l, ..)
        | I::Load(l, ..)
        | I::FetchAdd(l, ..)
        | I::Cas(l, ..) => l,
        I::Fence(_) | I::Enter(_) => unreachable!(),
    };
    // Each read's candidates: `None` is the initial value.
    let candidates: Vec<Vec<Option<usize>>> = reads
        .iter()
        .map(|r| {
            std::iter::once(None)
                .chain(
                    (0..writes.len())
                        .filter(|&w| loc_of(&writes[w]) == loc_of(r))
                        .map(Some),
                )
                .collect()
        })
        .collect();
    let mut count = 0;
    let mut outcomes = BTreeSet::new();
    let mut choice = vec![0usize; reads.len()];
    loop {
        let rf: Vec<Option<usize>> = (0..reads.len()).map(|r| candidates[r][choice[r]]).collect();
        if let Some((graphs, outcome)) = build(litmus, &reads, &writes, &rf, model) {
            count += graphs.len() as u64;
            outcomes.extend(outcome);
        }
        // The next assignment.
        let mut r = 0;
        loop {
            if r == reads.len() {
                return (count, outcomes);
            }
            choice[r] += 1;
            if choice[r] < candidates[r].len() {
                break;
            }
            choice[r] = 0;
            r += 1;
        }
    }
}

/// The consistent graphs (one per coherence order) of the assignment `rf`, and their
/// outcomes; `None` if the assignment cannot happen (a read of a write that does not occur,
/// or reads-from in a cycle with program order).
fn build(
    litmus: &Litmus,
    reads: &[Slot],
    writes: &[Slot],
    rf: &[Option<usize>],
    model: Model,
) -> Option<(Vec<Graph>, Vec<Outcome>)> {
    // Evaluate the threads, each step once the writes it reads from are known: a fixpoint.
    let n = litmus.threads.len();
    let mut pc = vec![0usize; n];
    let mut regs: Vec<Vec<Val>> = vec![Vec::new(); n];
    // Per write slot: its value once its thread has run it; `None` once known not to occur.
    let mut value: Vec<Option<Option<Val>>> = vec![None; writes.len()];
    let init = |loc: Loc| {
        litmus
            .locs
            .iter()
            .find(|l| l.0 == loc)
            .expect("a location")
            .1
    };
    let read_index = |t: usize, i: usize| {
        reads
            .iter()
            .position(|r| r.thread == t && r.instr == i)
            .expect("a read")
    };
    let write_index = |t: usize, i: usize, part: bool| {
        writes
            .iter()
            .position(|w| w.thread == t && w.instr == i && w.write_part == part)
            .expect("a write")
    };
    loop {
        let mut progressed = false;
        for t in 0..n {
            while pc[t] < litmus.threads[t].len() {
                let i = pc[t];
                let read_value = |loc: Loc| -> Option<Option<Val>> {
                    match rf[read_index(t, i)] {
                        None => Some(Some(init(loc))),
                        Some(w) => value[w],
                    }
                };
                match litmus.threads[t][i] {
                    I::Store(..) | I::StoreReg(..) => {
                        let v = match litmus.threads[t][i] {
                            I::Store(_, v, _) => v,
                            I::StoreReg(_, reg, _) => regs[t][reg],
                            _ => unreachable!(),
                        };
                        value[write_index(t, i, false)] = Some(Some(v));
                    }
                    I::Load(loc, _) => match read_value(loc) {
                        None => break,
                        Some(None) => return None,
                        Some(Some(v)) => regs[t].push(v),
                    },
                    I::FetchAdd(loc, add, _) => match read_value(loc) {
                        None => break,
                        Some(None) => return None,
                        Some(Some(v)) => {
                            regs[t].push(v);
                            value[write_index(t, i, true)] = Some(Some(v.wrapping_add(add)));
                        }
                    },
                    I::Cas(loc, expected, new, ..) => match read_value(loc) {
                        None => break,
                        Some(None) => return None,
                        Some(Some(v)) => {
                            regs[t].push(v);
                            value[write_index(t, i, true)] = Some((v == expected).then_some(new));
                        }
                    },
                    I::Fence(_) => {}
                    I::Enter(waits) => {
                        if waits.iter().all(|&(reg, val)| regs[t][reg] == val) {
                            return None;
                        }
                    }
                }
                pc[t] += 1;
                progressed = true;
            }
        }
        if (0..n).all(|t| pc[t] == litmus.threads[t].len()) {
            break;
        }
        if !progressed {
            // Reads wait on each other: reads-from in a cycle with program order.
            return None;
        }
    }
    // The graph without coherence order: events in program order, writes placed in co in the
    // order of `writes`; then every permutation of each location's writes.
    let mut base = Graph::new(n, &litmus.locs);
    let mut ids: Vec<Option<EventId>> = vec![None; writes.len()];
    let mut pending_rf: Vec<(EventId, Option<usize>)> = Vec::new();
    let write = |loc, val, ord, rmw| Label::Write { loc, val, ord, rmw };
    for t in 0..n {
        for (i, &instr) in litmus.threads[t].iter().enumerate() {
            let tid = t as u32;
            match instr {
                I::Store(loc, _, ord) | I::StoreReg(loc, _, ord) => {
                    let w = write_index(t, i, false);
                    let val = value[w].flatten().expect("evaluated");
                    ids[w] = Some(base.push(tid, write(loc, val, ord, false)));
                }
                I::Load(loc, ord) | I::FetchAdd(loc, _, ord) | I::Cas(loc, _, _, ord, _) => {
                    let exclusive = !matches!(instr, I::Load(..));
                    let fail_ord = match instr {
                        I::Cas(.., failure) => Some(failure),
                        _ => None,
                    };
                    let read = Label::Read {
                        loc,
                        ord,
                        rf: EventId::init(loc),
                        fail_ord,
                        exclusive,
                    };
                    let id = base.push(tid, read);
                    pending_rf.push((id, rf[read_index(t, i)]));
                    if exclusive {
                        let w = write_index(t, i, true);
                        if let Some(val) = value[w].flatten() {
                            ids[w] = Some(base.push(tid, write(loc, val, ord, true)));
                        }
                    }
                }
                I::Fence(ord) => {
                    base.push(tid, Label::Fence { ord });
                }
                I::Enter(_) => {}
            }
        }
    }
    for (read, source) in pending_rf {
        let w = match source {
            None => base
                .label(read)
                .loc()
                .map(EventId::init)
                .expect("a location"),
            Some(w) => ids[w]?,
        };
        base.set_rf(read, w);
    }
    // Every coherence order: each location's writes (after its initial write) permuted.
    let locs: Vec<Loc> = base.locations().map(|(l, _)| l).collect();
    let mut graphs = Vec::new();
    let mut outcomes = Vec::new();
    let orders: Vec<Vec<Vec<EventId>>> = locs
        .iter()
        .map(|&l| permutations(base.co(l)[1..].to_vec()))
        .collect();
    let mut pick = vec![0usize; locs.len()];
    loop {
        let mut g = base.clone();
        for (k, &l) in locs.iter().enumerate() {
            let mut after = EventId::init(l);
            for &w in &orders[k][pick[k]] {
                g.place_after(w, after);
                after = w;
            }
        }
        if tapestry_c11::consistency::by_relations(&g, model) {
            outcomes.push((regs.clone(), finals(&g)));
            graphs.push(g);
        }
        let mut k = 0;
        loop {
            if k == locs.len() {
                return Some((graphs, outcomes));
            }
            pick[k] += 1;
            if pick[k] < orders[k].len() {
                break;
            }
            pick[k] = 0;
            k += 1;
        }
    }
}

fn permutations(items: Vec<EventId>) -> Vec<Vec<EventId>> {
    if items.len() <= 1 {
        return vec![items];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.clone();
        let first = rest.remove(i);
        for mut p in permutations(rest) {
            p.insert(0, first);
            out.push(p);
        }
    }
    out
}
