//! The macro's arguments: the folder, then `layout = "…"`, `engine = "…"`
//! and the lint's `deny = [...]`, `warn = [...]`, `allow = [...]`.

use migrate_runtime::{Engine, Layout, Rule, ScanOptions, Severity};
use syn::parse::{Parse, ParseStream};
use syn::{bracketed, Ident, LitStr, Token};

/// What the macro was given.
pub(crate) struct Args {
    pub(crate) lit: LitStr,
    layout: Option<Layout>,
    engine: Option<Engine>,
    severities: Vec<(Rule, Severity)>,
}

impl Args {
    /// The scan's options: `migrate.toml`'s (`base`), the arguments over
    /// them.
    pub(crate) fn options(&self, base: Option<&ScanOptions>) -> ScanOptions {
        let mut options = base.cloned().unwrap_or_default();
        if let Some(layout) = self.layout {
            options = options.layout(layout);
        }
        if let Some(engine) = self.engine {
            options = options.engine(engine);
        }
        for &(rule, severity) in &self.severities {
            options = options.severity(rule, severity);
        }
        options
    }
}

const KNOWN: &str = "the arguments after the folder are `layout = \"…\"`, `engine = \"…\"`, `deny = [\"rule\", …]`, `warn = [...]` and `allow = [...]`";

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lit: LitStr = input.parse()?;
        let mut args = Args {
            lit,
            layout: None,
            engine: None,
            severities: Vec::new(),
        };
        while input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "layout" => args.layout = Some(parsed(&input.parse()?)?),
                "engine" => args.engine = Some(parsed(&input.parse()?)?),
                name @ ("deny" | "warn" | "allow") => {
                    let severity: Severity =
                        name.parse().map_err(|e| syn::Error::new(key.span(), e))?;
                    let content;
                    bracketed!(content in input);
                    let rules = content.parse_terminated(|p| p.parse::<LitStr>(), Token![,])?;
                    for rule in rules {
                        args.severities.push((parsed(&rule)?, severity));
                    }
                }
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{key}`: {KNOWN}"),
                    ))
                }
            }
        }
        Ok(args)
    }
}

/// A string argument parsed, or an error at it.
fn parsed<T>(value: &LitStr) -> syn::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value
        .value()
        .parse()
        .map_err(|e| syn::Error::new(value.span(), e))
}
