//! End to end, as a user meets it: a failing `#[tapestry::test]` saves its schedule, the printed
//! command replays it with the same trace, and the next run replays it first. Each step runs
//! this test binary again as a child process, with real environment variables.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use tapestry::sync::Arc;
use tapestry::sync::atomic::AtomicUsize as Counter;
use tapestry::thread;

#[tapestry::test(engines = "random, pct", seed = 3)]
#[ignore = "fails on purpose: run by the tests below, in a child process"]
fn buggy_lost_update() {
    let counter = Arc::new(Counter::named("counter", 0));
    let c = counter.clone();
    let t = thread::spawn(move || c.store(c.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
    counter.store(counter.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
    t.join().unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2, "an increment was lost");
}

#[tapestry::test(engines = "random", schedules = 10)]
#[ignore = "run by the tests below, in a child process"]
fn passes_quietly() {
    let counter = Arc::new(Counter::new(0));
    let c = counter.clone();
    thread::spawn(move || c.fetch_add(1, Ordering::SeqCst))
        .join()
        .unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

/// A directory of its own for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("tapestry-round-trip-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn schedule(&self, test: &str) -> PathBuf {
        self.0.join("round_trip").join(format!("{test}.schedule"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs one ignored test of this binary in a child process; returns whether it passed and what
/// it printed.
fn run(test: &str, schedules: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ]);
    for (var, _) in std::env::vars().filter(|(var, _)| var.starts_with("TAPESTRY_")) {
        command.env_remove(var);
    }
    command
        .env("TAPESTRY_SCHEDULE_DIR", schedules)
        .envs(env.iter().copied());
    let output = command.output().expect("the test binary runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// The trace a schedule file keeps, as comments after the entry's `replay` line.
fn saved_trace(file: &str) -> String {
    let after_replay = file.split_once("\nreplay = ").expect("an entry").1;
    after_replay
        .lines()
        .skip(1)
        .filter_map(|l| l.strip_prefix("#   ").or((l == "#").then_some("")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_failure_is_saved_replayed_alone_and_replayed_first() {
    let scratch = Scratch::new();
    let file = scratch.schedule("buggy_lost_update");

    let (passed, first) = run("buggy_lost_update", &scratch.0, &[]);
    assert!(!passed, "{first}");
    assert!(
        first.contains("tapestry found a panic in `round_trip::buggy_lost_update`"),
        "{first}"
    );
    assert!(
        first.contains("The failing schedule is saved in"),
        "{first}"
    );
    let command = format!(
        "TAPESTRY_REPLAY={} cargo test -p tapestry-tests buggy_lost_update -- --exact",
        file.display()
    );
    assert!(
        first.contains(&command),
        "the failure prints the replay command:\n{first}"
    );

    let saved = std::fs::read_to_string(&file).expect("the schedule is on disk");
    assert!(
        saved.contains("test = round_trip::buggy_lost_update"),
        "{saved}"
    );
    assert!(
        saved.contains("kind = panic") && saved.contains("replay = schedule "),
        "{saved}"
    );
    assert!(
        saved.contains("preemptions = 1"),
        "the saved schedule is the shrunk one:\n{saved}"
    );
    let trace = saved_trace(&saved);
    assert!(trace.contains("an increment was lost"), "{saved}");

    let (passed, replay) = run(
        "buggy_lost_update",
        &scratch.0,
        &[("TAPESTRY_REPLAY", file.to_str().unwrap())],
    );
    assert!(!passed, "{replay}");
    assert!(replay.contains("reproduces the panic"), "{replay}");
    assert!(
        replay.contains(&trace),
        "the replay prints the same trace, byte for byte:\n{replay}\n---\n{trace}"
    );

    let (passed, again) = run("buggy_lost_update", &scratch.0, &[]);
    assert!(!passed);
    assert!(
        again.contains("a saved schedule of `round_trip::buggy_lost_update` fails again"),
        "{again}"
    );
}

#[test]
fn a_bad_knob_fails_the_test_with_its_name_value_and_form() {
    let scratch = Scratch::new();
    let (passed, output) = run(
        "passes_quietly",
        &scratch.0,
        &[("TAPESTRY_SCHEDULES", "ten")],
    );
    assert!(!passed);
    assert!(
        output.contains(
            r#"TAPESTRY_SCHEDULES="ten" is not valid: expected a whole number of schedules"#
        ),
        "{output}"
    );
}

#[test]
fn an_unknown_knob_fails_the_test_with_the_nearest_name() {
    let scratch = Scratch::new();
    let (passed, output) = run("passes_quietly", &scratch.0, &[("TAPESTRY_SEEED", "1")]);
    assert!(!passed, "{output}");
    assert!(
        output.contains("TAPESTRY_SEEED is not a tapestry setting (did you mean TAPESTRY_SEED?)"),
        "{output}"
    );
}

#[test]
fn a_malformed_schedule_file_names_its_line_and_problem() {
    let scratch = Scratch::new();
    let file = scratch.schedule("buggy_lost_update");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "# saved\ntapestry-schedule 7\n").unwrap();
    let (passed, output) = run("buggy_lost_update", &scratch.0, &[]);
    assert!(!passed);
    let expected = format!(
        "{}:2: the file is in format 7, and this tapestry",
        file.display()
    );
    assert!(output.contains(&expected), "{output}");
}

#[test]
fn a_schedule_that_no_longer_fits_says_where_it_diverged() {
    let scratch = Scratch::new();
    let file = scratch.schedule("passes_quietly");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let entry = "[failure]\ntest = round_trip::passes_quietly\nengine = random\nkind = panic\ntapestry = 0.1.0\n";
    std::fs::write(
        &file,
        format!("tapestry-schedule 1\n{entry}replay = schedule 0 3 0\n"),
    )
    .unwrap();
    let (passed, output) = run(
        "passes_quietly",
        &scratch.0,
        &[("TAPESTRY_REPLAY", file.to_str().unwrap())],
    );
    assert!(!passed);
    assert!(output.contains("the schedule diverged from the program at step 2: it runs thread T3, which is not runnable there"), "{output}");

    // A saved schedule that no longer fits is only a warning in a normal run.
    let (passed, output) = run("passes_quietly", &scratch.0, &[]);
    assert!(passed, "{output}");
    assert!(output.contains("no longer fits the test"), "{output}");
}

#[test]
fn tapestry_svg_draws_the_saved_failure_beside_its_schedule() {
    let scratch = Scratch::new();
    let file = scratch.schedule("buggy_lost_update");
    let svg = tapestry::saved::svg_path(&file);
    assert_eq!(
        svg.file_name().unwrap(),
        "buggy_lost_update.schedule.svg",
        "{}",
        svg.display()
    );

    let (passed, output) = run("buggy_lost_update", &scratch.0, &[]);
    assert!(!passed, "{output}");
    assert!(!svg.exists(), "drawn without TAPESTRY_SVG=1");

    std::fs::remove_file(&file).unwrap();
    let (passed, output) = run("buggy_lost_update", &scratch.0, &[("TAPESTRY_SVG", "1")]);
    assert!(!passed, "{output}");
    assert!(
        output.contains(&format!("The interleaving is drawn in {}", svg.display())),
        "{output}"
    );
    let drawn = std::fs::read_to_string(&svg).expect("the diagram is beside the schedule");
    let document = roxmltree::Document::parse(&drawn).expect("well-formed SVG");
    let lanes = document
        .descendants()
        .filter(|n| n.attribute("class") == Some("tp-lane"))
        .count();
    assert_eq!(lanes, 2, "main and T1:\n{drawn}");

    // The schedule file keeps the same trace as data: it draws the same picture.
    let saved = tapestry::saved::read(&file).unwrap();
    let timeline = saved[0].timeline.as_ref().expect("a [trace] section");
    assert_eq!(timeline.svg(), drawn);
}
