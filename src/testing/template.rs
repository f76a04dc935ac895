//! [`Template`]: what a test database holds (the set, a seed environment)
//! and the names of the databases made from it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Migrations;

/// What every test database of a set starts with: the set applied, and
/// optionally a seed environment's files as fixtures. Built once per set
/// (per digest and seed environment) into a template, then copied for
/// each test.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations");
///
/// let db = migrate::testing::Template::new(&MIGRATIONS)
///     .seed("test")
///     .postgres("postgres://postgres@127.0.0.1/test")?;
/// let mut client = db.connect()?;
/// client.batch_execute("INSERT INTO users (email) VALUES ('a@example.com')")?;
/// // Dropped with `db`, also when the test panics.
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Template<'m> {
    pub(crate) migrations: &'m Migrations,
    pub(crate) seed: Option<String>,
}

impl<'m> Template<'m> {
    /// The set applied, no seeds.
    #[must_use]
    pub fn new(migrations: &'m Migrations) -> Self {
        Template {
            migrations,
            seed: None,
        }
    }

    /// Runs the seed files of `env` after the migrations (once, into the
    /// template).
    #[must_use]
    pub fn seed(mut self, env: impl Into<String>) -> Self {
        self.seed = Some(env.into());
        self
    }

    /// The template database's name (and the SQLite template file's
    /// stem), which changes with the set's digest and the seed
    /// environment: `migrate_tpl_<folder>_<content>`, hashed.
    #[must_use]
    pub fn template_name(&self) -> String {
        self.names().0
    }

    /// The template's name: the set's folder and digest and the seed
    /// environment, hashed (so that a changed set gets a new template),
    /// and the folder alone, which names the older templates of the set.
    pub(crate) fn names(&self) -> (String, String) {
        let hex = |text: &str, n: usize| {
            let sum = migrate_runtime::checksum(text);
            sum.trim_start_matches("sha256:")[..n].to_owned()
        };
        let family = format!("migrate_tpl_{}", hex(self.migrations.dir(), 8));
        let content = format!(
            "{}\n{}",
            self.migrations.digest(),
            self.seed.as_deref().unwrap_or("")
        );
        (format!("{family}_{}", hex(&content, 16)), family)
    }

    /// Applies the set, then the seed files, on `db` (the template being
    /// built, or a database migrated each time).
    pub(crate) fn apply<D: crate::Database + ?Sized>(
        &self,
        db: &mut D,
    ) -> Result<(), crate::Error> {
        let runner = self.migrations.runner();
        runner.run(db)?;
        if let Some(env) = &self.seed {
            runner.seed(db, env)?;
        }
        Ok(())
    }
}

/// A name no other test database has: the process, a counter and the
/// clock.
pub(crate) fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{n}_{nanos:08x}", std::process::id())
}
