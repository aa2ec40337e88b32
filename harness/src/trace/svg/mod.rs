//! Draws a [`Timeline`] as a swimlane diagram in SVG: one lane per thread, time flowing down,
//! one box per step (numbered as in the text trace), a bar beside a lane while its thread
//! holds a lock, an arrow from a write to each read that read its value, the steps of an
//! interrupted update and the failing step marked, and the outcome below.
//!
//! A pure function of the timeline: integer coordinates and no map iteration, so the same
//! timeline always gives the same bytes. Styles are attributes, not CSS, so the picture looks
//! the same inline in a page, alone in a browser, or in an image viewer.
//!
//! Texts are drawn as text: a `code` span of the trace's words (between backticks) becomes a
//! `<tspan>` of its own, without the backticks (`label.rs`); the sentences below the lanes are
//! set in a sans-serif font with code in monospace, and wrapped so that they never make the
//! picture wider than its lanes or [`WRAP_WIDTH`] pixels.

use std::fmt::Write;

mod label;
mod legend;
mod marks;

use self::label::{Font, Label, wrap};
use self::legend::legend;
use self::marks::{holds, interrupted_updates, read_value, reads_from};
use super::timeline::{Action, Row, Timeline};

/// Pixel sizes. Text is 12px monospace, about 7.3px a character.
const TENTHS_PER_CHAR: usize = 73;
const ROW: usize = 28;
const BOX: usize = 20;
const GUTTER: usize = 46;
const TOP: usize = 52;
const PAD: usize = 8;
const BAR: usize = 9;
const LANE_GAP: usize = 30;
const MIN_LANE: usize = 110;
const LINE: usize = 17;
/// Longer operation texts are cut (the whole text is the box's tooltip).
const MAX_CHARS: usize = 64;
/// The sentences below the lanes wrap at this many pixels, or at the lanes' width if wider, so
/// that a diagram of two or three lanes fits a page.
const WRAP_WIDTH: usize = 860;
/// A sans-serif character is narrower than a monospace one, on average, unless bold.
const SANS_TENTHS_PER_CHAR: usize = 66;
/// What a blocked thread waits for wraps at its lane's longest step, or this many characters.
const BLOCKED_CHARS: usize = 30;
/// The lines of a wrapped wait are this many pixels apart.
const BLOCKED_LINE: usize = 14;
/// Continuation lines of a wrapped sentence are indented by this many pixels.
const INDENT: usize = 16;

const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
const SANS: &str = "system-ui, -apple-system, Segoe UI, DejaVu Sans, sans-serif";

const INK: &str = "#263238";
const MUTED: &str = "#78909c";
const FAILING: &str = "#c62828";
const CONFLICT: &str = "#ef6c00";
const STALE: &str = "#9e7c0c";
const READS_FROM: &str = "#1565c0";
const LOCK_COLOURS: [&str; 6] = [
    "#7e57c2", "#00897b", "#d81b60", "#6d4c41", "#3949ab", "#7cb342",
];

/// How wide a character of `font` is, in tenths of a pixel, on average.
fn tenths_per_char(font: Font, bold: bool) -> usize {
    match font {
        Font::Sans if !bold => SANS_TENTHS_PER_CHAR,
        _ => TENTHS_PER_CHAR,
    }
}

fn width(chars: usize) -> usize {
    (chars * TENTHS_PER_CHAR).div_ceil(10)
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for element content and attribute values of
/// SVG and HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Horizontal geometry of a lane.
struct Lane {
    x: usize,
    width: usize,
    /// Where its boxes start: right of its lock bars.
    boxes: usize,
}

/// A line of the sentences below the lanes.
struct Note {
    label: Label,
    colour: &'static str,
    bold: bool,
    font: Font,
    /// Pixels: a wrapped sentence's later lines are indented.
    indent: usize,
}

/// A wait as its box shows it: `(at src/a.rs:12)` becomes `(line 12)`, since a path would
/// widen the lane past the page; the box's title keeps the whole site.
fn line_only(what: &str) -> String {
    let Some(start) = what.find("(at ") else {
        return what.to_owned();
    };
    let Some(len) = what[start..].find(')') else {
        return what.to_owned();
    };
    let site = &what[start + "(at ".len()..start + len];
    match site.rsplit_once(':') {
        Some((_, line)) if line.chars().all(|c| c.is_ascii_digit()) => {
            format!(
                "{}(line {line}){}",
                &what[..start],
                &what[start + len + 1..]
            )
        }
        _ => what.to_owned(),
    }
}

fn row_y(row: usize) -> usize {
    TOP + row * ROW
}

pub(crate) fn render(t: &Timeline) -> String {
    // What each blocked thread waits for, wrapped to its lane's steps (or BLOCKED_CHARS): a
    // sentence must not make a lane of short steps wide.
    let step_chars = |lane: usize| {
        t.steps()
            .filter(|s| s.lane == lane)
            .map(|s| Label::new(&s.text).cut(MAX_CHARS).chars())
            .chain([t.lanes[lane].chars().count(), BLOCKED_CHARS])
            .max()
            .unwrap_or(0)
    };
    let blocked: Vec<(usize, &str, Vec<Label>)> = t
        .blocked
        .iter()
        .map(|(lane, what)| {
            let shown = line_only(what);
            (*lane, what.as_str(), wrap(&shown, step_chars(*lane)))
        })
        .collect();
    let blocked_lines = blocked.iter().map(|b| b.2.len()).max().unwrap_or(0);
    let blocked_row = (!t.blocked.is_empty()).then_some(t.rows.len());
    let blocked_rows = match blocked_lines {
        0 => 0,
        n => 1 + ((n - 1) * BLOCKED_LINE).div_ceil(ROW),
    };
    let rows_drawn = t.rows.len() + blocked_rows;
    // Lifelines and locks held to the end reach the blocked row's top line.
    let last_row = blocked_row.unwrap_or(rows_drawn.saturating_sub(1));
    let holds = holds(t, last_row);
    let updates = interrupted_updates(&t.rows);
    let arrows = reads_from(&t.rows);
    let failing_row = t.failing.filter(|_| t.blocked.is_empty()).and_then(|lane| {
        t.rows
            .iter()
            .rposition(|r| matches!(r, Row::Step(s) if s.lane == lane))
    });

    // Lanes: wide enough for their longest text and their lock bars.
    let mut lanes = Vec::new();
    let mut x = GUTTER + 8;
    for (index, name) in t.lanes.iter().enumerate() {
        let depth = holds
            .iter()
            .filter(|h| h.lane == index)
            .map(|h| h.slot + 1)
            .max()
            .unwrap_or(0);
        let chars = t
            .steps()
            .filter(|s| s.lane == index)
            .map(|s| Label::new(&s.text).cut(MAX_CHARS).chars())
            .chain(
                blocked
                    .iter()
                    .filter(|b| b.0 == index)
                    .flat_map(|b| b.2.iter().map(Label::chars)),
            )
            .chain([name.chars().count()])
            .max()
            .unwrap_or(0);
        let bars = if depth > 0 { depth * BAR + 4 } else { 0 };
        let width = (bars + width(chars) + 2 * PAD).max(MIN_LANE);
        lanes.push(Lane {
            x,
            width,
            boxes: x + bars,
        });
        x += width + LANE_GAP;
    }
    let lanes_end = x.saturating_sub(LANE_GAP) + 10;

    // Sentences below the lanes: (text, colour, is the headline).
    let mut sentences: Vec<(String, &'static str, bool)> = Vec::new();
    if let Some(outcome) = &t.outcome {
        for (i, line) in outcome.lines().enumerate() {
            let colour = if i == 0 { FAILING } else { INK };
            sentences.push((line.to_owned(), colour, i == 0));
        }
    }
    for &(read, between, write) in &updates {
        let (Row::Step(r), Row::Step(b), Row::Step(w)) =
            (&t.rows[read], &t.rows[between], &t.rows[write])
        else {
            continue;
        };
        let object = r
            .object
            .and_then(|o| t.objects.get(o))
            .map_or("it", |o| o.name.as_str());
        sentences.push((
            format!(
                "step {}: {} writes `{object}` after {} read it (step {}) and before {} writes it (step {}), so {} overwrites a value it never saw",
                b.number, t.lanes[b.lane], t.lanes[r.lane], r.number, t.lanes[w.lane], w.number, t.lanes[w.lane]
            ),
            CONFLICT,
            false,
        ));
    }
    // Wrapped to the lanes' width, or WRAP_WIDTH if that is wider. A line that starts with a
    // space is laid out by its writer (a panic's `left:` and `right:`): monospace.
    let wrap_width = WRAP_WIDTH.max(lanes_end.saturating_sub(GUTTER + 2 * PAD + 10));
    let notes: Vec<Note> = sentences
        .iter()
        .flat_map(|&(ref text, colour, bold)| {
            let font = if text.starts_with(' ') {
                Font::Mono
            } else {
                Font::Sans
            };
            let chars = wrap_width * 10 / tenths_per_char(font, bold);
            wrap(text, chars)
                .into_iter()
                .enumerate()
                .map(move |(i, label)| Note {
                    label,
                    colour,
                    bold,
                    font,
                    indent: if i > 0 { INDENT } else { 0 },
                })
        })
        .collect();
    let legend = legend(t, &holds, &updates, &arrows, failing_row);
    let legend_end = GUTTER + legend.iter().map(|item| item.width()).sum::<usize>();
    let text_end = notes
        .iter()
        .map(|n| {
            let tenths = n.label.chars() * tenths_per_char(n.font, n.bold);
            GUTTER + 2 * PAD + n.indent + tenths.div_ceil(10) + 10
        })
        .chain([legend_end + 10])
        .max()
        .unwrap_or(0);
    let total_width = lanes_end.max(text_end);
    let banner_y = row_y(rows_drawn) + 6;
    let banner_height = if notes.is_empty() {
        0
    } else {
        notes.len() * LINE + 12
    };
    let legend_y = banner_y + banner_height + 20;
    let total_height = legend_y + 12;

    let mut svg = String::new();
    let out = &mut svg;
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="tapestry-trace" width="{total_width}" height="{total_height}" viewBox="0 0 {total_width} {total_height}" font-family="{MONO}" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<defs><marker id="tp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{READS_FROM}"/></marker><marker id="tp-arrow-sync" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{MUTED}"/></marker></defs>"#
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );

    // Lanes: a header and a lifeline from the first row to the last step of the thread.
    for (index, name) in t.lanes.iter().enumerate() {
        let lane = &lanes[index];
        let last = t
            .rows
            .iter()
            .rposition(|r| matches!(r, Row::Step(s) if s.lane == index))
            .unwrap_or(0);
        let last = if t.blocked.iter().any(|b| b.0 == index) {
            last_row
        } else {
            last
        };
        let centre = lane.boxes + (lane.x + lane.width - lane.boxes) / 2;
        let _ = writeln!(
            out,
            r##"<g class="tp-lane" data-lane="{name}"><rect x="{}" y="8" width="{}" height="26" rx="4" fill="#eceff1" stroke="#90a4ae"/><text x="{}" y="25" text-anchor="middle" font-weight="bold" fill="{INK}">{name}</text><line x1="{centre}" y1="34" x2="{centre}" y2="{}" stroke="#cfd8dc" stroke-width="2"/></g>"##,
            lane.x,
            lane.width,
            lane.x + lane.width / 2,
            row_y(last) + ROW / 2,
            name = escape(name),
        );
    }

    // Lock bars.
    for h in &holds {
        let lane = &lanes[h.lane];
        let lock = t.objects.get(h.lock).map_or("?", |o| o.name.as_str());
        let colour = LOCK_COLOURS[h.lock % LOCK_COLOURS.len()];
        let top = row_y(h.from) + (ROW - BOX) / 2;
        let bottom = row_y(h.to) + (ROW + BOX) / 2;
        let (class, until) = if h.released {
            ("tp-hold", "released")
        } else {
            ("tp-hold tp-held-to-end", "held to the end")
        };
        let _ = writeln!(
            out,
            r##"<rect class="{class}" data-lock="{lock}" x="{}" y="{top}" width="{}" height="{}" rx="2" fill="{colour}" stroke="{colour}"><title>{thread} holds {lock} ({until})</title></rect>"##,
            lane.x + h.slot * BAR,
            BAR - 2,
            bottom - top,
            thread = escape(&t.lanes[h.lane]),
            lock = escape(lock),
        );
    }

    // Gaps, full width, over the lanes and bars they interrupt, on a veil so they read.
    for (i, row) in t.rows.iter().enumerate() {
        if let Row::Gap(text) = row {
            let label = Label::new(text);
            let y = row_y(i) + (ROW - BOX) / 2;
            let _ = writeln!(
                out,
                r##"<g class="tp-gap"><rect x="{}" y="{y}" width="{}" height="{BOX}" fill="#ffffff" fill-opacity="0.85"/><text x="{}" y="{}" font-style="italic" fill="{MUTED}">{}</text></g>"##,
                GUTTER + 4,
                width(label.chars()) + 8,
                GUTTER + 8,
                row_y(i) + ROW / 2 + 4,
                label.svg(Font::Mono)
            );
        }
    }

    // Steps.
    for (i, row) in t.rows.iter().enumerate() {
        let Row::Step(s) = row else { continue };
        let lane = &lanes[s.lane];
        let conflict = updates.iter().any(|&(a, b, c)| [a, b, c].contains(&i));
        let (mut class, fill, stroke, stroke_width) = if Some(i) == failing_row {
            ("tp-step tp-failing".to_owned(), "#ffebee", FAILING, 2)
        } else if conflict {
            ("tp-step tp-conflict".to_owned(), "#fff3e0", CONFLICT, 2)
        } else if s.stale {
            ("tp-step".to_owned(), "#fffde7", STALE, 2)
        } else {
            ("tp-step".to_owned(), "#ffffff", "#b0bec5", 1)
        };
        let dash = if s.stale {
            class.push_str(" tp-stale");
            r#" stroke-dasharray="4,2""#
        } else {
            ""
        };
        let y = row_y(i) + (ROW - BOX) / 2;
        let number_colour = if stroke_width > 1 { stroke } else { MUTED };
        let mut tooltip = format!("step {} · {} · {}", s.number, t.lanes[s.lane], s.text);
        if let Some(site) = &s.site {
            tooltip.push_str(&format!(" · {site}"));
        }
        let _ = writeln!(
            out,
            r#"<g class="{class}" data-step="{}" data-lane="{}"><title>{}</title><text x="{}" y="{}" text-anchor="end" fill="{number_colour}">{}</text><rect x="{}" y="{y}" width="{}" height="{BOX}" rx="3" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"{dash}/><text x="{}" y="{}" fill="{INK}">{}</text></g>"#,
            s.number,
            escape(&t.lanes[s.lane]),
            escape(&tooltip),
            GUTTER - 4,
            y + 14,
            s.number,
            lane.boxes,
            lane.x + lane.width - lane.boxes,
            lane.boxes + PAD,
            y + 14,
            Label::new(&s.text).cut(MAX_CHARS).svg(Font::Mono),
        );
    }

    // What blocked threads wait for, below their last step.
    if let Some(row) = blocked_row {
        for (index, what, lines) in &blocked {
            let lane = &lanes[*index];
            let y = row_y(row) + (ROW - BOX) / 2;
            let height = BOX + (lines.len() - 1) * BLOCKED_LINE;
            let _ = write!(
                out,
                r##"<g class="tp-blocked" data-lane="{}"><title>{} {}</title><rect x="{}" y="{y}" width="{}" height="{height}" rx="3" fill="#ffebee" stroke="{FAILING}" stroke-width="2" stroke-dasharray="5,3"/>"##,
                escape(&t.lanes[*index]),
                escape(&t.lanes[*index]),
                escape(&Label::new(what).plain()),
                lane.boxes,
                lane.x + lane.width - lane.boxes,
            );
            for (i, line) in lines.iter().enumerate() {
                let _ = write!(
                    out,
                    r#"<text x="{}" y="{}" fill="{FAILING}">{}</text>"#,
                    lane.boxes + PAD,
                    y + 14 + i * BLOCKED_LINE,
                    line.svg(Font::Mono),
                );
            }
            let _ = writeln!(out, "</g>");
        }
    }

    // Arrows: spawn and join (grey, dashed), then reads-from (blue) on top.
    let edge = |from: usize,
                to: usize,
                class: &str,
                colour: &str,
                marker: &str,
                dash: &str,
                title: String| {
        let (Row::Step(a), Row::Step(b)) = (&t.rows[from], &t.rows[to]) else {
            return String::new();
        };
        let (la, lb) = (&lanes[a.lane], &lanes[b.lane]);
        let (ya, yb) = (row_y(from) + ROW / 2, row_y(to) + ROW / 2);
        let (xa, xb, bend) = if a.lane < b.lane {
            (la.x + la.width, lb.boxes, 28i64)
        } else {
            (la.boxes, lb.x + lb.width, -28)
        };
        format!(
            r#"<path class="{class}" data-from="{}" data-to="{}" d="M{xa},{ya} C{},{ya} {},{yb} {xb},{yb}" fill="none" stroke="{colour}" stroke-width="1.5"{dash} marker-end="url(#{marker})"><title>{}</title></path>"#,
            a.number,
            b.number,
            xa as i64 + bend,
            xb as i64 - bend,
            escape(&title)
        )
    };
    for (j, row) in t.rows.iter().enumerate() {
        let Row::Step(s) = row else { continue };
        let (other, spawn) = match s.action {
            Action::Spawn(Some(child)) => (child, true),
            Action::Join(Some(child)) => (child, false),
            _ => continue,
        };
        let found = if spawn {
            t.rows
                .iter()
                .enumerate()
                .skip(j + 1)
                .find(|(_, r)| matches!(r, Row::Step(c) if c.lane == other))
        } else {
            t.rows[..j]
                .iter()
                .enumerate()
                .rev()
                .find(|(_, r)| matches!(r, Row::Step(c) if c.lane == other))
        };
        if let Some((i, _)) = found {
            let (from, to, words) = if spawn {
                (j, i, "starts")
            } else {
                (i, j, "ends before the join")
            };
            let title = format!("{} {words}", t.lanes[other]);
            let _ = writeln!(
                out,
                "{}",
                edge(
                    from,
                    to,
                    "tp-arrow tp-sync",
                    MUTED,
                    "tp-arrow-sync",
                    r#" stroke-dasharray="4,3""#,
                    title
                )
            );
        }
    }
    for &(from, to) in &arrows {
        let value = match &t.rows[to] {
            Row::Step(s) => read_value(s).unwrap_or_default().to_owned(),
            Row::Gap(_) => String::new(),
        };
        let title = format!(
            "reads {value}, written at step {}",
            match &t.rows[from] {
                Row::Step(s) => s.number,
                Row::Gap(_) => 0,
            }
        );
        let _ = writeln!(
            out,
            "{}",
            edge(
                from,
                to,
                "tp-arrow tp-reads-from",
                READS_FROM,
                "tp-arrow",
                "",
                title
            )
        );
    }

    // The outcome, and the interrupted updates in words.
    if !notes.is_empty() {
        let _ = writeln!(
            out,
            r##"<g class="tp-outcome"><rect x="{}" y="{banner_y}" width="{}" height="{banner_height}" rx="4" fill="#fafafa" stroke="{FAILING}"/>"##,
            GUTTER,
            total_width - GUTTER - 8,
        );
        for (i, note) in notes.iter().enumerate() {
            let weight = if note.bold {
                r#" font-weight="bold""#
            } else {
                ""
            };
            let family = match note.font {
                Font::Sans => format!(r#" font-family="{SANS}""#),
                Font::Mono => String::new(),
            };
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" fill="{}"{weight}{family} xml:space="preserve">{}</text>"#,
                GUTTER + PAD + note.indent,
                banner_y + 6 + (i + 1) * LINE - 4,
                note.colour,
                note.label.svg(note.font)
            );
        }
        let _ = writeln!(out, "</g>");
    }
    let _ = write!(
        out,
        r#"<g class="tp-legend" font-size="11" fill="{MUTED}">"#
    );
    let mut x = GUTTER;
    for item in &legend {
        item.draw(x, legend_y, out);
        x += item.width();
    }
    let _ = writeln!(out, "</g>");
    let _ = writeln!(out, "</svg>");
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping_covers_attributes() {
        assert_eq!(
            super::escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
