//! Whole checks of a small concurrent object: a register whose compare-and-set reads and
//! writes under two critical sections is found with a scenario of a few operations; its fix
//! passes; a seed repeats its failure.

use tapestry::sync::Mutex;
use tapestry_lincheck::{Lincheck, Sequential};

mod register;

use register::{ops, register};

/// Two sets that both succeed from the same value, and (as proptest's shrinking makes the
/// values smaller, down to a set that changes nothing) a read or set after that shows it.
#[test]
fn a_split_compare_and_set_is_found_with_a_few_operations() {
    let failed = register(true)
        .run(ops())
        .expect_err("two sets both succeed");
    assert!(failed.scenario.len() <= 3, "{failed}");
    assert!(failed.scenario.before.is_empty(), "{failed}");
    let text = failed.to_string();
    assert!(text.contains("Set(true)"), "{text}");
    assert!(text.contains("not linearizable"), "{text}");
}

#[test]
fn the_whole_compare_and_set_passes() {
    register(false).check(ops());
}

/// The same seed gives the same scenarios, so the same shrunk failure, trace and all.
#[test]
fn a_seed_repeats_its_failure() {
    let failure = |seed| {
        let failed = register(true).seed(seed).run(ops()).expect_err("found");
        failed.report.failure().expect("a failure").to_string()
    };
    assert_eq!(failure(7), failure(7));
}

/// A set that counts its elements apart: `insert` counts a value it saw absent, then inserts
/// it under the lock again. Two inserts of one value return `true` once, as a set's should,
/// but both count it: the results are linearizable, the state is not, and only `validate`
/// sees it.
struct CountedSet {
    items: Mutex<std::collections::BTreeSet<u8>>,
    len: tapestry::sync::atomic::AtomicUsize,
}

impl CountedSet {
    fn insert(&self, value: &u8) -> bool {
        use tapestry::sync::atomic::Ordering::SeqCst;
        if !self.items.lock().unwrap().contains(value) {
            self.len.fetch_add(1, SeqCst);
        }
        self.items.lock().unwrap().insert(*value)
    }

    fn valid(&self) -> Result<(), String> {
        let (len, items) = (
            self.len.load(tapestry::sync::atomic::Ordering::SeqCst),
            self.items.lock().unwrap().len(),
        );
        if len == items {
            Ok(())
        } else {
            Err(format!("it counts {len} elements and holds {items}"))
        }
    }
}

#[test]
fn validate_finds_a_broken_state_behind_right_results() {
    let set = || CountedSet {
        items: Mutex::new(Default::default()),
        len: Default::default(),
    };
    let model = || Sequential::new(std::collections::BTreeSet::new(), |s, v: &u8| s.insert(*v));
    let ops = || 0u8..2;
    // Without the hook, every result is one a set could return.
    Lincheck::new(model, set, CountedSet::insert).check(ops());
    let failed = Lincheck::new(model, set, CountedSet::insert)
        .validate(CountedSet::valid)
        .run(ops())
        .expect_err("the count drifts");
    let text = failed.to_string();
    assert!(text.contains("it counts 2 elements and holds 1"), "{text}");
    assert_eq!(failed.scenario.len(), 2, "{text}");
}

/// Under the stress engine (real threads), the histories of a right object are linearizable:
/// a call's interval in the history holds its real one (invoked before it starts, returned
/// after it ends), so recording cannot make a false alarm.
#[test]
fn real_threads_make_no_false_alarm() {
    let explorer = tapestry::Explorer::new().engine(
        tapestry::Engine::stress()
            .iterations(200)
            .time(std::time::Duration::from_secs(2)),
    );
    register(false)
        .scenarios(20)
        .explorer(explorer)
        .check(ops());
}
