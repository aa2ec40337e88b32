//! A failing check is saved (its scenario as the seed, case and shrinking steps that make it,
//! and its failing schedule), replayed first by the next run and alone with
//! `TAPESTRY_REPLAY`, each time with the same trace; an entry whose scenario is no longer
//! generated, or whose schedule no longer fits, is named as stale. Each "run" of the
//! check is a thread named as libtest names a test's thread; the test sets the environment,
//! so it is this binary's only one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

mod register;

use register::{ops, register};

/// What the check `check` ends with when run as the test `test`: its panic message, if any.
fn run_as(test: &str, check: impl FnOnce() + Send + 'static) -> Result<(), String> {
    std::thread::Builder::new()
        .name(test.to_owned())
        .spawn(move || catch_unwind(AssertUnwindSafe(check)))
        .expect("a thread")
        .join()
        .expect("the check's thread returns")
        .map_err(|panic| panic.downcast_ref::<String>().cloned().unwrap_or_default())
}

/// The interleaving of a failure message: its steps, up to the next blank line.
fn steps(message: &str) -> &str {
    let from = message.find("step  thread").expect("an interleaving");
    let steps = &message[from..];
    steps.split("\n\n").next().unwrap_or(steps)
}

fn set_env(key: &str, value: Option<&Path>) {
    // SAFETY: this binary's only test reads and writes the environment, one call at a time.
    unsafe {
        match value {
            Some(value) => std::env::set_var(key, value),
            None => std::env::remove_var(key),
        }
    }
}

#[test]
fn a_failing_check_is_saved_and_replayed() {
    let dir = std::env::temp_dir().join(format!("tapestry-lincheck-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    set_env("TAPESTRY_SCHEDULE_DIR", Some(&dir));
    let test = "checks::register";
    let file = dir.join("replay/checks/register.schedule");

    let first = run_as(test, || register(true).check(ops())).expect_err("the bug is found");
    assert!(first.starts_with("tapestry-lincheck: scenario "), "{first}");
    assert!(first.contains("not linearizable"), "{first}");
    assert!(
        first.contains(&format!(
            "The failing schedule is saved in {}",
            file.display()
        )),
        "{first}"
    );
    let saved = std::fs::read_to_string(&file).expect("the failure is saved");
    assert!(saved.contains("test = replay::checks::register"), "{saved}");
    assert!(saved.contains("\ninput = lincheck seed=0 case="), "{saved}");

    // The next run rebuilds the scenario from the saved input and replays its schedule
    // first: it fails again, the same way.
    let again = run_as(test, || register(true).check(ops())).expect_err("fails again");
    assert!(
        again.contains("a saved schedule of `replay::checks::register` fails again"),
        "{again}"
    );
    assert_eq!(steps(&again), steps(&first));

    // Alone, with `TAPESTRY_REPLAY`.
    set_env("TAPESTRY_REPLAY", Some(&file));
    let alone = run_as(test, || register(true).check(ops())).expect_err("reproduced");
    set_env("TAPESTRY_REPLAY", None);
    assert!(alone.contains("reproduces the panic"), "{alone}");
    assert_eq!(steps(&alone), steps(&first));

    // Three threads generate other scenarios: the saved one is not made again, and the
    // entry is named as testing nothing now.
    let other = run_as(test, || register(true).threads(3).check(ops()))
        .expect_err("the stale entry is named");
    assert!(other.contains("no longer fit the test"), "{other}");
    assert!(
        other.contains("is not generated the same way now"),
        "{other}"
    );

    // Fixed, the program takes other steps: its saved schedule no longer fits, as any
    // test's would not; once it is deleted, the check passes.
    let fixed = run_as(test, || register(false).check(ops())).expect_err("stale");
    assert!(fixed.contains("no longer fit the test"), "{fixed}");
    std::fs::remove_file(&file).expect("the file is there");
    run_as(test, || register(false).check(ops())).expect("the fix passes");
    let _ = std::fs::remove_dir_all(&dir);
}
