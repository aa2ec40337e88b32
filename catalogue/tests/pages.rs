//! The report's pages fit a 1,280-pixel screen, checked without a browser (CI has none; `cargo
//! xtask screenshots` measures them in one). The pages are well-formed XML as well as HTML, so
//! they are parsed with an XML parser, and the page's own stylesheet says which blocks scroll
//! sideways on their own. On every page:
//!
//! - every table and every diagram sits in such a block, and no diagram is wider than the page;
//! - no text outside such a block or a `<details>` has a run of more than [`UNBROKEN`]
//!   characters that cannot break, and no inline code there is longer than [`INLINE_CODE`]
//!   characters (machine strings, such as a long replay, are folded away);
//! - no block (a `<div>`, `<pre>`, `<table>`, `<details>`, list or heading) sits inside a `<p>`,
//!   which an HTML parser would break apart, so that the browser's page is the one checked here;
//! - no backtick shows outside code: not in a diagram's label, not in a title or running text
//!   (Markdown's code spans are drawn as code).
//!
//! The matrix is a made-up one of worst cases (the longest verdicts and figures in every cell),
//! as wide as any hunt can make it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use roxmltree::{Document, Node, ParsingOptions};

/// The page's content is 1,116 pixels wide (1,180 less padding); a diagram's frame takes some.
const DIAGRAM_WIDTH: f64 = 1080.0;
/// The longest run of characters without a break opportunity that may stand in running text.
const UNBROKEN: usize = 80;
/// The longest inline code that may stand in running text.
const INLINE_CODE: usize = 200;

fn tapestry(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tapestry"))
        .args(args)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tapestry {args:?}: {stderr}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// A directory of its own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("tapestry-pages-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every cell of every entry, each with the longest text its verdict can have.
fn worst_case_matrix() -> String {
    let mut cells = Vec::new();
    for entry in tapestry_catalogue::ENTRIES {
        for engine in tapestry::EngineKind::ALL {
            cells.push(serde_json::json!({
                "entry": entry.name, "program": "buggy", "engine": engine.name(),
                "verdict": "found_unexpectedly", "kind": "priority_inversion",
                "failing_execution": 1_000_000, "executions": 1_000_000, "millis": 123_456.0,
            }));
            cells.push(serde_json::json!({
                "entry": entry.name, "program": "fixed", "engine": engine.name(),
                "verdict": "clean_out_of_time", "kind": null, "failing_execution": null,
                "executions": 10_000_000, "millis": 123_456.0,
            }));
        }
    }
    serde_json::to_string(&cells).unwrap()
}

/// Simple selectors (`pre`, `.diagram`, `pre.diff`) of the page's stylesheet that set
/// `overflow-x` (or `overflow`), and to what, in the order they come. A later rule wins, as the
/// stylesheet is written most general first.
fn overflow_rules(doc: &Document) -> Vec<(String, String)> {
    let css: String = doc
        .descendants()
        .filter(|n| n.has_tag_name("style"))
        .filter_map(|n| n.text())
        .collect();
    let mut rules = Vec::new();
    for rule in css.split('}') {
        let Some((selectors, declarations)) = rule.split_once('{') else {
            continue;
        };
        let overflow = declarations.split(';').find_map(|d| {
            let (property, value) = d.split_once(':')?;
            matches!(property.trim(), "overflow-x" | "overflow").then(|| value.trim().to_owned())
        });
        if let Some(value) = overflow {
            for selector in selectors.split(',') {
                rules.push((selector.trim().to_owned(), value.clone()));
            }
        }
    }
    rules
}

fn matches(node: &Node, selector: &str) -> bool {
    let (tag, class) = selector.split_once('.').unwrap_or((selector, ""));
    let classes = node.attribute("class").unwrap_or("");
    (tag.is_empty() || node.has_tag_name(tag))
        && (class.is_empty() || classes.split(' ').any(|c| c == class))
}

/// Whether `node` scrolls sideways on its own, by the page's stylesheet.
fn scrolls(node: &Node, rules: &[(String, String)]) -> bool {
    node.is_element()
        && rules
            .iter()
            .rfind(|(selector, _)| matches(node, selector))
            .is_some_and(|(_, value)| value == "auto" || value == "scroll")
}

/// Whether `node` is inside a `<details>` or a block that scrolls sideways.
fn contained(node: &Node, rules: &[(String, String)]) -> bool {
    node.ancestors()
        .skip(1)
        .any(|a| a.has_tag_name("details") || scrolls(&a, rules))
}

/// `page` parsed as XML (its `<!DOCTYPE html>` allowed).
fn parse(page: &str) -> Result<Document<'_>, roxmltree::Error> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(page, options)
}

/// What is wrong with `page` (named `name`) as a page of a 1,280-pixel screen.
fn problems(name: &str, page: &str) -> Vec<String> {
    let doc = match parse(page) {
        Ok(doc) => doc,
        Err(e) => return vec![format!("{name}: not well-formed: {e}")],
    };
    let rules = overflow_rules(&doc);
    let mut found = Vec::new();
    for node in doc.descendants().filter(Node::is_element) {
        let tag = node.tag_name().name();
        if (tag == "table" || tag == "svg")
            && !node.ancestors().skip(1).any(|a| scrolls(&a, &rules))
        {
            found.push(format!("{name}: a <{tag}> outside a scrolling block"));
        }
        if tag == "svg" {
            let width: f64 = node
                .attribute("width")
                .and_then(|w| w.parse().ok())
                .unwrap_or(f64::INFINITY);
            if width > DIAGRAM_WIDTH {
                found.push(format!("{name}: a diagram {width} pixels wide"));
            }
        }
        if tag == "text" {
            let text: String = node
                .descendants()
                .filter(Node::is_text)
                .filter_map(|n| n.text())
                .collect();
            if text.contains('`') {
                found.push(format!("{name}: a backtick in the label `{text}`"));
            }
        }
        if tag == "p" {
            let blocks = [
                "div", "pre", "table", "details", "ul", "ol", "p", "h1", "h2", "h3",
            ];
            if let Some(block) = node
                .descendants()
                .skip(1)
                .find(|d| blocks.iter().any(|b| d.has_tag_name(*b)))
            {
                let block = block.tag_name().name();
                found.push(format!("{name}: a <{block}> inside a <p>"));
            }
        }
        if tag == "code"
            && !node.ancestors().any(|a| a.has_tag_name("pre"))
            && !contained(&node, &rules)
        {
            let text: String = node
                .descendants()
                .filter(Node::is_text)
                .filter_map(|n| n.text())
                .collect();
            let chars = text.chars().count();
            if chars > INLINE_CODE {
                found.push(format!("{name}: inline code of {chars} characters"));
            }
        }
    }
    for text in doc.descendants().filter(Node::is_text) {
        let in_svg_or_style = text
            .ancestors()
            .any(|a| a.has_tag_name("svg") || a.has_tag_name("style"));
        let in_code = text
            .ancestors()
            .any(|a| a.has_tag_name("code") || a.has_tag_name("pre"));
        if !in_svg_or_style && !in_code && text.text().unwrap_or("").contains('`') {
            found.push(format!(
                "{name}: a backtick in the text `{}`",
                text.text().unwrap_or("")
            ));
        }
        if in_svg_or_style || contained(&text, &rules) {
            continue;
        }
        let longest = text
            .text()
            .unwrap_or("")
            .split_whitespace()
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0);
        if longest > UNBROKEN {
            found.push(format!(
                "{name}: a run of {longest} characters that cannot break, in <{}>",
                text.parent_element().map_or("?", |p| p.tag_name().name())
            ));
        }
    }
    found
}

/// The HTML pages of `dir`, by file name.
fn pages(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn the_catalogues_pages_fit_the_screen() {
    let scratch = Scratch::new("catalogue");
    std::fs::write(scratch.path("matrix.json"), worst_case_matrix()).unwrap();
    // Every entry: a long replay (a livelock), long outcomes (a priority inversion, data races),
    // deadlocks' waits, four lanes, flags stored in fields.
    let matrix = scratch.path("matrix.json");
    let site = scratch.path("site");
    tapestry(&["report", "--matrix", &matrix, "--out", &site]);
    let pages = pages(Path::new(&site));
    assert_eq!(
        pages.len(),
        tapestry_catalogue::ENTRIES.len() + 1,
        "{:?}",
        pages.keys()
    );
    let found: Vec<String> = pages
        .iter()
        .flat_map(|(name, page)| problems(name, page))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));

    // The long replay is there, folded away.
    let livelock = &pages["polite_livelock.html"];
    let folded = parse(livelock).unwrap();
    let machine = folded
        .descendants()
        .find(|n| n.has_tag_name("pre") && n.attribute("class") == Some("machine"))
        .expect("the replay, folded");
    assert!(machine.ancestors().any(|a| a.has_tag_name("details")));
    assert!(machine.text().unwrap().len() > 1_000);

    // The buggy and fixed section shows the lines the flag changes, removed and added.
    let inversion = parse(&pages["lock_order_inversion.html"]).unwrap();
    let lines = |class: &str| -> Vec<String> {
        inversion
            .descendants()
            .filter(|n| n.has_tag_name("span") && n.attribute("class") == Some(class))
            .filter_map(|n| n.text())
            .map(|t| t[1..].trim().to_owned())
            .collect()
    };
    assert_eq!(lines("del"), ["run(false);", "let _a = a.lock().unwrap();"]);
    assert_eq!(lines("add"), ["run(true);", "let _a = a.lock().unwrap();"]);
}

#[test]
fn the_pages_of_saved_schedules_fit_the_screen() {
    let scratch = Scratch::new("schedules");
    tapestry(&[
        "hunt",
        "polite_livelock",
        "--engine",
        "dpor",
        "--save",
        &scratch.0.to_string_lossy(),
    ]);
    let site = scratch.path("site");
    let schedule = scratch.path("polite_livelock.schedule");
    tapestry(&["report", "--schedule", &schedule, "--out", &site]);
    let pages = pages(Path::new(&site));
    assert_eq!(pages.len(), 2, "{:?}", pages.keys());
    let found: Vec<String> = pages
        .iter()
        .flat_map(|(name, page)| problems(name, page))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
    assert!(pages["1-polite_livelock.html"].contains("<pre class=\"machine\">"));
}

#[test]
fn the_checks_catch_what_they_look_for() {
    let page = |body: &str| {
        format!(
            "<!DOCTYPE html>\n<html><head><style>pre {{ overflow-x: auto; }} .scroll {{ overflow-x: auto; }} pre.diff {{ overflow: visible; }}</style></head><body>{body}</body></html>"
        )
    };
    let cases = [
        ("<table><tr><td>x</td></tr></table>", "a <table> outside"),
        (
            "<div class=\"scroll\"><svg width=\"1500\"></svg></div>",
            "a diagram 1500 pixels wide",
        ),
        (
            "<div class=\"scroll\"><svg width=\"10\"><text>`a`</text></svg></div>",
            "a backtick",
        ),
        ("<p>a <pre>b</pre></p>", "a <pre> inside a <p>"),
        (
            &format!("<p>{}</p>", "x".repeat(81)),
            "a run of 81 characters",
        ),
        (
            &format!("<p><code>{}</code></p>", "1*2 ".repeat(60)),
            "inline code of 240 characters",
        ),
        ("<p><br></p>", "not well-formed"),
        ("<h1>Double lock in `match`</h1>", "a backtick in the text"),
    ];
    for (body, problem) in cases {
        let found = problems("page", &page(body));
        assert!(
            found.iter().any(|f| f.contains(problem)),
            "`{body}`: expected `{problem}`, found {found:?}"
        );
    }
    // Inside a <details> or a scrolling block, long runs are fine.
    let fine = page(&format!(
        "<details><summary>s</summary><p>{0}</p></details><pre class=\"diff\">{0}</pre><div class=\"scroll\"><table><tr><td>{0}</td></tr></table></div>",
        "x".repeat(500)
    ));
    // (A diff's <pre> does not scroll itself: its wrapper does.)
    let found = problems("page", &fine);
    assert_eq!(
        found,
        ["page: a run of 500 characters that cannot break, in <pre>"]
    );
}
