//! Engines print diagnostics of their own on stderr (shuttle announces every deadlock it finds
//! and every task that panics): hundreds of lines in a hunt, where every failure is expected
//! and reported by the hunt itself. [`Silenced`] points file descriptor 2 at `/dev/null` while
//! it lives, keeping the real stderr for messages that must be seen.

use std::fs::File;

/// File descriptor 2 pointed at `/dev/null` until this is dropped.
#[derive(Debug)]
pub struct Silenced {
    #[cfg(unix)]
    real: Option<std::os::fd::OwnedFd>,
}

impl Silenced {
    /// Silences stderr; if that fails (or off Unix), stderr stays as it was.
    pub fn stderr() -> Silenced {
        #[cfg(unix)]
        {
            use std::os::fd::{AsRawFd, FromRawFd};
            let real = File::options()
                .write(true)
                .open("/dev/null")
                .ok()
                .and_then(|null| {
                    // SAFETY: `dup` and `dup2` on descriptors this process owns; the duplicate
                    // is owned by the `OwnedFd` made from it and nothing else.
                    unsafe {
                        let real = libc::dup(2);
                        if real < 0 {
                            return None;
                        }
                        let real = std::os::fd::OwnedFd::from_raw_fd(real);
                        (libc::dup2(null.as_raw_fd(), 2) >= 0).then_some(real)
                    }
                });
            Silenced { real }
        }
        #[cfg(not(unix))]
        Silenced {}
    }

    /// The real stderr, while it is silenced.
    pub fn real(&self) -> Option<File> {
        #[cfg(unix)]
        {
            let fd = self.real.as_ref()?.try_clone().ok()?;
            Some(File::from(fd))
        }
        #[cfg(not(unix))]
        None
    }
}

impl Drop for Silenced {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(real) = &self.real {
            use std::os::fd::AsRawFd;
            // SAFETY: puts the real stderr back on fd 2; `real` stays owned and is closed after.
            unsafe { libc::dup2(real.as_raw_fd(), 2) };
        }
    }
}
