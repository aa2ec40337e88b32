//! Tables: the entry list and the bug-finding matrix, as text, Markdown or JSON.

use std::time::Duration;

use tapestry::EngineKind;
use tapestry_catalogue::Entry;
use tapestry_catalogue::hunt::{Cell, Variant, Verdict};

use crate::Format;

/// A table whose columns are padded to their widest cell.
fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn markdown_table(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
        if i == 0 {
            out.push_str(&format!("|{}\n", "---|".repeat(row.len())));
        }
    }
    out
}

fn engines_text(engines: &[EngineKind]) -> String {
    engines
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `tapestry list`.
pub fn list(entries: &[Entry], format: Format) -> String {
    let mut rows = vec![vec![
        "entry".to_owned(),
        "category".to_owned(),
        "kind".to_owned(),
        "found by".to_owned(),
        "summary".to_owned(),
    ]];
    for e in entries {
        rows.push(vec![
            e.name.to_owned(),
            e.category.name().to_owned(),
            e.kind.to_string(),
            engines_text(e.found_by),
            e.summary.to_owned(),
        ]);
    }
    match format {
        Format::Text => aligned(&rows),
        Format::Markdown => markdown_table(&rows),
        Format::Json => {
            let entries: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "name": e.name,
                        "category": e.category.name(),
                        "kind": e.kind.name(),
                        "found_by": e.found_by.iter().map(|k| k.name()).collect::<Vec<_>>(),
                        "missed_by": e.missed_by.iter().map(|(k, why)| serde_json::json!({"engine": k.name(), "why": why})).collect::<Vec<_>>(),
                        "summary": e.summary,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&entries).expect("JSON values serialise") + "\n"
        }
    }
}

/// A duration as people read it: `840us`, `12ms`, `1.4s`.
pub fn duration(d: Duration) -> String {
    match d.as_micros() {
        us if us < 1_000 => format!("{us}us"),
        us if us < 1_000_000 => format!("{}ms", us / 1_000),
        _ => format!("{:.1}s", d.as_secs_f64()),
    }
}

/// A verdict in a few words.
pub fn verdict(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Found { kind, execution } => format!("{kind} #{execution}"),
        Verdict::FoundUnexpectedly { kind, execution } => {
            format!("{kind} #{execution} (unexpected)")
        }
        Verdict::WrongKind { kind } => format!("WRONG KIND: {kind}"),
        Verdict::Missed => "MISSED".to_owned(),
        Verdict::NotExpected => "-".to_owned(),
        Verdict::Clean { complete: true } => "clean".to_owned(),
        Verdict::Clean { complete: false } => "clean (budget ran out)".to_owned(),
        Verdict::FalseAlarm { kind } => format!("FALSE ALARM: {kind}"),
        Verdict::Unsupported => "unsupported".to_owned(),
    }
}

/// One cell of the matrix: the verdict, and for a found bug or a clean run how long it took.
pub fn cell_text(cell: &Cell) -> String {
    match cell.verdict {
        Verdict::NotExpected | Verdict::Unsupported => verdict(&cell.verdict),
        Verdict::Clean { .. } => format!(
            "{} {}x {}",
            verdict(&cell.verdict),
            cell.executions,
            duration(cell.elapsed)
        ),
        _ => format!("{} {}", verdict(&cell.verdict), duration(cell.elapsed)),
    }
}

fn rows(cells: &[Cell], engines: &[EngineKind]) -> Vec<Vec<String>> {
    let mut header = vec!["entry".to_owned(), "program".to_owned()];
    header.extend(engines.iter().map(|e| e.name().to_owned()));
    let mut rows = vec![header];
    let mut keys: Vec<(&str, Variant)> = Vec::new();
    for c in cells {
        if !keys.contains(&(c.entry, c.variant)) {
            keys.push((c.entry, c.variant));
        }
    }
    for (entry, variant) in keys {
        let mut row = vec![
            if variant == Variant::Buggy {
                entry.to_owned()
            } else {
                String::new()
            },
            variant.name().to_owned(),
        ];
        for engine in engines {
            let cell = cells
                .iter()
                .find(|c| c.entry == entry && c.variant == variant && c.engine == *engine);
            row.push(cell.map_or_else(String::new, cell_text));
        }
        rows.push(row);
    }
    rows
}

/// The matrix in one line: how many bugs were found, missed, and fixes clean.
pub fn summary(cells: &[Cell]) -> String {
    let count = |f: &dyn Fn(&Verdict) -> bool| cells.iter().filter(|c| f(&c.verdict)).count();
    format!(
        "{} runs: {} bugs found as claimed, {} missed, {} of the wrong kind, {} found by engines that do not claim them; {} clean fixes, {} false alarms\n",
        cells.len(),
        count(&|v| matches!(v, Verdict::Found { .. })),
        count(&|v| matches!(v, Verdict::Missed)),
        count(&|v| matches!(v, Verdict::WrongKind { .. })),
        count(&|v| matches!(v, Verdict::FoundUnexpectedly { .. })),
        count(&|v| matches!(v, Verdict::Clean { .. })),
        count(&|v| matches!(v, Verdict::FalseAlarm { .. })),
    )
}

/// The matrix as text.
pub fn text(cells: &[Cell], engines: &[EngineKind]) -> String {
    aligned(&rows(cells, engines)) + "\n" + &summary(cells)
}

/// The matrix as a Markdown table.
pub fn markdown(cells: &[Cell], engines: &[EngineKind]) -> String {
    markdown_table(&rows(cells, engines)) + "\n" + &summary(cells)
}

/// Every cell as JSON.
pub fn json(cells: &[Cell]) -> anyhow::Result<String> {
    let cells: Vec<serde_json::Value> = cells
        .iter()
        .map(|c| {
            let (verdict, kind, execution) = match &c.verdict {
                Verdict::Found { kind, execution } => {
                    ("found", Some(kind.name()), Some(*execution))
                }
                Verdict::FoundUnexpectedly { kind, execution } => {
                    ("found_unexpectedly", Some(kind.name()), Some(*execution))
                }
                Verdict::WrongKind { kind } => ("wrong_kind", Some(kind.name()), None),
                Verdict::Missed => ("missed", None, None),
                Verdict::NotExpected => ("not_expected", None, None),
                Verdict::Clean { complete } => (
                    if *complete {
                        "clean"
                    } else {
                        "clean_out_of_time"
                    },
                    None,
                    None,
                ),
                Verdict::FalseAlarm { kind } => ("false_alarm", Some(kind.name()), None),
                Verdict::Unsupported => ("unsupported", None, None),
            };
            serde_json::json!({
                "entry": c.entry,
                "program": c.variant.name(),
                "engine": c.engine.name(),
                "verdict": verdict,
                "kind": kind,
                "failing_execution": execution,
                "executions": c.executions,
                "millis": c.elapsed.as_secs_f64() * 1000.0,
            })
        })
        .collect();
    Ok(serde_json::to_string_pretty(&cells)? + "\n")
}

/// Reads back the cells that [`json`] wrote (`tapestry hunt --format json`).
pub fn from_json(text: &str) -> anyhow::Result<Vec<Cell>> {
    use anyhow::Context;
    use tapestry::FailureKind;
    let values: Vec<serde_json::Value> = serde_json::from_str(text)
        .context("expected the JSON array that `tapestry hunt --format json` writes")?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let field = |key: &str| {
                v.get(key)
                    .with_context(|| format!("cell {}: no `{key}`", i + 1))
            };
            let text = |key: &str| -> anyhow::Result<&str> {
                field(key)?
                    .as_str()
                    .with_context(|| format!("cell {}: `{key}` is not a string", i + 1))
            };
            let name = text("entry")?;
            let entry = tapestry_catalogue::entry(name)
                .with_context(|| format!("cell {}: no entry `{name}` in this catalogue", i + 1))?;
            let variant = match text("program")? {
                "buggy" => Variant::Buggy,
                "fixed" => Variant::Fixed,
                other => anyhow::bail!(
                    "cell {}: program `{other}` is neither buggy nor fixed",
                    i + 1
                ),
            };
            let engine: EngineKind = text("engine")?.parse()?;
            let kind = || -> anyhow::Result<FailureKind> { Ok(text("kind")?.parse()?) };
            let execution = || {
                field("failing_execution")?
                    .as_u64()
                    .with_context(|| format!("cell {}: `failing_execution` is not a number", i + 1))
            };
            let verdict = match text("verdict")? {
                "found" => Verdict::Found {
                    kind: kind()?,
                    execution: execution()?,
                },
                "found_unexpectedly" => Verdict::FoundUnexpectedly {
                    kind: kind()?,
                    execution: execution()?,
                },
                "wrong_kind" => Verdict::WrongKind { kind: kind()? },
                "missed" => Verdict::Missed,
                "not_expected" => Verdict::NotExpected,
                "clean" => Verdict::Clean { complete: true },
                "clean_out_of_time" => Verdict::Clean { complete: false },
                "false_alarm" => Verdict::FalseAlarm { kind: kind()? },
                "unsupported" => Verdict::Unsupported,
                other => anyhow::bail!("cell {}: unknown verdict `{other}`", i + 1),
            };
            Ok(Cell {
                entry: entry.name,
                variant,
                engine,
                executions: field("executions")?.as_u64().unwrap_or(0),
                elapsed: Duration::from_secs_f64(field("millis")?.as_f64().unwrap_or(0.0) / 1000.0),
                verdict,
            })
        })
        .collect()
}
