//! A failing model is saved, replayed first by the next run, and replayed alone with
//! `TAPESTRY_REPLAY`, each time with the same trace. Each "run" of the test is a thread named
//! as libtest names a test's thread; the test sets the environment, so it is this binary's
//! only one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
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

/// The panic message of `f`, run as the test `test` (on a thread libtest would name so).
fn message(test: &str, f: impl FnOnce() + Send + 'static) -> String {
    let thread = std::thread::Builder::new().name(test.to_owned());
    let payload = thread
        .spawn(move || catch_unwind(AssertUnwindSafe(f)))
        .unwrap()
        .join()
        .unwrap()
        .expect_err("the model fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

/// The failing interleaving of a message: from its header to the first blank line.
fn trace(message: &str) -> &str {
    let start = message.find("step  thread").expect("a trace");
    let rest = &message[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

/// A fresh schedule folder, set as `TAPESTRY_SCHEDULE_DIR`.
fn schedule_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapestry-loom-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // SAFETY: this binary's only test reads and writes the environment, one call at a time.
    unsafe { std::env::set_var("TAPESTRY_SCHEDULE_DIR", &dir) };
    dir
}

fn set_replay(file: Option<&Path>) {
    // SAFETY: as in `schedule_dir`.
    unsafe {
        match file {
            Some(file) => std::env::set_var("TAPESTRY_REPLAY", file),
            None => std::env::remove_var("TAPESTRY_REPLAY"),
        }
    }
}

#[test]
fn a_failing_model_is_saved_and_replayed() {
    let dir = schedule_dir();
    let test = "models::lost_update";
    let first = message(test, || model(lost_update));
    let file = dir.join("replay/models/lost_update.schedule");
    assert!(first.contains("an add was lost"), "{first}");
    assert!(
        first.contains(&format!(
            "The failing schedule is saved in {}",
            file.display()
        )),
        "{first}"
    );
    assert!(
        first.contains(&format!(
            "TAPESTRY_REPLAY={} cargo test -p tapestry-loom models::lost_update -- --exact",
            file.display()
        )),
        "{first}"
    );
    let saved = std::fs::read_to_string(&file).expect("the schedule is saved");
    assert!(
        saved.contains("test = replay::models::lost_update"),
        "{saved}"
    );

    // The next run replays it first, and it fails again the same way.
    let again = message(test, || model(lost_update));
    assert!(
        again.contains("a saved schedule of `replay::models::lost_update` fails again"),
        "{again}"
    );
    assert_eq!(trace(&again), trace(&first));

    // Alone, with `TAPESTRY_REPLAY`.
    set_replay(Some(&file));
    let alone = message(test, || model(lost_update));
    set_replay(None);
    assert!(alone.contains("reproduces the panic"), "{alone}");
    assert_eq!(trace(&alone), trace(&first));

    // A test's second model keeps its schedules apart from its first's, and its replay
    // command selects the test.
    let second = message("models::two_models", || {
        model(|| {});
        model(lost_update);
    });
    let file = dir.join("replay/models/two_models/model_2.schedule");
    assert!(
        second.contains(&format!(
            "TAPESTRY_REPLAY={} cargo test -p tapestry-loom models::two_models -- --exact",
            file.display()
        )),
        "{second}"
    );
    assert!(file.exists());
    // Replaying it alone does not run the first model, which has no schedule there.
    set_replay(Some(&file));
    let alone = message("models::two_models", || {
        model(|| panic!("the first model runs"));
        model(lost_update);
    });
    set_replay(None);
    assert!(alone.contains("reproduces the panic"), "{alone}");
    let _ = std::fs::remove_dir_all(&dir);
}
