//! Threads started and joined during a run: a spawn orders what the parent did before it
//! before the child's events, a join orders the child's events before what follows it.

use tapestry_c11::Ordering::Relaxed;
use tapestry_c11::{EventId, Explorer, Model};

/// Runs `program` under a fresh explorer (one thread to start with): how many executions,
/// and the values it returned.
fn explore(program: impl Fn(&mut tapestry_c11::Execution<'_>) -> u64) -> (u64, Vec<u64>) {
    let mut explorer = Explorer::new(1, &[], Model::Rc11);
    let mut seen = Vec::new();
    while let Some(mut run) = explorer.next_execution() {
        seen.push(program(&mut run));
        assert!(run.finish());
    }
    seen.sort();
    (explorer.stats().complete, seen)
}

#[test]
fn a_child_sees_what_its_parent_did_before_spawning_it() {
    let (count, seen) = explore(|run| {
        let x = run.location_for(0, 0);
        run.store(0, x, 1, Relaxed).unwrap();
        let child = run.spawn(0);
        run.load(child, x, Relaxed).unwrap()
    });
    assert_eq!((count, seen), (1, vec![1]));
}

#[test]
fn a_parent_sees_what_a_joined_child_did() {
    let (count, seen) = explore(|run| {
        let child = run.spawn(0);
        let x = run.location_for(child, 0);
        run.store(child, x, 1, Relaxed).unwrap();
        run.join(0, child);
        run.load(0, x, Relaxed).unwrap()
    });
    assert_eq!((count, seen), (1, vec![1]));
}

#[test]
fn without_a_join_the_parent_may_miss_it() {
    // The child runs first here, yet the parent's relaxed load may read the initial value:
    // nothing orders the two.
    let (count, seen) = explore(|run| {
        let child = run.spawn(0);
        let x = run.location_for(child, 0);
        run.store(child, x, 1, Relaxed).unwrap();
        run.load(0, x, Relaxed).unwrap()
    });
    assert_eq!((count, seen), (2, vec![0, 1]));
}

#[test]
fn six_spawned_threads_increment_one_counter() {
    // Six relaxed increments: the read-modify-writes form one chain, in any of 6! orders,
    // and the parent, joining them all, reads 6.
    let (count, seen) = explore(|run| {
        let children: Vec<u32> = (0..6).map(|_| run.spawn(0)).collect();
        let x = run.location_for(children[0], 0);
        for &child in &children {
            run.rmw(child, x, Relaxed, None, |v| Some(v + 1)).unwrap();
        }
        for &child in &children {
            run.join(0, child);
        }
        run.load(0, x, Relaxed).unwrap()
    });
    assert_eq!(count, 720);
    assert!(seen.iter().all(|&v| v == 6));
}

/// Plain accesses to one cell: a race unless something orders them.
#[test]
fn plain_accesses_race_unless_ordered() {
    use tapestry_c11::Ordering::{Acquire, Release};
    // The child writes the cell, then raises a flag; the parent reads the cell if it sees
    // the flag. With a release store and an acquire load, never a race; relaxed, a race.
    let races = |store, load| {
        let mut explorer = Explorer::new(1, &[], Model::Rc11);
        let mut found = 0;
        while let Some(mut run) = explorer.next_execution() {
            let child = run.spawn(0);
            let raced = run.plain(child, 0, true).is_some();
            let flag = run.location_for(child, 0);
            run.store(child, flag, 1, store).unwrap();
            let seen = run.load(0, flag, load).unwrap() == 1;
            let raced = raced || (seen && run.plain(0, 0, false).is_some());
            found += u32::from(raced);
            run.finish();
        }
        found
    };
    assert_eq!(races(Release, Acquire), 0);
    assert_eq!(races(Relaxed, Relaxed), 1);
}

/// An object's take-over (the last drop of an `Arc`) sees what every thread did before giving
/// the object up; a give-up sees nothing of another's. Main reads x = 1 only when it takes
/// the object over.
#[test]
fn a_take_over_sees_what_came_before_every_give_up() {
    for take_over in [true, false] {
        let (count, seen) = explore(|run| {
            let (a, b) = (run.spawn(0), run.spawn(0));
            let x = run.location_for(a, 0);
            run.store(a, x, 1, Relaxed).unwrap();
            // Named at its first give-up, as a run that replays the graph names it again.
            let obj = run.object_for(a);
            run.give_up(a, obj);
            run.give_up(b, obj);
            if take_over {
                run.take_over(0, obj);
            } else {
                run.give_up(0, obj);
            }
            run.load(0, x, Relaxed).unwrap()
        });
        let expected = if take_over {
            (1, vec![1])
        } else {
            (2, vec![0, 1])
        };
        assert_eq!((count, seen), expected, "take_over: {take_over}");
    }
}

/// Plain accesses around give-ups: a's write before its give-up races with b's read after
/// b's give-up; the take-over's write races with b's read (after b's give-up) but not with
/// a's write (before a's).
#[test]
fn give_ups_order_plain_accesses_only_before_the_take_over() {
    let mut explorer = Explorer::new(1, &[], Model::Rc11);
    while let Some(mut run) = explorer.next_execution() {
        let (a, b) = (run.spawn(0), run.spawn(0));
        let write = run.plain(a, 0, true);
        assert_eq!(write, None);
        let obj = run.object_for(a);
        run.give_up(a, obj);
        run.give_up(b, obj);
        let a_write = run.last_event(a).map(|e| EventId { index: 0, ..e });
        assert_eq!(
            run.plain(b, 0, false),
            a_write,
            "b's read races with a's write"
        );
        let b_read = run.last_event(b);
        run.take_over(0, obj);
        assert_eq!(run.plain(0, 0, true), b_read, "a's write is ordered before");
        assert!(run.finish());
    }
    assert_eq!(explorer.stats().complete, 1);
}

#[test]
fn the_graphs_kept_do_not_grow_with_the_executions() {
    // The parent's load comes first, so each of the child's stores revisits it backwards:
    // one graph per store, each made from the one before, which has nothing left to revisit
    // once it has. Kept on the stack, those graphs were one per execution.
    let n = 50;
    let mut explorer = Explorer::new(1, &[], Model::Rc11);
    let (mut executions, mut most_kept) = (0, 0);
    while let Some(mut run) = explorer.next_execution() {
        let child = run.spawn(0);
        let x = run.location_for(0, 0);
        run.load(0, x, Relaxed).unwrap();
        for value in 1..=n {
            run.store(child, x, value, Relaxed).unwrap();
        }
        assert!(run.finish());
        executions += 1;
        most_kept = most_kept.max(explorer.graphs_kept());
    }
    assert_eq!(executions, n + 1, "the load reads one of the n + 1 values");
    assert!(most_kept <= 2, "{most_kept} graphs kept at once");
}
