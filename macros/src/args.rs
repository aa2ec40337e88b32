//! The attribute's arguments: `key = literal` pairs, checked here so that a mistake is a
//! compile error on the token that is wrong. Their meaning is the runner's business: the
//! values are passed on as written.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitBool, LitInt, LitStr, Meta, Token};

/// Engine names the runner accepts.
const ENGINES: &[&str] = &[
    "exhaustive",
    "dpor",
    "random",
    "pct",
    "surw",
    "priority",
    "stress",
    "c11",
];
/// When timeouts may fire (`tapestry::Timeouts`).
const TIMEOUTS: &[&str] = &["early", "when_idle"];
/// Failure kinds a test can expect.
const KINDS: &[&str] = &[
    "panic",
    "deadlock",
    "data_race",
    "leak",
    "lost_wakeup",
    "step_limit",
    "potential_deadlock",
    "priority_inversion",
    "misuse",
];

#[derive(Clone, Copy, PartialEq)]
enum Type {
    Str,
    Int,
    Bool,
}

/// Every key, its literal type, and an example for error messages.
const KEYS: &[(&str, Type, &str)] = &[
    ("engines", Type::Str, r#"engines = "exhaustive, pct""#),
    ("schedules", Type::Int, "schedules = 1000"),
    ("seed", Type::Int, "seed = 42"),
    ("preemption_bound", Type::Int, "preemption_bound = 2"),
    ("pct_depth", Type::Int, "pct_depth = 3"),
    ("inversion_bound", Type::Int, "inversion_bound = 20"),
    ("stress_iterations", Type::Int, "stress_iterations = 10000"),
    ("stress_time", Type::Str, r#"stress_time = "2s""#),
    ("max_steps", Type::Int, "max_steps = 20000"),
    ("workers", Type::Int, "workers = 1"),
    ("lock_order", Type::Bool, "lock_order = false"),
    ("timeouts", Type::Str, r#"timeouts = "when_idle""#),
    ("expect", Type::Str, r#"expect = "deadlock""#),
    ("snapshot", Type::Bool, "snapshot = true"),
];

/// The arguments, as written.
#[derive(Default)]
pub(crate) struct Args {
    pub strs: Vec<(&'static str, LitStr)>,
    pub ints: Vec<(&'static str, u64)>,
    pub bools: Vec<(&'static str, bool)>,
}

impl Args {
    pub(crate) fn str(&self, key: &str) -> Option<&LitStr> {
        self.strs.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub(crate) fn int(&self, key: &str) -> Option<u64> {
        self.ints.iter().find(|(k, _)| *k == key).map(|&(_, v)| v)
    }

    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        self.bools.iter().find(|(k, _)| *k == key).map(|&(_, v)| v)
    }
}

/// Parses the arguments; every mistake is an error spanned on its token.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Vec<syn::Error>) -> Args {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(metas) => metas,
        Err(e) => {
            errors.push(syn::Error::new(
                e.span(),
                format!(
                    "{e}; expected arguments of the form `key = value`, like `{}`",
                    KEYS[1].2
                ),
            ));
            return Args::default();
        }
    };
    let mut pairs = Vec::new();
    for meta in metas {
        match meta {
            Meta::NameValue(pair) => pairs.push(pair),
            Meta::Path(path) => {
                let word = quote::quote!(#path).to_string();
                let hint = if ENGINES.contains(&word.as_str()) {
                    format!("; to choose an engine, write `engines = \"{word}\"`")
                } else {
                    format!("; expected `key = value`, with a key from: {}", key_list())
                };
                errors.push(syn::Error::new_spanned(
                    &path,
                    format!("`{word}` needs a value{hint}"),
                ));
            }
            Meta::List(list) => errors.push(syn::Error::new_spanned(
                &list,
                format!("expected `key = value`, with a key from: {}", key_list()),
            )),
        }
    }
    let mut args = Args::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut snapshot_span = None;
    for pair in pairs {
        let Some(key) = pair.path.get_ident().map(ToString::to_string) else {
            errors.push(syn::Error::new(
                pair.path.span(),
                format!("expected a key; one of: {}", key_list()),
            ));
            continue;
        };
        let Some(&(name, ty, example)) = KEYS.iter().find(|(k, ..)| *k == key) else {
            errors.push(syn::Error::new(
                pair.path.span(),
                format!("unknown argument `{key}`; expected one of: {}", key_list()),
            ));
            continue;
        };
        if seen.contains(&name) {
            errors.push(syn::Error::new(
                pair.path.span(),
                format!("`{name}` is given twice"),
            ));
            continue;
        }
        seen.push(name);
        let literal = match &pair.value {
            Expr::Lit(ExprLit { lit, .. }) => Some(lit),
            _ => None,
        };
        let wrong_type = || {
            let what = match ty {
                Type::Str => "a string",
                Type::Int => "a whole number",
                Type::Bool => "`true` or `false`",
            };
            syn::Error::new(
                pair.value.span(),
                format!("`{name}` takes {what}, like `{example}`"),
            )
        };
        match (ty, literal) {
            (Type::Str, Some(Lit::Str(s))) => match check_str(name, s) {
                Ok(()) => args.strs.push((name, s.clone())),
                Err(e) => errors.push(e),
            },
            (Type::Int, Some(Lit::Int(i))) => match check_int(name, i) {
                Ok(value) => args.ints.push((name, value)),
                Err(e) => errors.push(e),
            },
            (Type::Bool, Some(Lit::Bool(LitBool { value, span }))) => {
                args.bools.push((name, *value));
                if name == "snapshot" {
                    snapshot_span = Some(*span);
                }
            }
            _ => errors.push(wrong_type()),
        }
    }
    let snapshot = args.bool("snapshot") == Some(true);
    if let (true, Some(span), None) = (snapshot, snapshot_span, args.str("expect")) {
        errors.push(syn::Error::new(
            span,
            r#"`snapshot = true` needs `expect`: only a known failure has an interleaving to snapshot, like `expect = "deadlock", snapshot = true`"#,
        ));
    }
    args
}

pub(crate) fn key_list() -> String {
    KEYS.iter().map(|(k, ..)| *k).collect::<Vec<_>>().join(", ")
}

fn check_str(key: &str, literal: &LitStr) -> Result<(), syn::Error> {
    let value = literal.value();
    let error = |message: String| Err(syn::Error::new(literal.span(), message));
    match key {
        "engines" => {
            let names: Vec<&str> = value
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect();
            if names.is_empty() {
                return error(format!(
                    "`engines` names no engine; choose from: {}",
                    ENGINES.join(", ")
                ));
            }
            match names
                .iter()
                .find(|n| !ENGINES.contains(&n.to_ascii_lowercase().as_str()))
            {
                Some(unknown) => error(format!(
                    "unknown engine `{unknown}`; expected names from: {}",
                    ENGINES.join(", ")
                )),
                None => Ok(()),
            }
        }
        "expect" => {
            let kind = value.trim().to_ascii_lowercase().replace(['-', ' '], "_");
            if KINDS.contains(&kind.as_str()) {
                Ok(())
            } else {
                error(format!(
                    "unknown failure kind `{value}`; expected one of: {}",
                    KINDS.join(", ")
                ))
            }
        }
        "timeouts" => {
            let setting = value.trim().to_ascii_lowercase().replace(['-', ' '], "_");
            if TIMEOUTS.contains(&setting.as_str()) {
                Ok(())
            } else {
                error(format!(
                    "unknown timeouts setting `{value}`; expected one of: {}",
                    TIMEOUTS.join(", ")
                ))
            }
        }
        "stress_time" => match duration_ok(&value) {
            true => Ok(()),
            false => error(format!(
                "`{value}` is not a duration; write one like \"500ms\", \"2s\" or \"1m\""
            )),
        },
        _ => Ok(()),
    }
}

fn check_int(key: &str, literal: &LitInt) -> Result<u64, syn::Error> {
    let value: u64 = literal.base10_parse()?;
    if value == 0
        && matches!(
            key,
            "schedules" | "pct_depth" | "max_steps" | "stress_iterations"
        )
    {
        return Err(syn::Error::new(
            literal.span(),
            format!("`{key}` must be at least 1"),
        ));
    }
    Ok(value)
}

/// Whether `text` is a duration the runner reads: a number and `ms`, `s` or `m`.
fn duration_ok(text: &str) -> bool {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    number.parse::<f64>().is_ok_and(|n| n.is_finite())
        && matches!(unit.trim(), "ms" | "s" | "m" | "min")
}
