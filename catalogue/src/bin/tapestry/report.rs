//! `tapestry report`: a static site (plain HTML and inline SVG, no script) that shows the
//! catalogue, or a user's saved schedules, as pictures.
//!
//! - `index.html`: the bug-finding matrix of a hunt (run now, or read from the JSON that
//!   `tapestry hunt --format json` wrote) and the entries by category;
//! - `<entry>.html`: the lesson, the minimal failing interleaving as a swimlane diagram (and as
//!   text), what differs between the buggy and the fixed program as a diff (`variants.rs`), and
//!   the whole program; `<entry>.svg`: the diagram.
//!
//! With `--schedule FILE`, the site draws the failures saved in those files instead, from the
//! trace each schedule file keeps.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tapestry::saved::SavedFailure;
use tapestry::{EngineKind, Failure};
use tapestry_catalogue::hunt::{Cell, Variant, Verdict};
use tapestry_catalogue::{Category, Entry};

use crate::html::{diff, escape, inline, machine, markdown, page};
use crate::matrix;
use crate::variants::variants;

/// Writes `name` in `dir`.
fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// The site of the catalogue: the index with `cells`' matrix, and a page per entry of
/// `entries`. Returns the pages written.
pub fn catalogue(dir: &Path, entries: &[&'static Entry], cells: &[Cell]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = vec![dir.join("index.html")];
    write(dir, "index.html", &index(entries, cells))?;
    for entry in entries {
        let failure = entry.minimal_failure();
        let name = format!("{}.html", entry.name);
        write(dir, &name, &entry_page(entry, failure.as_ref()))?;
        written.push(dir.join(name));
        // The diagram alone too, to link to or embed elsewhere.
        if let Some(failure) = failure {
            write(dir, &format!("{}.svg", entry.name), &failure.trace().svg())?;
        }
    }
    Ok(written)
}

fn title(entry: &Entry) -> String {
    entry
        .lesson()
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or(entry.name)
        .to_owned()
}

fn index(entries: &[&'static Entry], cells: &[Cell]) -> String {
    let mut body = String::from(
        "<h1>tapestry: a catalogue of concurrency bugs</h1>\n<p>Each entry is a small program in a buggy and a fixed version, with a lesson on how the bug happens and the interleaving that shows it. The matrix says which engine found each bug, in which execution and how fast, and that each fix passes.</p>\n",
    );
    body.push_str("<h2>The bug-finding matrix</h2>\n");
    if cells.is_empty() {
        body.push_str("<p class=\"muted\">No hunt results.</p>\n");
    } else {
        body.push_str(&matrix_table(cells, entries));
        body.push_str(&format!(
            "<p class=\"summary\">{}</p>\n",
            escape(matrix::summary(cells).trim())
        ));
    }
    let mut categories: Vec<Category> = entries.iter().map(|e| e.category).collect();
    categories.sort();
    categories.dedup();
    body.push_str("<h2>The entries</h2>\n");
    for category in categories {
        body.push_str(&format!("<h3>{}</h3>\n<ul>\n", escape(category.name())));
        for e in entries.iter().filter(|e| e.category == category) {
            body.push_str(&format!(
                "<li><a href=\"{}.html\">{}</a>: {} <span class=\"muted\">({})</span></li>\n",
                e.name,
                inline(&title(e)),
                escape(e.summary),
                escape(&e.kind.to_string())
            ));
        }
        body.push_str("</ul>\n");
    }
    page("tapestry catalogue", None, &body)
}

/// The class of a matrix cell, for its colour.
fn class(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Found { .. } => "found",
        Verdict::FoundUnexpectedly { .. } => "unexpected",
        Verdict::WrongKind { .. } => "wrong",
        Verdict::Missed => "missed",
        Verdict::NotExpected | Verdict::Unsupported => "none",
        Verdict::Clean { .. } => "clean",
        Verdict::FalseAlarm { .. } => "alarm",
    }
}

/// The matrix as a table; entries with a page link to it.
fn matrix_table(cells: &[Cell], pages: &[&'static Entry]) -> String {
    let engines: Vec<EngineKind> = EngineKind::ALL
        .into_iter()
        .filter(|k| cells.iter().any(|c| c.engine == *k))
        .collect();
    // The table scrolls sideways within the page if it must, its first column staying.
    let mut out = String::from(
        "<div class=\"scroll\">\n<table class=\"matrix\">\n<tr><th>entry</th><th>program</th>",
    );
    for engine in &engines {
        out.push_str(&format!("<th>{}</th>", engine.name()));
    }
    out.push_str("</tr>\n");
    let mut keys: Vec<(&str, Variant)> = Vec::new();
    for c in cells {
        if !keys.contains(&(c.entry, c.variant)) {
            keys.push((c.entry, c.variant));
        }
    }
    for (entry, variant) in keys {
        // Long names may break after an underscore.
        let shown = escape(entry).replace('_', "_<wbr/>");
        let name = match variant {
            Variant::Buggy if pages.iter().any(|p| p.name == entry) => {
                format!("<a href=\"{entry}.html\">{shown}</a>")
            }
            Variant::Buggy => shown,
            Variant::Fixed => String::new(),
        };
        out.push_str(&format!("<tr><td>{name}</td><td>{}</td>", variant.name()));
        for engine in &engines {
            match cells
                .iter()
                .find(|c| c.entry == entry && c.variant == variant && c.engine == *engine)
            {
                Some(c) => out.push_str(&format!(
                    "<td class=\"{}\">{}</td>",
                    class(&c.verdict),
                    cell(c)
                )),
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</div>\n");
    out
}

/// A matrix cell, in lines: the verdict; how many executions (of a clean run) and how long;
/// whether the budget ran out before the search was complete.
fn cell(c: &Cell) -> String {
    let line = |class: &str, text: &str| format!("<span class=\"{class}\">{}</span>", escape(text));
    let time = matrix::duration(c.elapsed);
    match c.verdict {
        Verdict::NotExpected | Verdict::Unsupported => line("v", &matrix::verdict(&c.verdict)),
        Verdict::Clean { complete } => {
            let mut out = line("v", "clean") + &line("t", &format!("{}x {time}", c.executions));
            if !complete {
                out.push_str(&line("t", "budget ran out"));
            }
            out
        }
        _ => line("v", &matrix::verdict(&c.verdict)) + &line("t", &time),
    }
}

fn entry_page(entry: &Entry, failure: Option<&Failure>) -> String {
    // The lesson's own title is the page's; its sections become h2.
    let lesson: String = entry
        .lesson()
        .lines()
        .filter(|l| !l.starts_with("# "))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"muted\">{} · {} · found by {}</p>\n{}",
        inline(&title(entry)),
        escape(entry.category.name()),
        escape(&entry.kind.to_string()),
        escape(
            &entry
                .found_by
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        markdown(&lesson, 0)
    );
    match failure {
        Some(failure) => {
            let preemptions = match failure.preemptions() {
                Some(1) => ", 1 preemption".to_owned(),
                Some(p) => format!(", {p} preemptions"),
                None => String::new(),
            };
            let (replay, folded) = machine("replay", &failure.replay().to_string());
            body.push_str(&format!(
                "<h2 id=\"interleaving\">The minimal failing interleaving</h2>\n<p class=\"muted\">{} engine{preemptions}; {replay}</p>\n{folded}<div class=\"diagram\">\n{}</div>\n<details><summary>The trace as text</summary>\n<pre class=\"trace\">{}</pre>\n</details>\n",
                failure.engine(),
                failure.trace().svg(),
                escape(&failure.trace().to_string())
            ));
        }
        None => body.push_str(
            "<h2 id=\"interleaving\">The minimal failing interleaving</h2>\n<p>No engine that claims this bug found it this time.</p>\n",
        ),
    }
    body.push_str(&buggy_and_fixed(entry));
    body.push_str(&format!(
        "<details><summary>The whole program</summary>\n<pre><code>{}</code></pre>\n</details>\n",
        escape(&entry.code())
    ));
    page(
        &format!("{} · tapestry", title(entry).replace('`', "")),
        Some("all entries"),
        &body,
    )
}

/// What differs between the buggy and the fixed program: the diff of the two functions and,
/// when they only pass different values to a shared function, the diff of the code those values
/// change, as each program runs it.
fn buggy_and_fixed(entry: &Entry) -> String {
    let mut out = String::from("<h2 id=\"buggy-and-fixed\">Buggy and fixed</h2>\n");
    let Some(v) = variants(entry) else {
        return out;
    };
    out.push_str(&format!(
        "<ul class=\"programs\">\n<li><b class=\"del\">- buggy</b>: {}</li>\n<li><b class=\"add\">+ fixed</b>: {}</li>\n</ul>\n",
        inline(&v.buggy_doc),
        inline(&v.fixed_doc)
    ));
    out.push_str(&diff(&v.calls));
    if let Some(shared) = &v.shared {
        let values: Vec<String> = shared
            .values
            .iter()
            .map(|(name, buggy, fixed)| {
                format!(
                    "<code>{}</code> is <code>{}</code> in buggy and <code>{}</code> in fixed",
                    escape(name),
                    escape(buggy),
                    escape(fixed)
                )
            })
            .collect();
        out.push_str(&format!(
            "<p>Both call <code>{}</code> and pass different values: {}. Below is the code those values change, as each program runs it: each value put in where the code reads it, and the branches it rules out left out. The code as written is in the whole program.</p>\n",
            escape(&shared.callee),
            values.join("; "),
        ));
        out.push_str(&diff(&shared.hunks));
    }
    if let Some(called) = &v.called {
        out.push_str(&format!(
            "<p>Both pass what differs to <code>{}</code> as <code>{}</code>, which runs it here:</p>\n",
            escape(&called.callee),
            escape(&called.parameter)
        ));
        out.push_str(&diff(&called.hunks));
    }
    out
}

/// The site of saved schedule files: a page per file, drawing each failure saved in it from
/// its trace. Returns the pages written.
pub fn schedules(dir: &Path, files: &[PathBuf]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut list = String::new();
    let mut written = vec![dir.join("index.html")];
    for (i, file) in files.iter().enumerate() {
        let saved = tapestry::saved::read(file)?;
        if saved.is_empty() {
            bail!("{}: no such file, or no schedules in it", file.display());
        }
        let stem = file
            .file_stem()
            .map_or_else(|| "schedule".into(), |s| s.to_string_lossy().into_owned());
        let name = format!("{}-{stem}.html", i + 1);
        let mut body = format!("<h1>{}</h1>\n", escape(&file.display().to_string()));
        for failure in &saved {
            body.push_str(&saved_failure(failure));
        }
        write(dir, &name, &page(&stem, Some("all saved schedules"), &body))?;
        list.push_str(&format!(
            "<li><a href=\"{name}\">{}</a>: {}</li>\n",
            escape(&file.display().to_string()),
            escape(
                &saved
                    .iter()
                    .map(|f| format!("{} ({} engine)", f.kind, f.engine))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ));
        written.push(dir.join(name));
    }
    let body = format!("<h1>Saved failing schedules</h1>\n<ul>\n{list}</ul>\n");
    write(
        dir,
        "index.html",
        &page("tapestry: saved schedules", None, &body),
    )?;
    Ok(written)
}

fn saved_failure(failure: &SavedFailure) -> String {
    let (replay, folded) = machine("replay", &failure.replay.to_string());
    let mut out = format!(
        "<h2>{}: {}</h2>\n<p class=\"muted\">{} engine{}; saved by tapestry {}; {replay}</p>\n{folded}",
        escape(&failure.test),
        escape(&failure.kind.to_string()),
        failure.engine,
        failure.preemptions.map_or_else(String::new, |p| format!(
            ", {p} preemption{}",
            if p == 1 { "" } else { "s" }
        )),
        escape(&failure.tapestry)
    );
    match &failure.timeline {
        Some(timeline) => {
            out.push_str(&format!("<div class=\"diagram\">\n{}</div>\n", timeline.svg()))
        }
        None => out.push_str(
            "<p>An older tapestry saved this schedule (format 1) without its trace as data, so it cannot be drawn; its trace as text is in the file's comments.</p>\n",
        ),
    }
    out
}
