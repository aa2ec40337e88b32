use super::*;

const GOOD: &str = "# comment\ntapestry-schedule 2\n\n[failure]\ntest = t::abba\nengine = pct\nkind = deadlock\nseed = 3\npreemptions = 1\ntapestry = 0.1.0\nreplay = schedule 0*3 1*2 0\n";

#[test]
fn a_good_file_is_read() {
    let entries = parse(GOOD).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].engine, EngineKind::Pct);
    assert_eq!(entries[0].kind, FailureKind::Deadlock);
    assert_eq!(entries[0].replay.to_string(), "schedule 0*3 1*2 0");
}

#[test]
fn what_is_written_is_read_back() {
    let entry = SavedFailure {
        test: "m::t".into(),
        input: Some("seed=0 case=3 shrink=FFP".into()),
        engine: EngineKind::Stress,
        kind: FailureKind::Panic,
        seed: Some(9),
        preemptions: None,
        tapestry: "0.1.0".into(),
        numbering: 7,
        replay: Replay::Stress {
            seed: 9,
            iteration: 12,
            iterations: Some(100_000),
            time_ms: Some(1_500),
        },
        trace: "step  thread\n   1  main".into(),
        timeline: Some(timeline()),
    };
    let read = parse(&render(std::slice::from_ref(&entry), "cmd")).unwrap();
    assert_eq!(
        read,
        vec![SavedFailure {
            trace: String::new(),
            ..entry
        }]
    );
}

/// A timeline with every kind of row and action, and texts that need escaping.
fn timeline() -> Timeline {
    use crate::trace::{Action, ReadFrom, Row, TimelineObject, TimelineStep};
    let step = |number, lane, object, action, text: &str| {
        Row::Step(TimelineStep {
            number,
            lane,
            object,
            action,
            text: text.to_owned(),
            site: Some("src/my file.rs:12".to_owned()),
            stale: number == 4,
            read_from: match number {
                4 => Some(ReadFrom::Initial),
                5 => Some(ReadFrom::Step(2)),
                _ => None,
            },
        })
    };
    Timeline {
        lanes: vec!["main".into(), "worker | 1".into(), "-".into()],
        objects: vec![
            TimelineObject {
                name: "100% dóne\u{a0}".into(),
                kind: "AtomicBool".into(),
                site: "src/a.rs:3".into(),
            },
            TimelineObject {
                name: String::new(),
                kind: "Mutex".into(),
                site: "src/a.rs:4".into(),
            },
        ],
        rows: vec![
            step(1, 0, None, Action::Spawn(Some(1)), "spawn worker | 1"),
            step(2, 1, Some(1), Action::Acquire(1), "lock "),
            step(3, 1, Some(0), Action::Write(Some("a:b".into())), " store"),
            step(
                4,
                0,
                Some(0),
                Action::Read(Some("-".into())),
                "load, not the latest",
            ),
            Row::Gap("... 3 steps omitted ...".into()),
            step(
                8,
                0,
                Some(0),
                Action::Update {
                    read: String::new(),
                    wrote: "%".into(),
                },
                "swap",
            ),
            step(9, 1, Some(1), Action::Release(1), "unlock"),
            step(10, 0, None, Action::Join(None), "join"),
            step(11, 2, Some(0), Action::Read(None), "read"),
            step(12, 2, Some(0), Action::Write(None), "write"),
            step(13, 2, None, Action::Other, "yield"),
        ],
        failing: Some(0),
        blocked: vec![(1, "waits to lock `m`\nfor ever ".into())],
        outcome: Some("main panicked: 50%\n  left: 1\n right: 2\u{a0}".into()),
    }
}

/// A file saved before entries said how their tapestry numbered steps: numbering 1.
#[test]
fn an_entry_that_does_not_say_its_numbering_has_the_first() {
    assert_eq!(parse(GOOD).unwrap()[0].numbering, 1);
    let two = GOOD.replace("tapestry = 0.1.0\n", "tapestry = 0.1.0\nnumbering = 2\n");
    assert_eq!(parse(&two).unwrap()[0].numbering, 2);
}

#[test]
fn a_file_of_format_1_is_still_read() {
    let old = GOOD.replace("tapestry-schedule 2", "tapestry-schedule 1");
    let entries = parse(&old).unwrap();
    assert_eq!(entries[0].timeline, None);
}

#[test]
fn a_saved_failure_keeps_its_timeline_and_draws_it() {
    let entry = SavedFailure {
        test: "m::t".into(),
        input: None,
        engine: EngineKind::Pct,
        kind: FailureKind::Panic,
        seed: Some(0),
        preemptions: Some(1),
        tapestry: "0.1.0".into(),
        numbering: NUMBERING,
        replay: "schedule 0 1".parse().unwrap(),
        trace: String::new(),
        timeline: Some(timeline()),
    };
    let text = render(std::slice::from_ref(&entry), "cmd");
    assert!(
        text.contains("\n[trace]\nlane = main\nlane = worker%20%7C%201\n"),
        "{text}"
    );
    let read = parse(&text).unwrap().remove(0).timeline.unwrap();
    assert_eq!(read.svg(), timeline().svg());
}

/// Broken files: the text, the line of the problem, and words the message must contain.
const BAD: &[(&str, usize, &str)] = &[
    ("", 1, "the file is empty"),
    ("tapestry-schedule 3\n", 1, "format 3, and this tapestry"),
    ("garbage\n", 1, "expected the header `tapestry-schedule 2`"),
    ("tapestry-schedule 2\ntest = x\n", 2, "expected `[failure]`"),
    (
        "tapestry-schedule 2\n[failure]\nengine pct\n",
        3,
        "expected `key = value`",
    ),
    (
        "tapestry-schedule 2\n[failure]\ncolour = red\n",
        3,
        "unknown key `colour`; expected one of: test, input, engine",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest = a\ntest = b\n",
        4,
        "appears twice",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest = a\nengine = pct\n",
        2,
        "this entry has no `kind`",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest = a\nengine = fuzz\nkind = panic\ntapestry = 0.1.0\nreplay = schedule 0\n",
        4,
        "unknown engine `fuzz`",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest = a\nengine = pct\nkind = oops\ntapestry = 0.1.0\nreplay = schedule 0\n",
        5,
        "unknown failure kind `oops`",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest = a\nengine = pct\nkind = panic\nseed = x\ntapestry = 0.1.0\nreplay = schedule 0\n",
        6,
        "`seed = x` is not a whole number",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest = a\nengine = pct\nkind = panic\ntapestry = 0.1.0\nreplay = schedule 0 1*x\n",
        7,
        "`x` in `1*x` is not a count",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest = a\nengine = pct\nkind = panic\ntapestry = 0.1.0\nreplay = teleport\n",
        7,
        "unknown replay `teleport`",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest = a\nengine = pct\nkind = panic\ntapestry = 0.1.0\nreplay = exhaustive bound=2\n",
        7,
        "needs `execution=<number>`",
    ),
    (
        "tapestry-schedule 2\n[failure]\ntest =\nengine = pct\nkind = panic\ntapestry = 0.1.0\nreplay = schedule 0\n",
        3,
        "`test` is empty",
    ),
];

/// An entry ending in `[trace]` on line 9, for broken trace sections.
const ENTRY: &str = "tapestry-schedule 2\n[failure]\ntest = a\nengine = pct\nkind = panic\ntapestry = 0.1.0\nreplay = schedule 0\n# the trace\n[trace]\n";

/// Broken `[trace]` sections: the lines after `[trace]`, the line of the problem, and words
/// the message must contain.
const BAD_TRACES: &[(&str, usize, &str)] = &[
    ("colour = red\n", 10, "unknown key `colour` in [trace]"),
    (
        "lane = main\nstep = 1 0 - spawn\n",
        11,
        "expected `step = <number> <lane>",
    ),
    (
        "lane = main\nstep = 1 0 - | spawn\n",
        11,
        "expected five fields before ` | `",
    ),
    (
        "lane = main\nstep = x 0 - other - | yield\n",
        11,
        "the step number `x` is not a whole number",
    ),
    (
        "lane = main\nstep = 1 3 - other - | yield\n",
        11,
        "lane 3 does not exist: the trace has 1 `lane` lines",
    ),
    (
        "lane = main\nstep = 1 0 0 read:1 - | load\n",
        11,
        "object 0 does not exist",
    ),
    (
        "lane = main\nstep = 1 0 - teleport - | go\n",
        11,
        "unknown action `teleport`",
    ),
    (
        "lane = main\nstep = 2 0 - other - | a\nstep = 1 0 - other - | b\n",
        12,
        "step 1 comes after step 2",
    ),
    ("lane = ma%zzin\n", 10, "bad escape in `ma%zzin`"),
    (
        "object = counter AtomicUsize\n",
        10,
        "expected `object = <name> <type> <file:line>`",
    ),
    ("outcome = a\noutcome = b\n", 11, "`outcome` appears twice"),
    ("failing = 0\n", 10, "lane 0 does not exist"),
    ("[trace]\n", 10, "`[trace]` appears twice"),
];

#[test]
fn each_broken_trace_section_names_its_line_and_problem() {
    for &(lines, line, problem) in BAD_TRACES {
        let text = format!("{ENTRY}{lines}");
        let error = parse(&text).expect_err(lines);
        assert_eq!(error.0, line, "{lines:?}: {}", error.1);
        assert!(error.1.contains(problem), "{lines:?}: {}", error.1);
    }
}

#[test]
fn each_broken_file_names_its_line_and_problem() {
    for &(text, line, problem) in BAD {
        let error = parse(text).expect_err(text);
        assert_eq!(error.0, line, "{text:?}: {}", error.1);
        assert!(error.1.contains(problem), "{text:?}: {}", error.1);
    }
}

#[test]
fn errors_name_the_file() {
    let error = ScheduleFileError {
        path: "dir/t.schedule".into(),
        line: Some(3),
        problem: "unknown key".into(),
    };
    assert_eq!(error.to_string(), "dir/t.schedule:3: unknown key");
}

#[test]
fn a_stress_replay_without_a_budget_is_still_read() {
    let old: Replay = "stress seed=9 iteration=12".parse().unwrap();
    assert_eq!(
        old,
        Replay::Stress {
            seed: 9,
            iteration: 12,
            iterations: None,
            time_ms: None,
        }
    );
    let new: Replay = "stress seed=9 iteration=12 iterations=40 time_ms=1000"
        .parse()
        .unwrap();
    assert_eq!(
        new.to_string(),
        "stress seed=9 iteration=12 iterations=40 time_ms=1000"
    );
}

#[test]
fn a_file_names_its_test_by_its_place() {
    let dir = Path::new("/p/tapestry-schedules");
    let file = path_for(dir, "user_tests::inner", "abba");
    assert_eq!(
        file,
        Path::new("/p/tapestry-schedules/user_tests/inner/abba.schedule")
    );
    assert_eq!(
        test_of(dir, &file).as_deref(),
        Some("user_tests::inner::abba")
    );
    for not_one in [
        "/p/tapestry-schedules/abba.schedule",
        "/p/tapestry-schedules/user_tests/abba.schedule.svg",
        "/elsewhere/user_tests/abba.schedule",
    ] {
        assert_eq!(test_of(dir, Path::new(not_one)), None, "{not_one}");
    }
}

#[test]
fn exhaustive_and_c11_replays_keep_their_choices_and_read_without_them() {
    let old: Replay = "exhaustive bound=2 execution=17".parse().unwrap();
    assert_eq!(
        old,
        Replay::Exhaustive {
            preemption_bound: Some(2),
            execution: 17,
            choices: Vec::new(),
        }
    );
    let text = "exhaustive bound=none execution=3 choices=0.0.1,2.1.3";
    let new: Replay = text.parse().unwrap();
    assert_eq!(
        new,
        Replay::Exhaustive {
            preemption_bound: None,
            execution: 3,
            choices: vec![(0, 0, 1), (2, 1, 3)],
        }
    );
    assert_eq!(new.to_string(), text);
    let c11: Replay = "c11 execution=4 choices=1.0.2".parse().unwrap();
    assert_eq!(
        c11,
        Replay::C11 {
            execution: 4,
            choices: vec![(1, 0, 2)],
        }
    );
    assert_eq!(c11.to_string(), "c11 execution=4 choices=1.0.2");
    let wrong = "exhaustive bound=1 execution=3 choices=0.1".parse::<Replay>();
    assert!(
        wrong
            .unwrap_err()
            .to_string()
            .contains("`0.1` is not a choice"),
    );
}
