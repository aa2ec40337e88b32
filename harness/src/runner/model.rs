//! A model that a test runs by calling a function rather than through `#[tapestry::test]`:
//! `tapestry-loom`'s `loom::model`. It gets what a `#[tapestry::test]` gets (its saved
//! schedules replayed first, a failing schedule saved before the failure is reported,
//! `TAPESTRY_REPLAY`), under the engines its caller chose.
//!
//! Without the attribute, nothing names the test at compile time; it is found when the model
//! runs: libtest names each test's thread after the test's path in its crate, the test binary
//! is named after the crate (`target/debug/deps/<crate>-<hash>`), and cargo and nextest run
//! test binaries with `CARGO_PKG_NAME` and `CARGO_MANIFEST_DIR` set. A test that runs several
//! models keeps the schedules of its second and later ones under `<test>::model_<n>`.

use std::cell::Cell;
use std::panic::Location;
use std::path::{Path, PathBuf};

use super::knobs::Knobs;
use super::{Body, TestRun, TestSpec};
use crate::Explorer;
use crate::notice::notice;
use crate::report::Report;
use crate::saved::{self, SavedFailure};

thread_local! {
    /// Models this thread (one test's, under libtest) has run.
    static MODELS_RUN: Cell<usize> = const { Cell::new(0) };
}

/// Runs `body` under `explorer` as the model of the running test (see the module docs);
/// `observe` sees the exploration's report. The error is the failure's message, the
/// schedule already saved.
#[doc(hidden)]
#[track_caller]
pub fn run_model<F>(
    explorer: &Explorer,
    body: F,
    observe: &mut dyn FnMut(&Report),
) -> Result<(), String>
where
    F: Fn() + Send + Sync + 'static,
{
    let knobs = Knobs::from_env().map_err(|e| format!("tapestry: {e}"))?;
    // Not in a process of its own, as a `#[tapestry::test]` is: a crash or a hang ends the
    // test binary, but says where (a thread that overflowed its stack, in which execution of
    // which engine) on standard error rather than leave a bare signal.
    super::crash::install(None);
    let spec = spec_of_running_test(next_ordinal(), Location::caller());
    let run = TestRun::new(&spec, knobs);
    if let Some(file) = &run.knobs.replay
        && run.replays_another_model(&run.resolve(file))
    {
        notice(&format!(
            "tapestry: TAPESTRY_REPLAY={} holds no schedule of `{}`, but of another model of \
             the same test: this one is not run",
            file.display(),
            run.test
        ));
        return Ok(());
    }
    run.run(explorer, body, &|_| {}, observe)
}

/// A test whose body is built from an input, which a failure saves with its schedule:
/// tapestry-lincheck's check, whose input is a scenario. Named as [`run_model`] names a model;
/// its saved entries are replayed first, each on the body its input builds.
#[doc(hidden)]
pub struct InputTest {
    run: TestRun<'static>,
}

impl InputTest {
    /// The running test (see the module docs), or what is wrong with the `TAPESTRY_*` knobs.
    #[track_caller]
    pub fn of_running_test() -> Result<InputTest, String> {
        let knobs = Knobs::from_env().map_err(|e| format!("tapestry: {e}"))?;
        // As `run_model`'s.
        super::crash::install(None);
        // Leaked, as `run_model`'s spec: one per check run.
        let spec = Box::leak(Box::new(spec_of_running_test(
            next_ordinal(),
            Location::caller(),
        )));
        Ok(InputTest {
            run: TestRun::new(spec, knobs),
        })
    }

    /// Whether `TAPESTRY_REPLAY` names a file to replay: then replaying it is the whole test.
    pub fn replays_only(&self) -> bool {
        self.run.knobs.replay.is_some()
    }

    /// Replays the test's saved entries (or, with `TAPESTRY_REPLAY`, that file's), each on the
    /// body `build` makes from its input. The error is the test's failure: an entry that fails
    /// again, entries that no longer fit (among them one whose input `build` rejects, saying
    /// why), an entry of another test.
    pub fn replay(
        &self,
        explorer: &Explorer,
        build: &dyn Fn(&str) -> Result<Body, String>,
    ) -> Result<(), String> {
        let bodies = |entry: &SavedFailure| match &entry.input {
            Some(input) => build(input),
            None => Err(
                "it was saved without an input, and this test's body is built \
                         from one"
                    .to_owned(),
            ),
        };
        match &self.run.knobs.replay {
            Some(file) => self
                .run
                .replay_file(explorer, &self.run.resolve(file), &bodies),
            None => self.run.replay_saved(explorer, &bodies),
        }
    }

    /// The message of `report`'s failure, found with `input`, which is saved (with the
    /// failing schedule) before this returns; `None` if the report has no failure.
    pub fn failed(&self, report: &Report, input: &str) -> Option<String> {
        let failure = report.failure()?;
        let saved = self.run.save(failure, Some(input));
        Some(self.run.failure_message(report, failure, saved))
    }
}

impl std::fmt::Debug for InputTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputTest")
            .field("test", &self.run.test)
            .finish_non_exhaustive()
    }
}

/// The ordinal of a model (or input test) the running test starts now: 1 for its first.
fn next_ordinal() -> usize {
    MODELS_RUN.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

/// The spec of the running test's `ordinal`th model, as the test's thread, binary and
/// environment name it. Leaked: a spec names a test for a whole run, as the attribute's
/// `&'static` literals do; one per model run.
fn spec_of_running_test(ordinal: usize, caller: &Location<'_>) -> TestSpec {
    let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "<package>".to_owned());
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let krate = crate_name().unwrap_or_else(|| package.replace('-', "_"));
    let thread = std::thread::current();
    // libtest's thread name is the test's path in its crate; without one (a model run
    // outside libtest), the model is named by where it is called.
    let test = match thread.name().filter(|name| *name != "main") {
        Some(name) => name.to_owned(),
        None => format!("model_at_line_{}", caller.line()),
    };
    let (mut module_path, mut name) = match test.rsplit_once("::") {
        Some((module, name)) => (format!("{krate}::{module}"), name.to_owned()),
        None => (krate, test.clone()),
    };
    let mut filter = None;
    if ordinal > 1 {
        module_path = format!("{module_path}::{name}");
        name = format!("model_{ordinal}");
        filter = Some(leak(test));
    }
    TestSpec {
        module_path: leak(module_path),
        name: leak(name),
        manifest_dir: leak(manifest_dir.to_string_lossy().into_owned()),
        package: leak(package),
        filter,
        ..TestSpec::default()
    }
}

/// The crate of the running test binary: cargo names it `<crate>-<hash>`.
fn crate_name() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_str()?;
    let (krate, hash) = stem.rsplit_once('-')?;
    hash.chars()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| krate.to_owned())
}

impl TestRun<'_> {
    /// Whether `file` holds no schedule of this model but some of another model of the same
    /// test (`TAPESTRY_REPLAY` names the file of the one that failed).
    fn replays_another_model(&self, file: &Path) -> bool {
        let Ok(entries) = saved::read(file) else {
            return false;
        };
        let base = match self.spec.filter {
            Some(_) => self.test.rsplit_once("::").map_or("", |(test, _)| test),
            None => &self.test,
        };
        let of_another = |test: &str| {
            test != self.test
                && (test == base
                    || test
                        .strip_prefix(base)
                        .is_some_and(|r| r.starts_with("::model_")))
        };
        !entries.iter().any(|e| e.test == self.test) && entries.iter().any(|e| of_another(&e.test))
    }
}
