//! The interleaving of a failing execution, for people to read: as text ([`Trace`]), as data
//! ([`Timeline`]), and as a swimlane diagram ([`Timeline::svg`]).
//!
//! Engines record compact events; text and pictures are made here, only when a failure is
//! shown.

mod blocked;
mod codec;
pub(crate) mod cycle;
mod labels;
mod render;
mod stale;
mod svg;
mod timeline;

use std::fmt;
use std::sync::Arc;

pub(crate) use blocked::describe_blocked;
pub(crate) use labels::Labels;
pub(crate) use timeline::Ending;
pub use timeline::{Action, ReadFrom, Row, Timeline, TimelineObject, TimelineStep};

/// For pages that embed the diagrams and escape their own text the same way (the catalogue's
/// report); not a public API.
#[doc(hidden)]
pub use svg::escape;

use self::cycle::Span;

pub(crate) use crate::rt::is_ours;
use crate::rt::{ObjId, Recording};

/// Where an object was made, as an object list shows it: the user's line, or a note that
/// tapestry made it (an async runtime's worker pool, say), whose own lines would mean nothing
/// to the reader and change with every edit of tapestry.
fn made_at(site: &std::panic::Location<'_>) -> String {
    if is_ours(site) {
        "(inside tapestry)".to_owned()
    } else {
        format!("{}:{}", site.file(), site.line())
    }
}

/// At most this many steps are shown by `Display`: of a longer trace that ends in a loop, all
/// rounds but two are elided, else its middle.
const SHOWN_STEPS: usize = 300;

/// The interleaving of a failing execution: every facade operation in the order it took
/// effect, with the thread that did it and the line of user code that called it.
///
/// `Display` renders a table; the same engine, seed and program render byte-identical text.
/// Traces of the stress engine are ordered by timestamps taken on each core, so operations
/// closer together than the clock's resolution may show in either order.
#[derive(Clone, Debug)]
pub struct Trace {
    recording: Arc<Recording>,
    outcome: Option<String>,
    /// Objects the outcome names (what blocked threads wait for), listed even if no recorded
    /// operation touched them.
    mentioned: Vec<ObjId>,
    stale_reads: bool,
    /// Rounds of a loop that `Display` shows two of.
    rounds: Option<Span>,
    /// Which thread failed and what blocked threads waited for, for the diagram.
    ending: Ending,
}

impl Trace {
    /// `outcome` is the last line: what went wrong, said by the thread it happened to.
    /// `stale_reads`: point out reads of a value older than the latest store; only meaningful
    /// where the order of the trace is the order of the execution (model engines).
    /// `rounds`: a loop the execution ended in, whose rounds but two `Display` elides.
    pub(crate) fn new(
        recording: Recording,
        outcome: Option<String>,
        mentioned: Vec<ObjId>,
        stale_reads: bool,
        rounds: Option<Span>,
    ) -> Trace {
        // A failure that needed weak memory says which reordering let it happen, below what
        // went wrong.
        let outcome = outcome.map(|outcome| {
            let why = stale_reads
                .then(|| {
                    let labels = Labels::new(&recording);
                    let reads = stale::reads(&recording, &labels);
                    stale::reordering(&recording.events, &reads, &labels)
                })
                .flatten();
            match why {
                Some(why) => format!("{outcome}\n\n{}", stale::wrap(&why, 92)),
                None => outcome,
            }
        });
        Trace {
            recording: Arc::new(recording),
            outcome,
            mentioned,
            stale_reads,
            rounds,
            ending: Ending::default(),
        }
    }

    /// Notes which thread failed and what the blocked threads waited for.
    pub(crate) fn with_ending(mut self, ending: Ending) -> Trace {
        self.ending = ending;
        self
    }

    /// The number of operations recorded.
    pub fn len(&self) -> usize {
        self.recording.events.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.recording.events.is_empty()
    }

    /// Whether a task waited on a timer of `tapestry::tokio::time` (a sleep, a timeout).
    pub(crate) fn used_timers(&self) -> bool {
        self.recording.events.iter().any(|e| {
            matches!(
                e.op,
                crate::rt::Op::TimerWait { .. }
                    | crate::rt::Op::Cancelled {
                        why: crate::rt::Cancel::Timeout,
                        ..
                    }
            )
        })
    }

    /// The whole trace, however long (`Display` elides parts of long traces).
    pub fn render_full(&self) -> String {
        let mut out = String::new();
        render::render(
            &self.recording,
            self.outcome.as_deref(),
            &self.mentioned,
            self.stale_reads,
            self.rounds,
            usize::MAX,
            &mut out,
        )
        .expect("writing to a String cannot fail");
        out
    }

    /// The trace as data, showing the same steps as `Display` (and so as a saved schedule's
    /// comments): what [`Trace::svg`] draws and a schedule file keeps.
    pub fn timeline(&self) -> Timeline {
        timeline::build(
            &self.recording,
            self.outcome.as_deref(),
            &self.mentioned,
            self.stale_reads,
            self.rounds,
            SHOWN_STEPS,
            &self.ending,
        )
    }

    /// The trace as a swimlane diagram in SVG (see [`Timeline::svg`]).
    pub fn svg(&self) -> String {
        self.timeline().svg()
    }

    /// The names of the threads that appear in the trace, in thread-number order.
    pub fn threads(&self) -> Vec<String> {
        let labels = Labels::new(&self.recording);
        let mut seen: Vec<u32> = self.recording.events.iter().map(|e| e.thread).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.into_iter()
            .map(|t| labels.thread(t).to_owned())
            .collect()
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render::render(
            &self.recording,
            self.outcome.as_deref(),
            &self.mentioned,
            self.stale_reads,
            self.rounds,
            SHOWN_STEPS,
            f,
        )
    }
}
