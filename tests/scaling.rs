//! Jobs, shards and tracing off change how fast tapestry explores, never what a failure is:
//! the same schedule numbers run, a failure keeps its number and trace on any machine, and
//! replays alone.

use tapestry::{Engine, Explorer, Shard};
use tapestry_catalogue::entry;
use tapestry_tests::failure;

fn buggy(name: &str) -> fn() {
    entry(name).expect("catalogued").buggy
}

fn fixed(name: &str) -> fn() {
    entry(name).expect("catalogued").fixed
}

/// Random schedules without shrinking, so that a failure is exactly the schedule that failed.
fn random(seed: u64, schedules: u64) -> Explorer {
    Explorer::new()
        .engine(Engine::random().seed(seed).schedules(schedules))
        .shrink(false)
}

#[test]
fn the_shard_holding_a_failing_schedule_finds_it_with_the_same_number_and_trace() {
    // Seeds whose first failing schedule is deep (#35, #91, #64 of one unsharded run).
    let deep = [
        ("thread_pool_shutdown", 0),
        ("aba_stack", 2),
        ("lease_lock_expiry", 0),
    ];
    for (name, seed) in deep {
        let whole = random(seed, 1_000).run(buggy(name));
        let first = failure(&whole);
        let number = first.execution();
        assert!(number > 10, "{name}: a deep failure, not #{number}");
        let holder = Shard::new((number - 1) % 2, 2).unwrap();
        let other = Shard::new(number % 2, 2).unwrap();
        let sharded = random(seed, 500).shard(holder).run(buggy(name));
        let found = failure(&sharded);
        assert_eq!(found.execution(), number, "{name}: same schedule number");
        assert_eq!(found.replay(), first.replay(), "{name}: same schedule");
        assert_eq!(found.trace().render_full(), first.trace().render_full());
        // No schedule before `number` fails, in either shard.
        if let Some(later) = random(seed, 500).shard(other).run(buggy(name)).failure() {
            assert!(later.execution() > number, "{name}: {}", later.execution());
        }
    }
}

#[test]
fn shards_and_jobs_run_every_schedule_of_the_budget_once() {
    let total = |explorer: Explorer| explorer.run(fixed("lost_update")).engines()[0].executions();
    assert_eq!(total(random(0, 300)), 300);
    assert_eq!(total(random(0, 300).jobs(2)), 300);
    assert_eq!(total(random(0, 301).jobs(3)), 301);
    let shards: u64 = (0..3)
        .map(|i| total(random(0, 100).shard(Shard::new(i, 3).unwrap()).jobs(2)))
        .sum();
    assert_eq!(shards, 300);
}

#[test]
fn a_failure_found_by_parallel_workers_replays_alone() {
    let engines: [Engine; 4] = [
        Engine::random().seed(1).into(),
        Engine::pct().seed(1).into(),
        Engine::surw().seed(1).into(),
        Engine::priority().seed(1).into(),
    ];
    for engine in engines {
        let explorer = Explorer::new().engine(engine.clone()).jobs(2);
        let report = explorer.run(buggy("lost_update"));
        let found = failure(&report);
        let replayed = Explorer::new()
            .replay(found.replay(), buggy("lost_update"))
            .expect("the schedule fits the program");
        let again = failure(&replayed);
        assert_eq!(again.kind(), found.kind(), "{engine:?}");
        assert_eq!(again.trace().render_full(), found.trace().render_full());
    }
}

#[test]
fn parallel_workers_find_a_failing_schedule_no_earlier_than_the_first() {
    let name = "thread_pool_shutdown";
    let first = failure(&random(2, 1_000).run(buggy(name))).execution();
    assert!(first > 10, "a deep failure, not #{first}");
    for _ in 0..3 {
        let parallel = random(2, 1_000).jobs(2).run(buggy(name));
        let found = failure(&parallel);
        let number = found.execution();
        assert!(number >= first, "{number} < {first}");
        // Its number names it: shard `number-1` of `number` with a budget of one schedule
        // runs that schedule alone, on any machine.
        let only = Shard::new(number - 1, number).unwrap();
        let alone = random(2, 1).shard(only).run(buggy(name));
        assert_eq!(alone.engines()[0].executions(), 1);
        assert_eq!(failure(&alone).execution(), number);
        assert_eq!(
            failure(&alone).trace().render_full(),
            found.trace().render_full()
        );
    }
}

#[test]
fn tracing_off_traces_a_failure_by_replaying_it() {
    let engines: [Engine; 5] = [
        Engine::exhaustive().into(),
        Engine::dpor().into(),
        Engine::random().seed(4).into(),
        Engine::pct().seed(4).into(),
        Engine::surw().seed(4).into(),
    ];
    for engine in engines {
        for name in ["lost_update", "lock_order_inversion"] {
            let on = Explorer::new().engine(engine.clone()).run(buggy(name));
            let off = Explorer::new()
                .engine(engine.clone())
                .tracing(false)
                .run(buggy(name));
            let (on, off) = (failure(&on), failure(&off));
            assert_eq!(off.kind(), on.kind(), "{name} {engine:?}");
            assert_eq!(off.execution(), on.execution());
            assert!(!off.trace().render_full().is_empty());
            assert_eq!(off.trace().render_full(), on.trace().render_full());
        }
    }
}
