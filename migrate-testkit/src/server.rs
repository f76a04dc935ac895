//! The PostgreSQL server of the tests.

use std::str::FromStr;

use migrate_runtime::postgres;
use postgres::config::Host;

/// The variable naming the server.
pub const VARIABLE: &str = "MIGRATE_TEST_PG";

/// The server when [`VARIABLE`] is not set.
pub const DEFAULT: &str = "host=127.0.0.1 port=5432 user=postgres";

/// Whether this is a CI run (`CI` set to anything but empty, `0` or
/// `false`): there, a missing server fails the tests instead of skipping
/// them.
#[must_use]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim();
        !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
    })
}

/// A PostgreSQL server: host, port, user, password and options, read from
/// a URL or a `key=value` string; any database name in it is replaced by
/// the one each test asks for.
#[derive(Clone)]
pub struct Server {
    config: postgres::Config,
}

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A TCP host and port.
    Tcp(String, u16),
    /// A Unix socket folder and the port naming the socket file.
    Unix(std::path::PathBuf, u16),
}

impl Server {
    /// The server of [`VARIABLE`], or [`DEFAULT`].
    ///
    /// # Panics
    /// When the variable is neither a `postgres://` URL nor a `key=value`
    /// string.
    #[must_use]
    pub fn from_env() -> Server {
        let text = std::env::var(VARIABLE).unwrap_or_else(|_| DEFAULT.to_owned());
        Server::parse(&text).unwrap_or_else(|e| panic!("{VARIABLE}: {e}"))
    }

    /// Reads a `postgres://` (or `postgresql://`) URL or a libpq
    /// `key=value` string.
    ///
    /// # Errors
    /// What the client's parser says of a malformed text.
    pub fn parse(text: &str) -> Result<Server, String> {
        let config = postgres::Config::from_str(text.trim())
            .map_err(|e| format!("not a postgres:// URL or a key=value connection string ({e})"))?;
        Ok(Server { config })
    }

    /// The client configuration for database `dbname`.
    #[must_use]
    pub fn config(&self, dbname: &str) -> postgres::Config {
        let mut config = self.config.clone();
        config.dbname(dbname);
        if config.get_user().is_none() {
            config.user(DEFAULT_USER);
        }
        config
    }

    /// Connects to database `dbname`.
    ///
    /// # Errors
    /// The client's error when the server cannot be reached.
    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, postgres::Error> {
        self.config(dbname).connect(postgres::NoTls)
    }

    /// The user the tests connect as.
    #[must_use]
    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or(DEFAULT_USER)
    }

    /// The password of the variable, if it has one.
    #[must_use]
    pub fn password(&self) -> Option<String> {
        self.config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// Where the server listens (the first host of the variable).
    #[must_use]
    pub fn address(&self) -> Address {
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        match self.config.get_hosts().first() {
            Some(Host::Tcp(host)) => Address::Tcp(host.clone(), port),
            #[cfg(unix)]
            Some(Host::Unix(path)) => Address::Unix(path.clone(), port),
            None => Address::Tcp("localhost".to_owned(), port),
        }
    }

    /// A `postgres://` URL of database `dbname`, with the variable's
    /// password if it has one.
    #[must_use]
    pub fn url(&self, dbname: &str) -> String {
        self.url_at(&self.address(), dbname, self.password().as_deref())
    }

    /// A `postgres://` URL of database `dbname` carrying `password` (which
    /// a server trusting its clients ignores).
    #[must_use]
    pub fn url_with_password(&self, dbname: &str, password: &str) -> String {
        self.url_at(&self.address(), dbname, Some(password))
    }

    /// A `postgres://` URL of database `dbname` on `address` (a proxy, say).
    pub(crate) fn url_at(&self, address: &Address, dbname: &str, password: Option<&str>) -> String {
        let mut url = format!("postgres://{}", encode(self.user()));
        if let Some(p) = password {
            url.push(':');
            url.push_str(&encode(p));
        }
        url.push('@');
        match address {
            Address::Tcp(host, port) if host.contains(':') => {
                url.push_str(&format!("[{host}]:{port}"));
            }
            Address::Tcp(host, port) => url.push_str(&format!("{host}:{port}")),
            Address::Unix(dir, port) => {
                url.push_str(&format!("{}:{port}", encode(&dir.display().to_string())));
            }
        }
        url.push('/');
        url.push_str(&encode(dbname));
        let mut query = Vec::new();
        if let Some(options) = self.config.get_options() {
            query.push(format!("options={}", encode(options)));
        }
        if let Some(name) = self.config.get_application_name() {
            query.push(format!("application_name={}", encode(name)));
        }
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }
}

const DEFAULT_USER: &str = "postgres";

/// Percent-encodes everything but the unreserved characters of RFC 3986.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_and_url_give_the_same_url() {
        let kv = Server::parse("host=db.internal port=6543 user=app password=s3cr/t").unwrap();
        let url = Server::parse("postgres://app:s3cr%2Ft@db.internal:6543/ignored").unwrap();
        for s in [&kv, &url] {
            assert_eq!(s.url("t1"), "postgres://app:s3cr%2Ft@db.internal:6543/t1");
            assert_eq!(s.config("t1").get_dbname(), Some("t1"));
            assert_eq!(s.password().as_deref(), Some("s3cr/t"));
            assert_eq!(s.address(), Address::Tcp("db.internal".to_owned(), 6543));
        }
        // The URL parses back to the same server.
        let again = Server::parse(&kv.url("t1")).unwrap();
        assert_eq!(again.config("t1").get_password(), Some(&b"s3cr/t"[..]));
    }

    #[test]
    fn defaults_and_a_password_for_the_cli() {
        let s = Server::parse(DEFAULT).unwrap();
        assert_eq!(s.url("x"), "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(
            s.url_with_password("x", "pw"),
            "postgres://postgres:pw@127.0.0.1:5432/x"
        );
        let bare = Server::parse("host=localhost").unwrap();
        assert_eq!(bare.url("x"), "postgres://postgres@localhost:5432/x");
        let options = Server::parse("host=h options='-c search_path=app'").unwrap();
        assert_eq!(
            options.url("x"),
            "postgres://postgres@h:5432/x?options=-c%20search_path%3Dapp"
        );
        assert!(Server::parse("host='unterminated").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_unix_socket_folder_is_percent_encoded() {
        let s = Server::parse("host=/var/run/postgresql port=5433 user=me").unwrap();
        let url = s.url("x");
        assert_eq!(url, "postgres://me@%2Fvar%2Frun%2Fpostgresql:5433/x");
        let back = Server::parse(&url).unwrap();
        assert_eq!(
            back.address(),
            Address::Unix("/var/run/postgresql".into(), 5433)
        );
    }
}
