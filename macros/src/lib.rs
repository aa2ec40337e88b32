//! The `#[tapestry::test]` attribute. Use it through the `tapestry` crate, which documents it.
//!
//! The macro only checks and passes on what the attribute says; every run-time decision (knobs,
//! budgets, saved schedules) is made by `tapestry`'s runner when the test runs.

mod args;
mod select;
mod tokio_args;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, ItemFn};

/// Makes a `#[test]` that runs the function's body under tapestry's engines.
#[proc_macro_attribute]
pub fn test(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand(args.into(), item.into()).into()
}

/// The expansion of `tapestry::tokio::select!`, which passes its `$crate` first.
#[doc(hidden)]
#[proc_macro]
pub fn select_impl(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    select::expand(input.into()).into()
}

/// `#[tokio::test]` of the crate `tapestry-tokio` (a drop-in renamed to `tokio`): tokio's
/// arguments mapped to tapestry's, expanded against `::tokio::__tapestry`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn tokio_test(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    let root = quote!(::tokio::__tapestry);
    match tokio_args::translate(args.into()) {
        Ok((args, paused)) => {
            let item = if paused {
                paused_first(item.into(), &root)
            } else {
                item.into()
            };
            expand_with(args, item, &root).into()
        }
        Err(error) => with_errors(vec![error], item.into()).into(),
    }
}

/// `item`, a test function, with `tokio::time::pause()` as its first statement
/// (`start_paused = true`); as it was if it is no function (`expand_with` says so).
fn paused_first(item: TokenStream, root: &TokenStream) -> TokenStream {
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(mut function) => {
            let pause: syn::Stmt = syn::parse_quote!(#root::tokio::time::pause(););
            function.block.stmts.insert(0, pause);
            quote!(#function)
        }
        Err(_) => item,
    }
}

fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_with(args, item, &quote!(::tapestry))
}

/// The expansion, naming the `tapestry` crate by `root`.
fn expand_with(args: TokenStream, item: TokenStream, root: &TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let args = args::parse(args, &mut errors);
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new(
                item.span(),
                "#[tapestry::test] goes on a function, like `#[tapestry::test] fn my_test() { ... }`",
            );
            errors.push(error);
            return with_errors(errors, item);
        }
    };
    check_signature(&function, &mut errors);
    let should_panic = check_attributes(&function.attrs, &mut errors);
    if !errors.is_empty() {
        // The function is still emitted, unchanged, so that editors keep understanding it.
        return with_errors(errors, item);
    }
    generate(&function, &args, should_panic, root)
}

fn with_errors(errors: Vec<syn::Error>, item: TokenStream) -> TokenStream {
    let errors = errors.into_iter().map(|e| e.to_compile_error());
    quote! { #(#errors)* #item }
}

fn check_signature(function: &ItemFn, errors: &mut Vec<syn::Error>) {
    let sig = &function.sig;
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new(
            sig.generics.span(),
            "a #[tapestry::test] function cannot be generic",
        ));
    }
    if !sig.inputs.is_empty() {
        errors.push(syn::Error::new(
            sig.inputs.span(),
            "a #[tapestry::test] function takes no arguments; create what the test needs inside it",
        ));
    }
}

/// Finds a second test attribute (an error) and `#[should_panic]` (which changes what a
/// failure means). Other attributes pass through.
fn check_attributes(attrs: &[Attribute], errors: &mut Vec<syn::Error>) -> bool {
    let mut should_panic = false;
    for attr in attrs {
        let path = attr.path();
        let last = path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if last == "test" {
            let written = quote!(#path).to_string().replace(' ', "");
            errors.push(syn::Error::new_spanned(
                attr,
                format!(
                    "remove `#[{written}]`: #[tapestry::test] already makes the function a test"
                ),
            ));
        }
        should_panic |= path.is_ident("should_panic");
    }
    should_panic
}

fn generate(
    function: &ItemFn,
    args: &args::Args,
    should_panic: bool,
    root: &TokenStream,
) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = function;
    let name = &sig.ident;
    let name_text = name.to_string();
    let output = &sig.output;
    let text = |key: &str| match args.str(key) {
        Some(literal) => quote!(::core::option::Option::Some(#literal)),
        None => quote!(::core::option::Option::None),
    };
    let number = |key: &str| match args.int(key) {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    let (engines, stress_time, expect) = (text("engines"), text("stress_time"), text("expect"));
    let timeouts = text("timeouts");
    let (schedules, seed, bound) = (
        number("schedules"),
        number("seed"),
        number("preemption_bound"),
    );
    let (depth, iterations, max_steps) = (
        number("pct_depth"),
        number("stress_iterations"),
        number("max_steps"),
    );
    let inversion_bound = number("inversion_bound");
    let workers = number("workers");
    let lock_order = match args.bool("lock_order") {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    let snapshot = args.bool("snapshot").unwrap_or(false);
    let take_snapshot = if snapshot {
        quote!(|trace: &str| #root::__private::insta::assert_snapshot!(#name_text, trace))
    } else {
        quote!(|_: &str| {})
    };
    let test_attr = quote_spanned!(sig.ident.span()=> #[::core::prelude::v1::test]);
    // An async body is the first task: run on the test's thread, its leftover tasks aborted
    // when it returns (as `#[tokio::test]`'s runtime does).
    let body = match sig.asyncness {
        Some(_) => quote!({ #root::future::__run_test(async move #block) }),
        None => quote!(#block),
    };
    quote! {
        #(#attrs)*
        #test_attr
        #vis fn #name() {
            fn __tapestry_body() #output #body
            #root::__private::run_test(
                &#root::__private::TestSpec {
                    module_path: ::core::module_path!(),
                    name: #name_text,
                    manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                    package: ::core::env!("CARGO_PKG_NAME"),
                    engines: #engines,
                    schedules: #schedules,
                    seed: #seed,
                    preemption_bound: #bound,
                    pct_depth: #depth,
                    inversion_bound: #inversion_bound,
                    stress_iterations: #iterations,
                    stress_time: #stress_time,
                    max_steps: #max_steps,
                    workers: #workers,
                    lock_order: #lock_order,
                    timeouts: #timeouts,
                    expect: #expect,
                    snapshot: #snapshot,
                    should_panic: #should_panic,
                    filter: ::core::option::Option::None,
                },
                || #root::__private::TestOutput::check(__tapestry_body()),
                &#take_snapshot,
            );
        }
    }
}
