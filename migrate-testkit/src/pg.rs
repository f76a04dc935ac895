//! A fresh PostgreSQL database per test.

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use migrate_runtime::{postgres, AnyConnection};

use crate::{in_ci, Proxy, Server};

/// A database created for one test and dropped (with `FORCE`) after it.
pub struct PgDb {
    server: Box<Server>,
    name: String,
}

impl PgDb {
    /// Creates a fresh database named after `test`, or returns `None`
    /// (printing `SKIPPED <test>` on stderr) when no server is reachable
    /// outside CI.
    ///
    /// # Panics
    /// In CI ([`in_ci`]) when no server is reachable; when the database
    /// cannot be created.
    #[must_use]
    pub fn create(test: &str) -> Option<PgDb> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let server = Server::from_env();
        let mut admin = match server.connect("postgres") {
            Ok(c) => c,
            Err(e) => {
                let e = chain(&e);
                assert!(
                    !in_ci(),
                    "PostgreSQL is required in CI but not reachable ({}): {e}",
                    crate::server::VARIABLE
                );
                // Straight to stderr, past the test harness's capture of
                // passing tests' output: a skip must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: PostgreSQL is not reachable ({e}); set {} to a postgres:// URL \
                     or a key=value string",
                    crate::server::VARIABLE
                );
                return None;
            }
        };
        let stem: String = test
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(30)
            .collect();
        let name = format!(
            "migrate_{stem}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("drop a leftover test database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        Some(PgDb {
            server: Box::new(server),
            name,
        })
    }

    /// The database's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server.
    #[must_use]
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// A `postgres://` URL of the database (with the password of
    /// `MIGRATE_TEST_PG`, if any).
    #[must_use]
    pub fn url(&self) -> String {
        self.server.url(&self.name)
    }

    /// A `postgres://` URL of the database carrying `password`: the
    /// password of `MIGRATE_TEST_PG` when it has one (it must be right),
    /// else `password` (which a trusting server ignores). Returns the URL
    /// and the password in it.
    #[must_use]
    pub fn url_with_password(&self, password: &str) -> (String, String) {
        let password = self
            .server
            .password()
            .unwrap_or_else(|| password.to_owned());
        (
            self.server.url_with_password(&self.name, &password),
            password,
        )
    }

    /// A new client of the database.
    ///
    /// # Panics
    /// When the connection fails.
    #[must_use]
    pub fn connect(&self) -> postgres::Client {
        self.server
            .connect(&self.name)
            .expect("connect to the test database")
    }

    /// A new connection to the database, opened from its URL.
    ///
    /// # Panics
    /// When the connection fails.
    #[must_use]
    pub fn open(&self) -> AnyConnection {
        AnyConnection::open(&self.url()).expect("open the test database from its URL")
    }

    /// A proxy in front of the server that counts the round trips of the
    /// connections made through [`Proxy::url`].
    #[must_use]
    pub fn proxy(&self) -> Proxy {
        Proxy::start(&self.server, &self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = self.server.connect("postgres") {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// An error and its sources, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}
