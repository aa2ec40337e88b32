//! What can be said about the exploration running on this OS thread when the process is about
//! to die (a crash) or a thread is stuck (a hang): read from a signal handler, so without
//! allocating, locking or formatting.

use super::event::{Op, Site, ThreadIdx};
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
    /// The other threads that had not exited, with the site of the last operation each
    /// completed, latest first (at most [`OTHERS`]), when tracing records them.
    pub others: Others<'a>,
}

/// How many other threads [`Crumbs`] look at (exited ones included).
pub(crate) const OTHERS: usize = 8;

/// Another thread's last operation (see [`Crumbs::others`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Other<'a> {
    pub thread: ThreadIdx,
    pub name: Option<&'a str>,
    pub site: Site,
    exited: bool,
}

/// Up to [`OTHERS`] other threads, in a fixed array: a signal handler allocates nothing.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Others<'a> {
    found: [Option<Other<'a>>; OTHERS],
}

impl<'a> Others<'a> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Other<'a>> {
        self.found.iter().flatten().filter(|o| !o.exited)
    }
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
        let name_of = |idx: ThreadIdx| match idx {
            0 => Some("main"),
            _ => recording
                .threads
                .iter()
                .find(|t| t.idx == idx)
                .and_then(|t| t.name.as_deref()),
        };
        let site = recording
            .events
            .iter()
            .rev()
            .find(|e| e.thread == thread)
            .map(|e| e.site);
        // Each thread's latest event at a line of the program's, newest first; an exit leaves
        // the thread out.
        let mut others = Others::default();
        let mut seen = 0;
        for event in recording.events.iter().rev() {
            if seen == OTHERS {
                break;
            }
            if event.thread == thread
                || others
                    .found
                    .iter()
                    .flatten()
                    .any(|o| o.thread == event.thread)
            {
                continue;
            }
            // A line of tapestry's own (inside a tokio-shaped call) says nothing: the thread's
            // line before it does.
            let exited = matches!(event.op, Op::Exit);
            if !exited && super::is_ours(event.site) {
                continue;
            }
            others.found[seen] = Some(Other {
                thread: event.thread,
                name: name_of(event.thread),
                site: event.site,
                exited,
            });
            seen += 1;
        }
        f(Some(Crumbs {
            engine: local.exec.engine,
            execution: local.exec.executions(),
            thread,
            name: name_of(thread),
            site,
            others,
        }))
    })
}
