//! Why a connection failed, naming the server and the sslmode (never the
//! connection string, which may hold a password), with the driver's error
//! as the source.

use std::fmt;
use std::time::Duration;

use super::SslMode;

/// A failed connection: the source of [`crate::Error::Database`] with the
/// context `connecting`.
#[derive(Debug)]
pub(super) struct ConnectError {
    /// `host:port`, each host of the list.
    pub(super) server: String,
    pub(super) mode: SslMode,
    pub(super) kind: Kind,
}

#[derive(Debug)]
pub(super) enum Kind {
    /// Nothing came back in time.
    TimedOut(Duration),
    /// The driver's error, with what it means in words when we know.
    Driver {
        error: postgres::Error,
        hint: Option<String>,
    },
    /// Both attempts of `prefer` or `allow` failed (the first with TLS
    /// when `first_tls`).
    Retried {
        first: Box<Kind>,
        first_tls: bool,
        second: Box<Kind>,
    },
}

impl Kind {
    /// The driver's error, explained for `mode` when we can; `trusted`
    /// says where the trusted roots came from.
    pub(super) fn driver(mode: SslMode, trusted: &str, error: postgres::Error) -> Self {
        let hint = hint(mode, trusted, &error);
        Kind::Driver { error, hint }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (sslmode={})", self.server, self.mode.as_str())?;
        match &self.kind {
            Kind::TimedOut(wait) => write!(f, ": {}", timed_out(*wait)),
            Kind::Driver {
                hint: Some(hint), ..
            } => write!(f, ": {hint}"),
            Kind::Driver { hint: None, .. } => Ok(()),
            // One source cannot hold both errors: both are in the text.
            Kind::Retried {
                first,
                first_tls,
                second,
            } => {
                let (one, two) = if *first_tls {
                    ("with TLS", "in plain text")
                } else {
                    ("in plain text", "with TLS")
                };
                write!(f, ": {one}: {}; then {two}: {}", full(first), full(second))
            }
        }
    }
}

fn timed_out(wait: Duration) -> String {
    format!(
        "no answer within {wait:?} (connect_timeout): the server accepted no connection or \
         never answered"
    )
}

/// A failed attempt with the driver's words.
fn full(kind: &Kind) -> String {
    match kind {
        Kind::TimedOut(wait) => timed_out(*wait),
        Kind::Driver { error, hint } => {
            let mut text = hint.as_ref().map_or_else(String::new, |h| format!("{h}: "));
            text.push_str(&error.to_string());
            let mut source = std::error::Error::source(error);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
        Kind::Retried { second, .. } => full(second),
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // Of two attempts, the last one's error (the text holds both).
        let mut kind = &self.kind;
        while let Kind::Retried { second, .. } = kind {
            kind = second;
        }
        match kind {
            Kind::Driver { error, .. } => Some(error),
            Kind::TimedOut(_) | Kind::Retried { .. } => None,
        }
    }
}

/// What a driver's error means for this sslmode, when the driver's own
/// words do not say it.
fn hint(mode: SslMode, trusted: &str, error: &postgres::Error) -> Option<String> {
    #[cfg(feature = "tls")]
    if let Some(words) = super::verify::explain(error, trusted) {
        return Some(words);
    }
    let _ = trusted;
    if let Some(db) = error.as_db_error() {
        let refused = db.code() == &postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION;
        // "SSL off" before PostgreSQL 12.
        let plain = db.message().contains("no encryption") || db.message().contains("SSL off");
        if refused && mode == SslMode::Disable && plain {
            return Some(
                "the server refuses unencrypted connections from here (pg_hba.conf: hostssl); \
                 use sslmode=require or stronger"
                    .to_owned(),
            );
        }
        return None;
    }
    if error_chain_mentions(error, "server does not support TLS") {
        return Some(format!(
            "the server does not accept TLS connections, which sslmode={} requires",
            mode.as_str()
        ));
    }
    None
}

fn error_chain_mentions(error: &postgres::Error, words: &str) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if e.to_string().contains(words) {
            return true;
        }
        next = e.source();
    }
    false
}
