//! The module's code as one program runs it, when `buggy` and `fixed` differ only in the values
//! they pass to a shared function (`run(false)`, `run(true)`): each value is put in where the
//! code reads it, and the branches it decides are folded, so that a diff of the two shows the
//! lines each program runs differently.
//!
//! This reads Rust as lines of text, not as a syntax tree, and does only what it is sure of;
//! anything else stays as written. A value is put in:
//! - in the function that receives it and in functions it is passed on to under the same name
//!   (`Stack::new(tagged)` into `fn new(tagged: bool)`), until a `let` shadows it; not in a
//!   line whose closure or `match` arm binds the same name;
//! - in `self.name`, when one of those functions stores it in a field of that name
//!   (`Storage { fencing, .. }`);
//! - in a struct literal's shorthand field, which becomes `name: value`.
//!
//! Then `if` conditions made of `true`, `false`, `!`, `&&` and `||` are simplified; a block
//! `if` whose condition is now constant is replaced by the branch it takes, and so are
//! one-line `if true { a } else { b }` expressions and `bool::then`.

/// A function of the module: its name, parameters, and where its body is.
struct Function {
    name: String,
    params: Vec<String>,
    /// The line that ends the signature (holds the body's opening brace).
    body: usize,
    /// The line that holds the body's closing brace.
    last: usize,
}

/// `code` as it runs with `values`, (parameter of `callee`, the value's text), put in.
pub fn specialise(code: &str, callee: &str, values: &[(String, String)]) -> String {
    let mut lines: Vec<String> = code.lines().map(str::to_owned).collect();
    let functions = functions(&lines);
    for (name, value) in values {
        let bound = bound_functions(&lines, &functions, callee, name);
        let mut field = false;
        for f in functions.iter().filter(|f| bound.contains(&f.name)) {
            for line in &mut lines[f.body + 1..f.last] {
                let (new, stored, shadows) = put_in(line, name, value);
                field |= stored;
                *line = new;
                if shadows {
                    break;
                }
            }
        }
        if field {
            let in_self = format!("self.{name}");
            for line in &mut lines {
                *line = replace_word(line, &in_self, |_, rest| {
                    let call_or_assignment =
                        rest.starts_with('(') || rest.trim_start().starts_with("= ");
                    (!call_or_assignment).then(|| value.clone())
                });
            }
        }
    }
    fold(lines).join("\n") + "\n"
}

/// The parameters' names of the function `name` of `code`, if it has one.
pub fn parameters(code: &str, name: &str) -> Option<Vec<String>> {
    let lines: Vec<String> = code.lines().map(str::to_owned).collect();
    functions(&lines)
        .into_iter()
        .find(|f| f.name == name)
        .map(|f| f.params)
}

/// The lines of `code` that call the closure (or function) that `callee` receives as `name`:
/// in `callee`, or in a function it passes it on to under the same name.
pub fn call_sites(code: &str, callee: &str, name: &str) -> Vec<usize> {
    let lines: Vec<String> = code.lines().map(str::to_owned).collect();
    let functions = functions(&lines);
    let bound = bound_functions(&lines, &functions, callee, name);
    let mut sites = Vec::new();
    for f in functions.iter().filter(|f| bound.contains(&f.name)) {
        for (i, line) in lines.iter().enumerate().take(f.last).skip(f.body + 1) {
            let code = strip_comment(line);
            let called = replace_word(code, name, |before, rest| {
                let method = before.ends_with('.') || before.trim_end().ends_with("fn");
                (rest.starts_with('(') && !method).then(|| "\u{0}".to_owned())
            });
            if called.contains('\u{0}') && !binds_in_closure(code, name) {
                sites.push(i);
            }
        }
    }
    sites
}

/// The functions of `lines`, found by `fn name(` and brace depth.
fn functions(lines: &[String]) -> Vec<Function> {
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let code = strip_comment(line);
        let Some(at) = code.find("fn ") else { continue };
        if at > 0 && is_word(code[..at].chars().next_back().unwrap_or(' ')) {
            continue;
        }
        let rest = &code[at + 3..];
        let Some(open) = rest.find('(') else { continue };
        let name = rest[..open]
            .trim()
            .split('<')
            .next()
            .unwrap_or("")
            .to_owned();
        if name.is_empty() || !name.chars().all(is_word) {
            continue;
        }
        // The signature runs to the line with the body's opening brace.
        let Some(body) =
            (i..lines.len()).find(|&j| strip_comment(&lines[j]).trim_end().ends_with('{'))
        else {
            continue;
        };
        let signature: String = lines[i..=body].join(" ");
        let params = match signature.find('(').and_then(|p| matching(&signature, p)) {
            Some((p, close)) => split_top(&signature[p + 1..close])
                .iter()
                .filter_map(|param| {
                    let (pattern, _) = param.split_once(':')?;
                    Some(pattern.trim().trim_start_matches("mut ").trim().to_owned())
                })
                .collect(),
            None => Vec::new(),
        };
        let mut depth = 0i64;
        let mut last = body;
        for (j, line) in lines.iter().enumerate().skip(i) {
            let code = strip_comment(line);
            depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            last = j;
            if j >= body && depth <= 0 {
                break;
            }
        }
        found.push(Function {
            name,
            params,
            body,
            last,
        });
    }
    found
}

/// The functions in which `name` holds the value: `callee`, and those it is passed on to
/// under the same name from a function that holds it.
fn bound_functions(
    lines: &[String],
    functions: &[Function],
    callee: &str,
    name: &str,
) -> Vec<String> {
    let mut bound = vec![callee.to_owned()];
    loop {
        let passed_to = functions.iter().find(|g| {
            !bound.contains(&g.name)
                && g.params.iter().any(|p| p == name)
                && functions
                    .iter()
                    .filter(|f| bound.contains(&f.name))
                    .any(|f| {
                        lines[f.body + 1..f.last].iter().any(|l| {
                            let code = strip_comment(l);
                            code.contains(&format!("{}(", g.name)) && has_word(code, name)
                        })
                    })
        });
        match passed_to {
            Some(g) => bound.push(g.name.clone()),
            None => return bound,
        }
    }
}

/// `line` with `name` replaced by `value` where it reads the value; also whether it stores the
/// value in a field of that name, and whether the line shadows `name` (no later line of the
/// function may be changed).
fn put_in(line: &str, name: &str, value: &str) -> (String, bool, bool) {
    let code = strip_comment(line);
    let comment = &line[code.len()..];
    let indent = &line[..line.len() - line.trim_start().len()];
    if !has_word(code, name) || binds_in_closure(code, name) || binds_in_arm(code, name) {
        return (line.to_owned(), false, false);
    }
    let field = format!("{name}: {value}");
    // A struct literal's field on a line of its own: `name,`.
    if code.trim() == format!("{name},") {
        return (format!("{indent}{field},{comment}"), true, false);
    }
    let read = |before: &str, rest: &str| {
        let next = rest.trim_start();
        let declared = next.starts_with(':') && !next.starts_with("::");
        if declared || rest.starts_with('(') || rest.starts_with('!') {
            return None;
        }
        let shorthand = in_struct_literal(before)
            && (before.trim_end().ends_with('{') || before.trim_end().ends_with(','))
            && (next.starts_with('}') || next.starts_with(','));
        Some(if shorthand {
            field.clone()
        } else {
            value.to_owned()
        })
    };
    let shadow = [format!("let {name} "), format!("let mut {name} ")]
        .iter()
        .any(|s| code.trim_start().starts_with(s.as_str()));
    let (kept, changed) = match (shadow, code.find(" = ")) {
        // Only the right-hand side of a shadowing `let` reads the value.
        (true, Some(eq)) => (&code[..eq], replace_word(&code[eq..], name, read)),
        (true, None) => (code, String::new()),
        (false, _) => ("", replace_word(code, name, read)),
    };
    let stored = changed.contains(&field) && !code.contains(&field);
    (format!("{kept}{changed}{comment}"), stored, shadow)
}

/// Whether the innermost bracket open at the end of `before` starts a struct literal
/// (`Name {`).
fn in_struct_literal(before: &str) -> bool {
    let mut depth = 0;
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' if depth == 0 => return false,
            '{' if depth == 0 => {
                let name = before[..i].trim_end();
                let start = name.rfind(|c: char| !is_word(c)).map_or(0, |p| p + 1);
                return name[start..].starts_with(|c: char| c.is_uppercase());
            }
            '(' | '[' | '{' => depth -= 1,
            _ => {}
        }
    }
    false
}

/// `text` with each occurrence of `word` (a whole word, outside string literals, not after a
/// `.` unless it starts with `self.`) replaced by what `by(text before, text after)` says, if
/// anything.
fn replace_word(text: &str, word: &str, by: impl Fn(&str, &str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut i = 0;
    let mut in_string = false;
    let bytes = text.as_bytes();
    while i < text.len() {
        if bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
            in_string = !in_string;
        }
        let before = text[..i].chars().next_back();
        let whole = text[i..].starts_with(word)
            && !before.is_some_and(|b| is_word(b) || (b == '.' && !word.starts_with("self.")))
            && !text[i + word.len()..].chars().next().is_some_and(is_word);
        if !in_string
            && whole
            && let Some(replacement) = by(&text[..i], &text[i + word.len()..])
        {
            out.push_str(&replacement);
            i += word.len();
            continue;
        }
        let ch = text[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn has_word(text: &str, word: &str) -> bool {
    replace_word(text, word, |_, _| Some("\u{0}".to_owned())).contains('\u{0}')
}

/// The line without a trailing `//` comment (outside string literals).
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Whether a closure in `code` takes a parameter called `name` (`|name|`, `|a, name|`).
fn binds_in_closure(code: &str, name: &str) -> bool {
    let bars: Vec<usize> = code.match_indices('|').map(|(i, _)| i).collect();
    bars.chunks(2)
        .any(|pair| pair.len() == 2 && has_word(&code[pair[0] + 1..pair[1]], name))
}

/// Whether a `match` arm or `if let` in `code` binds `name` in its pattern.
fn binds_in_arm(code: &str, name: &str) -> bool {
    let pattern = match (code.find("=>"), code.find("let ")) {
        (Some(arrow), _) => &code[..arrow],
        (None, Some(at)) if code.trim_start().starts_with("if let ") => {
            let rest = &code[at..];
            &rest[..rest.find(" = ").unwrap_or(rest.len())]
        }
        _ => return false,
    };
    has_word(pattern, name)
}

/// The index of the bracket that closes the one at `open` in `text`.
fn matching(text: &str, open: usize) -> Option<(usize, usize)> {
    let (o, c) = match text.as_bytes()[open] {
        b'(' => (b'(', b')'),
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => return None,
    };
    let mut depth = 0;
    for (i, &b) in text.as_bytes().iter().enumerate().skip(open) {
        if b == o {
            depth += 1;
        } else if b == c {
            depth -= 1;
            if depth == 0 {
                return Some((open, i));
            }
        }
    }
    None
}

/// `text` split at commas outside brackets, strings and closures' parameter lists.
pub fn split_top(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut in_string = false;
    let mut in_params = false;
    let mut part = String::new();
    let mut previous = ' ';
    for c in text.chars() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '(' | '[' | '{' if !in_string => depth += 1,
            ')' | ']' | '}' if !in_string => depth -= 1,
            // A closure's parameters open where an argument starts: `|a, b|`, `move |a|`.
            '|' if !in_string && in_params => in_params = false,
            '|' if !in_string && depth == 0 && matches!(part.trim(), "" | "move") => {
                in_params = true
            }
            ',' if !in_string && !in_params && depth == 0 => {
                parts.push(std::mem::take(&mut part).trim().to_owned());
                previous = c;
                continue;
            }
            _ => {}
        }
        part.push(c);
        previous = c;
    }
    if !part.trim().is_empty() {
        parts.push(part.trim().to_owned());
    }
    parts
}

/// A condition, simplified: a constant, or what is left of it.
#[derive(Debug, PartialEq, Eq)]
enum Condition {
    Constant(bool),
    Rest(String),
}

/// Simplifies a condition of `true`, `false`, `!` and `&&` or `||` (not both) between
/// operands; anything else is left as it is.
fn simplify(condition: &str) -> Condition {
    let constant = |operand: &str| match operand.trim() {
        "true" | "!false" => Some(true),
        "false" | "!true" => Some(false),
        _ => None,
    };
    if let Some(value) = constant(condition) {
        return Condition::Constant(value);
    }
    let and = split_operator(condition, "&&");
    let or = split_operator(condition, "||");
    let (operands, operator, absorbing) = match (and.len(), or.len()) {
        (1, 1) => return Condition::Rest(condition.to_owned()),
        (_, 1) => (and, "&&", false),
        (1, _) => (or, "||", true),
        _ => return Condition::Rest(condition.to_owned()),
    };
    if operands.iter().any(|o| constant(o) == Some(absorbing)) {
        return Condition::Constant(absorbing);
    }
    let left: Vec<&str> = operands
        .iter()
        .map(|o| o.trim())
        .filter(|o| constant(o).is_none())
        .collect();
    match left.len() {
        0 => Condition::Constant(!absorbing),
        _ => Condition::Rest(left.join(&format!(" {operator} "))),
    }
}

/// `condition` split at `operator` outside brackets and closures' bars.
fn split_operator<'a>(condition: &'a str, operator: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = condition.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ if depth == 0 && condition[i..].starts_with(operator) => {
                parts.push(&condition[start..i]);
                i += operator.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&condition[start..]);
    parts
}

/// The lines with constant `if`s replaced by the branch they take, repeatedly.
fn fold(mut lines: Vec<String>) -> Vec<String> {
    loop {
        let before = lines.clone();
        lines = lines.into_iter().map(|l| fold_inline(&l)).collect();
        lines = fold_blocks(lines);
        if lines == before {
            return lines;
        }
    }
}

/// One block `if cond {` (the whole line) folded, if its condition is constant or simpler.
fn fold_blocks(lines: Vec<String>) -> Vec<String> {
    for (i, line) in lines.iter().enumerate() {
        let code = strip_comment(line).trim_end();
        let indent = &line[..line.len() - line.trim_start().len()];
        let Some(condition) = code
            .trim_start()
            .strip_prefix("if ")
            .and_then(|c| c.strip_suffix(" {"))
        else {
            continue;
        };
        if condition.starts_with("let ") {
            continue;
        }
        let simplified = simplify(condition);
        let taken = match simplified {
            Condition::Rest(rest) if rest == condition => continue,
            Condition::Rest(rest) => {
                let mut lines = lines.clone();
                lines[i] = format!("{indent}if {rest} {{");
                return lines;
            }
            Condition::Constant(taken) => taken,
        };
        // The lines of the block, and of an `else` block after it.
        let Some(end) = block_end(&lines, i) else {
            continue;
        };
        let closing = lines[end].trim();
        let else_end = match closing {
            "}" => None,
            "} else {" => match block_end(&lines, end) {
                Some(e) if lines[e].trim() == "}" => Some(e),
                _ => continue,
            },
            _ => continue,
        };
        let branch: &[String] = match (taken, else_end) {
            (true, _) => &lines[i + 1..end],
            (false, Some(e)) => &lines[end + 1..e],
            (false, None) => &[],
        };
        let unindented: Vec<String> = branch
            .iter()
            .map(|l| l.strip_prefix("    ").unwrap_or(l).to_owned())
            .collect();
        let last = else_end.unwrap_or(end);
        let mut folded = lines[..i].to_vec();
        folded.extend(unindented);
        folded.extend_from_slice(&lines[last + 1..]);
        return folded;
    }
    lines
}

/// The line that closes the block opened at the end of line `open` (`}` or `} else {`).
fn block_end(lines: &[String], open: usize) -> Option<usize> {
    let mut depth = 1i64;
    for (j, line) in lines.iter().enumerate().skip(open + 1) {
        let code = strip_comment(line);
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(j);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// A line with `if true { a } else { b }` and `true.then(|| a)` (or `false`) folded.
fn fold_inline(line: &str) -> String {
    for (pattern, taken) in [("if true {", true), ("if false {", false)] {
        let Some(at) = line.find(pattern) else {
            continue;
        };
        let open = at + pattern.len() - 1;
        let Some((_, close)) = matching(line, open) else {
            continue;
        };
        if !line[close + 1..].starts_with(" else {") {
            continue;
        }
        let else_open = close + 1 + " else ".len();
        let Some((_, else_close)) = matching(line, else_open) else {
            continue;
        };
        let branch = if taken {
            &line[open + 1..close]
        } else {
            &line[else_open + 1..else_close]
        };
        return format!(
            "{}{}{}",
            &line[..at],
            branch.trim(),
            &line[else_close + 1..]
        );
    }
    for (pattern, taken) in [("true.then(|| ", true), ("false.then(|| ", false)] {
        let Some(at) = line.find(pattern) else {
            continue;
        };
        if line[..at].chars().next_back().is_some_and(is_word) {
            continue;
        }
        let open = at + pattern.find('(').expect("in the pattern");
        let Some((_, close)) = matching(line, open) else {
            continue;
        };
        let value = &line[at + pattern.len()..close];
        let folded = if taken {
            format!("Some({value})")
        } else {
            "None".to_owned()
        };
        return format!("{}{folded}{}", &line[..at], &line[close + 1..]);
    }
    line.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = r#"struct Stack {
    tagged: bool,
}

impl Stack {
    fn new(tagged: bool) -> Stack {
        Stack { tagged }
    }

    fn also(tagged: bool) {}

    fn tag(&self, head: u64) -> u64 {
        let tag = if self.tagged { (head >> 32) + 1 } else { 0 };
        tag
    }
}

fn run(tagged: bool, order: Ordering) {
    let stack = Stack::new(tagged);
    let guard = tagged.then(|| lock.lock());
    flag.store(true, order); // publish with `order`
    let f = |tagged| tagged + 1;
    if tagged && stack.ready() {
        stack.go();
    }
    if !tagged {
        one();
    } else {
        other();
    }
    let tagged = "tagged";
    print(tagged);
}
"#;

    fn run(tagged: &str, order: &str) -> String {
        specialise(
            CODE,
            "run",
            &[
                ("tagged".into(), tagged.into()),
                ("order".into(), order.into()),
            ],
        )
    }

    #[test]
    fn values_go_where_they_are_read_and_decide_branches() {
        let buggy = run("false", "Ordering::Relaxed");
        for line in [
            "    let stack = Stack::new(false);",
            "    let guard = None;",
            "    flag.store(true, Ordering::Relaxed); // publish with `order`",
            "    let f = |tagged| tagged + 1;",
            "    one();",
            "    let tagged = \"tagged\";",
            "    print(tagged);",
            "        let tag = 0;",
        ] {
            assert!(buggy.lines().any(|l| l == line), "no `{line}` in\n{buggy}");
        }
        assert!(
            !buggy.contains("go()") && !buggy.contains("other()"),
            "{buggy}"
        );

        let fixed = run("true", "Ordering::Release");
        for line in [
            "    let guard = Some(lock.lock());",
            "    if stack.ready() {",
            "        stack.go();",
            "    other();",
            "        let tag = (head >> 32) + 1;",
            "    fn new(tagged: bool) -> Stack {",
            "        Stack { tagged: true }",
        ] {
            assert!(fixed.lines().any(|l| l == line), "no `{line}` in\n{fixed}");
        }
    }

    #[test]
    fn struct_shorthand_gets_the_value() {
        let code = "fn run(fencing: bool) {\n    let s = Storage {\n        fencing,\n    };\n}\n\nimpl Storage {\n    fn go(&self) {\n        if self.fencing && stale {\n            return;\n        }\n    }\n}\n";
        let buggy = specialise(code, "run", &[("fencing".into(), "false".into())]);
        assert!(buggy.contains("        fencing: false,\n"), "{buggy}");
        assert!(!buggy.contains("return"), "{buggy}");
        let fixed = specialise(code, "run", &[("fencing".into(), "true".into())]);
        assert!(
            fixed.contains("        if stale {\n            return;"),
            "{fixed}"
        );
    }

    #[test]
    fn arguments_split_outside_closures() {
        assert_eq!(
            split_top(r#"|a, b| { f(a, b) }, "x, y", move |c| c, [1, 2], || 3"#),
            [
                "|a, b| { f(a, b) }",
                r#""x, y""#,
                "move |c| c",
                "[1, 2]",
                "|| 3"
            ]
        );
    }

    #[test]
    fn conditions_simplify() {
        assert_eq!(simplify("false && x"), Condition::Constant(false));
        assert_eq!(simplify("true && x < y"), Condition::Rest("x < y".into()));
        assert_eq!(simplify("!true"), Condition::Constant(false));
        assert_eq!(simplify("x || true"), Condition::Constant(true));
        assert_eq!(
            simplify("a && (b || true)"),
            Condition::Rest("a && (b || true)".into())
        );
        assert_eq!(simplify("false && f(x)"), Condition::Constant(false));
        assert_eq!(
            simplify("a && b || c"),
            Condition::Rest("a && b || c".into())
        );
    }
}
