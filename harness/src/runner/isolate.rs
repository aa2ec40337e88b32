//! Runs a `#[tapestry::test]` in a child process, so that a crash fails that test alone.
//!
//! A stack overflow, a segmentation fault or an abort in code under test kills the process
//! that runs it, and with it every other test of the binary; a thread stuck outside the facade
//! can only be stopped by ending its process. So the test's process (the *parent*) runs the
//! test binary again, filtered to this one test (`<name> --exact`), with `__TAPESTRY_CHILD`
//! naming the parent, the test and a report file; proptest's fork mode and `rusty-fork` do the
//! same, and nothing is forked. The *child* explores and writes to the report file what the
//! parent needs: the result (`pass`, or `fail` and the failure message, after the failing
//! schedule is saved), the notices a person must read, or, from a signal handler (`crash`), a
//! sentence on where the process crashed or hung. The child's standard output and error (one
//! pipe, in order) are shown by the parent as test output, where libtest shows a test's.
//!
//! The child exits as soon as its test has run, so libtest there prints nothing after it. If
//! the child never ran the test (a harness that does not take libtest's arguments), the parent
//! runs it itself and says so. `TAPESTRY_ISOLATE=0` runs every test in its own process, as
//! before: faster, but a crash then ends the whole binary (after the handlers of `crash`
//! describe it on standard error).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::TestSpec;
use super::crash::{self, HANG_EXIT};
use super::knobs::Knobs;
use crate::kinds::FailureKind;
use crate::notice::{divert, notice};

/// Names the parent's process id, the test and the report file, separated by tabs. Not a
/// `TAPESTRY_` knob: users never set it.
const CHILD: &str = "__TAPESTRY_CHILD";

/// Where the child's output starts, after what libtest printed before the test ran.
const START: &str = "\u{1}tapestry: the test starts\u{1}\n";

/// How a test runs.
pub(super) enum Start {
    /// This process is the parent: the child ran the test, and this is its result.
    Parent(Result<(), String>),
    /// The test runs in this process: the child, or any process when isolation is off.
    Here(Here),
}

/// A test that runs in this process; see [`Here::finish`].
pub(super) struct Here {
    /// The report file, in a child.
    child: Option<&'static File>,
}

/// The report file of this child process, once it knows it is one.
static REPORT: OnceLock<File> = OnceLock::new();

/// Whether this process was started as the child of a test's process.
pub(super) fn is_child_process() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Decides where the test `spec` runs, and if in a child, runs it there.
pub(super) fn start(spec: &TestSpec, knobs: &Knobs) -> Start {
    if let Some(report) = child_report(spec) {
        return Start::Here(Here {
            child: Some(report),
        });
    }
    if knobs.isolate
        && let Some(result) = run_child(spec)
    {
        return Start::Parent(result);
    }
    crash::install(None);
    Start::Here(Here { child: None })
}

impl Here {
    /// Ends the test run here with `result` (a panic's payload if it panicked): in a child,
    /// reports it to the parent and exits; otherwise returns it, or resumes the panic.
    pub(super) fn finish(
        self,
        result: std::thread::Result<Result<(), String>>,
    ) -> Result<(), String> {
        let Some(mut report) = self.child else {
            return result.unwrap_or_else(|payload| std::panic::resume_unwind(payload));
        };
        let record = match result {
            Ok(Ok(())) => "pass".to_owned(),
            Ok(Err(message)) => format!("fail\t{message}"),
            Err(payload) => format!("fail\t{}", crate::rt::hook::payload_message(&*payload)),
        };
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        let _ = report.write_all(format!("{record}\0").as_bytes());
        std::process::exit(0)
    }
}

/// If this process is the child running `spec`, sets it up as one (handlers, notices to the
/// parent, standard error into standard output) and returns its report file.
fn child_report(spec: &TestSpec) -> Option<&'static File> {
    if let Some(report) = REPORT.get() {
        return Some(report);
    }
    let value = std::env::var(CHILD).ok()?;
    let mut fields = value.splitn(3, '\t');
    let (parent, test, path) = (fields.next()?, fields.next()?, fields.next()?);
    // A process this child starts (a test that runs cargo) inherits the variable: only the
    // parent's own child, running this test, is the child.
    let parent_pid: u32 = parent.parse().ok()?;
    if std::os::unix::process::parent_id() != parent_pid || test != test_id(spec) {
        return None;
    }
    let file = OpenOptions::new().append(true).open(path).ok()?;
    let report = REPORT.get_or_init(|| file);
    // This process runs this one test: a facade object that code outside its explorations
    // touches meanwhile is the test's own std thread at work.
    crate::rt::set_sole();
    crash::install(Some(report.as_raw_fd()));
    divert(|message| {
        if let Some(mut report) = REPORT.get() {
            let _ = report.write_all(format!("notice\t{message}\0").as_bytes());
        }
    });
    let _ = std::io::stdout().flush();
    // SAFETY: `dup2` on the process's own standard descriptors; nothing else holds fd 2 open
    // for reading.
    unsafe {
        libc::dup2(libc::STDOUT_FILENO, libc::STDERR_FILENO);
    }
    print!("{START}");
    let _ = std::io::stdout().flush();
    Some(report)
}

/// `module::path::name`, as schedule files name the test.
fn test_id(spec: &TestSpec) -> String {
    format!("{}::{}", spec.module_path, spec.name)
}

/// The test's name as libtest knows it: its path inside its crate.
fn libtest_name(spec: &TestSpec) -> String {
    match spec.module_path.split_once("::") {
        Some((_, inner)) => format!("{inner}::{}", spec.name),
        None => spec.name.to_owned(),
    }
}

/// Runs the test in a child process and returns its result; `None` if the child could not run
/// it (the parent then runs it itself).
fn run_child(spec: &TestSpec) -> Option<Result<(), String>> {
    let report = ReportFile::new()?;
    let exe = std::env::current_exe().ok()?;
    let (mut reader, writer) = std::io::pipe().ok()?;
    let mut command = Command::new(exe);
    command
        .arg(libtest_name(spec))
        .args([
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(
            CHILD,
            format!(
                "{}\t{}\t{}",
                std::process::id(),
                test_id(spec),
                report.path.display()
            ),
        )
        .stdin(Stdio::null())
        .stdout(writer.try_clone().ok()?)
        .stderr(writer);
    let mut child = command.spawn().ok()?;
    // The parent's ends of the pipe's write side must close, or reading never ends.
    drop(command);
    let mut output = Vec::new();
    let _ = reader.read_to_end(&mut output);
    let status = child.wait().ok()?;
    let records = report.read();
    let output = String::from_utf8_lossy(&output);
    let Some((_, output)) = output.split_once(START) else {
        // The test never started in the child.
        notice(&format!(
            "tapestry: `{}` could not run in a child process (its test binary did not run it \
             when asked to), so it runs in the test's own process: a crash there ends every \
             test of the binary. {}",
            test_id(spec),
            output.trim()
        ));
        return None;
    };
    // Where libtest would have: shown when the test fails, or with --nocapture.
    print!("{output}");
    let mut result = None;
    for record in records.split('\0').filter(|r| !r.is_empty()) {
        let (tag, text) = record.split_once('\t').unwrap_or((record, ""));
        match tag {
            "notice" => notice(text),
            "pass" => result = Some(Ok(())),
            "fail" => result = Some(Err(text.to_owned())),
            _ => {
                if let Ok(kind) = tag.parse::<FailureKind>() {
                    result = Some(Err(ended(spec, kind, text)));
                }
            }
        }
    }
    Some(result.unwrap_or_else(|| Err(died(spec, status))))
}

/// The failure message of a child that a crash or a hang ended.
fn ended(spec: &TestSpec, kind: FailureKind, sentence: &str) -> String {
    let advice = match kind {
        FailureKind::StackOverflow => {
            "Give the thread a larger stack (`thread::Builder::stack_size`; the test body has \
             8 MiB, a spawned thread std's default, `RUST_MIN_STACK` or 2 MiB), or bound the \
             recursion."
        }
        FailureKind::Hang => "The watchdog's bound is TAPESTRY_WATCHDOG (default 10s).",
        _ => "",
    };
    format!(
        "tapestry found a {kind} in `{}`: {sentence}.\n\nThe child process exploring the test \
         ended there, so this test fails and the binary's other tests run on; the engines \
         after this one did not run, and no schedule was saved (it died with the process). \
         {advice}\n",
        test_id(spec)
    )
}

/// The failure message of a child that ended without a word.
fn died(spec: &TestSpec, status: std::process::ExitStatus) -> String {
    let how = match (status.signal(), status.code()) {
        (Some(signal), _) => format!("was killed by signal {signal}"),
        (None, Some(HANG_EXIT)) => "hung".to_owned(),
        (None, Some(code)) => format!("exited with code {code} (a call to `process::exit`?)"),
        (None, None) => "ended".to_owned(),
    };
    format!(
        "tapestry found a {} in `{}`: the child process exploring it {how} before it could \
         report anything; its output is above.\n",
        FailureKind::Crash,
        test_id(spec)
    )
}

/// A file the child appends its records to, removed when read.
struct ReportFile {
    path: PathBuf,
}

impl ReportFile {
    fn new() -> Option<ReportFile> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "tapestry-{}-{}.report",
            std::process::id(),
            NEXT.fetch_add(1, Relaxed)
        ));
        File::create(&path).ok()?;
        Some(ReportFile { path })
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.path).unwrap_or_default()
    }
}

impl Drop for ReportFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
