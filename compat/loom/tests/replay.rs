//! A failure's message says how to run its execution again alone, and that replay fails the
//! same way, with the same trace. The test sets the environment, so it is this binary's only
//! one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering::SeqCst;

use tapestry_loom::sync::Arc;
use tapestry_loom::sync::atomic::AtomicUsize;
use tapestry_loom::{model, thread};

fn lost_update() {
    let count = Arc::new(AtomicUsize::new(0));
    let other = count.clone();
    let racer = thread::spawn(move || {
        let seen = other.load(SeqCst);
        other.store(seen + 1, SeqCst);
    });
    let seen = count.load(SeqCst);
    count.store(seen + 1, SeqCst);
    racer.join().unwrap();
    assert_eq!(count.load(SeqCst), 2, "an add was lost");
}

/// The panic message of `f`.
fn message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the model fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

/// The lines of a report from its trace's header on.
fn trace(message: &str) -> &str {
    let start = message.find("step  thread").expect("a trace");
    &message[start..]
}

#[test]
fn a_failure_replays_alone_with_the_same_trace() {
    let first = message(|| model(lost_update));
    let command = first
        .lines()
        .find(|line| line.trim_start().starts_with("TAPESTRY_LOOM_REPLAY="))
        .unwrap_or_else(|| panic!("no replay command in:\n{first}"));
    assert!(
        command.contains("a_failure_replays_alone_with_the_same_trace"),
        "{command}"
    );
    let schedule = command.split('\'').nth(1).expect("a quoted schedule");
    // SAFETY: this binary's only test reads and writes the environment, one call at a time.
    unsafe { std::env::set_var("TAPESTRY_LOOM_REPLAY", schedule) };
    let again = message(|| model(lost_update));
    // SAFETY: as above.
    unsafe { std::env::remove_var("TAPESTRY_LOOM_REPLAY") };
    assert!(again.contains("an add was lost"), "{again}");
    let first_trace = trace(&first);
    let first_trace = &first_trace[..first_trace
        .find("to run this execution")
        .unwrap_or(first_trace.len())];
    assert_eq!(trace(&again).trim_end(), first_trace.trim_end());
}
