//! Messages a person must read, even from a test that passes.
//!
//! libtest captures what the `print!` and `eprint!` macros write in a test and shows it only
//! when the test fails; a write to the process's standard error through `std::io::stderr()`
//! is not captured, so `cargo test` shows it without `--nocapture`. (nextest captures the
//! whole process's output and shows a passing test's only when configured to: what must not
//! be missed there fails the test instead.)

use std::io::Write;
use std::sync::OnceLock;

/// Where notices go instead, when set: a test's child process hands them to its parent, which
/// writes them (see `runner::isolate`).
static DIVERTED: OnceLock<fn(&str)> = OnceLock::new();

/// Sends every notice from now on to `to` instead of standard error (once per process).
pub(crate) fn divert(to: fn(&str)) {
    let _ = DIVERTED.set(to);
}

/// Writes `message` on its own line to the process's standard error, where `cargo test`
/// shows it whether or not the test passes.
pub(crate) fn notice(message: &str) {
    if let Some(to) = DIVERTED.get() {
        return to(message);
    }
    let mut stderr = std::io::stderr().lock();
    // Nothing sensible is left to do if standard error is closed.
    let _ = writeln!(stderr, "{message}");
}
