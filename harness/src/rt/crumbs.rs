//! What can be said about the exploration running on this OS thread when the process is about
//! to die (a crash) or a thread is stuck (a hang): read from a signal handler, so without
//! allocating, locking or formatting.

use super::event::{Site, ThreadIdx};
use super::local::local;
use crate::kinds::EngineKind;

/// Where the running exploration is, as far as this OS thread knows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Crumbs<'a> {
    pub engine: Option<EngineKind>,
    /// The execution's number in its exploration (from 1).
    pub execution: u64,
    /// The model thread running on this OS thread.
    pub thread: ThreadIdx,
    /// Its name, if it was given one (thread 0 is the test body, `main`).
    pub name: Option<&'a str>,
    /// The last facade operation the thread completed, when tracing records them.
    pub site: Option<Site>,
}

/// Calls `f` with what this OS thread knows of its exploration (`None` outside one).
///
/// Safe to call from a signal handler on this thread: it reads the thread's own `Local` and
/// recording in place. The interrupted code may have been changing the recording (pushing an
/// event); then what is read may be stale, never freed memory, since nothing here runs the
/// interrupted code's destructors.
pub(crate) fn with_crumbs<R>(f: impl FnOnce(Option<Crumbs<'_>>) -> R) -> R {
    let Some(local) = local() else {
        return f(None);
    };
    let thread = local.running();
    local.peek_recording(|recording| {
        let name = match thread {
            0 => Some("main"),
            _ => recording
                .threads
                .iter()
                .find(|t| t.idx == thread)
                .and_then(|t| t.name.as_deref()),
        };
        let site = recording
            .events
            .iter()
            .rev()
            .find(|e| e.thread == thread)
            .map(|e| e.site);
        f(Some(Crumbs {
            engine: local.exec.engine,
            execution: local.exec.executions(),
            thread,
            name,
            site,
        }))
    })
}
