//! `cargo xtask screenshots`: renders `tapestry report` in headless Chromium, one PNG per page,
//! to see the report as a person does. Not part of the test suite (CI has no browser); the
//! diagrams' structure is tested there without one (`tests/diagrams.rs`).

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
    for page in &pages {
        let png = args
            .out
            .join(page.file_stem().expect("a page has a name"))
            .with_extension("png");
        let page = std::fs::canonicalize(page)?;
        let output = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                &format!("--screenshot={}", png.display()),
                &format!("--window-size={}", args.window_size),
                &format!("file://{}", page.display()),
            ])
            .output()
            .context("running chromium")?;
        let written = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
        if !output.status.success() || written == 0 {
            bail!(
                "chromium could not render {}:\n{}",
                page.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        eprintln!("{} ({} KiB)", png.display(), written / 1024);
    }
    if let Ok(page) = std::fs::read_to_string(site.join("lost_update.html")) {
        eprintln!("lost_update's diagram: {}", describe(&page));
    }
    Ok(())
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
