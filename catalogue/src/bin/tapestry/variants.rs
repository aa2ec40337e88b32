//! What differs between an entry's buggy and fixed programs, as a reader needs to see it: the
//! diff of the two functions' bodies and, when both only pass different values to a shared
//! function (`run(false)`, `run(true)`), the diff of the shared code as each program runs it
//! ([`specialise`]), so that the lines the value changes show as removed and added; when they
//! pass different closures, where the shared code calls them.

mod specialise;

use similar::{ChangeTag, TextDiff};
use tapestry_catalogue::Entry;

/// A line of a diff: in both programs, only the buggy one, or only the fixed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Same,
    Removed,
    Added,
    /// In both, and the line the excerpt is about (where a closure is called).
    Marked,
}

/// Lines of a diff that belong together, with the item they sit in.
#[derive(Debug)]
pub struct Hunk {
    /// The signature of the function (or the item) the hunk is in, when its lines do not show it.
    pub within: Option<String>,
    pub lines: Vec<(Change, String)>,
}

/// What differs between an entry's buggy and fixed programs.
#[derive(Debug)]
pub struct Variants {
    /// Each program's doc comment: what it does.
    pub buggy_doc: String,
    pub fixed_doc: String,
    /// The diff of the two functions' bodies, whole.
    pub calls: Vec<Hunk>,
    /// When both call one function of the module with different values.
    pub shared: Option<Shared>,
    /// When both call one function of the module with different closures.
    pub called: Option<Called>,
}

/// Both programs pass `callee` different closures as `parameter`, which it calls in `hunks`.
#[derive(Debug)]
pub struct Called {
    pub callee: String,
    pub parameter: String,
    /// The lines that call it (marked), with two lines around each.
    pub hunks: Vec<Hunk>,
}

/// Both programs call `callee`, passing different values for some of its parameters.
#[derive(Debug)]
pub struct Shared {
    pub callee: String,
    /// (parameter, buggy's value, fixed's value).
    pub values: Vec<(String, String, String)>,
    /// The diff of the module's code with each program's values put in.
    pub hunks: Vec<Hunk>,
}

/// A function of an entry's module: its doc comment and its body, unindented.
struct Function {
    doc: String,
    body: String,
}

fn function(entry: &Entry, name: &str) -> Option<(String, Function)> {
    let text = entry.function(name)?;
    let lines: Vec<&str> = text.lines().collect();
    let doc: Vec<&str> = lines
        .iter()
        .map_while(|l| l.trim_start().strip_prefix("///"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    let signature = lines.iter().position(|l| l.trim_end().ends_with('{'))?;
    let body: Vec<&str> = lines[signature + 1..lines.len().saturating_sub(1)]
        .iter()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect();
    let function = Function {
        doc: doc.join(" "),
        body: body.join("\n") + "\n",
    };
    Some((text, function))
}

/// A body that is one call, `path(args);`: the path and the arguments' texts.
fn call(body: &str) -> Option<(String, Vec<String>)> {
    let text = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.strip_suffix(';').unwrap_or(&text);
    let open = text.find('(')?;
    let path = text[..open].trim();
    if path.is_empty()
        || !path
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ':')
    {
        return None;
    }
    let inner = text[open + 1..].strip_suffix(')')?;
    Some((path.to_owned(), specialise::split_top(inner)))
}

fn is_closure(argument: &str) -> bool {
    argument.starts_with('|') || argument.starts_with("move |")
}

/// What differs between `entry`'s buggy and fixed programs; `None` if it has no `buggy` or
/// `fixed` function to read.
pub fn variants(entry: &Entry) -> Option<Variants> {
    let (buggy_text, buggy) = function(entry, "buggy")?;
    let (fixed_text, fixed) = function(entry, "fixed")?;
    // The bodies are short: all of them is context.
    let whole = buggy.body.lines().count() + fixed.body.lines().count();
    let calls = diff(&buggy.body, &fixed.body, whole);
    let shared = match (call(&buggy.body), call(&fixed.body)) {
        (Some((callee, a)), Some((other, b))) if callee == other && a.len() == b.len() => {
            let code = entry
                .code()
                .replace(&buggy_text, "")
                .replace(&fixed_text, "");
            let name = callee.rsplit("::").next().unwrap_or(&callee).to_owned();
            let params = specialise::parameters(&code, &name).filter(|p| p.len() == a.len());
            params.and_then(|params| {
                let values: Vec<(String, String, String)> = params
                    .into_iter()
                    .zip(a.into_iter().zip(b))
                    .filter(|(_, (a, b))| a != b && !is_closure(a) && !is_closure(b))
                    .map(|(p, (a, b))| (p, a, b))
                    .collect();
                if values.is_empty() {
                    return None;
                }
                let with = |pick: fn(&(String, String, String)) -> &String| {
                    let values: Vec<(String, String)> = values
                        .iter()
                        .map(|v| (v.0.clone(), pick(v).clone()))
                        .collect();
                    specialise::specialise(&code, &name, &values)
                };
                let hunks = diff(&with(|v| &v.1), &with(|v| &v.2), 3);
                // A value only bound to a name again (`let bus = Arc::new(bus)`) is passed on
                // whole: the calls already show all there is to see.
                let rebinds_only = hunks.iter().flat_map(|h| &h.lines).all(|(change, line)| {
                    *change == Change::Same
                        || values.iter().any(|(p, _, _)| {
                            let line = line.trim_start();
                            line.starts_with(&format!("let {p} ="))
                                || line.starts_with(&format!("let mut {p} ="))
                        })
                });
                (!hunks.is_empty() && !rebinds_only).then_some(Shared {
                    callee,
                    values,
                    hunks,
                })
            })
        }
        _ => None,
    };
    let called = match (call(&buggy.body), call(&fixed.body)) {
        (Some((callee, a)), Some((other, b))) if callee == other && a.len() == b.len() => {
            let code = entry
                .code()
                .replace(&buggy_text, "")
                .replace(&fixed_text, "");
            let name = callee.rsplit("::").next().unwrap_or(&callee).to_owned();
            let params = specialise::parameters(&code, &name).filter(|p| p.len() == a.len());
            // The first parameter that gets different closures.
            let parameter = params.and_then(|params| {
                params
                    .into_iter()
                    .zip(a.iter().zip(&b))
                    .find(|(_, (a, b))| a != b && (is_closure(a) || is_closure(b)))
                    .map(|(p, _)| p)
            });
            parameter.and_then(|parameter| {
                let sites = specialise::call_sites(&code, &name, &parameter);
                let hunks = excerpt(&code, &sites, 2);
                (!hunks.is_empty()).then_some(Called {
                    callee,
                    parameter,
                    hunks,
                })
            })
        }
        _ => None,
    };
    Some(Variants {
        buggy_doc: buggy.doc,
        fixed_doc: fixed.doc,
        calls,
        shared,
        called,
    })
}

/// The lines `marked` of `code`, with `context` lines around each, in hunks.
fn excerpt(code: &str, marked: &[usize], context: usize) -> Vec<Hunk> {
    let lines: Vec<&str> = code.lines().collect();
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &m in marked {
        let (from, to) = (
            m.saturating_sub(context),
            (m + context).min(lines.len() - 1),
        );
        match hunks.last_mut() {
            Some(last) if from <= last.1 + 1 => last.1 = to,
            _ => hunks.push((from, to)),
        }
    }
    hunks
        .into_iter()
        .map(|(from, to)| {
            let within = enclosing(
                &lines,
                marked.iter().copied().find(|&m| m >= from).unwrap_or(from),
            )
            .filter(|item| !lines[from..=to].iter().any(|l| l.trim() == item));
            Hunk {
                within: within.map(|item| signature(&item)),
                lines: (from..=to)
                    .map(|i| {
                        let change = if marked.contains(&i) {
                            Change::Marked
                        } else {
                            Change::Same
                        };
                        (change, lines[i].to_owned())
                    })
                    .collect(),
            }
        })
        .collect()
}

/// An item's first line as a hunk's heading: without its opening brace, a signature over
/// several lines named by its first.
fn signature(item: &str) -> String {
    let item = item.trim_end_matches(" {");
    match item.strip_suffix('(') {
        Some(open) => format!("{open}(…)"),
        None => item.to_owned(),
    }
}

/// The line diff of `old` and `new`, in hunks with `context` lines around each change.
fn diff(old: &str, new: &str, context: usize) -> Vec<Hunk> {
    let text = TextDiff::from_lines(old, new);
    let old_lines: Vec<&str> = old.lines().collect();
    text.grouped_ops(context)
        .iter()
        .map(|group| {
            let mut lines = Vec::new();
            // The old line at or just before the first change: what it sits in names the hunk.
            let mut last_old = None;
            let mut first_change = None;
            for op in group {
                for change in text.iter_changes(op) {
                    let kind = match change.tag() {
                        ChangeTag::Equal => Change::Same,
                        ChangeTag::Delete => Change::Removed,
                        ChangeTag::Insert => Change::Added,
                    };
                    last_old = change.old_index().or(last_old);
                    if kind != Change::Same && first_change.is_none() {
                        first_change = last_old;
                    }
                    lines.push((kind, change.value().trim_end_matches('\n').to_owned()));
                }
            }
            let within = first_change.and_then(|i| enclosing(&old_lines, i));
            let within = within.filter(|item| !lines.iter().any(|(_, l)| l.trim() == item));
            Hunk {
                within: within.map(|item| signature(&item)),
                lines,
            }
        })
        .filter(|h| h.lines.iter().any(|(c, _)| *c != Change::Same))
        .collect()
}

/// The item that line `at` of `lines` sits in: the nearest line above it, indented less, that
/// starts a function, an `impl`, a type or a constant.
fn enclosing(lines: &[&str], at: usize) -> Option<String> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let starts_item = |l: &str| {
        let l = l
            .trim_start()
            .trim_start_matches("pub ")
            .trim_start_matches("unsafe ");
        [
            "fn ", "impl", "struct ", "enum ", "const ", "static ", "trait ",
        ]
        .iter()
        .any(|k| l.starts_with(k))
    };
    let mut limit = indent(lines[at]);
    for line in lines[..at].iter().rev() {
        if limit == 0 {
            return None;
        }
        if line.trim().is_empty() || indent(line) >= limit || line.trim_start().starts_with('}') {
            continue;
        }
        if starts_item(line) {
            return Some(line.trim().to_owned());
        }
        // A block opened here (a closure, the end of a long signature) starts on a line of the
        // same indentation.
        limit = indent(line) + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(hunks: &[Hunk], change: Change) -> Vec<String> {
        hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|(c, _)| *c == change)
            .map(|(_, l)| l.trim().to_owned())
            .collect()
    }

    #[test]
    fn a_flag_shows_the_branch_each_program_takes() {
        let entry = tapestry_catalogue::entry("lock_order_inversion").unwrap();
        let v = variants(entry).unwrap();
        assert_eq!(changed(&v.calls, Change::Removed), ["run(false);"]);
        assert_eq!(changed(&v.calls, Change::Added), ["run(true);"]);
        assert_eq!(v.buggy_doc, "The threads lock in opposite orders.");
        let shared = v.shared.unwrap();
        assert_eq!(
            shared.values,
            [(
                "second_thread_order_ab".into(),
                "false".into(),
                "true".into()
            )]
        );
        // The main thread's locks, in each program's order: one of them moves.
        let locks = |change| -> Vec<String> {
            shared
                .hunks
                .iter()
                .flat_map(|h| &h.lines)
                .filter(|(c, l)| (*c == Change::Same || *c == change) && l.starts_with("    let _"))
                .map(|(_, l)| l.trim().to_owned())
                .collect()
        };
        assert_eq!(
            locks(Change::Removed),
            ["let _b = b.lock().unwrap();", "let _a = a.lock().unwrap();"]
        );
        assert_eq!(
            locks(Change::Added),
            ["let _a = a.lock().unwrap();", "let _b = b.lock().unwrap();"]
        );
        assert_eq!(changed(&shared.hunks, Change::Removed).len(), 1);
        assert_eq!(
            shared.hunks[0].within.as_deref(),
            Some("fn run(second_thread_order_ab: bool)")
        );
    }

    #[test]
    fn a_flag_stored_in_a_field_shows_where_the_field_decides() {
        let v = variants(tapestry_catalogue::entry("aba_stack").unwrap()).unwrap();
        let shared = v.shared.unwrap();
        let added = changed(&shared.hunks, Change::Added);
        assert!(
            added.contains(&"let tag = (head >> 32) + 1;".to_owned()),
            "{added:?}"
        );
        let removed = changed(&shared.hunks, Change::Removed);
        assert!(removed.contains(&"let tag = 0;".to_owned()), "{removed:?}");

        let v = variants(tapestry_catalogue::entry("lease_lock_expiry").unwrap()).unwrap();
        let added = changed(&v.shared.unwrap().hunks, Change::Added);
        assert!(
            added.contains(&"if token < state.newest_token {".to_owned()),
            "{added:?}"
        );
    }

    #[test]
    fn a_value_passed_on_whole_shows_in_the_calls_alone() {
        let v = variants(tapestry_catalogue::entry("priority_inversion").unwrap()).unwrap();
        assert!(v.shared.is_none(), "{:?}", v.shared);
        assert_eq!(
            changed(&v.calls, Change::Added),
            [r#"mission(Bus::Inheriting(PiMutex::named("bus", 0)));"#]
        );
    }

    #[test]
    fn closures_show_in_the_calls_and_where_they_run() {
        let v = variants(tapestry_catalogue::entry("lost_update").unwrap()).unwrap();
        assert!(v.shared.is_none());
        assert_eq!(
            changed(&v.calls, Change::Added),
            ["counter.fetch_add(1, Ordering::SeqCst);"]
        );
        let called = v.called.unwrap();
        assert_eq!(called.parameter, "increment");
        assert_eq!(
            changed(&called.hunks, Change::Marked),
            ["thread::spawn(move || increment(&counter))"]
        );

        // Passed on to another function under the same name, and called there.
        let v = variants(tapestry_catalogue::entry("store_buffering").unwrap()).unwrap();
        let called = v.called.unwrap();
        assert_eq!(changed(&called.hunks, Change::Marked), ["between();"]);
        let hunk = &called.hunks[0];
        assert!(
            hunk.lines
                .iter()
                .any(|(_, l)| l.starts_with("fn try_enter(")),
            "{hunk:?}"
        );
    }

    #[test]
    fn every_entry_shows_lines_that_differ() {
        for entry in tapestry_catalogue::ENTRIES {
            let v = variants(entry).unwrap_or_else(|| panic!("{}: no buggy or fixed", entry.name));
            assert!(
                !v.calls.is_empty(),
                "{}: the calls do not differ",
                entry.name
            );
            // Where they pass different closures, the shared code shows where they run.
            let closures = matches!(
                (call(&function(entry, "buggy").unwrap().1.body), call(&function(entry, "fixed").unwrap().1.body)),
                (Some((_, a)), Some((_, b))) if a.iter().zip(&b).any(|(x, y)| x != y && (is_closure(x) || is_closure(y)))
            );
            assert_eq!(
                v.called.is_some(),
                closures,
                "{}: {:?}",
                entry.name,
                v.called
            );
            // Where the calls differ only in values, the shared code shows what they change.
            let values_only = matches!(
                (call(&function(entry, "buggy").unwrap().1.body), call(&function(entry, "fixed").unwrap().1.body)),
                (Some((_, a)), Some((_, b))) if a.iter().chain(&b).all(|x| !is_closure(x))
            );
            // (But for priority_inversion, whose value is an object passed on whole.)
            if values_only && entry.name != "priority_inversion" {
                let shared = v
                    .shared
                    .unwrap_or_else(|| panic!("{}: no shared diff", entry.name));
                assert!(
                    shared
                        .hunks
                        .iter()
                        .flat_map(|h| &h.lines)
                        .any(|(c, _)| *c != Change::Same),
                    "{}",
                    entry.name
                );
            }
        }
    }
}
