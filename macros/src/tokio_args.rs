//! `#[tokio::test]`'s arguments, as tapestry's: `flavor = "current_thread"` (tokio's default)
//! is one worker, `flavor = "multi_thread"` with `worker_threads = N` is `N` workers (4 if not
//! given, the model engines' `available_parallelism`); `start_paused = true` pauses the clock
//! first thing in the body, as tokio's runtime starts paused (the model engines' clock always
//! is; the stress engine, on real time, then says it cannot run the test). tapestry's own keys
//! pass through.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, Meta, Token};

/// The attribute's arguments as tapestry's, and whether the test starts with its clock paused.
pub(crate) fn translate(args: TokenStream) -> syn::Result<(TokenStream, bool)> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut multi_thread = false;
    let mut workers = None;
    let mut paused = false;
    let mut rest = Vec::new();
    for meta in metas {
        let key = meta.path().get_ident().map(ToString::to_string);
        let value = match &meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit { lit, .. }) => Some(lit.clone()),
                _ => None,
            },
            _ => None,
        };
        match (key.as_deref(), value) {
            (Some("flavor"), Some(Lit::Str(flavor))) => match flavor.value().as_str() {
                "current_thread" => multi_thread = false,
                "multi_thread" => multi_thread = true,
                other => {
                    return Err(syn::Error::new_spanned(
                        flavor,
                        format!(
                            "unknown flavor `{other}`; expected \"current_thread\" or \"multi_thread\""
                        ),
                    ));
                }
            },
            (Some("worker_threads"), Some(Lit::Int(n))) => workers = Some(n.base10_parse::<u64>()?),
            (Some("start_paused"), Some(Lit::Bool(value))) => paused = value.value,
            (Some(key), _) if !crate::args::key_list().split(", ").any(|k| k == key) => {
                return Err(syn::Error::new_spanned(
                    meta.path(),
                    format!(
                        "unknown argument `{key}`; expected one of tokio's: flavor, \
                         worker_threads, start_paused; or tapestry's: {}",
                        crate::args::key_list()
                    ),
                ));
            }
            _ => rest.push(meta),
        }
    }
    let workers = match (multi_thread, workers) {
        (false, _) => 1,
        (true, Some(n)) => n,
        (true, None) => 4,
    };
    Ok((quote!(workers = #workers #(, #rest)*), paused))
}
