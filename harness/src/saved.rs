//! Saved failing schedules: the text files `#[tapestry::test]` writes beside a package's
//! sources (as proptest keeps its regressions), replays first on every run, and replays alone
//! with `TAPESTRY_REPLAY`. Tools can read and write them with [`read`] and [`save`].
//!
//! ```text
//! # (a header that explains the file)
//! tapestry-schedule 2
//!
//! [failure]
//! test = user_tests::abba
//! engine = pct
//! kind = deadlock
//! seed = 0
//! preemptions = 1
//! tapestry = 0.1.0
//! replay = schedule 0*3 1*2 0
//! # (the trace, as comments)
//!
//! [trace]
//! lane = main
//! step = 1 0 - spawn:1 tests/user_tests.rs:37 | spawn T1
//! # (the trace as data, one line per lane, object and step: see `Timeline`)
//! ```
//!
//! The `[trace]` section (format 2) keeps the trace as data, so that `tapestry report
//! --schedule` and `TAPESTRY_SVG=1` can draw the failure without running the program. Files of
//! format 1, which have none, are still read.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::EngineKind;
use crate::failure::{Failure, FailureKind};
use crate::schedule::Replay;
use crate::trace::Timeline;

/// The format this tapestry writes.
const FORMAT: u32 = 2;
/// The oldest format it reads: format 1 has no `[trace]` sections.
const OLDEST: u32 = 1;

/// One failure saved in a schedule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedFailure {
    /// The test it belongs to: `module::path::name`.
    pub test: String,
    /// The engine that found it.
    pub engine: EngineKind,
    /// What kind of failure it is.
    pub kind: FailureKind,
    /// The engine's seed, for engines that have one.
    pub seed: Option<u64>,
    /// Preemptions of the failing schedule, where the engine knows them.
    pub preemptions: Option<usize>,
    /// The tapestry version that saved it.
    pub tapestry: String,
    /// What replays it.
    pub replay: Replay,
    /// The failure's trace as it was saved, for people reading the file (empty when read back:
    /// the trace is kept as comments).
    pub trace: String,
    /// The failure's trace as data, which draws it ([`Timeline::svg`]); none in files of
    /// format 1.
    pub timeline: Option<Timeline>,
}

impl SavedFailure {
    /// The saved form of `failure`, found in test `test` (by an engine seeded with `seed`).
    pub fn new(test: &str, failure: &Failure, seed: Option<u64>) -> SavedFailure {
        SavedFailure {
            test: test.to_owned(),
            engine: failure.engine(),
            kind: failure.kind(),
            seed,
            preemptions: failure.preemptions(),
            tapestry: env!("CARGO_PKG_VERSION").to_owned(),
            replay: failure.replay().clone(),
            trace: failure.trace().to_string(),
            timeline: Some(failure.trace().timeline()),
        }
    }
}

/// Why a schedule file could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleFileError {
    /// The file.
    pub path: PathBuf,
    /// The line the problem is on, counting from 1 (none: the file as a whole).
    pub line: Option<usize>,
    /// What is wrong.
    pub problem: String,
}

impl std::error::Error for ScheduleFileError {}

impl fmt::Display for ScheduleFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.problem),
            None => write!(f, "{}: {}", self.path.display(), self.problem),
        }
    }
}

/// The file holding the saved schedules of test `name` of module `module_path` under `dir`:
/// one directory per module.
pub fn path_for(dir: &Path, module_path: &str, name: &str) -> PathBuf {
    let mut path = dir.to_path_buf();
    path.extend(module_path.split("::"));
    path.push(format!("{name}.schedule"));
    path
}

/// Reads the failures saved in `path`; an absent file holds none.
pub fn read(path: &Path) -> Result<Vec<SavedFailure>, ScheduleFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ScheduleFileError {
                path: path.to_owned(),
                line: None,
                problem: format!("cannot read it: {e}"),
            });
        }
    };
    parse(&text).map_err(|(line, problem)| ScheduleFileError {
        path: path.to_owned(),
        line: Some(line),
        problem,
    })
}

/// Adds `entry` to the file at `path` unless an entry with the same test and replay is there.
/// The whole file is written anew and renamed into place, so that a reader never sees half of
/// it. `replay_command` goes into the file's header: how to replay it.
pub fn save(
    path: &Path,
    entry: SavedFailure,
    replay_command: &str,
) -> Result<(), ScheduleFileError> {
    let mut entries = read(path)?;
    if entries
        .iter()
        .any(|e| e.test == entry.test && e.replay == entry.replay)
    {
        return Ok(());
    }
    entries.push(entry);
    write_atomically(path, render(&entries, replay_command).as_bytes())
}

/// Where `TAPESTRY_SVG=1` draws the failure saved in the schedule file `schedule`: beside it,
/// `<schedule>.svg`.
pub fn svg_path(schedule: &Path) -> PathBuf {
    let mut name = schedule.as_os_str().to_owned();
    name.push(".svg");
    PathBuf::from(name)
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so that a
/// reader never sees half of it; creates the directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ScheduleFileError> {
    let io = |e: std::io::Error| ScheduleFileError {
        path: path.to_owned(),
        line: None,
        problem: format!("cannot write it: {e}"),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(
        ".tmp.{}.{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::File::create(&temporary).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        io(e)
    })
}

fn render(entries: &[SavedFailure], replay_command: &str) -> String {
    let mut out = String::new();
    out.push_str(
        "# Failing schedules that tapestry found for this test, saved so that they can be replayed.\n\
         # Every run of the test replays them first, so a bug they caught cannot come back unnoticed:\n\
         # commit this file. Delete an entry only if the test changed so much that it no longer fits.\n",
    );
    let _ = writeln!(
        out,
        "# Replay them alone, with their traces:\n#   {replay_command}\ntapestry-schedule {FORMAT}"
    );
    for e in entries {
        let _ = writeln!(
            out,
            "\n[failure]\ntest = {}\nengine = {}\nkind = {}",
            e.test, e.engine, e.kind
        );
        if let Some(seed) = e.seed {
            let _ = writeln!(out, "seed = {seed}");
        }
        if let Some(preemptions) = e.preemptions {
            let _ = writeln!(out, "preemptions = {preemptions}");
        }
        let _ = writeln!(out, "tapestry = {}\nreplay = {}", e.tapestry, e.replay);
        if matches!(e.replay, Replay::Stress { .. }) {
            out.push_str("# A real-hardware interleaving cannot be replayed step by step: replaying runs the\n# stress engine again with the same seed up to the failing iteration.\n");
        }
        for line in e.trace.lines() {
            let _ = writeln!(out, "#   {line}");
        }
        if let Some(timeline) = &e.timeline {
            out.push_str(
                "# The trace as data, which `tapestry report --schedule` draws:\n[trace]\n",
            );
            for (key, value) in timeline.to_fields() {
                let _ = writeln!(out, "{key} = {value}");
            }
        }
    }
    out
}

/// The keys of an entry, in the order they are written.
const KEYS: &[&str] = &[
    "test",
    "engine",
    "kind",
    "seed",
    "preemptions",
    "tapestry",
    "replay",
];

/// Parses a file; an error gives the line (from 1) and the problem.
fn parse(text: &str) -> Result<Vec<SavedFailure>, (usize, String)> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some((n, header)) => match header
            .strip_prefix("tapestry-schedule ")
            .map(str::parse::<u32>)
        {
            Some(Ok(version)) if (OLDEST..=FORMAT).contains(&version) => {}
            Some(Ok(version)) => {
                return Err((
                    n,
                    format!(
                        "the file is in format {version}, and this tapestry ({}) reads formats {OLDEST} to {FORMAT}",
                        env!("CARGO_PKG_VERSION")
                    ),
                ));
            }
            _ => {
                return Err((
                    n,
                    format!("expected the header `tapestry-schedule {FORMAT}`, found `{header}`"),
                ));
            }
        },
        None => {
            return Err((
                1,
                format!("the file is empty; expected the header `tapestry-schedule {FORMAT}`"),
            ));
        }
    }
    let mut entries = Vec::new();
    // The entry being read.
    let mut current: Option<Section> = None;
    for (n, line) in lines {
        if line == "[failure]" {
            if let Some(section) = current.take() {
                entries.push(section.entry()?);
            }
            current = Some(Section {
                start: n,
                fields: Vec::new(),
                trace: None,
            });
            continue;
        }
        let Some(section) = current.as_mut() else {
            return Err((
                n,
                format!("expected `[failure]` to start an entry, found `{line}`"),
            ));
        };
        if line == "[trace]" {
            if section.trace.is_some() {
                return Err((n, "`[trace]` appears twice in one entry".to_owned()));
            }
            section.trace = Some((n, Vec::new()));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err((n, format!("expected `key = value`, found `{line}`")));
        };
        let (key, value) = (key.trim(), value.trim());
        if let Some((_, trace)) = section.trace.as_mut() {
            // `Timeline::from_fields` checks the keys of a `[trace]` section.
            trace.push((n, key, value));
            continue;
        }
        if !KEYS.contains(&key) {
            return Err((
                n,
                format!("unknown key `{key}`; expected one of: {}", KEYS.join(", ")),
            ));
        }
        if section.fields.iter().any(|&(_, k, _)| k == key) {
            return Err((n, format!("`{key}` appears twice in one entry")));
        }
        section.fields.push((n, key, value));
    }
    if let Some(section) = current {
        entries.push(section.entry()?);
    }
    Ok(entries)
}

/// One entry as read: the line of its `[failure]`, its fields, and its `[trace]` section (the
/// line of `[trace]` and its fields).
struct Section<'a> {
    start: usize,
    fields: Vec<Field<'a>>,
    trace: Option<(usize, Vec<Field<'a>>)>,
}

impl Section<'_> {
    fn entry(self) -> Result<SavedFailure, (usize, String)> {
        let mut entry = entry(self.start, &self.fields)?;
        if let Some((_, fields)) = self.trace {
            entry.timeline = Some(Timeline::from_fields(&fields)?);
        }
        Ok(entry)
    }
}

/// One `key = value` line of an entry: (line, key, value).
type Field<'a> = (usize, &'a str, &'a str);

/// The fields of one entry.
struct Fields<'a> {
    start: usize,
    fields: &'a [Field<'a>],
}

impl<'a> Fields<'a> {
    /// The line and non-empty value of `key`, if present.
    fn get(&self, key: &str) -> Result<Option<(usize, &'a str)>, (usize, String)> {
        match self.fields.iter().find(|&&(_, k, _)| k == key) {
            Some(&(n, _, "")) => Err((n, format!("`{key}` is empty"))),
            Some(&(n, _, value)) => Ok(Some((n, value))),
            None => Ok(None),
        }
    }

    fn required(&self, key: &str) -> Result<(usize, &'a str), (usize, String)> {
        self.get(key)?
            .ok_or_else(|| (self.start, format!("this entry has no `{key}`")))
    }

    fn parsed<T: FromStr>(&self, key: &str) -> Result<T, (usize, String)>
    where
        T::Err: fmt::Display,
    {
        let (n, value) = self.required(key)?;
        value
            .parse()
            .map_err(|e: T::Err| (n, format!("bad `{key}`: {e}")))
    }

    fn number(&self, key: &str) -> Result<Option<u64>, (usize, String)> {
        match self.get(key)? {
            None => Ok(None),
            Some((n, v)) => v
                .parse()
                .map(Some)
                .map_err(|_| (n, format!("`{key} = {v}` is not a whole number"))),
        }
    }
}

fn entry(start: usize, fields: &[Field]) -> Result<SavedFailure, (usize, String)> {
    let fields = Fields { start, fields };
    Ok(SavedFailure {
        test: fields.required("test")?.1.to_owned(),
        engine: fields.parsed("engine")?,
        kind: fields.parsed("kind")?,
        seed: fields.number("seed")?,
        preemptions: fields.number("preemptions")?.map(|p| p as usize),
        tapestry: fields.required("tapestry")?.1.to_owned(),
        replay: fields.parsed("replay")?,
        trace: String::new(),
        timeline: None,
    })
}

#[cfg(test)]
mod tests {
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
            engine: EngineKind::Stress,
            kind: FailureKind::Panic,
            seed: Some(9),
            preemptions: None,
            tapestry: "0.1.0".into(),
            replay: Replay::Stress {
                seed: 9,
                iteration: 12,
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
        use crate::trace::{Action, Row, TimelineObject, TimelineStep};
        let step = |number, lane, object, action, text: &str| {
            Row::Step(TimelineStep {
                number,
                lane,
                object,
                action,
                text: text.to_owned(),
                site: Some("src/my file.rs:12".to_owned()),
                stale: number == 4,
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
            engine: EngineKind::Pct,
            kind: FailureKind::Panic,
            seed: Some(0),
            preemptions: Some(1),
            tapestry: "0.1.0".into(),
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
            "unknown key `colour`; expected one of: test, engine",
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
}
