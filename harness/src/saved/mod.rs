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
//! numbering = 2
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
use crate::failure::Failure;
use crate::kinds::FailureKind;
use crate::schedule::Replay;
use crate::trace::Timeline;

/// How this tapestry numbers a program's steps, which a saved schedule (and a c11 or loom
/// execution number) replays by: bumped whenever a change makes an engine number them
/// differently (a new scheduling point, another order of exploration), so that a schedule
/// that no longer fits is blamed on tapestry rather than on the program. 1: files that do not
/// say (before the field); 2: an `Arc`'s reference counting made scheduling points, the c11
/// engine's `get_mut` events.
pub const NUMBERING: u32 = 2;

/// The format this tapestry writes.
const FORMAT: u32 = 2;
/// The oldest format it reads: format 1 has no `[trace]` sections.
const OLDEST: u32 = 1;

/// One failure saved in a schedule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedFailure {
    /// The test it belongs to: `module::path::name`.
    pub test: String,
    /// What the test gave its body when it failed, in the words of the test's runner
    /// (tapestry-lincheck's scenario: its seed, case and shrinking steps); none for a body
    /// that is given nothing, as a `#[tapestry::test]`'s. Replaying the entry rebuilds the
    /// body from it.
    pub input: Option<String>,
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
    /// How that tapestry numbered a program's steps (see [`NUMBERING`]); 1 in files that do
    /// not say.
    pub numbering: u32,
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
            input: None,
            engine: failure.engine(),
            kind: failure.kind(),
            seed,
            preemptions: failure.preemptions(),
            tapestry: env!("CARGO_PKG_VERSION").to_owned(),
            numbering: NUMBERING,
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

/// The test whose schedules `file` holds by its place under `dir`, the inverse of
/// [`path_for`] (`dir/a/b/t.schedule` holds those of `a::b::t`); `None` if `file` is not a
/// `.schedule` file under `dir`.
pub fn test_of(dir: &Path, file: &Path) -> Option<String> {
    let inner = file.strip_prefix(dir).ok()?;
    let name = inner.file_name()?.to_str()?.strip_suffix(".schedule")?;
    let mut parts: Vec<&str> = inner
        .parent()?
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()?;
    if parts.is_empty() || name.is_empty() {
        return None;
    }
    parts.push(name);
    Some(parts.join("::"))
}

/// The schedule files (`*.schedule`) in `dir` and its subfolders, in path order; `dir` itself
/// if it is a file.
pub fn files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        std::fs::metadata(dir)?;
        return Ok(vec![dir.to_owned()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "schedule") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
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
        .any(|e| e.test == entry.test && e.input == entry.input && e.replay == entry.replay)
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
        if let Some(input) = &e.input {
            let _ = writeln!(out, "input = {input}");
        }
        if let Some(seed) = e.seed {
            let _ = writeln!(out, "seed = {seed}");
        }
        if let Some(preemptions) = e.preemptions {
            let _ = writeln!(out, "preemptions = {preemptions}");
        }
        let _ = writeln!(
            out,
            "tapestry = {}\nnumbering = {}\nreplay = {}",
            e.tapestry, e.numbering, e.replay
        );
        if matches!(e.replay, Replay::Stress { .. }) {
            out.push_str("# A real-hardware interleaving cannot be replayed step by step: replaying it hunts\n# again with the stress engine's seed and budget, which may or may not find it again.\n");
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
    "input",
    "engine",
    "kind",
    "seed",
    "preemptions",
    "tapestry",
    "numbering",
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
        input: fields.get("input")?.map(|(_, input)| input.to_owned()),
        engine: fields.parsed("engine")?,
        kind: fields.parsed("kind")?,
        seed: fields.number("seed")?,
        preemptions: fields.number("preemptions")?.map(|p| p as usize),
        tapestry: fields.required("tapestry")?.1.to_owned(),
        numbering: fields.number("numbering")?.map_or(1, |n| n as u32),
        replay: fields.parsed("replay")?,
        trace: String::new(),
        timeline: None,
    })
}

#[cfg(test)]
mod tests;
