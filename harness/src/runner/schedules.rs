//! A test's saved schedules: where they live, replaying them first, `TAPESTRY_REPLAY`, saving a
//! failure (and its diagram), and what the messages say about them.
//!
//! Nothing found in a schedule file is ignored silently. What must be acted on fails the test
//! (a notice on standard error can go unseen: nextest shows a passing test's output only when
//! configured to); what only informs is a notice. The crate docs' table ("What a saved
//! schedule does") lists every case:
//!
//! - an entry that fails again fails the test (the bug is back);
//! - an entry of another test in this test's file fails it (it would never be replayed);
//! - a stale entry (a schedule that no longer fits, an exhaustive execution that no longer
//!   exists or no longer fails) fails it, saying how to delete it;
//! - a stress entry is hunted again with its seed and budget; finding nothing is a notice;
//! - `TAPESTRY_REPLAY` naming a file with none of this test's schedules fails it, naming the
//!   tests the file holds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Bodies, Body, TestRun};
use crate::Explorer;
use crate::engine::{EngineKind, Stress};
use crate::failure::Failure;
use crate::notice::notice;
use crate::report::{Outcome, Report};
use crate::saved::{self, SavedFailure};
use crate::schedule::Replay;

/// What replaying one saved entry showed.
enum Replayed {
    /// It fails: the bug is back, or still there.
    Fails(Box<Failure>),
    /// A schedule replayed step by step fits the program and passes: the bug it caught stays
    /// fixed.
    Passes,
    /// A stress entry, hunted again with its seed and budget, found nothing this time.
    NotFoundAgain { executions: u64, elapsed: Duration },
    /// It no longer describes the program, for this reason: it tests nothing now.
    Stale(String),
}

/// Replays `entry`, and says what that showed.
fn replay_entry(explorer: &Explorer, entry: &SavedFailure, body: Body) -> Replayed {
    let report = match explorer.replay(&entry.replay, move || body()) {
        Ok(report) => report,
        Err(why) => return Replayed::Stale(why.to_string()),
    };
    if let Some(failure) = report.failure() {
        return Replayed::Fails(Box::new(failure.clone()));
    }
    let Some(engine) = report.engines().first() else {
        return Replayed::Passes;
    };
    if let Outcome::Unsupported { reason } = engine.outcome() {
        return Replayed::Stale(format!(
            "the {} engine cannot run the test now: {reason}",
            engine.engine()
        ));
    }
    match &entry.replay {
        Replay::Exhaustive {
            preemption_bound,
            execution,
            ..
        } => Replayed::Stale(format!(
            "execution {execution} of the exhaustive search with {} passes now. An exhaustive schedule is a position in the search, not an interleaving: once the program changed, it names another interleaving, so a pass cannot tell a fixed bug from a schedule that no longer fits (the exhaustive engine searches again on every run, and finds the bug if it is back)",
            bound_words(*preemption_bound)
        )),
        Replay::C11 { execution, .. } => Replayed::Stale(format!(
            "execution {execution} of the c11 engine's exploration passes now. It is a position in the exploration, not an interleaving: once the program changed, it names another execution, so a pass cannot tell a fixed bug from a schedule that no longer fits (the c11 engine explores again on every run, and finds the bug if it is back)"
        )),
        Replay::Stress { .. } => Replayed::NotFoundAgain {
            executions: engine.executions(),
            elapsed: engine.elapsed(),
        },
        _ => Replayed::Passes,
    }
}

fn bound_words(bound: Option<usize>) -> String {
    bound.map_or("no preemption bound".to_owned(), |b| {
        format!("preemption bound {b}")
    })
}

/// `entry` as the messages name it: its replay line and where it came from.
fn describe(entry: &SavedFailure) -> String {
    format!(
        "`replay = {}` ({} engine, {})",
        entry.replay, entry.engine, entry.kind
    )
}

/// The budget a stress replay hunts with, in words.
fn stress_budget(replay: &Replay) -> String {
    let Replay::Stress {
        seed,
        iterations,
        time_ms,
        ..
    } = replay
    else {
        return String::new();
    };
    let iterations = iterations.unwrap_or(Stress::DEFAULT_ITERATIONS);
    let time = time_ms.map_or(Stress::DEFAULT_TIME, Duration::from_millis);
    format!(
        "seed {seed} and budget ({iterations} iterations or {}, whichever ends first)",
        duration_knob(time)
    )
}

/// A duration as `TAPESTRY_STRESS_TIME` reads it.
fn duration_knob(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The test `module::path::name` as libtest names it: its path inside its crate.
fn libtest_name(test: &str) -> &str {
    test.split_once("::").map_or(test, |(_, inner)| inner)
}

/// How a replay of the saved schedules reports itself: replay-first on every run, or
/// `TAPESTRY_REPLAY`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    First,
    Asked,
}

impl TestRun<'_> {
    /// The folder schedules are saved in: `TAPESTRY_SCHEDULE_DIR`, else `tapestry-schedules/`
    /// in the package.
    pub(super) fn schedule_dir(spec: &super::TestSpec, knobs: &super::Knobs) -> PathBuf {
        match &knobs.schedule_dir {
            Some(dir) => dir.clone(),
            None => Path::new(spec.manifest_dir).join("tapestry-schedules"),
        }
    }

    /// `file` as the test process sees it: relative to the package, where `cargo test` runs
    /// test binaries, when it is inside the package (so committed files name no machine's
    /// paths).
    fn shown(&self, file: &Path) -> PathBuf {
        file.strip_prefix(self.spec.manifest_dir)
            .map_or_else(|_| file.to_owned(), Path::to_owned)
    }

    /// A path given in `TAPESTRY_REPLAY`: relative ones are relative to the package.
    pub(super) fn resolve(&self, file: &Path) -> PathBuf {
        if file.is_relative() && !file.exists() {
            Path::new(self.spec.manifest_dir).join(file)
        } else {
            file.to_owned()
        }
    }

    /// The command that replays the schedules of test `test` in `file` alone.
    fn replay_command_for(&self, test: &str, file: &Path) -> String {
        format!(
            "TAPESTRY_REPLAY={} cargo test -p {} {} -- --exact",
            self.shown(file).display(),
            self.spec.package,
            self.filter_for(test)
        )
    }

    /// The name `cargo test` selects test `test` by.
    fn filter_for<'t>(&'t self, test: &'t str) -> &'t str {
        match self.spec.filter {
            Some(filter) if test == self.test => filter,
            _ => libtest_name(test),
        }
    }

    /// The command that replays this test's schedules in `file` alone.
    fn replay_command(&self, file: &Path) -> String {
        self.replay_command_for(&self.test, file)
    }

    /// The command that hunts again as the run that found a stress failure with `seed` did:
    /// only the stress engine, with the same seed, budget and settings. A variable the
    /// attribute overrides is left out (the attribute's value holds on every run).
    fn hunt_command(&self, seed: u64) -> String {
        let (spec, knobs) = (self.spec, &self.knobs);
        let mut vars = Vec::new();
        if spec.engines.is_none() {
            vars.push("TAPESTRY_ENGINES=stress".to_owned());
        }
        if spec.seed.is_none() {
            vars.push(format!("TAPESTRY_SEED={seed}"));
        }
        // Unscaled, with the same TAPESTRY_BUDGET: scaled again, they give the same budget.
        if spec.stress_iterations.is_none() {
            let iterations = knobs
                .stress_iterations
                .unwrap_or(Stress::DEFAULT_ITERATIONS);
            vars.push(format!("TAPESTRY_STRESS_ITERATIONS={iterations}"));
        }
        if spec.stress_time.is_none() {
            let time = knobs.stress_time.unwrap_or(Stress::DEFAULT_TIME);
            vars.push(format!("TAPESTRY_STRESS_TIME={}", duration_knob(time)));
        }
        if knobs.budget != 1.0 {
            vars.push(format!("TAPESTRY_BUDGET={}", knobs.budget));
        }
        if let (None, Some(steps)) = (spec.max_steps, knobs.max_steps) {
            vars.push(format!("TAPESTRY_MAX_STEPS={steps}"));
        }
        if let (None, Some(false)) = (spec.lock_order, knobs.lock_order) {
            vars.push("TAPESTRY_LOCK_ORDER=0".to_owned());
        }
        format!(
            "{} cargo test -p {} {} -- --exact",
            vars.join(" "),
            self.spec.package,
            self.filter_for(&self.test)
        )
    }

    fn seed(&self, engine: EngineKind) -> Option<u64> {
        engine
            .is_seeded()
            .then(|| self.spec.seed.or(self.knobs.seed).unwrap_or(0))
    }

    /// Saves the failing schedule, and with `TAPESTRY_SVG=1` its diagram beside it (returned);
    /// the error says why it could not be saved.
    pub(super) fn save(
        &self,
        failure: &Failure,
        input: Option<&str>,
    ) -> Result<Option<PathBuf>, String> {
        if !self.knobs.save {
            return Err("not saved: TAPESTRY_SAVE=0".to_owned());
        }
        let mut entry = SavedFailure::new(&self.test, failure, self.seed(failure.engine()));
        entry.input = input.map(str::to_owned);
        saved::save(
            &self.schedules,
            entry,
            &self.replay_command(&self.schedules),
        )
        .map_err(|e| e.to_string())?;
        self.draw(&self.schedules, failure)
            .transpose()
            .map_err(|e| format!("the schedule is saved, but not its diagram: {e}"))
    }

    /// With `TAPESTRY_SVG=1`, draws `failure` beside the schedule file `file`
    /// (`<file>.svg`, written atomically): where, or why not.
    fn draw(&self, file: &Path, failure: &Failure) -> Option<Result<PathBuf, String>> {
        if !self.knobs.svg {
            return None;
        }
        let svg = saved::svg_path(file);
        Some(
            saved::write_atomically(&svg, failure.trace().svg().as_bytes())
                .map(|()| svg)
                .map_err(|e| e.to_string()),
        )
    }

    /// The line a message ends with when it drew a diagram (or could not).
    fn drawn(drawn: Option<Result<PathBuf, String>>) -> String {
        match drawn {
            None => String::new(),
            Some(Ok(svg)) => format!("The interleaving is drawn in {}\n", svg.display()),
            Some(Err(why)) => format!("The interleaving could not be drawn: {why}\n"),
        }
    }

    /// The message of a failure the exploration found.
    pub(super) fn failure_message(
        &self,
        report: &Report,
        failure: &Failure,
        saved: Result<Option<PathBuf>, String>,
    ) -> String {
        let mut message = format!(
            "tapestry found a {} in `{}`: {}\n\n{report}\n{failure}\n",
            failure.kind(),
            self.test,
            failure.message()
        );
        let stress = match failure.replay() {
            Replay::Stress { seed, .. } => Some(*seed),
            _ => None,
        };
        match (&saved, stress) {
            (Ok(_), None) => message.push_str(&format!(
                "The failing schedule is saved in {}; every run of this test replays it first. Commit it.\nReplay it alone:\n    {}\n",
                self.schedules.display(),
                self.replay_command(&self.schedules)
            )),
            (Ok(_), Some(_)) => message.push_str(&format!(
                "The stress engine found it on real threads, whose interleaving cannot be replayed step by step. {} keeps the seed and budget that found it, and every run of this test hunts again with them first. Commit it.\n",
                self.schedules.display()
            )),
            (Err(why), _) => {
                message.push_str(&format!("The failing schedule could not be saved: {why}\n"))
            }
        }
        if stress.is_some() && failure.trace().used_timers() {
            message.push_str(
                "Its tasks waited on timers, which run on the real clock under the stress engine: \
                 a poll delayed by a loaded machine moves a sleep's deadline or lets a timeout \
                 fire first, on tokio too. If the program counts on a few milliseconds' margin \
                 between timers or work, that margin is the bug.\n",
            );
        }
        if let Some(seed) = stress {
            message.push_str(&format!(
                "Hunt again alone, with the same seed and budget (it may take several tries: real threads need not interleave the same way twice):\n    {}\n",
                self.hunt_command(seed)
            ));
        }
        if let Ok(svg) = saved {
            message.push_str(&Self::drawn(svg.map(Ok)));
        }
        message
    }

    /// A test with `expect` or `should_panic` replays no saved schedule (each would show the
    /// failure it expects): if its file holds some, `expect` fails (delete them) and
    /// `should_panic`, whose failing is its passing, gets a notice.
    pub(super) fn not_replayed(&self, why: &str) -> Result<(), String> {
        let entries = saved::read(&self.schedules)
            .map_err(|e| format!("cannot read the saved schedules: {e}"))?;
        if entries.is_empty() {
            return Ok(());
        }
        let message = format!(
            "tapestry: `{}` {why}, so the {} saved schedule(s) in {} are never replayed. Delete the file:\n    rm {}",
            self.test,
            entries.len(),
            self.schedules.display(),
            self.schedules.display()
        );
        if self.spec.should_panic {
            notice(&message);
            Ok(())
        } else {
            Err(message)
        }
    }

    /// Replays the saved schedules of this test first. A failure of one is a regression; an
    /// entry of another test, or a stale one, fails the test too (see the module docs).
    pub(super) fn replay_saved(&self, explorer: &Explorer, bodies: Bodies) -> Result<(), String> {
        let entries = saved::read(&self.schedules)
            .map_err(|e| format!("cannot replay the saved schedules: {e}"))?;
        let (mine, others): (Vec<&SavedFailure>, Vec<&SavedFailure>) =
            entries.iter().partition(|e| e.test == self.test);
        if !others.is_empty() {
            return Err(self.foreign_entries(&others));
        }
        self.replay_entries(explorer, &mine, &self.schedules, Mode::First, bodies)
    }

    /// The message for entries of other tests in this test's file.
    fn foreign_entries(&self, others: &[&SavedFailure]) -> String {
        let dir = Self::schedule_dir(self.spec, &self.knobs);
        let mut message = format!(
            "tapestry: {} holds saved schedules of another test, which `{}` never replays:\n",
            self.schedules.display(),
            self.test
        );
        for entry in others {
            let (module, name) = entry
                .test
                .rsplit_once("::")
                .unwrap_or(("", entry.test.as_str()));
            message.push_str(&format!(
                "  - of `{}`: {}; its own file is {}\n",
                entry.test,
                describe(entry),
                saved::path_for(&dir, module, name).display()
            ));
        }
        message.push_str(&format!(
            "Each test replays only its own file, `<module path>/<test>.schedule` in the schedule folder. If `{}` was renamed from that test, change the entry's `test = ` line to `test = {}`; if the entry belongs to that test, move it to its own file; if that test is gone, delete the entry (`tapestry schedules --orphans` lists the entries of tests that no longer exist).",
            self.test, self.test
        ));
        message
    }

    /// `TAPESTRY_REPLAY`: replays the schedules of `file` that belong to this test, and
    /// returns the test's result. A file that holds none of them is an error naming the
    /// tests it holds.
    pub(super) fn replay_file(
        &self,
        explorer: &Explorer,
        file: &Path,
        bodies: Bodies,
    ) -> Result<(), String> {
        let entries = match saved::read(file) {
            Ok(entries) if entries.is_empty() => {
                return Err(format!(
                    "TAPESTRY_REPLAY={}: no such file, or no schedules in it",
                    file.display()
                ));
            }
            Ok(entries) => entries,
            Err(e) => return Err(format!("TAPESTRY_REPLAY: {e}")),
        };
        let (mine, others): (Vec<&SavedFailure>, Vec<&SavedFailure>) =
            entries.iter().partition(|e| e.test == self.test);
        let mut tests: Vec<&str> = others.iter().map(|e| e.test.as_str()).collect();
        tests.dedup();
        if mine.is_empty() {
            let commands: Vec<String> = tests
                .iter()
                .map(|test| format!("    {}", self.replay_command_for(test, file)))
                .collect();
            return Err(format!(
                "TAPESTRY_REPLAY={} holds no schedule of `{}`, only of: {}. Replay them with the test they belong to:\n{}",
                file.display(),
                self.test,
                tests
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                commands.join("\n")
            ));
        }
        if !tests.is_empty() {
            notice(&format!(
                "tapestry: TAPESTRY_REPLAY={} also holds schedules of {}; `{}` replays only its own",
                file.display(),
                tests
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.test
            ));
        }
        self.replay_entries(explorer, &mine, file, Mode::Asked, bodies)
    }

    /// Replays `entries` of this test, saved in `file`: the first that fails again fails the
    /// test; then the stale ones fail it, all named at once; a stress entry that found nothing
    /// and, when asked for, a schedule that passes get a notice.
    fn replay_entries(
        &self,
        explorer: &Explorer,
        entries: &[&SavedFailure],
        file: &Path,
        mode: Mode,
        bodies: Bodies,
    ) -> Result<(), String> {
        let mut stale = Vec::new();
        for &entry in entries {
            let body = match bodies(entry) {
                Ok(body) => body,
                Err(why) => {
                    stale.push((entry, why));
                    continue;
                }
            };
            match replay_entry(explorer, entry, body) {
                Replayed::Fails(failure) => {
                    return Err(self.fails_again(entry, &failure, file, mode));
                }
                Replayed::Passes if mode == Mode::Asked => notice(&format!(
                    "tapestry: replaying {} ({}): no failure now",
                    file.display(),
                    entry.replay
                )),
                Replayed::Passes => {}
                Replayed::NotFoundAgain {
                    executions,
                    elapsed,
                } => notice(&format!(
                    "tapestry: `{}`: a saved stress failure ({}, from {}) cannot be replayed step by step, so it was hunted again with its {}: {executions} iterations in {elapsed:.2?} found nothing this time (real threads need not interleave the same way twice).",
                    self.test,
                    entry.kind,
                    file.display(),
                    stress_budget(&entry.replay)
                )),
                Replayed::Stale(why) => stale.push((entry, why)),
            }
        }
        if stale.is_empty() {
            return Ok(());
        }
        Err(self.stale(&stale, entries.len(), file))
    }

    /// The message of a saved entry that fails again.
    fn fails_again(
        &self,
        entry: &SavedFailure,
        failure: &Failure,
        file: &Path,
        mode: Mode,
    ) -> String {
        let mut message = match mode {
            Mode::First => format!(
                "tapestry: a saved schedule of `{}` fails again ({} from {}):\n\n",
                self.test,
                failure.kind(),
                file.display()
            ),
            Mode::Asked => format!(
                "tapestry: replaying {} reproduces the {}:\n\n",
                file.display(),
                failure.kind()
            ),
        };
        if matches!(entry.replay, Replay::Stress { .. }) {
            message.push_str(&format!(
                "A stress failure cannot be replayed step by step: hunted again with its {}, the stress engine found it in iteration {}.\n\n",
                stress_budget(&entry.replay),
                failure.execution()
            ));
        }
        message.push_str(&format!("{failure}\n"));
        if mode == Mode::First {
            let alone = if matches!(entry.replay, Replay::Stress { .. }) {
                "Hunt again alone, with the same seed and budget"
            } else {
                "Replay it alone"
            };
            message.push_str(&format!("\n{alone}:\n    {}\n", self.replay_command(file)));
        }
        message.push_str(&Self::drawn(self.draw(file, failure)));
        message
    }

    /// The message of stale entries: which, why, and how to delete them.
    fn stale(&self, stale: &[(&SavedFailure, String)], of: usize, file: &Path) -> String {
        let mut message = format!(
            "tapestry: {} saved schedule(s) of `{}` in {} no longer fit the test, so they test nothing now:\n",
            stale.len(),
            self.test,
            file.display()
        );
        let this = env!("CARGO_PKG_VERSION");
        let mut by_another = 0;
        for (entry, why) in stale {
            message.push_str(&format!("  - {}: {why}", describe(entry)));
            if entry.numbering != saved::NUMBERING {
                by_another += 1;
                message.push_str(&format!(
                    " (saved by tapestry {} with step numbering {}; this tapestry, {this}, has step numbering {})",
                    entry.tapestry,
                    entry.numbering,
                    saved::NUMBERING
                ));
            }
            message.push('\n');
        }
        message.push_str(match by_another {
            0 => "The program changed since they were saved. ",
            n if n == stale.len() => {
                "tapestry changed since they were saved: it numbers a program's steps in another way now, and a schedule replays only the way it was saved. "
            }
            _ => "The program or tapestry (which numbers a program's steps in another way now) changed since they were saved. ",
        });
        message.push_str(
            "The engines search afresh on every run and find the bug again if it is still there, and then save a schedule that fits. ",
        );
        if stale.len() == of {
            let svg = saved::svg_path(file);
            let also = if svg.exists() {
                format!(" {}", svg.display())
            } else {
                String::new()
            };
            message.push_str(&format!(
                "Delete the file (it holds nothing else):\n    rm {}{also}\n",
                file.display()
            ));
        } else {
            message.push_str(&format!(
                "Delete these entries from {}, each from its `[failure]` line to the next; keep the others.\n",
                file.display()
            ));
        }
        message
    }
}
