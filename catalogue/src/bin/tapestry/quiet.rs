//! Engines print diagnostics of their own on stderr (shuttle announces every deadlock it finds
//! and every task that panics); the CLI reports what it finds itself, so those lines are noise
//! that would also tear up the progress bar. While the CLI runs, file descriptor 2 points at
//! `/dev/null`, and the CLI's own messages, progress bar and panics go to a duplicate of the real
//! stderr.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

static REAL_STDERR: OnceLock<Mutex<File>> = OnceLock::new();

/// Sends fd 2 to `/dev/null`, keeping the real stderr for [`say`]. On failure (or off Unix)
/// engines' diagnostics stay on stderr.
pub fn silence_engines() {
    #[cfg(unix)]
    {
        use std::os::fd::{AsRawFd, FromRawFd};
        let Ok(null) = File::options().write(true).open("/dev/null") else {
            return;
        };
        // SAFETY: `dup` and `dup2` on descriptors this process owns; the duplicate is owned by
        // the `File` made from it and nothing else.
        unsafe {
            let real = libc::dup(2);
            if real < 0 {
                return;
            }
            if libc::dup2(null.as_raw_fd(), 2) < 0 {
                libc::close(real);
                return;
            }
            let _ = REAL_STDERR.set(Mutex::new(File::from_raw_fd(real)));
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            say(&format!("{info}"));
            previous(info);
        }));
    }
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
