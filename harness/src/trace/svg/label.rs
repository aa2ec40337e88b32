//! Texts as the diagram draws them. The trace's words mark names and operations as `code`
//! (between backticks), as Markdown does; a label draws each such span as a `<tspan>` of its
//! own, without the backticks: in a monospace font amid sans-serif text, in bold amid
//! monospace text. An unmatched backtick is the text's own and stays.

use super::{MONO, escape};

/// The font of the `<text>` a label is drawn in, which decides how its code spans stand out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    Mono,
    Sans,
}

/// A text cut into plain and code spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Label {
    /// (is code, text) in order; code spans without their backticks.
    spans: Vec<(bool, String)>,
}

impl Label {
    pub(super) fn new(text: &str) -> Label {
        let pairs = text.matches('`').count() / 2;
        let mut spans: Vec<(bool, String)> = Vec::new();
        let mut rest = text;
        for _ in 0..pairs {
            // Two backticks are left: both exist.
            let (before, after) = rest.split_once('`').expect("counted");
            let (code, after) = after.split_once('`').expect("counted");
            push(&mut spans, false, before);
            push(&mut spans, true, code);
            rest = after;
        }
        push(&mut spans, false, rest);
        Label { spans }
    }

    /// How many characters it shows.
    pub(super) fn chars(&self) -> usize {
        self.spans.iter().map(|(_, s)| s.chars().count()).sum()
    }

    /// The label cut to `max` characters shown, the last one an ellipsis.
    pub(super) fn cut(&self, max: usize) -> Label {
        if self.chars() <= max {
            return self.clone();
        }
        let mut left = max - 1;
        let mut spans = Vec::new();
        for (code, text) in &self.spans {
            let taken: String = text.chars().take(left).collect();
            left -= taken.chars().count();
            push(&mut spans, *code, &taken);
            if left == 0 {
                break;
            }
        }
        push(&mut spans, false, "…");
        Label { spans }
    }

    /// The label as the content of a `<text>` in `font`, escaped.
    pub(super) fn svg(&self, font: Font) -> String {
        let mut out = String::new();
        for (code, text) in &self.spans {
            match (code, font) {
                (false, _) => out.push_str(&escape(text)),
                (true, Font::Sans) => out.push_str(&format!(
                    r#"<tspan class="tp-code" font-family="{MONO}">{}</tspan>"#,
                    escape(text)
                )),
                (true, Font::Mono) => out.push_str(&format!(
                    r#"<tspan class="tp-code" font-weight="bold">{}</tspan>"#,
                    escape(text)
                )),
            }
        }
        out
    }

    /// The text without markup, for a tooltip.
    pub(super) fn plain(&self) -> String {
        self.spans.iter().map(|(_, s)| s.as_str()).collect()
    }
}

/// Appends `text` to `spans`, merging it into the last span of the same kind.
fn push(spans: &mut Vec<(bool, String)>, code: bool, text: &str) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some((c, last)) if *c == code => last.push_str(text),
        _ => spans.push((code, text.to_owned())),
    }
}

/// `text` broken at spaces into as few lines of at most `width` characters shown as it can,
/// of even lengths, never inside a code span (a word or span longer than `width` gets a line of
/// its own). Leading spaces stay on the first line.
pub(super) fn wrap(text: &str, width: usize) -> Vec<Label> {
    let lines = fill(text, width);
    // Even lines: the narrowest width that needs no more lines.
    let fewest = lines.len();
    let shortest = (1..width)
        .rev()
        .take_while(|&w| fill(text, w).len() == fewest)
        .last()
        .unwrap_or(width);
    fill(text, shortest)
}

/// `text` broken greedily into lines of at most `width` characters shown.
fn fill(text: &str, width: usize) -> Vec<Label> {
    let indent = text.len() - text.trim_start_matches(' ').len();
    // Words: split at spaces outside code spans.
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_code = false;
    let pairs = text.matches('`').count() / 2;
    let mut seen = 0;
    for c in text[indent..].chars() {
        if c == '`' {
            seen += 1;
            // An unmatched last backtick opens nothing.
            in_code = seen % 2 == 1 && seen <= 2 * pairs;
        }
        if c == ' ' && !in_code {
            words.push(std::mem::take(&mut word));
        } else {
            word.push(c);
        }
    }
    words.push(word);
    let mut lines: Vec<String> = Vec::new();
    let mut line = " ".repeat(indent);
    let shown = |s: &str| Label::new(s).chars();
    for word in words {
        if line.trim().is_empty() || shown(&line) + 1 + shown(&word) <= width {
            if !line.trim().is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut line, word));
        }
    }
    lines.push(line);
    lines.iter().map(|l| Label::new(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_lose_their_backticks_and_odd_ones_stay() {
        let label = Label::new("T1 waits to lock `a`, held by `main` `");
        assert_eq!(label.chars(), "T1 waits to lock a, held by main `".len());
        let svg = label.svg(Font::Sans);
        assert!(!svg.contains("`a`"), "{svg}");
        assert!(svg.contains(r#"font-family="DejaVu Sans Mono"#), "{svg}");
        assert!(svg.ends_with("main</tspan> `"), "{svg}");
        assert_eq!(
            Label::new("`<a>`").svg(Font::Mono),
            r#"<tspan class="tp-code" font-weight="bold">&lt;a&gt;</tspan>"#
        );
    }

    #[test]
    fn a_cut_closes_its_code_span() {
        let label = Label::new("waits on `finished_cv` forever").cut(12);
        assert_eq!(label.chars(), 12);
        assert_eq!(label.plain(), "waits on fi…");
        assert_eq!(
            label.svg(Font::Mono),
            r#"waits on <tspan class="tp-code" font-weight="bold">fi</tspan>…"#
        );
    }

    #[test]
    fn wrapping_keeps_code_spans_whole() {
        let lines: Vec<String> = wrap("a race on `left == right` in T1", 14)
            .iter()
            .map(Label::plain)
            .collect();
        assert_eq!(lines, ["a race on", "left == right", "in T1"]);
        assert_eq!(wrap("  left: 1", 80)[0].plain(), "  left: 1");
    }
}
