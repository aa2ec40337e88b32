//! HTML for `tapestry report`: a page's frame and style, the little Markdown the lessons use
//! (headings, paragraphs, lists, fenced code, inline code), escaped as the diagrams are, diffs,
//! and long machine strings folded away.
//!
//! The pages are well-formed XML as well as HTML (every element closed, `<meta .../>`), so a test
//! can read them with an XML parser; and they fit a 1,280-pixel screen: whatever can be wider
//! than the page (a table, code, a diagram) sits in a block that scrolls sideways on its own.

use crate::variants::{Change, Hunk};

/// The diagrams' own escaping, for element content and attribute values.
pub use tapestry::trace::escape;

/// A line of Markdown text: escaped, with `code` spans.
pub fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        // An odd number of backticks leaves the last part outside a span.
        if i % 2 == 1 && text.matches('`').count() > i {
            out.push_str(&format!("<code>{}</code>", escape(part)));
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&escape(part));
        }
    }
    out
}

/// Markdown as HTML: `#` headings (shifted down by `shift` levels), paragraphs, `-` and `1.`
/// lists, fenced code blocks and inline code. Everything else is text.
pub fn markdown(source: &str, shift: usize) -> String {
    let mut out = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<&str> = None;
    let mut code: Option<Vec<&str>> = None;
    let flush = |out: &mut String, paragraph: &mut Vec<&str>| {
        if !paragraph.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", inline(&paragraph.join(" "))));
            paragraph.clear();
        }
    };
    let close_list = |out: &mut String, list: &mut Option<&str>| {
        if let Some(tag) = list.take() {
            out.push_str(&format!("</{tag}>\n"));
        }
    };
    for line in source.lines() {
        if let Some(lines) = code.as_mut() {
            if line.trim_start().starts_with("```") {
                out.push_str(&format!("<pre>{}</pre>\n", escape(&lines.join("\n"))));
                code = None;
            } else {
                lines.push(line);
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            flush(&mut out, &mut paragraph);
            close_list(&mut out, &mut list);
            code = Some(Vec::new());
        } else if trimmed.is_empty() {
            flush(&mut out, &mut paragraph);
            close_list(&mut out, &mut list);
        } else if let Some((hashes, title)) = trimmed
            .split_once(' ')
            .filter(|(h, _)| !h.is_empty() && h.len() <= 6 && h.chars().all(|c| c == '#'))
        {
            flush(&mut out, &mut paragraph);
            close_list(&mut out, &mut list);
            let level = (hashes.len() + shift).min(6);
            out.push_str(&format!("<h{level}>{}</h{level}>\n", inline(title)));
        } else if let Some(item) = list_item(trimmed) {
            flush(&mut out, &mut paragraph);
            let tag = if trimmed.starts_with('-') || trimmed.starts_with('*') {
                "ul"
            } else {
                "ol"
            };
            if list != Some(tag) {
                close_list(&mut out, &mut list);
                out.push_str(&format!("<{tag}>\n"));
                list = Some(tag);
            }
            out.push_str(&format!("<li>{}</li>\n", inline(item)));
        } else if list.is_some() && line.starts_with(' ') {
            // A list item's continuation line.
            if let Some(end) = out.rfind("</li>") {
                out.insert_str(end, &format!(" {}", inline(trimmed)));
            }
        } else {
            paragraph.push(trimmed);
        }
    }
    flush(&mut out, &mut paragraph);
    close_list(&mut out, &mut list);
    if let Some(lines) = code {
        out.push_str(&format!("<pre>{}</pre>\n", escape(&lines.join("\n"))));
    }
    out
}

/// The text of a `- item`, `* item` or `1. item` line.
fn list_item(line: &str) -> Option<&str> {
    if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some(item);
    }
    let (number, item) = line.split_once(". ")?;
    (!number.is_empty() && number.chars().all(|c| c.is_ascii_digit())).then_some(item)
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #263238; margin: 0; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; box-sizing: border-box; }
nav { font-size: 14px; margin-bottom: 12px; }
a { color: #1565c0; }
h1 { margin-top: 8px; }
h2 { border-bottom: 1px solid #eceff1; padding-bottom: 4px; margin-top: 32px; }
pre { background: #f5f7f8; border: 1px solid #e0e6ea; border-radius: 4px; padding: 10px 12px; overflow-x: auto; font-size: 13px; line-height: 1.45; }
code { background: #f1f3f4; border-radius: 3px; padding: 0 3px; font-size: 90%; overflow-wrap: anywhere; }
pre code { background: none; padding: 0; }
.scroll { overflow-x: auto; max-width: 100%; }
.diagram { overflow-x: auto; border: 1px solid #e0e6ea; border-radius: 4px; padding: 8px; background: #fff; }
.diagram svg { display: block; }
details { margin: 8px 0; }
summary { cursor: pointer; }
pre.trace { white-space: pre-wrap; }
pre.machine { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16em; overflow-y: auto; font-size: 12px; }
table.matrix { border-collapse: separate; border-spacing: 0; font-size: 12.5px; }
table.matrix th, table.matrix td { border: 1px solid #e0e6ea; border-width: 0 1px 1px 0; padding: 3px 7px; text-align: left; vertical-align: top; }
table.matrix tr:first-child th { border-top-width: 1px; }
table.matrix th:first-child, table.matrix td:first-child { position: sticky; left: 0; z-index: 1; background: #fff; border-left-width: 1px; }
table.matrix th { background: #eceff1; white-space: nowrap; }
table.matrix th:first-child { background: #eceff1; }
table.matrix td span { display: block; }
table.matrix td .t { color: #78909c; white-space: nowrap; }
td.found { background: #e8f5e9; } td.clean { background: #f1f8e9; color: #558b2f; }
td.missed, td.wrong, td.alarm { background: #ffebee; color: #c62828; font-weight: bold; }
td.unexpected { background: #fff8e1; } td.none { color: #90a4ae; }
.summary { font-weight: 600; }
.muted { color: #78909c; font-size: 14px; }
pre.diff { padding: 6px 0; width: max-content; min-width: 100%; box-sizing: border-box; overflow: visible; }
pre.diff span { display: block; padding: 0 12px; }
pre.diff .del { background: #ffebee; color: #b71c1c; }
pre.diff .add { background: #e8f5e9; color: #1b5e20; }
pre.diff .within { color: #78909c; background: #eceff1; font-style: italic; }
pre.diff .here { background: #fff8e1; font-weight: bold; }
ul.programs { list-style: none; padding: 0; }
ul.programs b.del { color: #b71c1c; } ul.programs b.add { color: #1b5e20; }
";

/// A whole page: `title`, a link back to the index (saying `back`) unless this is it, and
/// `body`.
pub fn page(title: &str, back: Option<&str>, body: &str) -> String {
    let nav = match back {
        None => String::new(),
        Some(back) => format!("<nav><a href=\"index.html\">← {}</a></nav>\n", escape(back)),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{nav}{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// A machine string (a replay's schedule) longer than this is folded away.
const LONG: usize = 120;

/// A machine string, `what`: inline code when short; when long, a mention (the returned
/// inline part) and a `<details>` below (the returned block) that holds it, so that it never
/// pushes the page down or sideways.
pub fn machine(what: &str, text: &str) -> (String, String) {
    let chars = text.chars().count();
    if chars <= LONG {
        return (
            format!("{}: <code>{}</code>", escape(what), escape(text)),
            String::new(),
        );
    }
    let start: String = text.chars().take(32).collect();
    (
        format!(
            "{}: <code>{}…</code> ({} characters, below)",
            escape(what),
            escape(&start),
            thousands(chars)
        ),
        format!(
            "<details><summary>The {} ({} characters)</summary>\n<pre class=\"machine\">{}</pre>\n</details>\n",
            escape(what),
            thousands(chars),
            escape(text)
        ),
    )
}

/// `n` with a comma between thousands: 32,010.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A diff as a block of code, each line marked as in both programs, removed (the buggy one's)
/// or added (the fixed one's), by colour and by a `-` or `+` in front (or, in an excerpt, the
/// line it is about, by a `>`); a hunk that does not show the function it is in is headed by
/// its signature.
pub fn diff(hunks: &[Hunk]) -> String {
    let mut out = String::from("<div class=\"scroll\"><pre class=\"diff\"><code>");
    for hunk in hunks {
        if let Some(within) = &hunk.within {
            out.push_str(&format!(
                "<span class=\"within\">   in {}</span>",
                escape(within)
            ));
        }
        for (change, line) in &hunk.lines {
            let (class, sign) = match change {
                Change::Same => ("same", ' '),
                Change::Removed => ("del", '-'),
                Change::Added => ("add", '+'),
                Change::Marked => ("here", '>'),
            };
            out.push_str(&format!(
                "<span class=\"{class}\">{sign} {}</span>",
                escape(line)
            ));
        }
    }
    out.push_str("</code></pre></div>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_covers_what_lessons_use() {
        let html = markdown(
            "# Lost update\n\nTwo threads <add> one\nto `n`.\n\n```text\nT1  load <- 0\n```\n\n1. first\n2. second\n   continued\n",
            0,
        );
        assert_eq!(
            html,
            "<h1>Lost update</h1>\n<p>Two threads &lt;add&gt; one to <code>n</code>.</p>\n<pre>T1  load &lt;- 0</pre>\n<ol>\n<li>first</li>\n<li>second continued</li>\n</ol>\n"
        );
    }

    #[test]
    fn long_machine_strings_fold_away() {
        let (inline, block) = machine("replay", "schedule 0*3 1*2");
        assert_eq!(inline, "replay: <code>schedule 0*3 1*2</code>");
        assert_eq!(block, "");
        let long = "schedule ".to_owned() + &"1*3 2*3 ".repeat(4_000);
        let (inline, block) = machine("replay", &long);
        assert!(inline.ends_with("(32,009 characters, below)"), "{inline}");
        assert!(block.starts_with("<details><summary>The replay (32,009 characters)</summary>"));
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
