//! Loom tests as loom's users write them: `loom::model`, `loom::thread`, `loom::sync`.
//!
//! The racy test's failing schedule is committed, as tapestry asks when a model fails
//! (`tapestry-schedules/loom/the_racy_counter_loses_a_hit.schedule`): every run replays it
//! first, and the search runs after it only if it no longer fails.

#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use tapestry_loom_example::Hits;

/// Two threads add one hit each, racily or not; both hits must count.
fn two_adds(racy: bool) {
    loom::model(move || {
        let hits = Arc::new(Hits::new());
        let other = hits.clone();
        let add = move |hits: &Hits| if racy { hits.add_racy() } else { hits.add() };
        let thread = thread::spawn(move || add(&other));
        add(&hits);
        thread.join().unwrap();
        assert_eq!(hits.get(), 2, "a hit was lost");
    });
}

#[test]
#[should_panic(expected = "a hit was lost")]
fn the_racy_counter_loses_a_hit() {
    two_adds(true);
}

#[test]
fn the_counter_counts_every_hit() {
    two_adds(false);
}
