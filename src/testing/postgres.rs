//! PostgreSQL test databases: the template built once per set under an
//! advisory lock (so that parallel test binaries share it), then one
//! `CREATE DATABASE … TEMPLATE` per test, dropped at the end.

use std::thread;
use std::time::Duration;

use super::template::{unique_name, Template};
use super::TestingError;
use crate::postgres::error::SqlState;
use crate::postgres::Client;
use crate::PgConnectOptions;

/// The advisory lock the template builders share (`migrtest`).
const LOCK_KEY: i64 = 0x6d69_6772_7465_7374;

/// How often a statement that found the template in use is tried: the
/// backend of a connection just closed can linger for a moment.
const IN_USE_TRIES: u32 = 50;

/// A database of the server `admin_url` names, by name, and whether its
/// server drops databases `WITH (FORCE)` (PostgreSQL 13+).
pub(crate) struct PgDatabase {
    pub(crate) admin_url: String,
    pub(crate) name: String,
    pub(crate) force: bool,
}

impl Template<'_> {
    /// A fresh database on the server of `admin_url` (any database the
    /// user can connect to and create databases from), cloned from the
    /// set's template: built on first use, by one process at a time, and
    /// again when the set or the seed environment changes (the older
    /// templates of the set are dropped then).
    ///
    /// # Errors
    /// [`TestingError::Migrate`] when connecting or the migration run
    /// fails (a failed build leaves no template); [`TestingError::Postgres`]
    /// when creating or cloning a database fails (the role needs
    /// `CREATEDB`).
    pub fn postgres(&self, admin_url: &str) -> Result<super::TestDatabase, TestingError> {
        let mut admin = connect(admin_url)?;
        let name = unique_name("migrate_test");
        let mut tries = 0;
        loop {
            let template = self.ensure_template(&mut admin, admin_url)?;
            let cloned = in_use_retry(|| {
                admin.batch_execute(&format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                ))
            });
            match cloned {
                // Replaced in between by a builder of a newer set of the
                // same family (another binary of the workspace, built
                // after an edit): built again.
                Err(e) if e.code() == Some(&SqlState::INVALID_CATALOG_NAME) && tries < 3 => {
                    tries += 1;
                }
                other => break other.map_err(pg("cloning the template database"))?,
            }
        }
        Ok(super::TestDatabase::postgres(PgDatabase {
            admin_url: admin_url.to_owned(),
            name,
            force: server_version(&mut admin)? >= 130_000,
        }))
    }

    /// As [`Template::postgres`], for async tests: the blocking work runs
    /// on tokio's blocking pool.
    ///
    /// # Errors
    /// As [`Template::postgres`].
    #[cfg(feature = "tokio-postgres")]
    pub async fn postgres_async(
        &self,
        admin_url: &str,
    ) -> Result<super::TestDatabase, TestingError> {
        let migrations = self.migrations.clone();
        let seed = self.seed.clone();
        let url = admin_url.to_owned();
        // A thread of its own, not tokio's blocking pool: the blocking
        // client starts a runtime, which a thread of the pool (inside the
        // test's runtime) may not.
        let work = thread::spawn(move || {
            Template {
                migrations: &migrations,
                seed,
            }
            .postgres(&url)
        });
        tokio::task::spawn_blocking(move || work.join())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| {
                Err(TestingError::Unsuitable(
                    "the thread making the test database panicked".to_owned(),
                ))
            })
    }

    /// The template's name, built first if it does not exist.
    fn ensure_template(&self, admin: &mut Client, admin_url: &str) -> Result<String, TestingError> {
        let (name, family) = self.names();
        admin
            .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
            .map_err(pg("waiting for the template lock"))?;
        let built = self.build_unless_there(admin, admin_url, &name, &family);
        let unlocked = admin.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]);
        built?;
        unlocked.map_err(pg("releasing the template lock"))?;
        Ok(name)
    }

    fn build_unless_there(
        &self,
        admin: &mut Client,
        admin_url: &str,
        name: &str,
        family: &str,
    ) -> Result<(), TestingError> {
        let exists = admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .map_err(pg("looking for the template database"))?
            .is_some();
        if exists {
            return Ok(());
        }
        // A name of this builder's own: builders connected to other
        // databases do not share the advisory lock (it is per database),
        // and the first to finish names the template.
        let building = unique_name(&format!("{name}_b"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .map_err(pg("creating the template database"))?;
        let applied = connect(&with_database(admin_url, &building))
            .and_then(|mut client| self.apply(&mut client).map_err(TestingError::from));
        let drop_build = |admin: &mut Client| {
            let _ = in_use_retry(|| {
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{building}\""))
            });
        };
        if let Err(e) = applied {
            drop_build(admin);
            return Err(e);
        }
        let renamed = in_use_retry(|| {
            admin.batch_execute(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
        });
        match renamed {
            Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => {
                drop_build(admin);
                return Ok(());
            }
            other => other.map_err(pg("naming the template database"))?,
        }
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{name}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            ))
            .map_err(pg("marking the template database"))?;
        // The set's older templates (another digest or seed environment).
        let older = admin
            .query(
                "SELECT datname FROM pg_database \
                 WHERE datistemplate AND starts_with(datname, $1) AND datname <> $2",
                &[&format!("{family}_"), &name],
            )
            .map_err(pg("listing older templates"))?;
        for row in older {
            let old: String = row.get(0);
            // Two messages: DROP DATABASE refuses to run in the implicit
            // transaction of a multi-statement one. A template still being
            // cloned by another test stays; the next build drops it.
            let unmarked =
                admin.batch_execute(&format!("ALTER DATABASE \"{old}\" WITH IS_TEMPLATE false"));
            if unmarked.is_ok() {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{old}\""));
            }
        }
        Ok(())
    }
}

impl super::TestDatabase {
    /// An empty database on the server of `admin_url`, dropped with the
    /// value: a scratch database for [`check_reversible`](super::check_reversible).
    ///
    /// # Errors
    /// [`TestingError::Migrate`] when connecting fails;
    /// [`TestingError::Postgres`] when the database cannot be created.
    pub fn postgres_scratch(admin_url: &str) -> Result<Self, TestingError> {
        let mut admin = connect(admin_url)?;
        let name = unique_name("migrate_scratch");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(pg("creating the scratch database"))?;
        Ok(super::TestDatabase::postgres(PgDatabase {
            admin_url: admin_url.to_owned(),
            name,
            force: server_version(&mut admin)? >= 130_000,
        }))
    }
}

impl PgDatabase {
    /// Drops the database, on a thread of its own (the blocking client
    /// cannot run inside an async test's runtime).
    pub(crate) fn drop_database(&self) {
        let (url, name, force) = (self.admin_url.clone(), self.name.clone(), self.force);
        let dropped = thread::spawn(move || -> Result<(), TestingError> {
            let mut admin = connect(&url)?;
            let force = if force { " WITH (FORCE)" } else { "" };
            in_use_retry(|| {
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\"{force}"))
            })
            .map_err(pg("dropping the test database"))
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("migrate::testing: {e}; drop database {} by hand", self.name);
        }
    }
}

/// A blocking connection to `url`.
pub(crate) fn connect(url: &str) -> Result<Client, TestingError> {
    let options = PgConnectOptions::parse(url)?;
    Ok(options.connect()?)
}

/// `url` naming database `name` instead: a `postgres://` URL's path
/// replaced, or `dbname=` appended to `key=value` settings (the last one
/// wins).
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let url = url.trim();
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return format!("{url} dbname={name}");
    };
    let scheme = &url[..url.len() - rest.len()];
    let (before_query, query) = match rest.find('?') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = before_query.split('/').next().unwrap_or_default();
    format!("{scheme}{authority}/{name}{query}")
}

fn server_version(admin: &mut Client) -> Result<i32, TestingError> {
    let row = admin
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(pg("reading the server's version"))?;
    Ok(row.get(0))
}

/// Runs `statement` again while the database it needs is in use by a
/// backend about to exit (SQLSTATE 55006).
fn in_use_retry(
    mut statement: impl FnMut() -> Result<(), crate::postgres::Error>,
) -> Result<(), crate::postgres::Error> {
    let mut tries = 0;
    loop {
        match statement() {
            Err(e) if e.code() == Some(&SqlState::OBJECT_IN_USE) && tries < IN_USE_TRIES => {
                tries += 1;
                thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn pg(doing: &'static str) -> impl Fn(crate::postgres::Error) -> TestingError {
    move |source| TestingError::Postgres { doing, source }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn urls_name_another_database() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/test?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
        assert_eq!(with_database("postgres://h/", "x"), "postgres://h/x");
        assert_eq!(
            with_database("host=h user=u dbname=test", "x"),
            "host=h user=u dbname=test dbname=x"
        );
    }
}
