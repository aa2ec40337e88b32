//! `tapestry::tokio::select!`: waits on several futures and runs the handler of the first
//! whose output matches its pattern, dropping the others, as tokio's `select!`.
//!
//! Input (from the `select!` wrapper in `tapestry`, which passes its `$crate` first):
//! `krate; [biased;] pat = future [, if condition] => handler, ... [else => handler]`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Pat, Token};

struct Branch {
    pat: Pat,
    future: Expr,
    condition: Option<Expr>,
    handler: Expr,
}

struct Select {
    krate: TokenStream,
    biased: bool,
    branches: Vec<Branch>,
    otherwise: Option<Expr>,
}

impl Parse for Select {
    fn parse(input: ParseStream<'_>) -> syn::Result<Select> {
        let mut krate = TokenStream::new();
        while !input.peek(Token![;]) {
            let tree: proc_macro2::TokenTree = input.parse()?;
            krate.extend([tree]);
        }
        input.parse::<Token![;]>()?;
        let biased = input.peek(syn::Ident) && input.fork().parse::<syn::Ident>()? == "biased";
        if biased {
            input.parse::<syn::Ident>()?;
            input.parse::<Token![;]>()?;
        }
        let mut branches = Vec::new();
        let mut otherwise = None;
        while !input.is_empty() {
            if input.peek(Token![else]) {
                input.parse::<Token![else]>()?;
                input.parse::<Token![=>]>()?;
                otherwise = Some(handler(input)?);
                continue;
            }
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<Token![=]>()?;
            let future: Expr = input.parse()?;
            let condition = if input.peek(Token![,]) && input.peek2(Token![if]) {
                input.parse::<Token![,]>()?;
                input.parse::<Token![if]>()?;
                Some(input.parse()?)
            } else {
                None
            };
            input.parse::<Token![=>]>()?;
            let handler = handler(input)?;
            branches.push(Branch {
                pat,
                future,
                condition,
                handler,
            });
        }
        if branches.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "select! needs at least one branch: `pattern = future => handler,`",
            ));
        }
        Ok(Select {
            krate,
            biased,
            branches,
            otherwise,
        })
    }
}

/// A handler and the comma after it (optional after a block, as in a `match`).
fn handler(input: ParseStream<'_>) -> syn::Result<Expr> {
    // A block ends the handler, as in a `match` (else `{} (a, b) = f => ..` would parse as a
    // call).
    let handler: Expr = if input.peek(syn::token::Brace) {
        Expr::Block(input.parse()?)
    } else {
        input.parse()?
    };
    let block = matches!(handler, Expr::Block(_) | Expr::If(_) | Expr::Match(_));
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    } else if !block && !input.is_empty() {
        return Err(input.error("expected `,` after a select! branch's handler"));
    }
    Ok(handler)
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let select: Select = match syn::parse2(input) {
        Ok(select) => select,
        Err(error) => return error.to_compile_error(),
    };
    let Select {
        krate,
        biased,
        branches,
        otherwise,
    } = select;
    let count = branches.len();
    let types: Vec<_> = (0..count).map(|i| format_ident!("T{i}")).collect();
    let variants: Vec<_> = (0..count).map(|i| format_ident!("B{i}")).collect();
    let futures: Vec<_> = (0..count).map(|i| format_ident!("__future{i}")).collect();
    let indices: Vec<_> = (0..count).collect();
    let conditions = branches.iter().map(|b| match &b.condition {
        Some(condition) => quote!(!(#condition)),
        None => quote!(false),
    });
    let exprs = branches.iter().map(|b| &b.future);
    let written = branches.iter().map(|b| &b.future);
    let pats: Vec<_> = branches.iter().map(|b| &b.pat).collect();
    let handlers = branches.iter().map(|b| &b.handler);
    let otherwise = match otherwise {
        Some(handler) => quote!(#handler),
        None => quote!(::core::panic!(
            "all branches are disabled and there is no else branch"
        )),
    };
    quote! {{
        enum __Out<#(#types),*> { #(#variants(#types),)* Disabled }
        let mut __disabled: [bool; #count] = [#(#conditions),*];
        // Which branches last returned `Pending`: those a winner drops half done.
        let mut __waiting: [bool; #count] = [false; #count];
        // Where each of them waits, if tapestry's futures said.
        let mut __waiting_at: [::core::option::Option<&'static ::core::panic::Location<'static>>; #count] =
            [::core::option::Option::None; #count];
        // Each branch's future as written, for the trace.
        let __written: [&'static &'static str; #count] = [#(&::core::stringify!(#written)),*];
        let __out = {
            #(let mut #futures = ::core::pin::pin!(::core::future::IntoFuture::into_future(#exprs));)*
            ::core::future::poll_fn(|__cx| {
                let __start = #krate::tokio::__select_start(#count, #biased);
                let mut __pending = false;
                #[allow(clippy::modulo_one)]
                for __turn in 0..#count {
                    let __branch = (__start + __turn) % #count;
                    #(
                        if __branch == #indices && !__disabled[#indices] {
                            let (__poll, __at) = #krate::tokio::__select_poll(|| {
                                ::core::future::Future::poll(#futures.as_mut(), __cx)
                            });
                            match __poll {
                                ::core::task::Poll::Ready(__value) => {
                                    __disabled[#indices] = true;
                                    __waiting[#indices] = false;
                                    #[allow(unused_variables, unreachable_patterns)]
                                    match &__value {
                                        #pats => {
                                            for __other in 0..#count {
                                                if __waiting[__other] {
                                                    #krate::tokio::__select_dropped(
                                                        __other,
                                                        __written[__other],
                                                        __waiting_at[__other],
                                                    );
                                                }
                                            }
                                            return ::core::task::Poll::Ready(
                                                __Out::#variants(__value),
                                            );
                                        }
                                        _ => {}
                                    }
                                }
                                ::core::task::Poll::Pending => {
                                    __pending = true;
                                    __waiting[#indices] = true;
                                    __waiting_at[#indices] = __at;
                                }
                            }
                        }
                    )*
                }
                if __pending {
                    ::core::task::Poll::Pending
                } else {
                    ::core::task::Poll::Ready(__Out::Disabled)
                }
            })
            .await
        };
        #[allow(unreachable_patterns)]
        match __out {
            #(__Out::#variants(#pats) => #handlers,)*
            __Out::Disabled => #otherwise,
            _ => ::core::unreachable!("a select! branch's pattern matched its output once"),
        }
    }}
}
