//! Where the database is: `sqlite:PATH`, or PostgreSQL as a `postgres://`
//! URL or a libpq `key=value` string, read as libpq reads them by
//! [`PgConnectOptions`] (the driver's own parser for everything but
//! `sslmode`, `sslrootcert` and `connect_timeout`). The connection is
//! shown with its password replaced by `***`, and every spelling of the
//! password is handed to [`Out`](super::output::Out) to keep out of
//! everything written.

use std::time::Duration;

use crate::postgres;
use crate::postgres::config::Host;
use crate::{AnyConnection, Error, Migrations, PgConnectOptions};

use super::Failure;

/// A database to connect to, parsed from the text the user gave.
pub(crate) enum Target {
    /// A PostgreSQL server: its settings, and whether the text was a URL
    /// (else `key=value` settings).
    Postgres {
        options: Box<PgConnectOptions>,
        url: bool,
        secrets: Vec<String>,
    },
    /// A SQLite file: the URL as given (`sqlite:PATH`).
    Sqlite(String),
}

const FORMS: &str = "a postgres:// URL, a key=value connection string (host=… user=… dbname=…) \
                     or sqlite:PATH";

impl Target {
    /// Reads the text. Errors never show it: it may hold a password.
    pub(crate) fn parse(text: &str) -> Result<Target, Failure> {
        let text = text.trim();
        if let Some(path) = sqlite_path(text) {
            if path.split('?').next().unwrap_or_default().trim().is_empty() {
                return Err(Failure::usage(
                    "`sqlite:` names no file: write sqlite:PATH (sqlite:app.db, \
                     sqlite:/var/lib/app.db) or sqlite::memory:",
                ));
            }
            return Ok(Target::Sqlite(text.to_owned()));
        }
        let url = text.starts_with("postgres://") || text.starts_with("postgresql://");
        if !url {
            if let Some(scheme) = scheme(text) {
                return Err(Failure::usage(format!(
                    "the database URL starts with `{scheme}:`; it must be {FORMS}"
                )));
            }
            if !text.contains('=') {
                return Err(Failure::usage(format!("the database URL must be {FORMS}")));
            }
        }
        let options = PgConnectOptions::parse(text).map_err(|e| {
            let form = if url {
                "postgres:// URL"
            } else {
                "key=value connection string"
            };
            Failure::usage(format!("the database {form} is not valid: {}", reason(&e)))
        })?;
        if url {
            check_url(text)?;
        }
        let config = options.config();
        let mut secrets: Vec<String> = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .into_iter()
            .collect();
        if url {
            secrets.extend(raw_url_passwords(text));
        } else {
            secrets.extend(raw_key_value_passwords(text));
        }
        Ok(Target::Postgres {
            options: Box::new(options),
            url,
            secrets,
        })
    }

    /// The connection timeout of `migrate.toml`, unless the connection
    /// string sets `connect_timeout` (PostgreSQL; SQLite has none).
    pub(crate) fn default_connect_timeout(self, timeout: Option<Duration>) -> Target {
        match (self, timeout) {
            (
                Target::Postgres {
                    options,
                    url,
                    secrets,
                },
                Some(t),
            ) => Target::Postgres {
                options: Box::new(options.default_connect_timeout(t)),
                url,
                secrets,
            },
            (target, _) => target,
        }
    }

    /// The password, as parsed and as written, to keep out of the output.
    pub(crate) fn secrets(&self) -> Vec<String> {
        match self {
            Target::Postgres { secrets, .. } => secrets.clone(),
            Target::Sqlite(_) => Vec::new(),
        }
    }

    /// The database for messages, built from the parsed settings: the
    /// password is `***`.
    pub(crate) fn shown(&self) -> String {
        match self {
            Target::Postgres { options, url, .. } if *url => shown_url(options.config()),
            Target::Postgres { options, .. } => shown_key_value(options.config()),
            Target::Sqlite(url) => url.clone(),
        }
    }

    /// Connects. A read-only command on a SQLite file that does not exist
    /// reads an empty in-memory database instead of creating the file.
    /// Settings that cannot be honoured (a CA file that cannot be read,
    /// `verify-full` without a CA) are usage errors; a connection that
    /// fails or times out is a database error naming the server and the
    /// sslmode.
    /// PostgreSQL is reached with the client that suits `set`
    /// ([`PgConnectOptions::connect_for`]: a `TokioClient` unless its code
    /// migrations run on `postgres::Client` only).
    pub(crate) fn open(&self, read_only: bool, set: &Migrations) -> Result<AnyConnection, Failure> {
        let failed = |e: &Error| {
            let message = format!("cannot connect to {}: {}", self.shown(), reason(e));
            match e {
                Error::InvalidOption { .. } => Failure::usage(message),
                _ => Failure::failed(message),
            }
        };
        match self {
            Target::Postgres { options, .. } => options.connect_for(set).map_err(|e| failed(&e)),
            Target::Sqlite(url) if read_only => {
                AnyConnection::open_read_only(url).map_err(|e| failed(&e))
            }
            Target::Sqlite(url) => AnyConnection::open(url).map_err(|e| failed(&e)),
        }
    }

    /// One new connection for reading, waiting at most `wait` (or the
    /// connection's own timeout if shorter); `None` if there is none.
    pub(crate) fn reopen(&self, wait: Duration, set: &Migrations) -> Option<AnyConnection> {
        match self {
            Target::Postgres { options, .. } => {
                let wait = options.connect_timeout().map_or(wait, |t| t.min(wait));
                let options = (**options).clone().with_connect_timeout(Some(wait));
                options.connect_for(set).ok()
            }
            Target::Sqlite(_) => self.open(true, set).ok(),
        }
    }
}

/// The path of a `sqlite:PATH` or `sqlite://PATH` URL.
pub(crate) fn sqlite_path(text: &str) -> Option<&str> {
    text.strip_prefix("sqlite://")
        .or_else(|| text.strip_prefix("sqlite:"))
}

/// The scheme of a text that looks like a URL of another database.
fn scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// What went wrong, without the runtime's framing: an invalid setting's
/// reason, a database error's cause (the server, the sslmode and the
/// driver's words).
pub(crate) fn reason(e: &Error) -> String {
    match e {
        Error::InvalidOption { reason, .. } => reason.clone(),
        Error::Database {
            source, context, ..
        } if *context == "connecting" => chain(source.as_ref()),
        other => chain(other),
    }
}

/// The driver takes everything up to the URL's first `@` as the user and
/// password. Refuses a URL where that `@` cannot be the one before the
/// host (it is in the password, the path or a parameter), which the driver
/// would read as a different user, password and host — sending part of the
/// password to the DNS resolver.
fn check_url(text: &str) -> Result<(), Failure> {
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    let Some((credentials, after)) = rest.split_once('@') else {
        return Ok(());
    };
    let user = credentials.split(':').next().unwrap_or_default();
    let host = after.split(['/', '?']).next().unwrap_or_default();
    let query_before = credentials
        .split_once('?')
        .is_some_and(|(_, q)| q.contains('='));
    if user.contains(['/', '?']) || query_before || host.contains('@') {
        return Err(Failure::usage(
            "the database URL has an `@` that is not the one between the password and the \
             host: percent-encode `@` as %40 in the password, the database name and parameters \
             (and `/`, `?`, `:`, `%` as %2F, %3F, %3A, %25)",
        ));
    }
    Ok(())
}

/// The password as written in a URL: after the user, and in
/// `password=` parameters.
fn raw_url_passwords(text: &str) -> Vec<String> {
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    let mut found = Vec::new();
    if let Some((credentials, _)) = rest.split_once('@') {
        if let Some((_, password)) = credentials.split_once(':') {
            found.push(password.to_owned());
        }
    }
    if let Some((_, query)) = rest.split_once('?') {
        for pair in query.split('&') {
            if let Some(("password", value)) = pair.split_once('=') {
                found.push(value.to_owned());
            }
        }
    }
    found
}

/// The password as written in `key=value` settings: the value after
/// `password =`, quoted or not, escapes included.
fn raw_key_value_passwords(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("password") {
        rest = rest[at + "password".len()..].trim_start();
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let raw = match value.strip_prefix('\'') {
            Some(quoted) => {
                let mut end = quoted.len();
                let mut escaped = false;
                for (i, c) in quoted.char_indices() {
                    match c {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '\'' => {
                            end = i;
                            break;
                        }
                        _ => {}
                    }
                }
                &quoted[..end]
            }
            None => value.split(char::is_whitespace).next().unwrap_or_default(),
        };
        found.push(raw.to_owned());
        rest = value;
    }
    found
}

/// `postgres://user:***@host:port,…/dbname`.
fn shown_url(config: &postgres::Config) -> String {
    let mut shown = "postgres://".to_owned();
    if let Some(user) = config.get_user() {
        shown.push_str(&encode(user));
    }
    if config.get_password().is_some() {
        shown.push_str(":***");
    }
    if config.get_user().is_some() || config.get_password().is_some() {
        shown.push('@');
    }
    let hosts: Vec<String> = hosts(config)
        .into_iter()
        .map(|(host, port)| match host {
            HostText::Tcp(h) if h.contains(':') => format!("[{h}]:{port}"),
            HostText::Tcp(h) => format!("{}:{port}", encode(&h)),
            HostText::Unix(path) => format!("{}:{port}", encode(&path)),
        })
        .collect();
    shown.push_str(&hosts.join(","));
    if let Some(db) = config.get_dbname() {
        shown.push('/');
        shown.push_str(&encode(db));
    }
    shown
}

/// `host=… port=… user=… password=*** dbname=…`.
fn shown_key_value(config: &postgres::Config) -> String {
    let mut parts = Vec::new();
    let hosts = hosts(config);
    if !hosts.is_empty() {
        let names: Vec<String> = hosts
            .iter()
            .map(|(h, _)| match h {
                HostText::Tcp(h) | HostText::Unix(h) => h.clone(),
            })
            .collect();
        let ports: Vec<String> = hosts.iter().map(|(_, p)| p.to_string()).collect();
        parts.push(format!("host={}", quote(&names.join(","))));
        parts.push(format!("port={}", ports.join(",")));
    }
    if let Some(user) = config.get_user() {
        parts.push(format!("user={}", quote(user)));
    }
    if config.get_password().is_some() {
        parts.push("password=***".to_owned());
    }
    if let Some(db) = config.get_dbname() {
        parts.push(format!("dbname={}", quote(db)));
    }
    parts.join(" ")
}

enum HostText {
    Tcp(String),
    Unix(String),
}

/// Each host with its port (one port applies to every host; 5432 when
/// none is given).
fn hosts(config: &postgres::Config) -> Vec<(HostText, u16)> {
    let ports = config.get_ports();
    config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            let text = match host {
                Host::Tcp(h) => HostText::Tcp(h.clone()),
                #[cfg(unix)]
                Host::Unix(path) => HostText::Unix(path.display().to_string()),
            };
            (text, port)
        })
        .collect()
}

/// Percent-encodes all but the unreserved characters of RFC 3986.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `key=value` value, quoted when it has to be.
fn quote(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// An error with its causes: `postgres` keeps the reason in the source.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postgres(text: &str) -> (String, Vec<String>) {
        let target = Target::parse(text).unwrap_or_else(|f| panic!("{text}: {}", f.message));
        (target.shown(), target.secrets())
    }

    fn refused(text: &str) -> String {
        match Target::parse(text) {
            Ok(t) => panic!("{text} accepted as {}", t.shown()),
            Err(f) => f.message,
        }
    }

    #[test]
    fn every_form_is_read_by_the_driver_and_shown_without_its_password() {
        let cases = [
            (
                "postgres://app:s3cr%40t@db:5433/app",
                "postgres://app:***@db:5433/app",
                &["s3cr@t", "s3cr%40t"][..],
            ),
            (
                "postgresql://app@db/app?password=p%2Fw&sslmode=disable",
                "postgres://app:***@db:5432/app",
                &["p/w", "p%2Fw"],
            ),
            (
                "postgres://app:sl/ash?q@db/app",
                "postgres://app:***@db:5432/app",
                &["sl/ash?q"],
            ),
            (
                "host=db port=6543 user=app password='a b\\'c' dbname=app",
                "host=db port=6543 user=app password=*** dbname=app",
                &["a b'c", "a b\\'c"],
            ),
            (
                "host=/run/pg user=me password=pw",
                "host=/run/pg port=5432 user=me password=***",
                &["pw"],
            ),
            ("postgres://db/app", "postgres://db:5432/app", &[]),
        ];
        for (text, shown, secrets) in cases {
            let (s, found) = postgres(text);
            assert_eq!(s, shown, "{text}");
            for secret in secrets {
                assert!(found.iter().any(|f| f == secret), "{text}: {found:?}");
            }
        }
    }

    #[test]
    fn an_at_sign_the_driver_would_misread_is_refused_without_showing_the_url() {
        for text in [
            "postgres://app:p@Zq9@db/app",
            "postgres://db/app?password=p@Zq9",
            "postgres://db:5432/app?password=p@Zq9",
        ] {
            let message = refused(text);
            assert!(message.contains("%40"), "{message}");
            assert!(!message.contains("Zq9"), "{message}");
        }
        // An `@` in a parameter after the user's is read right.
        let (shown, secrets) = postgres("postgres://app@db/app?password=p@ss");
        assert_eq!(shown, "postgres://app:***@db:5432/app");
        assert!(secrets.contains(&"p@ss".to_owned()));
    }

    #[test]
    fn other_texts_are_refused_without_being_shown() {
        let m = refused("mysql://root:hunter2@db/app");
        assert!(
            m.starts_with("the database URL starts with `mysql:`"),
            "{m}"
        );
        assert!(!m.contains("hunter2"), "{m}");
        assert!(refused("app.db").contains("sqlite:PATH"));
        let m = refused("host=db password hunter2");
        assert!(
            m.contains("key=value connection string is not valid"),
            "{m}"
        );
        assert!(!m.contains("`h"), "{m}");
        assert!(matches!(
            Target::parse("sqlite:dev.db"),
            Ok(Target::Sqlite(u)) if u == "sqlite:dev.db"
        ));
    }
}
