//! Connecting to PostgreSQL from a connection string as libpq reads it:
//! `sslmode` (`disable`, `allow`, `prefer`, `require`, `verify-ca`,
//! `verify-full`), `sslrootcert` (a PEM file, or `system`) and a bounded
//! `connect_timeout`, on top of the driver's own parser for the rest.
//! TLS is rustls with the `ring` provider (feature `tls`).

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::{Host, SslMode as DriverSslMode};

use crate::model::Engine;
use crate::outcome::Error;

mod attempt;
mod connector;
mod error;
mod params;
#[cfg(feature = "tls")]
mod verify;

#[cfg(feature = "tls")]
pub(crate) use connector::for_cancel;
use connector::Connector;
use error::{ConnectError, Kind};

/// How long a connection attempt may take when the connection string sets
/// no `connect_timeout`: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A PostgreSQL connection string read as libpq reads it, ready to
/// connect: a `postgres://` URL or `key=value` settings, with libpq's
/// `sslmode` and `sslrootcert` and a bounded connection attempt.
///
/// - `sslmode`: `disable`; `allow` (plain, then TLS if the server refuses
///   it); `prefer`, the default (TLS, then plain if the server does not
///   offer TLS or refuses the TLS connection); `require` (TLS, the
///   certificate unchecked unless there is a CA, as in libpq);
///   `verify-ca` (the certificate's chain); `verify-full` (the chain and
///   the host name). Unix sockets never use TLS, whatever the mode.
/// - `sslrootcert`: a PEM file of CA certificates; `system` for the
///   platform's trusted roots (the mode then defaults to `verify-full`
///   and may not be weaker, as in libpq 16); without it,
///   `~/.postgresql/root.crt` when that file exists (libpq's default).
///   `verify-ca` and `verify-full` without any CA are refused before
///   connecting.
/// - `connect_timeout`: seconds for each host (`0` waits indefinitely);
///   [`DEFAULT_CONNECT_TIMEOUT`] when not given. It bounds the whole
///   attempt (TCP, TLS, authentication), which the driver alone does not.
///
/// TLS needs the `tls` feature; without it `require` and stronger modes
/// are refused and `prefer` connects in plain text.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use migrate_runtime::PgConnectOptions;
/// let options = PgConnectOptions::parse(
///     "postgres://app@db.internal/app?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem",
/// )?;
/// let mut client = options.connect()?;
/// # let _ = &mut client;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PgConnectOptions {
    config: postgres::Config,
    /// The same settings for the async client (the driver has no way from
    /// one type to the other, so the text is parsed for both).
    #[cfg(feature = "tokio-postgres")]
    async_config: tokio_postgres::Config,
    mode: SslMode,
    root: Root,
    wait: Wait,
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where the CA certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Root {
    /// `~/.postgresql/root.crt`, if it exists.
    Default,
    File(PathBuf),
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Unset,
    For(Duration),
    Forever,
}

impl From<Option<Duration>> for Wait {
    fn from(timeout: Option<Duration>) -> Self {
        match timeout {
            Some(d) if !d.is_zero() => Wait::For(d),
            _ => Wait::Forever,
        }
    }
}

impl SslMode {
    const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidOption {
        option: "database URL",
        reason: reason.into(),
    }
}

impl PgConnectOptions {
    /// Reads a `postgres://` URL or `key=value` settings.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the driver's parser refuses the text,
    /// for an unknown `sslmode`, `sslrootcert=system` with a mode weaker
    /// than `verify-full`, or a `connect_timeout` that is not a whole
    /// number of seconds. The message never quotes the text.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let split = params::split(text.trim());
        let config =
            postgres::Config::from_str(&split.driver).map_err(|e| invalid(parse_error(&e)))?;
        #[cfg(feature = "tokio-postgres")]
        let async_config = tokio_postgres::Config::from_str(&split.driver)
            .map_err(|e| invalid(parse_error(&e)))?;
        let root = match split.sslrootcert.as_deref() {
            None | Some("") => Root::Default,
            Some("system") => Root::System,
            Some(path) => Root::File(PathBuf::from(path)),
        };
        let mode = match split.sslmode.as_deref() {
            None if root == Root::System => SslMode::VerifyFull,
            None => SslMode::Prefer,
            Some(text) => *SslMode::ALL
                .iter()
                .find(|m| m.as_str() == text)
                .ok_or_else(|| {
                    invalid(format!(
                        "sslmode `{text}` is not one of disable, allow, prefer, require, \
                         verify-ca, verify-full"
                    ))
                })?,
        };
        if root == Root::System && mode != SslMode::VerifyFull {
            return Err(invalid(format!(
                "sslrootcert=system trusts every certificate the platform's roots sign, so it \
                 needs sslmode=verify-full, not sslmode={}",
                mode.as_str()
            )));
        }
        let wait = match split.connect_timeout.as_deref() {
            None => Wait::Unset,
            Some(text) => match text.trim().parse::<i64>() {
                Ok(secs) if secs > 0 => Wait::For(Duration::from_secs(secs.unsigned_abs())),
                Ok(_) => Wait::Forever,
                Err(_) => {
                    return Err(invalid(format!(
                        "connect_timeout `{text}` is not a whole number of seconds"
                    )))
                }
            },
        };
        Ok(PgConnectOptions {
            config,
            #[cfg(feature = "tokio-postgres")]
            async_config,
            mode,
            root,
            wait,
        })
    }

    /// The driver's settings (host, port, user, database, …) read from the
    /// text, without the ones read here (`sslmode`, `sslrootcert`,
    /// `connect_timeout`).
    #[must_use]
    pub fn config(&self) -> &postgres::Config {
        &self.config
    }

    /// How long a connection attempt may take for each host; `None` when
    /// it waits indefinitely (`connect_timeout=0`).
    #[must_use]
    pub fn connect_timeout(&self) -> Option<Duration> {
        match self.wait {
            Wait::Unset => Some(DEFAULT_CONNECT_TIMEOUT),
            Wait::For(d) => Some(d),
            Wait::Forever => None,
        }
    }

    /// Sets the connection timeout unless the text set one
    /// (`connect_timeout` in the text wins); zero waits indefinitely, as
    /// `connect_timeout=0` does.
    #[must_use]
    pub fn default_connect_timeout(mut self, timeout: Duration) -> Self {
        if self.wait == Wait::Unset {
            self.wait = Wait::from(Some(timeout));
        }
        self
    }

    /// Sets the connection timeout, whatever the text said; `None` (or
    /// zero) waits indefinitely.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.wait = Wait::from(timeout);
        self
    }

    /// Connects, with TLS as the sslmode asks, within the connection
    /// timeout (for each host of a list).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the sslmode cannot be honoured (a CA
    /// file that cannot be read, `verify-ca` or `verify-full` without any
    /// CA, TLS in a build without the `tls` feature); [`Error::Database`]
    /// when the connection fails, its source naming the server and the
    /// sslmode (never the password) and what went wrong: no answer within
    /// the timeout, a certificate that does not verify, a server that
    /// refuses TLS or plain text.
    pub fn connect(&self) -> Result<postgres::Client, Error> {
        self.establish(|ssl, tls| attempt::blocking(self, ssl, tls))
    }

    /// As [`PgConnectOptions::connect`], for a [`TokioClient`]: the
    /// async driver on a runtime of its own, whose waits for the server
    /// are bounded by the runner's clock (feature `tokio-postgres`). The
    /// attempt is bounded by the timeout as a whole, on that runtime.
    ///
    /// [`TokioClient`]: crate::TokioClient
    ///
    /// # Errors
    /// As [`PgConnectOptions::connect`]; [`Error::Io`] when the runtime
    /// cannot start.
    #[cfg(feature = "tokio-postgres")]
    pub fn connect_tokio(&self) -> Result<crate::TokioClient, Error> {
        let runtime = crate::backend::tokio_postgres::client_runtime()?;
        let (client, connection) =
            self.establish(|ssl, tls| Ok(attempt::on_runtime(self, &runtime, ssl, tls)))?;
        Ok(crate::TokioClient::from_parts(runtime, client, connection))
    }

    /// Connects with the client that suits `migrations`: a
    /// [`TokioClient`](crate::TokioClient), whose waits for the server are
    /// bounded by the runner's clock (a lock attempt the server does not
    /// answer ends the wait), unless a code migration of the set has
    /// PostgreSQL functions for `postgres::Client` only, which only the
    /// sync client runs. What a tool that runs any set (the CLI) connects
    /// with.
    ///
    /// # Errors
    /// As [`PgConnectOptions::connect_tokio`].
    #[cfg(feature = "tokio-postgres")]
    pub fn connect_for(
        &self,
        migrations: &crate::Migrations,
    ) -> Result<crate::AnyConnection, Error> {
        use crate::model::CodeApi;
        let sync_only = migrations
            .iter()
            .filter_map(|m| m.code())
            .any(|code| code.runs_on(CodeApi::Postgres) && !code.runs_on(CodeApi::TokioPostgres));
        if sync_only {
            self.connect().map(crate::AnyConnection::Postgres)
        } else {
            self.connect_tokio()
                .map(crate::AnyConnection::TokioPostgres)
        }
    }

    /// libpq's way to a connection, whatever the client: the first mode
    /// the sslmode asks for, and its fallback when the server refused it
    /// (`prefer` retries in plain text when the server refused the TLS
    /// connection or its handshake failed; `allow` retries with TLS when
    /// the server refused plain text). `attempt` makes one attempt in a
    /// mode, within the timeout.
    fn establish<C>(
        &self,
        attempt: impl Fn(DriverSslMode, Option<Connector>) -> Result<Result<C, Kind>, Error>,
    ) -> Result<C, Error> {
        let mode = self.effective_mode();
        let tls = self.connector(mode)?;
        let (first, fallback) = match mode {
            SslMode::Disable => (DriverSslMode::Disable, None),
            SslMode::Allow => (DriverSslMode::Disable, Some(DriverSslMode::Require)),
            SslMode::Prefer => (DriverSslMode::Prefer, Some(DriverSslMode::Disable)),
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                (DriverSslMode::Require, None)
            }
        };
        let failed = |kind| Error::Database {
            engine: Engine::Postgres,
            context: "connecting",
            source: Box::new(ConnectError {
                server: self.server(),
                mode,
                kind,
            }),
        };
        let error = match attempt(first, tls.clone())? {
            Ok(client) => return Ok(client),
            Err(kind) => kind,
        };
        let retry = match (&error, fallback) {
            (Kind::Driver { error, .. }, Some(next)) if tls.is_some() && refused(error, first) => {
                next
            }
            _ => return Err(failed(error)),
        };
        match attempt(retry, tls)? {
            Ok(client) => Ok(client),
            Err(second) => Err(failed(Kind::Retried {
                first: Box::new(error),
                first_tls: first != DriverSslMode::Disable,
                second: Box::new(second),
            })),
        }
    }

    /// The sslmode that applies: none over Unix sockets, as in libpq.
    fn effective_mode(&self) -> SslMode {
        let hosts = self.config.get_hosts();
        let unix_only = self.config.get_hostaddrs().is_empty()
            && !hosts.is_empty()
            && hosts.iter().all(|h| !matches!(h, Host::Tcp(_)));
        if unix_only {
            SslMode::Disable
        } else {
            self.mode
        }
    }

    /// How long one attempt may take in all: the timeout for each host of
    /// the list; `None` to wait indefinitely.
    fn attempt_bound(&self) -> Option<Duration> {
        let wait = self.connect_timeout()?;
        let hosts = self
            .config
            .get_hosts()
            .len()
            .max(self.config.get_hostaddrs().len())
            .max(1);
        Some(wait.saturating_mul(u32::try_from(hosts).unwrap_or(u32::MAX)))
    }

    /// The driver's error of an attempt, explained.
    fn driver_failure(&self, error: postgres::Error) -> Kind {
        Kind::driver(self.effective_mode(), &self.trusted(), error)
    }

    /// Where the trusted roots come from, for messages.
    fn trusted(&self) -> String {
        match &self.root {
            Root::File(path) => format!("the CA of sslrootcert ({})", path.display()),
            Root::System => "a root the platform trusts (sslrootcert=system)".to_owned(),
            Root::Default => "the CA of ~/.postgresql/root.crt".to_owned(),
        }
    }

    /// The hosts and ports, for messages.
    fn server(&self) -> String {
        let ports = self.config.get_ports();
        let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let addrs = self.config.get_hostaddrs();
        let hosts = self.config.get_hosts();
        let shown: Vec<String> = (0..hosts.len().max(addrs.len()))
            .map(|i| {
                let host = match hosts.get(i) {
                    Some(Host::Tcp(h)) => h.clone(),
                    #[cfg(unix)]
                    Some(Host::Unix(p)) => p.display().to_string(),
                    None => String::new(),
                };
                match addrs.get(i) {
                    Some(a) if host.is_empty() => format!("{a}:{}", port(i)),
                    Some(a) => format!("{host}:{} (address {a})", port(i)),
                    None => format!("{host}:{}", port(i)),
                }
            })
            .collect();
        if shown.is_empty() {
            "no host".to_owned()
        } else {
            shown.join(", ")
        }
    }
}

/// Whether the server refused the attempt (an error it sent, or a failed
/// TLS handshake when the attempt used TLS), so that libpq would retry
/// in the other mode.
fn refused(error: &postgres::Error, ssl: DriverSslMode) -> bool {
    if error.as_db_error().is_some() {
        return true;
    }
    #[cfg(feature = "tls")]
    if ssl != DriverSslMode::Disable {
        return verify::explain(error, "").is_some();
    }
    let _ = ssl;
    false
}

/// The driver's complaint about the text, without the character it found:
/// at a missing `=` that character may belong to a password.
fn parse_error(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    if let Some(at) = text.find(" but got `") {
        text.truncate(at);
    }
    text
}

/// Shows the server's settings, never the password.
impl std::fmt::Debug for PgConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConnectOptions")
            .field("server", &self.server())
            .field("user", &self.config.get_user())
            .field("dbname", &self.config.get_dbname())
            .field("sslmode", &self.mode.as_str())
            .field("sslrootcert", &self.root)
            .field("connect_timeout", &self.connect_timeout())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
