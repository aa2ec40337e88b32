//! The legend below the diagram: a sample of each kind of mark it shows, and each lock's
//! colour.

use std::fmt::Write;

use super::marks::Hold;
use super::{BAR, CONFLICT, FAILING, LOCK_COLOURS, MUTED, READS_FROM, STALE, escape, width};
use crate::trace::timeline::{Action, Timeline};

/// An entry of the legend below the diagram: a sample of a mark, and what it means.
pub(super) enum Legend {
    ReadsFrom,
    Sync,
    Lock(String, &'static str),
    Failing,
    Conflict,
    Stale,
}

impl Legend {
    fn words(&self) -> &str {
        match self {
            Legend::ReadsFrom => "a read, from the write of its value",
            Legend::Sync => "spawn, join",
            Legend::Lock(name, _) => name,
            Legend::Failing => "the failing step",
            Legend::Conflict => "an interrupted update",
            Legend::Stale => "a stale read",
        }
    }

    pub(super) fn width(&self) -> usize {
        26 + width(self.words().chars().count()) * 11 / 12 + 18
    }

    pub(super) fn draw(&self, x: usize, y: usize, out: &mut String) {
        let mid = y - 4;
        let _ = match self {
            Legend::ReadsFrom | Legend::Sync => {
                let (colour, marker, dash) = match self {
                    Legend::ReadsFrom => (READS_FROM, "tp-arrow", ""),
                    _ => (MUTED, "tp-arrow-sync", r#" stroke-dasharray="4,3""#),
                };
                write!(
                    out,
                    r#"<path d="M{x},{mid} L{},{mid}" stroke="{colour}" stroke-width="1.5"{dash} marker-end="url(#{marker})"/>"#,
                    x + 20
                )
            }
            Legend::Lock(_, colour) => write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="14" rx="2" fill="{colour}"/>"#,
                x + 6,
                mid - 7,
                BAR - 2
            ),
            Legend::Failing | Legend::Conflict | Legend::Stale => {
                let (fill, stroke, dash) = match self {
                    Legend::Failing => ("#ffebee", FAILING, ""),
                    Legend::Conflict => ("#fff3e0", CONFLICT, ""),
                    _ => ("#fffde7", STALE, r#" stroke-dasharray="4,2""#),
                };
                write!(
                    out,
                    r#"<rect x="{x}" y="{}" width="20" height="12" rx="2" fill="{fill}" stroke="{stroke}" stroke-width="2"{dash}/>"#,
                    mid - 6
                )
            }
        };
        let _ = write!(
            out,
            r#"<text x="{}" y="{y}">{}</text>"#,
            x + 26,
            escape(self.words())
        );
    }
}

/// The legend of what this diagram shows: each kind of mark it has, and each lock by colour.
pub(super) fn legend(
    t: &Timeline,
    holds: &[Hold],
    updates: &[(usize, usize, usize)],
    arrows: &[(usize, usize)],
    failing_row: Option<usize>,
) -> Vec<Legend> {
    let mut items = Vec::new();
    if !arrows.is_empty() {
        items.push(Legend::ReadsFrom);
    }
    if t.steps()
        .any(|s| matches!(s.action, Action::Spawn(Some(_)) | Action::Join(Some(_))))
    {
        items.push(Legend::Sync);
    }
    let mut locks: Vec<usize> = holds.iter().map(|h| h.lock).collect();
    locks.sort_unstable();
    locks.dedup();
    for lock in locks {
        let name = t.objects.get(lock).map_or("?", |o| o.name.as_str());
        items.push(Legend::Lock(
            format!("{name} held"),
            LOCK_COLOURS[lock % LOCK_COLOURS.len()],
        ));
    }
    if failing_row.is_some() {
        items.push(Legend::Failing);
    }
    if !updates.is_empty() {
        items.push(Legend::Conflict);
    }
    if t.steps().any(|s| s.stale) {
        items.push(Legend::Stale);
    }
    items
}
