//! Bad input, as users give it: every knob with a value it cannot take, malformed and misplaced
//! schedule files, and mistaken CLI arguments. Each must get a clear error (what was wrong and
//! how to fix it, where the user looks) or a documented behaviour, never a panic of tapestry's
//! own, a hang or a silent pass. Macro arguments are compile errors, checked by trybuild in
//! `tests/ui/` of the workspace's tests crate.
//!
//! Knob and schedule cases run the ignored test below in a child process of this binary, with
//! real environment variables; CLI cases run the `tapestry` binary.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use tapestry::sync::Arc;
use tapestry::sync::atomic::AtomicUsize as Counter;
use tapestry::thread;

#[tapestry::test(engines = "random", schedules = 5)]
#[ignore = "run by the test below, in a child process"]
fn fixture() {
    let counter = Arc::new(Counter::new(0));
    let c = counter.clone();
    thread::spawn(move || c.fetch_add(1, Ordering::SeqCst))
        .join()
        .unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

/// What a case gives.
enum Input {
    /// An environment variable for the fixture test.
    Knob(&'static str, &'static str),
    /// A schedule file with these bytes, given to the fixture test as `TAPESTRY_REPLAY`.
    Schedule(&'static [u8]),
    /// A path that is not a schedule file, given as `TAPESTRY_REPLAY`.
    ReplayPath(&'static str),
    /// Arguments of the `tapestry` binary.
    Cli(&'static [&'static str]),
}

/// A case: what it gives, and what the user must read (all of it, in the output).
struct Case {
    input: Input,
    says: &'static [&'static str],
}

use Input::*;

const CASES: &[Case] = &[
    // ---- Knobs: the variable, the value, and what it expects ----
    Case {
        input: Knob("TAPESTRY_SCHEDULES", "lots"),
        says: &["TAPESTRY_SCHEDULES=\"lots\" is not valid: expected a whole number of schedules"],
    },
    Case {
        input: Knob("TAPESTRY_SCHEDULES", "-5"),
        says: &["TAPESTRY_SCHEDULES=\"-5\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_SEED", "0x10"),
        says: &["TAPESTRY_SEED=\"0x10\" is not valid: expected a whole number"],
    },
    Case {
        input: Knob("TAPESTRY_PREEMPTION_BOUND", "two"),
        says: &["TAPESTRY_PREEMPTION_BOUND=\"two\" is not valid", "`none`"],
    },
    Case {
        input: Knob("TAPESTRY_PCT_DEPTH", "0"),
        says: &["TAPESTRY_PCT_DEPTH=\"0\" is not valid: expected a whole number of at least 1"],
    },
    Case {
        input: Knob("TAPESTRY_INVERSION_BOUND", "1.5"),
        says: &["TAPESTRY_INVERSION_BOUND=\"1.5\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_STRESS_ITERATIONS", ""),
        says: &["TAPESTRY_STRESS_ITERATIONS=\"\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_STRESS_TIME", "5"),
        says: &[
            "TAPESTRY_STRESS_TIME=\"5\" is not valid: expected a duration like 500ms, 2s or 1m",
        ],
    },
    Case {
        input: Knob("TAPESTRY_STRESS_TIME", "1h"),
        says: &["TAPESTRY_STRESS_TIME=\"1h\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_MAX_STEPS", "0"),
        says: &["TAPESTRY_MAX_STEPS=\"0\" is not valid: expected a whole number of at least 1"],
    },
    Case {
        input: Knob("TAPESTRY_JOBS", "0"),
        says: &["TAPESTRY_JOBS=\"0\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_SHARD", "2/2"),
        says: &["TAPESTRY_SHARD=\"2/2\" is not valid", "0 <= i < n"],
    },
    Case {
        input: Knob("TAPESTRY_SHARD", "1-of-2"),
        says: &["TAPESTRY_SHARD=\"1-of-2\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_TRACING", "maybe"),
        says: &["TAPESTRY_TRACING=\"maybe\" is not valid: expected 1"],
    },
    Case {
        input: Knob("TAPESTRY_LOCK_ORDER", "off"),
        says: &["TAPESTRY_LOCK_ORDER=\"off\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_BUDGET", "0"),
        says: &["TAPESTRY_BUDGET=\"0\" is not valid: expected a positive number"],
    },
    Case {
        input: Knob("TAPESTRY_BUDGET", "NaN"),
        says: &["TAPESTRY_BUDGET=\"NaN\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_ENGINES", "loom"),
        says: &[
            "TAPESTRY_ENGINES=\"loom\" is not valid",
            "exhaustive, dpor, random, pct, surw, priority, stress, c11",
        ],
    },
    Case {
        input: Knob("TAPESTRY_ENGINES", ""),
        says: &["TAPESTRY_ENGINES=\"\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_SVG", "2"),
        says: &["TAPESTRY_SVG=\"2\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_SAVE", "nope"),
        says: &["TAPESTRY_SAVE=\"nope\" is not valid"],
    },
    Case {
        input: Knob("TAPESTRY_SCHEDULS", "5"),
        says: &["TAPESTRY_SCHEDULS is not a tapestry setting (did you mean TAPESTRY_SCHEDULES?)"],
    },
    Case {
        input: Knob("TAPESTRY_COLOR", "1"),
        says: &["TAPESTRY_COLOR is not a tapestry setting", "TAPESTRY_SEED"],
    },
    Case {
        input: Knob("TAPESTRY_SCHEDULE_DIR", ""),
        says: &["TAPESTRY_SCHEDULE_DIR=\"\" is not valid: expected a directory path"],
    },
    Case {
        input: Knob("TAPESTRY_REPLAY", ""),
        says: &["TAPESTRY_REPLAY=\"\" is not valid: expected the path of a .schedule file"],
    },
    // ---- Schedule files given as TAPESTRY_REPLAY ----
    Case {
        input: ReplayPath("/nonexistent/lost.schedule"),
        says: &["TAPESTRY_REPLAY=/nonexistent/lost.schedule", "no such file"],
    },
    Case {
        input: ReplayPath("/"),
        says: &["TAPESTRY_REPLAY"],
    },
    Case {
        input: Schedule(b""),
        says: &["the file is empty; expected the header `tapestry-schedule 2`"],
    },
    Case {
        input: Schedule(b"this is not a schedule\n"),
        says: &[
            "given.schedule:1: expected the header `tapestry-schedule 2`, found `this is not a schedule`",
        ],
    },
    Case {
        input: Schedule(b"\xff\xfe\x00garbage"),
        says: &["TAPESTRY_REPLAY"],
    },
    Case {
        input: Schedule(b"# tapestry schedules\nformat = 99\n"),
        says: &["format"],
    },
    // ---- The CLI ----
    Case {
        input: Cli(&[]),
        says: &["Usage: tapestry"],
    },
    Case {
        input: Cli(&["bogus"]),
        says: &["unrecognized subcommand 'bogus'"],
    },
    Case {
        input: Cli(&["show"]),
        says: &["required arguments were not provided", "<NAME>"],
    },
    Case {
        input: Cli(&["show", "lost_updat"]),
        says: &["lost_updat", "lost_update"],
    },
    Case {
        input: Cli(&["hunt", "nope"]),
        says: &["nope"],
    },
    Case {
        input: Cli(&["hunt", "--engine", "loom"]),
        says: &["loom", "exhaustive"],
    },
    Case {
        input: Cli(&["hunt", "--seed", "x"]),
        says: &["invalid value 'x' for '--seed"],
    },
    Case {
        input: Cli(&["hunt", "--format", "yaml"]),
        says: &["invalid value 'yaml'", "markdown"],
    },
    Case {
        input: Cli(&["hunt", "--jobs", "0"]),
        says: &["--jobs"],
    },
    Case {
        input: Cli(&["replay", "/nonexistent/x.schedule"]),
        says: &["/nonexistent/x.schedule"],
    },
    Case {
        input: Cli(&["report", "--matrix", "/nonexistent/hunt.json"]),
        says: &["/nonexistent/hunt.json"],
    },
    Case {
        input: Cli(&["report", "--schedule", "/nonexistent/dir"]),
        says: &["/nonexistent/dir"],
    },
];

/// A directory of its own for one case, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("tapestry-bad-input-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a case; returns whether it succeeded and everything it printed.
fn run(input: &Input, scratch: &Scratch) -> (bool, String) {
    let mut command = match input {
        Cli(args) => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_tapestry"));
            c.args(*args);
            c
        }
        _ => {
            let mut c = Command::new(std::env::current_exe().unwrap());
            c.args([
                "fixture",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ]);
            c
        }
    };
    for (var, _) in std::env::vars().filter(|(var, _)| var.starts_with("TAPESTRY_")) {
        command.env_remove(var);
    }
    command.env("TAPESTRY_SCHEDULE_DIR", &scratch.0);
    match input {
        Knob(var, value) => {
            command.env(var, value);
        }
        Schedule(bytes) => {
            let file = scratch.0.join("given.schedule");
            std::fs::write(&file, bytes).unwrap();
            command.env("TAPESTRY_REPLAY", file);
        }
        ReplayPath(path) => {
            command.env("TAPESTRY_REPLAY", path);
        }
        Cli(_) => {}
    }
    let output = command.output().expect("the binary runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn every_bad_input_gets_a_clear_error() {
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
    let mut wrong = Vec::new();
    for case in CASES {
        let scratch = Scratch::new();
        let (ok, text) = run(&case.input, &scratch);
        let missing: Vec<&&str> = case.says.iter().filter(|s| !text.contains(**s)).collect();
        // The fixture fails by a panic at its own line (`run_test` tracks its caller); a panic
        // anywhere else is tapestry's own, a bug rather than an error message.
        let crashed = text
            .match_indices("panicked at ")
            .any(|(i, _)| !text[i..].starts_with("panicked at catalogue/tests/bad_input.rs"));
        if ok || !missing.is_empty() || crashed {
            wrong.push(format!(
                "{}: succeeded {ok}, missing {missing:?}\n{text}",
                describe(&case.input)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cases:\n\n{}",
        wrong.len(),
        wrong.join("\n----\n")
    );
}

fn describe(input: &Input) -> String {
    match input {
        Knob(var, value) => format!("{var}={value:?}"),
        Schedule(bytes) => format!("schedule {:?}", String::from_utf8_lossy(bytes)),
        ReplayPath(path) => format!("TAPESTRY_REPLAY={path}"),
        Cli(args) => format!("tapestry {}", args.join(" ")),
    }
}
