//! Engines' diagnostics would tear up the progress bar: while the CLI runs, file descriptor 2
//! points at `/dev/null` (see [`Silenced`]), and the CLI's own messages, progress bar and panics
//! go to a duplicate of the real stderr.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use tapestry_catalogue::quiet::Silenced;

static REAL_STDERR: OnceLock<Mutex<File>> = OnceLock::new();

/// Sends fd 2 to `/dev/null` for the rest of the process, keeping the real stderr for
/// [`say`]. On failure (or off Unix) engines' diagnostics stay on stderr.
pub fn silence_engines() {
    let silenced = Silenced::stderr();
    let Some(real) = silenced.real() else {
        return;
    };
    let _ = REAL_STDERR.set(Mutex::new(real));
    // Silenced until the process ends.
    std::mem::forget(silenced);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        say(&format!("{info}"));
        previous(info);
    }));
}

/// Writes a line to the real stderr.
pub fn say(line: &str) {
    match REAL_STDERR.get() {
        Some(file) => {
            let mut file = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = writeln!(file, "{line}");
        }
        None => eprintln!("{line}"),
    }
}

/// A terminal on the real stderr, for the progress bar; `None` when it is not a terminal.
pub fn terminal() -> Option<console::Term> {
    use std::io::IsTerminal;
    let file = REAL_STDERR.get()?.lock().ok()?.try_clone().ok()?;
    file.is_terminal()
        .then(|| console::Term::read_write_pair(std::io::stdin(), file))
}
