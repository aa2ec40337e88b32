//! `cargo xtask screenshots`: renders `tapestry report` in headless Chromium, one PNG per page,
//! to see the report as a person does, and measures each page: how tall it is, and whether
//! anything on it is wider than the window (naming the outermost such elements; a page that
//! scrolls sideways fails the command). Not part of the test suite (CI has no browser); the
//! diagrams' structure is tested there without one (`tests/diagrams.rs`), and the pages'
//! widths as far as markup can tell (`catalogue/tests/pages.rs`).
//!
//! The measure runs a script in a copy of each page (`<out>/probe/`): the report itself has
//! none.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Debian's `chromium` package.
const CHROMIUM: &str = "/usr/bin/chromium";

#[derive(clap::Args)]
pub struct Args {
    /// Entries to render (default: all).
    names: Vec<String>,
    /// Where the site and the screenshots go.
    #[arg(long, default_value = "target/screenshots")]
    out: PathBuf,
    /// The matrix to show, from `tapestry hunt --all --format json`; without it the report
    /// hunts the entries itself.
    #[arg(long)]
    matrix: Option<PathBuf>,
    /// The browser window, `width,height`: a screenshot shows what fits in it.
    #[arg(long, default_value = "1280,2000")]
    window_size: String,
    /// Shoot each page whole, as tall as it is (up to 16,000 pixels), not the window's height.
    #[arg(long)]
    full_page: bool,
}

pub fn run(args: &Args) -> Result<()> {
    if !Path::new(CHROMIUM).exists() {
        bail!(
            "{CHROMIUM} is missing: screenshots need Debian's chromium package (`apt-get install -y chromium`)"
        );
    }
    let site = args.out.join("site");
    let mut report = vec![
        "run",
        "--release",
        "--quiet",
        "-p",
        "tapestry-catalogue",
        "--",
        "report",
        "--out",
    ];
    let site_arg = site.to_string_lossy().into_owned();
    report.push(&site_arg);
    let matrix_arg = args
        .matrix
        .as_ref()
        .map(|m| m.to_string_lossy().into_owned());
    if let Some(matrix) = &matrix_arg {
        report.extend(["--matrix", matrix]);
    }
    report.extend(args.names.iter().map(String::as_str));
    crate::cargo(&report)?;

    let mut pages: Vec<PathBuf> = std::fs::read_dir(&site)
        .with_context(|| format!("reading {}", site.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    pages.sort();
    let probes = args.out.join("probe");
    std::fs::create_dir_all(&probes)?;
    let mut too_wide = Vec::new();
    for page in &pages {
        let stem = page.file_stem().expect("a page has a name");
        let png = args.out.join(stem).with_extension("png");
        let page = std::fs::canonicalize(page)?;
        let measure = measure(args, &page, &probes.join(stem).with_extension("html"))?;
        let window = match (args.full_page, args.window_size.split_once(',')) {
            (true, Some((width, _))) => format!("{width},{}", measure.height.min(16_000)),
            _ => args.window_size.clone(),
        };
        let output = chromium(
            &args.out,
            &window,
            &[
                &format!("--screenshot={}", png.display()),
                &format!("file://{}", page.display()),
            ],
        )?;
        let written = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
        if !output.status.success() || written == 0 {
            bail!(
                "chromium could not render {}:\n{}",
                page.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        eprintln!("{} ({} KiB): {measure}", png.display(), written / 1024);
        if measure.wider_than_window() {
            too_wide.push(png.display().to_string());
        }
    }
    if let Ok(page) = std::fs::read_to_string(site.join("lost_update.html")) {
        eprintln!("lost_update's diagram: {}", describe(&page));
    }
    if !too_wide.is_empty() {
        bail!("wider than the window: {}", too_wide.join(", "));
    }
    Ok(())
}

/// Runs headless Chromium with a fresh profile (in `out`), in a window of `window`
/// (`width,height`), on `extra`.
fn chromium(out: &Path, window: &str, extra: &[&str]) -> Result<std::process::Output> {
    let profile = out.join("chromium-profile");
    let _ = std::fs::remove_dir_all(&profile);
    let mut command = Command::new(CHROMIUM);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        &format!("--user-data-dir={}", profile.display()),
        &format!("--window-size={window}"),
    ]);
    command.args(extra);
    command.output().context("running chromium")
}

/// What the measure of a page found.
struct Measure {
    /// The window's width, and the page's width and height, in CSS pixels.
    window: u64,
    width: u64,
    height: u64,
    /// The outermost elements that reach past the window's right edge (not inside a block that
    /// scrolls or clips sideways): their right edge, and what they are.
    wide: Vec<(u64, String)>,
    /// Blocks whose content is wider than they are, so that a reader must scroll them: the
    /// content's width, theirs, and what they are.
    scrolls: Vec<(u64, u64, String)>,
}

impl Measure {
    fn wider_than_window(&self) -> bool {
        self.width > self.window || !self.wide.is_empty()
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} px tall, ", self.height)?;
        if self.wider_than_window() {
            write!(f, "{} px wide in a {} px window:", self.width, self.window)?;
            for (right, what) in &self.wide {
                write!(f, " {what} to {right} px;")?;
            }
        } else {
            write!(f, "fits {} px", self.window)?;
        }
        for (content, width, what) in &self.scrolls {
            write!(f, "; {what} scrolls ({content} px in {width})")?;
        }
        Ok(())
    }
}

/// Measures `page` in a copy (`probe`) with a script that writes what it finds into the page,
/// which Chromium then prints.
fn measure(args: &Args, page: &Path, probe: &Path) -> Result<Measure> {
    const SCRIPT: &str = r#"<script>
(function () {
  var root = document.documentElement, w = root.clientWidth, out = [];
  out.push('window ' + w, 'width ' + root.scrollWidth, 'height ' + root.scrollHeight);
  var clipped = function (e) {
    for (var p = e.parentElement; p; p = p.parentElement) {
      var o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  var name = function (e) {
    var c = (e.getAttribute('class') || '').trim();
    return e.tagName.toLowerCase() + (c ? '.' + c.split(/\s+/).join('.') : '');
  };
  var wide = new Set();
  document.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > w + 1 && !clipped(e)) {
      wide.add(e);
      if (!wide.has(e.parentElement)) out.push('wide ' + Math.round(r.right) + ' ' + name(e));
    }
    var o = getComputedStyle(e).overflowX;
    if ((o === 'auto' || o === 'scroll') && e.scrollWidth > e.clientWidth + 1) {
      out.push('scrolls ' + e.scrollWidth + ' ' + e.clientWidth + ' ' + name(e));
    }
  });
  var pre = document.createElement('pre');
  pre.id = 'tapestry-measure';
  pre.textContent = out.join('\n');
  document.body.appendChild(pre);
})();
</script>"#;
    let html = std::fs::read_to_string(page)?;
    std::fs::write(probe, html.replace("</body>", &format!("{SCRIPT}</body>")))?;
    let probe = std::fs::canonicalize(probe)?;
    let output = chromium(
        &args.out,
        &args.window_size,
        &["--dump-dom", &format!("file://{}", probe.display())],
    )?;
    let dom = String::from_utf8_lossy(&output.stdout);
    let text = dom
        .split_once("<pre id=\"tapestry-measure\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(text, _)| {
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .with_context(|| format!("measuring {}: no result", page.display()))?;
    let mut measure = Measure {
        window: 0,
        width: 0,
        height: 0,
        wide: Vec::new(),
        scrolls: Vec::new(),
    };
    for line in text.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let number = |v: &str| v.parse::<u64>().unwrap_or(0);
        match key {
            "window" => measure.window = number(value),
            "width" => measure.width = number(value),
            "height" => measure.height = number(value),
            "wide" => {
                let (right, what) = value.split_once(' ').unwrap_or((value, ""));
                measure.wide.push((number(right), what.to_owned()));
            }
            "scrolls" => {
                let mut parts = value.splitn(3, ' ');
                let (content, width) = (
                    number(parts.next().unwrap_or("")),
                    number(parts.next().unwrap_or("")),
                );
                measure
                    .scrolls
                    .push((content, width, parts.next().unwrap_or("").to_owned()));
            }
            _ => {}
        }
    }
    Ok(measure)
}

/// What the first diagram of a page shows: its lanes and its marked steps.
fn describe(page: &str) -> String {
    let attributes = |class: &str, attribute: &str| -> Vec<String> {
        page.split(&format!("class=\"{class}\""))
            .skip(1)
            .filter_map(|rest| {
                let start = rest.find(&format!("{attribute}=\""))? + attribute.len() + 2;
                let end = rest[start..].find('"')?;
                Some(rest[start..start + end].to_owned())
            })
            .collect()
    };
    let lanes = attributes("tp-lane", "data-lane");
    format!(
        "{} lanes ({}); failing step {}; interrupted update at steps {}; {} reads-from arrows",
        lanes.len(),
        lanes.join(", "),
        attributes("tp-step tp-failing", "data-step").join(", "),
        attributes("tp-step tp-conflict", "data-step").join(", "),
        attributes("tp-arrow tp-reads-from", "data-from").len()
    )
}
