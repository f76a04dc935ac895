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
    /// environment, hashed (so that a changed set gets a new template);
    /// and the name of the set's family, whose older templates a new one
    /// replaces: the folder as written and the first migration's version
    /// and name, so that two crates of a workspace whose sets both live in
    /// `migrations/` keep templates of their own.
    pub(crate) fn names(&self) -> (String, String) {
        let hex = |text: &str, n: usize| {
            let sum = migrate_runtime::checksum(text);
            sum.trim_start_matches("sha256:")[..n].to_owned()
        };
        let first = self
            .migrations
            .iter()
            .next()
            .map(|m| format!("{} {}", m.version(), m.name()))
            .unwrap_or_default();
        let family = format!(
            "migrate_tpl_{}",
            hex(&format!("{}\n{first}", self.migrations.dir()), 8)
        );
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

#[cfg(test)]
mod tests {
    use super::Template;
    use migrate_runtime::__private::{migration, migrations, Migration};

    const USERS: &[Migration] = &[migration(
        1,
        "users",
        "sha256:00",
        false,
        (
            "0001_users.up.sql",
            "CREATE TABLE users (id int);",
            false,
            None,
            None,
            &[(0, 28)],
        ),
        None,
    )];
    const USERS_EDITED: &[Migration] = &[migration(
        1,
        "users",
        "sha256:01",
        false,
        (
            "0001_users.up.sql",
            "CREATE TABLE users (id bigint);",
            false,
            None,
            None,
            &[(0, 31)],
        ),
        None,
    )];
    const ORDERS: &[Migration] = &[migration(
        1,
        "orders",
        "sha256:02",
        false,
        (
            "0001_orders.up.sql",
            "CREATE TABLE orders (id int);",
            false,
            None,
            None,
            &[(0, 29)],
        ),
        None,
    )];

    #[test]
    fn an_edited_set_replaces_its_template_and_another_crates_set_keeps_its_own() {
        let set = |items, digest| migrations("migrations", items, &[], digest);
        let (users, edited, orders) = (
            set(USERS, "sha256:a"),
            set(USERS_EDITED, "sha256:b"),
            set(ORDERS, "sha256:c"),
        );
        let [users, edited, orders] = [&users, &edited, &orders].map(|s| Template::new(s).names());
        assert_ne!(users.0, edited.0, "an edit makes a new template");
        assert_eq!(users.1, edited.1, "of the same family, which it replaces");
        assert_ne!(
            users.1, orders.1,
            "another crate's `migrations/` is another family"
        );
        assert!(users.0.starts_with(&format!("{}_", users.1)));
        let again = migrations("migrations", USERS, &[], "sha256:a");
        let seeded = Template::new(&again).seed("test");
        assert_ne!(
            seeded.template_name(),
            users.0,
            "seeds make a template of their own"
        );
        assert!(users.0.len() < 63, "a PostgreSQL identifier: {}", users.0);
    }
}
