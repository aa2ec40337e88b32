//! End to end, as a user meets it: a failing `#[tapestry::test]` saves its schedule, the printed
//! command replays it with the same trace, and the next run replays it first; and nothing in a
//! schedule file is ignored silently (`saved_schedule_cases`). Each step runs this test binary
//! again as a child process, with real environment variables.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use tapestry::cell::UnsafeCell;
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

#[tapestry::test(engines = "exhaustive")]
#[ignore = "run by the tests below, in a child process"]
fn passes_exhaustively() {
    let counter = Arc::new(Counter::new(0));
    let c = counter.clone();
    let t = thread::spawn(move || c.fetch_add(1, Ordering::SeqCst));
    counter.fetch_add(1, Ordering::SeqCst);
    t.join().unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2);
}

#[tapestry::test(engines = "random", expect = "panic")]
#[ignore = "run by the tests below, in a child process"]
fn expects_a_lost_update() {
    let counter = Arc::new(Counter::new(0));
    let c = counter.clone();
    let t = thread::spawn(move || c.store(c.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
    counter.store(counter.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
    t.join().unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2);
}

/// A cell two threads write with no lock.
struct Shared(UnsafeCell<u64>);

// SAFETY: it is not: the unsynchronised writes are the bug the detector must report, which it
// does from vector clocks, in the first execution of every engine, whatever the timing.
unsafe impl Sync for Shared {}

#[tapestry::test]
#[ignore = "fails on purpose: run by the tests below, in a child process"]
fn racy_cell() {
    let shared = Arc::new(Shared(UnsafeCell::named("value", 0)));
    let s = shared.clone();
    let t = thread::spawn(move || s.0.with_mut(|v| unsafe { *v += 1 }));
    shared.0.with_mut(|v| unsafe { *v += 1 });
    t.join().unwrap();
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

/// An entry of a schedule file, of `test` (in this binary), replayed by `replay`, saved by
/// this tapestry.
fn entry(test: &str, engine: &str, replay: &str) -> String {
    entry_numbered(test, engine, replay, tapestry::saved::NUMBERING)
}

/// [`entry`], saved by a tapestry with step numbering `numbering`.
fn entry_numbered(test: &str, engine: &str, replay: &str, numbering: u32) -> String {
    format!(
        "\n[failure]\ntest = round_trip::{test}\nengine = {engine}\nkind = panic\ntapestry = 0.1.0\nnumbering = {numbering}\nreplay = {replay}\n"
    )
}

/// A stale entry saved by a tapestry that numbered steps in another way is blamed on tapestry,
/// not on the program (which has not changed).
#[test]
fn a_schedule_saved_by_a_tapestry_that_numbered_steps_otherwise_blames_tapestry() {
    let scratch = Scratch::new();
    let file = scratch.schedule("passes_quietly");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let old = tapestry::saved::NUMBERING - 1;
    let stale = entry_numbered("passes_quietly", "random", "schedule 0 3 0", old);
    std::fs::write(&file, format!("tapestry-schedule 2\n{stale}")).unwrap();
    let (passed, output) = run("passes_quietly", &scratch.0, &[]);
    assert!(!passed, "{output}");
    let numbering = format!(
        "(saved by tapestry 0.1.0 with step numbering {old}; this tapestry, {}, has step numbering {})",
        env!("CARGO_PKG_VERSION"),
        tapestry::saved::NUMBERING
    );
    assert!(output.contains(&numbering), "{output}");
    assert!(
        output.contains("tapestry changed since they were saved: it numbers a program's steps in another way now"),
        "{output}"
    );
    assert!(!output.contains("The program changed"), "{output}");
}

/// One way a schedule file meets a test, and what the user must see.
struct Case {
    name: &'static str,
    /// The test run.
    test: &'static str,
    /// The file written, under the schedule folder: the test's own unless named.
    file: Option<&'static str>,
    /// Its entries: (the test they name, engine, replay line).
    entries: &'static [(&'static str, &'static str, &'static str)],
    /// `TAPESTRY_REPLAY` names the file.
    asked: bool,
    passes: bool,
    /// What the output says; `{file}` is the file's path.
    says: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "an entry of another test in this test's file fails it",
        test: "passes_quietly",
        file: None,
        entries: &[("buggy_lost_update", "random", "schedule 0 1 0")],
        asked: false,
        passes: false,
        says: &[
            "{file} holds saved schedules of another test, which `round_trip::passes_quietly` never replays",
            "of `round_trip::buggy_lost_update`: `replay = schedule 0 1 0` (random engine, panic); its own file is",
            "change the entry's `test = ` line to `test = round_trip::passes_quietly`",
        ],
    },
    Case {
        name: "a random schedule that no longer fits is stale: the test fails, saying how to delete it",
        test: "passes_quietly",
        file: None,
        entries: &[("passes_quietly", "random", "schedule 0 3 0")],
        asked: false,
        passes: false,
        says: &[
            "1 saved schedule(s) of `round_trip::passes_quietly` in {file} no longer fit the test",
            "`replay = schedule 0 3 0` (random engine, panic): the schedule diverged from the program at step 2: it runs thread T3, which is not runnable there",
            "Delete the file (it holds nothing else):\n    rm {file}",
        ],
    },
    Case {
        name: "a priority schedule that no longer fits is stale",
        test: "passes_quietly",
        file: None,
        entries: &[(
            "passes_quietly",
            "priority",
            "priority inversion_bound=20 schedule 0*40",
        )],
        asked: false,
        passes: false,
        says: &[
            "no longer fit the test",
            "(priority engine, panic): the schedule diverged from the program",
        ],
    },
    Case {
        name: "an exhaustive execution that no longer exists is stale",
        test: "passes_exhaustively",
        file: None,
        entries: &[(
            "passes_exhaustively",
            "exhaustive",
            "exhaustive bound=1 execution=1000",
        )],
        asked: false,
        passes: false,
        says: &[
            "(exhaustive engine, panic): the exhaustive search with preemption bound 1 now ends after",
            "so execution 1000 no longer exists",
        ],
    },
    Case {
        name: "an exhaustive execution that passes now is stale: a position in the search, not an interleaving",
        test: "passes_exhaustively",
        file: None,
        entries: &[(
            "passes_exhaustively",
            "exhaustive",
            "exhaustive bound=2 execution=1",
        )],
        asked: false,
        passes: false,
        says: &["execution 1 of the exhaustive search with preemption bound 2 passes now"],
    },
    Case {
        name: "stale and fitting entries together: only the stale ones are to be deleted",
        test: "passes_quietly",
        file: None,
        entries: &[
            ("passes_quietly", "random", "schedule 0 3 0"),
            (
                "passes_quietly",
                "stress",
                "stress seed=0 iteration=1 iterations=5 time_ms=5000",
            ),
        ],
        asked: false,
        passes: false,
        says: &["Delete these entries from {file}, each from its `[failure]` line to the next"],
    },
    Case {
        name: "a stress entry is hunted again with its seed and budget, and finding nothing is a notice",
        test: "passes_quietly",
        file: None,
        entries: &[(
            "passes_quietly",
            "stress",
            "stress seed=4 iteration=3 iterations=20 time_ms=5000",
        )],
        asked: false,
        passes: true,
        says: &[
            "a saved stress failure (panic, from {file}) cannot be replayed step by step, so it was hunted again with its seed 4 and budget (20 iterations or 5s, whichever ends first): 20 iterations in",
            "found nothing this time",
        ],
    },
    Case {
        name: "TAPESTRY_REPLAY with another test's file is an error naming the tests it holds",
        test: "passes_quietly",
        file: Some("elsewhere/other.schedule"),
        entries: &[("buggy_lost_update", "random", "schedule 0 1 0")],
        asked: true,
        passes: false,
        says: &[
            "TAPESTRY_REPLAY={file} holds no schedule of `round_trip::passes_quietly`, only of: `round_trip::buggy_lost_update`",
            "TAPESTRY_REPLAY={file} cargo test -p tapestry-tests buggy_lost_update -- --exact",
        ],
    },
    Case {
        name: "TAPESTRY_REPLAY with a schedule that no longer fits says where it diverged",
        test: "passes_quietly",
        file: Some("elsewhere/mine.schedule"),
        entries: &[("passes_quietly", "random", "schedule 0 3 0")],
        asked: true,
        passes: false,
        says: &[
            "the schedule diverged from the program at step 2: it runs thread T3, which is not runnable there",
        ],
    },
    Case {
        name: "a test that expects its failure replays no saved schedule, and says so",
        test: "expects_a_lost_update",
        file: None,
        entries: &[("expects_a_lost_update", "random", "schedule 0 1 0")],
        asked: false,
        passes: false,
        says: &[
            "`round_trip::expects_a_lost_update` expects a panic, so the 1 saved schedule(s) in {file} are never replayed",
        ],
    },
];

#[test]
fn saved_schedule_cases() {
    let mut wrong = Vec::new();
    for case in CASES {
        let scratch = Scratch::new();
        let file = match case.file {
            Some(name) => scratch.0.join(name),
            None => scratch.schedule(case.test),
        };
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let entries: String = case
            .entries
            .iter()
            .map(|&(test, engine, replay)| entry(test, engine, replay))
            .collect();
        std::fs::write(&file, format!("tapestry-schedule 2\n{entries}")).unwrap();
        let env: &[(&str, &str)] = if case.asked {
            &[("TAPESTRY_REPLAY", file.to_str().unwrap())]
        } else {
            &[]
        };
        let (passed, output) = run(case.test, &scratch.0, env);
        if passed != case.passes {
            wrong.push(format!("{}: passed = {passed}\n{output}", case.name));
            continue;
        }
        for says in case.says {
            let says = says.replace("{file}", &file.display().to_string());
            if !output.contains(&says) {
                wrong.push(format!("{}: does not say `{says}`:\n{output}", case.name));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn a_stress_failure_says_it_cannot_be_replayed_and_hunts_again_with_its_seed_and_budget() {
    let scratch = Scratch::new();
    let file = scratch.schedule("racy_cell");
    let knobs = [
        ("TAPESTRY_ENGINES", "stress"),
        ("TAPESTRY_SEED", "7"),
        ("TAPESTRY_STRESS_ITERATIONS", "40"),
    ];
    let (passed, first) = run("racy_cell", &scratch.0, &knobs);
    assert!(!passed, "{first}");
    assert!(first.contains("tapestry found a data race"), "{first}");
    assert!(
        first.contains(
            "found it on real threads, whose interleaving cannot be replayed step by step"
        ),
        "{first}"
    );
    assert!(!first.contains("Replay it alone"), "{first}");
    let hunt = "TAPESTRY_ENGINES=stress TAPESTRY_SEED=7 TAPESTRY_STRESS_ITERATIONS=40 TAPESTRY_STRESS_TIME=1s cargo test -p tapestry-tests racy_cell -- --exact";
    assert!(first.contains(hunt), "{first}");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains("replay = stress seed=7 iteration=1 iterations=40 time_ms=1000"),
        "{saved}"
    );

    // The printed command hunts again as it says: its variables, and no saved schedule.
    std::fs::remove_file(&file).unwrap();
    let vars: Vec<(&str, &str)> = hunt
        .split(" cargo test")
        .next()
        .unwrap()
        .split(' ')
        .map(|var| var.split_once('=').unwrap())
        .collect();
    let (passed, again) = run("racy_cell", &scratch.0, &vars);
    assert!(
        !passed && again.contains("found by the stress engine in execution 1"),
        "{again}"
    );

    // The next run, under every engine, hunts with the saved seed and budget first.
    let (passed, next) = run("racy_cell", &scratch.0, &[]);
    assert!(!passed, "{next}");
    for says in [
        "a saved schedule of `round_trip::racy_cell` fails again (data race from",
        "hunted again with its seed 7 and budget (40 iterations or 1s, whichever ends first), the stress engine found it in iteration 1",
        "Hunt again alone, with the same seed and budget:",
    ] {
        assert!(next.contains(says), "`{says}`:\n{next}");
    }
}

/// The lanes of a diagram.
fn lanes(svg: &str) -> usize {
    let document = roxmltree::Document::parse(svg).expect("well-formed SVG");
    document
        .descendants()
        .filter(|n| n.attribute("class") == Some("tp-lane"))
        .count()
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
    assert_eq!(lanes(&drawn), 2, "main and T1:\n{drawn}");

    // The schedule file keeps the same trace as data: it draws the same picture.
    let saved = tapestry::saved::read(&file).unwrap();
    let timeline = saved[0].timeline.as_ref().expect("a [trace] section");
    assert_eq!(timeline.svg(), drawn);
}

#[test]
fn tapestry_svg_draws_a_failure_that_a_committed_schedule_replays() {
    let scratch = Scratch::new();
    let file = scratch.schedule("buggy_lost_update");
    let svg = tapestry::saved::svg_path(&file);
    let (passed, output) = run("buggy_lost_update", &scratch.0, &[]);
    assert!(!passed && file.exists() && !svg.exists(), "{output}");

    // In CI: the committed schedule fails again, first, and is drawn beside it.
    let (passed, output) = run("buggy_lost_update", &scratch.0, &[("TAPESTRY_SVG", "1")]);
    assert!(!passed, "{output}");
    assert!(output.contains("fails again"), "{output}");
    assert!(
        output.contains(&format!("The interleaving is drawn in {}", svg.display())),
        "{output}"
    );
    let drawn = std::fs::read_to_string(&svg).expect("drawn beside the committed schedule");
    assert_eq!(lanes(&drawn), 2, "{drawn}");

    // Replayed alone, from a copy elsewhere: drawn beside that copy.
    let copy = scratch.0.join("copy.schedule");
    std::fs::copy(&file, &copy).unwrap();
    let (passed, output) = run(
        "buggy_lost_update",
        &scratch.0,
        &[
            ("TAPESTRY_SVG", "1"),
            ("TAPESTRY_REPLAY", copy.to_str().unwrap()),
        ],
    );
    assert!(
        !passed && output.contains("reproduces the panic"),
        "{output}"
    );
    let beside = tapestry::saved::svg_path(&copy);
    assert_eq!(std::fs::read_to_string(&beside).unwrap(), drawn);
}
