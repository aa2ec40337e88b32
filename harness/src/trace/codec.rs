//! A [`Timeline`] as the `key = value` lines of a schedule file's `[trace]` section, one line
//! per lane, object, step or gap, so that a saved failure can be drawn without its program:
//!
//! ```text
//! [trace]
//! lane = main
//! lane = T1
//! object = counter AtomicUsize tests/t.rs:9
//! step = 3 1 0 read:0 tests/t.rs:13 | load counter -> 0 (SeqCst)
//! step = 5 0 0 write:1 tests/t.rs:13 | store counter <- 1 (SeqCst)
//! failing = 0
//! outcome = main panicked: an increment was lost
//! ```
//!
//! A step is `number lane object action site [stale] [from:step|from:init] | text`: lanes and objects are indices
//! into the `lane` and `object` lines (from 0), `-` is none, and the action is `other`,
//! `read[:value]`, `write[:value]`, `update:read:wrote`, `acquire:lock`, `release:lock`,
//! `spawn[:lane]` or `join[:lane]`. Tokens escape `%`, white space, `|`, `"` (and `:` in
//! values) as `%XX`; free text escapes `%`, line breaks and white space at its ends.

use std::fmt::Write as _;

use super::timeline::{Action, ReadFrom, Row, Timeline, TimelineObject, TimelineStep};

/// The keys of a `[trace]` section.
pub(crate) const KEYS: &[&str] = &[
    "lane", "object", "step", "gap", "failing", "blocked", "outcome",
];

type Problem = (usize, String);

fn escape_with(text: &str, also: &[char]) -> String {
    if text.is_empty() {
        return "\"\"".to_owned();
    }
    if text == "-" {
        return "%2D".to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | ' ' | '\t' | '\n' | '\r' | '|' | '"') || also.contains(&c) {
            percent(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

/// `c` as `%XX` escapes of its UTF-8 bytes.
fn percent(c: char, out: &mut String) {
    for byte in c.encode_utf8(&mut [0; 4]).bytes() {
        let _ = write!(out, "%{byte:02X}");
    }
}

fn token(text: &str) -> String {
    escape_with(text, &[])
}

fn value(text: &str) -> String {
    escape_with(text, &[':'])
}

/// Free text: the rest of a line.
fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        let edge = (i == 0 || i == last) && c.is_whitespace();
        if matches!(c, '%' | '\n' | '\r') || edge {
            percent(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape(line: usize, escaped: &str) -> Result<String, Problem> {
    if escaped == "\"\"" {
        return Ok(String::new());
    }
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = escaped
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    (
                        line,
                        format!(
                            "bad escape in `{escaped}`: `%` must be followed by two hex digits"
                        ),
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| (line, format!("`{escaped}` does not decode to UTF-8")))
}

fn option(text: Option<String>) -> String {
    text.unwrap_or_else(|| "-".to_owned())
}

fn action(action: &Action) -> String {
    let with = |verb: &str, arg: Option<String>| match arg {
        Some(arg) => format!("{verb}:{arg}"),
        None => verb.to_owned(),
    };
    match action {
        Action::Other => "other".to_owned(),
        Action::Read(v) => with("read", v.as_deref().map(value)),
        Action::Write(v) => with("write", v.as_deref().map(value)),
        Action::Update { read, wrote } => format!("update:{}:{}", value(read), value(wrote)),
        Action::Acquire(lock) => format!("acquire:{lock}"),
        Action::Release(lock) => format!("release:{lock}"),
        Action::Spawn(lane) => with("spawn", lane.map(|l| l.to_string())),
        Action::Join(lane) => with("join", lane.map(|l| l.to_string())),
    }
}

impl Timeline {
    /// The `key = value` lines of a `[trace]` section, in order.
    pub(crate) fn to_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields: Vec<(&'static str, String)> = Vec::new();
        fields.extend(self.lanes.iter().map(|l| ("lane", token(l))));
        fields.extend(self.objects.iter().map(|o| {
            (
                "object",
                format!("{} {} {}", token(&o.name), token(&o.kind), token(&o.site)),
            )
        }));
        for row in &self.rows {
            match row {
                Row::Gap(words) => fields.push(("gap", text(words))),
                Row::Step(s) => fields.push((
                    "step",
                    format!(
                        "{} {} {} {} {}{}{} | {}",
                        s.number,
                        s.lane,
                        option(s.object.map(|o| o.to_string())),
                        action(&s.action),
                        option(s.site.as_deref().map(token)),
                        if s.stale { " stale" } else { "" },
                        match s.read_from {
                            None => String::new(),
                            Some(ReadFrom::Initial) => " from:init".to_owned(),
                            Some(ReadFrom::Step(step)) => format!(" from:{step}"),
                        },
                        text(&s.text)
                    ),
                )),
            }
        }
        if let Some(lane) = self.failing {
            fields.push(("failing", lane.to_string()));
        }
        for (lane, what) in &self.blocked {
            fields.push(("blocked", format!("{lane} {}", text(what))));
        }
        if let Some(outcome) = &self.outcome {
            fields.push(("outcome", text(outcome)));
        }
        fields
    }

    /// Reads back the lines of a `[trace]` section: (line number, key, value), keys among
    /// [`KEYS`]. An error names the line and the problem.
    pub(crate) fn from_fields(fields: &[(usize, &str, &str)]) -> Result<Timeline, Problem> {
        let mut t = Timeline {
            lanes: Vec::new(),
            objects: Vec::new(),
            rows: Vec::new(),
            failing: None,
            blocked: Vec::new(),
            outcome: None,
        };
        // Lines of steps and blocked lanes, to check their indices once every lane is known.
        let mut lanes_used: Vec<(usize, usize)> = Vec::new();
        let mut objects_used: Vec<(usize, usize)> = Vec::new();
        for &(n, key, v) in fields {
            match key {
                "lane" => t.lanes.push(unescape(n, v)?),
                "object" => {
                    let parts: Vec<&str> = v.split(' ').collect();
                    let [name, kind, site] = parts[..] else {
                        return Err((
                            n,
                            format!("expected `object = <name> <type> <file:line>`, found `{v}`"),
                        ));
                    };
                    t.objects.push(TimelineObject {
                        name: unescape(n, name)?,
                        kind: unescape(n, kind)?,
                        site: unescape(n, site)?,
                    });
                }
                "step" => {
                    let step = step(n, v)?;
                    if let Some(previous) = t.steps().last().map(|s| s.number)
                        && step.number <= previous
                    {
                        return Err((
                            n,
                            format!(
                                "step {} comes after step {previous}: steps must be in order",
                                step.number
                            ),
                        ));
                    }
                    lanes_used.push((n, step.lane));
                    lanes_used.extend(match step.action {
                        Action::Spawn(Some(l)) | Action::Join(Some(l)) => Some((n, l)),
                        _ => None,
                    });
                    objects_used.extend(step.object.map(|o| (n, o)));
                    objects_used.extend(match step.action {
                        Action::Acquire(o) | Action::Release(o) => Some((n, o)),
                        _ => None,
                    });
                    t.rows.push(Row::Step(step));
                }
                "gap" => t.rows.push(Row::Gap(unescape(n, v)?)),
                "failing" => {
                    if t.failing.is_some() {
                        return Err((n, "`failing` appears twice in one trace".to_owned()));
                    }
                    let lane = number(n, "failing lane", v)?;
                    lanes_used.push((n, lane));
                    t.failing = Some(lane);
                }
                "blocked" => {
                    let (lane, what) = v.split_once(' ').ok_or_else(|| {
                        (
                            n,
                            format!("expected `blocked = <lane> <what it waits for>`, found `{v}`"),
                        )
                    })?;
                    let lane = number(n, "blocked lane", lane)?;
                    lanes_used.push((n, lane));
                    t.blocked.push((lane, unescape(n, what)?));
                }
                "outcome" => {
                    if t.outcome.is_some() {
                        return Err((n, "`outcome` appears twice in one trace".to_owned()));
                    }
                    t.outcome = Some(unescape(n, v)?);
                }
                other => {
                    return Err((
                        n,
                        format!(
                            "unknown key `{other}` in [trace]; expected one of: {}",
                            KEYS.join(", ")
                        ),
                    ));
                }
            }
        }
        if let Some(&(n, lane)) = lanes_used.iter().find(|&&(_, l)| l >= t.lanes.len()) {
            return Err((
                n,
                format!(
                    "lane {lane} does not exist: the trace has {} `lane` lines",
                    t.lanes.len()
                ),
            ));
        }
        if let Some(&(n, object)) = objects_used.iter().find(|&&(_, o)| o >= t.objects.len()) {
            return Err((
                n,
                format!(
                    "object {object} does not exist: the trace has {} `object` lines",
                    t.objects.len()
                ),
            ));
        }
        Ok(t)
    }
}

fn number(line: usize, what: &str, text: &str) -> Result<usize, Problem> {
    text.parse()
        .map_err(|_| (line, format!("the {what} `{text}` is not a whole number")))
}

fn optional(line: usize, what: &str, text: &str) -> Result<Option<usize>, Problem> {
    if text == "-" {
        Ok(None)
    } else {
        number(line, what, text).map(Some)
    }
}

fn step(n: usize, v: &str) -> Result<TimelineStep, Problem> {
    let (head, words) = v.split_once(" | ").ok_or_else(|| {
        (n, format!("expected `step = <number> <lane> <object> <action> <site> | <operation>`, found `{v}`"))
    })?;
    let tokens: Vec<&str> = head.split(' ').collect();
    let (read_from, tokens) = match tokens.split_last() {
        Some((last, rest)) if last.starts_with("from:") => {
            let from = match &last["from:".len()..] {
                "init" => ReadFrom::Initial,
                step => ReadFrom::Step(number(n, "the step a read read from", step)?),
            };
            (Some(from), rest)
        }
        _ => (None, &tokens[..]),
    };
    let (stale, tokens) = match tokens.split_last() {
        Some((&"stale", rest)) => (true, rest),
        _ => (false, tokens),
    };
    let [number_, lane, object, action_, site] = tokens[..] else {
        return Err((
            n,
            format!(
                "expected five fields before ` | ` (number, lane, object, action, site), found {}: `{head}`",
                tokens.len()
            ),
        ));
    };
    Ok(TimelineStep {
        number: number(n, "step number", number_)?,
        lane: number(n, "lane", lane)?,
        object: optional(n, "object", object)?,
        action: parse_action(n, action_)?,
        text: unescape(n, words)?,
        site: if site == "-" {
            None
        } else {
            Some(unescape(n, site)?)
        },
        stale,
        read_from,
    })
}

fn parse_action(n: usize, text: &str) -> Result<Action, Problem> {
    let mut parts = text.split(':');
    let verb = parts.next().unwrap_or_default();
    let args: Vec<&str> = parts.collect();
    let index = |what: &str, i: &str| number(n, what, i);
    let value = |v: &str| unescape(n, v);
    Ok(match (verb, &args[..]) {
        ("other", []) => Action::Other,
        ("read", []) => Action::Read(None),
        ("read", [v]) => Action::Read(Some(value(v)?)),
        ("write", []) => Action::Write(None),
        ("write", [v]) => Action::Write(Some(value(v)?)),
        ("update", [r, w]) => Action::Update {
            read: value(r)?,
            wrote: value(w)?,
        },
        ("acquire", [o]) => Action::Acquire(index("lock", o)?),
        ("release", [o]) => Action::Release(index("lock", o)?),
        ("spawn", []) => Action::Spawn(None),
        ("spawn", [l]) => Action::Spawn(Some(index("lane", l)?)),
        ("join", []) => Action::Join(None),
        ("join", [l]) => Action::Join(Some(index("lane", l)?)),
        _ => {
            return Err((
                n,
                format!(
                    "unknown action `{text}`; expected other, read[:value], write[:value], update:read:wrote, acquire:lock, release:lock, spawn[:lane] or join[:lane]"
                ),
            ));
        }
    })
}
