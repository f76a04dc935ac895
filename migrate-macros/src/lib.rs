//! The `embed_migrations!` macro of `migrate`. Use it through the `migrate`
//! crate, which re-exports it:
//!
//! ```
//! // The path is relative to the crate's Cargo.toml.
//! static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("../migrations");
//!
//! for m in &MIGRATIONS {
//!     println!("{} {} {}", m.version(), m.name(), m.checksum());
//! }
//! assert_eq!(MIGRATIONS.get(1).map(|m| m.name()), Some("initial_schema"));
//! ```
//!
//! The macro is thin: it resolves the folder against the crate's manifest
//! directory, calls the runtime's scanner (the one `Migrations::from_dir`
//! uses at run time), reports every problem at once as a compile error at
//! the path literal, and otherwise emits the set as static data.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::{parse_macro_input, LitStr};

use args::Args;

mod args;
mod config;

/// Embeds and checks a migrations folder at build time.
///
/// The path is relative to the directory of the crate's `Cargo.toml`. The
/// folder's layout is told from its files (migrate's pairs, or diesel's,
/// sqlx's, dbmate's, goose's, refinery's, yoyo's folders); where two
/// layouts look alike, say which: `embed_migrations!("migrations", layout =
/// "golang-migrate")` (see `migrate::Layout` for the names). Every
/// file is read and validated (numbering, up/down pairs, names, UTF-8,
/// directives, SQL literals, what each statement does); any problem fails
/// the build with the file, the line and the rule.
///
/// The lint of lock and rewrite hazards warns by default (`migrate check`
/// prints it); `engine = "postgres"` or `"sqlite"` checks only that
/// engine's rules, and `deny = ["rule", …]`, `warn = [...]`, `allow = [...]`
/// set severities, over the `engine` and `[lint]` of a `migrate.toml`
/// beside `Cargo.toml` or in the workspace's root:
///
/// ```text
/// embed_migrations!("migrations", engine = "postgres", deny = ["index-without-concurrently"])
/// ```
///
/// Editing a file (or `migrate.toml`) rebuilds the crate; for a newly
/// added file to be noticed, add a one-line `build.rs`:
///
/// ```text
/// // build.rs
/// fn main() {
///     println!("cargo:rerun-if-changed=migrations");
/// }
/// ```
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let args = parse_macro_input!(input as Args);
    expand(&args)
        .unwrap_or_else(|e| {
            // Several `compile_error!`s are not an expression: wrap them in a
            // block that still has the right type, so that each problem is
            // reported once and nothing else is.
            let errors = e.into_compile_error();
            let shown = args.lit.value();
            quote! {{ #errors ::migrate::__private::migrations(#shown, &[], &[], "") }}
        })
        .into()
}

fn expand(args: &Args) -> syn::Result<TokenStream2> {
    let lit = &args.lit;
    let base = manifest_dir(lit)?;
    let dir = base.join(lit.value());
    // `migrate.toml` (beside Cargo.toml or above it) first, the arguments
    // over it.
    let found = config::read(&base, &dir, lit)?;
    let options = args.options(found.as_ref().map(|c| &c.options));
    let tracked = found.as_ref().map(|c| {
        let shown = c.path.to_string_lossy();
        quote! { const _: &[u8] = ::core::include_bytes!(#shown); }
    });
    let set = migrate_runtime::scan_with(&dir, &options).map_err(|e| {
        e.problems()
            .iter()
            .map(|p| syn::Error::new(lit.span(), p.display_relative_to(&base)))
            .reduce(|mut all, next| {
                all.combine(next);
                all
            })
            .unwrap_or_else(|| syn::Error::new(lit.span(), e.to_string()))
    })?;

    // A file whose text is its bytes is embedded with `include_str!`, which
    // also makes cargo rebuild when it changes; a normalised one (BOM, CR)
    // as a literal, tracked with an unused `include_bytes!`.
    let script = |file: &str, sql: &str| {
        let path = dir.join(file);
        let shown = path.to_string_lossy();
        if set.is_verbatim(&path) {
            quote! { ::core::include_str!(#shown) }
        } else {
            quote! { { const _: &[u8] = ::core::include_bytes!(#shown); #sql } }
        }
    };
    let items = set.migrations().iter().map(|m| {
        let version = m.version();
        let name = m.name();
        let checksum = m.checksum();
        let irreversible = m.irreversible();
        let up_file = m.up_file();
        let up_sql = script(up_file, m.up_sql());
        let directives = |down| {
            let (nt, lock, statement) = m.__embedded_directives(down);
            let ms = |t: Option<u64>| match t {
                Some(ms) => quote! { ::core::option::Option::Some(#ms) },
                None => quote! { ::core::option::Option::None },
            };
            let (lock, statement) = (ms(lock), ms(statement));
            let spans = spans(m.__embedded_statements(down));
            quote! { #nt, #lock, #statement, #spans }
        };
        if m.is_code() {
            return quote! {
                ::migrate::__private::code_marker(#version, #name, #up_file, #up_sql)
            };
        }
        let down = match (m.down_file(), m.down_sql()) {
            (Some(file), Some(sql)) => {
                let sql = script(file, sql);
                let d = directives(true);
                quote! { ::core::option::Option::Some((#file, #sql, #d)) }
            }
            _ => quote! { ::core::option::Option::None },
        };
        let up = directives(false);
        quote! {
            ::migrate::__private::migration(
                #version, #name, #checksum, #irreversible,
                (#up_file, #up_sql, #up), #down,
            )
        }
    });
    let seeds = set.seeds().iter().map(|s| {
        let (env, file, checksum) = (s.env(), s.file(), s.checksum());
        let sql = script(file, s.sql());
        let spans = spans(s.__embedded_statements());
        quote! { ::migrate::__private::seed(#env, #file, #sql, #checksum, #spans) }
    });
    let shown = lit.value();
    let digest = set.digest();
    Ok(quote! {
        {
            #tracked
            const MIGRATIONS: &[::migrate::__private::Migration] = &[#(#items),*];
            const SEEDS: &[::migrate::__private::Seed] = &[#(#seeds),*];
            ::migrate::__private::migrations(#shown, MIGRATIONS, SEEDS, #digest)
        }
    })
}

/// Statements' byte ranges as a static slice.
fn spans(spans: &[(usize, usize)]) -> TokenStream2 {
    let pairs = spans.iter().map(|(start, end)| quote! { (#start, #end) });
    quote! { &[#(#pairs),*] }
}

/// The directory paths are relative to: the crate's manifest directory.
/// `MIGRATE_MANIFEST_DIR_OVERRIDE` replaces it for the crate's own trybuild
/// tests, whose cases compile in a generated crate elsewhere.
fn manifest_dir(lit: &LitStr) -> syn::Result<PathBuf> {
    std::env::var_os("MIGRATE_MANIFEST_DIR_OVERRIDE")
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                "CARGO_MANIFEST_DIR is not set; build with cargo",
            )
        })
}
