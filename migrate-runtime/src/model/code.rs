//! Code migrations: Rust functions that run as migrations, between the SQL
//! ones, for steps that need logic (a backfill in batches, an object created
//! only when absent).
//!
//! A code migration takes its version in the migrations folder with a marker
//! file `NNNN_name.code` (its text is free: say what the code does), so that
//! the folder alone shows the sequence, the build checks numbering and
//! collisions, and a tool reading the folder sees where code runs. The
//! functions are registered at start-up with
//! [`Migrations::with_code`](crate::Migrations::with_code).

use std::fmt;
#[cfg(feature = "tokio-postgres")]
use std::future::Future;
#[cfg(feature = "tokio-postgres")]
use std::pin::Pin;
use std::sync::Arc;

use super::Engine;

/// The error a code migration returns: any error (a database error keeps
/// its SQLSTATE in the report).
pub type CodeError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[cfg(feature = "postgres")]
pub(crate) type PgTxFn =
    Arc<dyn Fn(&mut postgres::Transaction<'_>) -> Result<(), CodeError> + Send + Sync>;
#[cfg(feature = "postgres")]
pub(crate) type PgClientFn =
    Arc<dyn Fn(&mut postgres::Client) -> Result<(), CodeError> + Send + Sync>;
/// What an async code migration's function returns: its work, boxed so
/// that functions of any shape are stored alike, and `Send` so that the
/// run can be spawned on a multi-threaded runtime. Write the function as
/// `|tx| Box::pin(async move { … })`.
#[cfg(feature = "tokio-postgres")]
pub type CodeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), CodeError>> + Send + 'a>>;

#[cfg(feature = "tokio-postgres")]
pub(crate) type TokioTxFn = Arc<
    dyn for<'a, 'b> Fn(&'a mut tokio_postgres::Transaction<'b>) -> CodeFuture<'a> + Send + Sync,
>;
#[cfg(feature = "tokio-postgres")]
pub(crate) type TokioClientFn =
    Arc<dyn for<'a> Fn(&'a mut tokio_postgres::Client) -> CodeFuture<'a> + Send + Sync>;
#[cfg(feature = "sqlite")]
pub(crate) type LiteTxFn =
    Arc<dyn Fn(&rusqlite::Transaction<'_>) -> Result<(), CodeError> + Send + Sync>;
#[cfg(feature = "sqlite")]
pub(crate) type LiteConnFn =
    Arc<dyn Fn(&mut rusqlite::Connection) -> Result<(), CodeError> + Send + Sync>;

/// The up function for one database: in the runner's transaction, or on the
/// connection itself (no transaction).
#[derive(Clone)]
pub(crate) enum Up<Tx, Conn> {
    InTransaction(Tx),
    Outside(Conn),
}

/// The client a code migration's functions take. A driver runs the
/// functions registered for its own client: a `postgres::Transaction` is
/// not a `tokio_postgres::Transaction`, though both are PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeApi {
    /// `postgres` (sync).
    Postgres,
    /// `tokio-postgres` (async).
    TokioPostgres,
    /// `rusqlite`.
    Sqlite,
}

impl CodeApi {
    /// The sync client of `engine`: what its sync drivers take.
    pub(crate) fn sync(engine: Engine) -> CodeApi {
        match engine {
            Engine::Postgres => CodeApi::Postgres,
            Engine::Sqlite => CodeApi::Sqlite,
        }
    }

    /// The database.
    pub(crate) fn engine(self) -> Engine {
        match self {
            CodeApi::Postgres | CodeApi::TokioPostgres => Engine::Postgres,
            CodeApi::Sqlite => Engine::Sqlite,
        }
    }

    /// The client the functions receive, as a user names it.
    pub(crate) fn client(self) -> &'static str {
        match self {
            CodeApi::Postgres => "postgres::Client",
            CodeApi::TokioPostgres => "tokio_postgres::Client",
            CodeApi::Sqlite => "rusqlite::Connection",
        }
    }

    /// The `CodeMigration` method that registers an up function for it.
    pub(crate) fn method(self) -> &'static str {
        match self {
            CodeApi::Postgres => "postgres",
            CodeApi::TokioPostgres => "tokio_postgres",
            CodeApi::Sqlite => "sqlite",
        }
    }
}

/// A Rust migration: a version, a name, a code version and up (and
/// optionally down) functions for PostgreSQL, SQLite or both.
///
/// The up function receives the transaction the runner opened for the
/// migration (its tracking row commits with it), or, registered with
/// `*_no_transaction`, the connection itself, to commit in chunks. The
/// checksum is the code version (`code:<version>`): bump it when the code
/// changes, and an already applied migration is reported as drift, as an
/// edited SQL file would be.
///
/// ```no_run
/// # #[cfg(feature = "postgres")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use migrate_runtime::{CodeMigration, Migrations};
///
/// // migrations/0003_default_settings.code marks version 3.
/// let migrations = Migrations::from_dir("migrations")?.with_code([
///     CodeMigration::new(3, "default_settings", "1")
///         .postgres(|tx| {
///             if tx.query_opt("SELECT 1 FROM settings WHERE key = 'theme'", &[])?.is_none() {
///                 tx.execute("INSERT INTO settings (key, value) VALUES ('theme', 'light')", &[])?;
///             }
///             Ok(())
///         })
///         .postgres_down(|tx| {
///             tx.execute("DELETE FROM settings WHERE key = 'theme'", &[])?;
///             Ok(())
///         }),
/// ])?;
/// let mut client = postgres::Client::connect("host=localhost user=postgres", postgres::NoTls)?;
/// migrations.run(&mut client)?;
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "postgres"))]
/// # fn main() {}
/// ```
///
/// On `tokio-postgres` (feature `tokio-postgres`), the functions are
/// async: each returns its work as a [`CodeFuture`], written
/// `Box::pin(async move { … })`, and the runner awaits it.
#[derive(Clone)]
pub struct CodeMigration {
    pub(crate) version: u64,
    pub(crate) name: String,
    pub(crate) code_version: String,
    pub(crate) resumable: bool,
    #[cfg(feature = "postgres")]
    pub(crate) postgres: Option<Up<PgTxFn, PgClientFn>>,
    #[cfg(feature = "postgres")]
    pub(crate) postgres_down: Option<PgTxFn>,
    #[cfg(feature = "tokio-postgres")]
    pub(crate) tokio_postgres: Option<Up<TokioTxFn, TokioClientFn>>,
    #[cfg(feature = "tokio-postgres")]
    pub(crate) tokio_postgres_down: Option<TokioTxFn>,
    #[cfg(feature = "sqlite")]
    pub(crate) sqlite: Option<Up<LiteTxFn, LiteConnFn>>,
    #[cfg(feature = "sqlite")]
    pub(crate) sqlite_down: Option<LiteTxFn>,
}

impl CodeMigration {
    /// A code migration at `version` (its marker file is
    /// `<version>_<name>.code`), checksummed by `code_version`.
    #[must_use]
    pub fn new(version: u64, name: impl Into<String>, code_version: impl Into<String>) -> Self {
        CodeMigration {
            version,
            name: name.into(),
            code_version: code_version.into(),
            resumable: false,
            #[cfg(feature = "postgres")]
            postgres: None,
            #[cfg(feature = "postgres")]
            postgres_down: None,
            #[cfg(feature = "tokio-postgres")]
            tokio_postgres: None,
            #[cfg(feature = "tokio-postgres")]
            tokio_postgres_down: None,
            #[cfg(feature = "sqlite")]
            sqlite: None,
            #[cfg(feature = "sqlite")]
            sqlite_down: None,
        }
    }

    /// The up function on PostgreSQL, inside the migration's transaction.
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn postgres(
        mut self,
        up: impl Fn(&mut postgres::Transaction<'_>) -> Result<(), CodeError> + Send + Sync + 'static,
    ) -> Self {
        self.postgres = Some(Up::InTransaction(Arc::new(up)));
        self
    }

    /// The up function on PostgreSQL, outside any transaction: it gets the
    /// client and commits as it goes (a batched backfill). The tracking row
    /// is marked `in_progress` while it runs, as for a no-transaction SQL
    /// migration.
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn postgres_no_transaction(
        mut self,
        up: impl Fn(&mut postgres::Client) -> Result<(), CodeError> + Send + Sync + 'static,
    ) -> Self {
        self.postgres = Some(Up::Outside(Arc::new(up)));
        self
    }

    /// The down function on PostgreSQL, inside the rollback's transaction.
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn postgres_down(
        mut self,
        down: impl Fn(&mut postgres::Transaction<'_>) -> Result<(), CodeError> + Send + Sync + 'static,
    ) -> Self {
        self.postgres_down = Some(Arc::new(down));
        self
    }

    /// The up function on PostgreSQL through `tokio-postgres`, inside the
    /// migration's transaction: what [`Runner::run_async`](crate::Runner::run_async)
    /// and the other async methods run. The function returns its work as
    /// a boxed future that borrows the transaction.
    ///
    /// ```no_run
    /// # #[cfg(feature = "tokio-postgres")]
    /// # async fn boot(client: &mut tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use migrate_runtime::{CodeMigration, Migrations};
    ///
    /// let migrations = Migrations::from_dir("migrations")?.with_code([
    ///     CodeMigration::new(3, "default_settings", "1")
    ///         .tokio_postgres(|tx| {
    ///             Box::pin(async move {
    ///                 tx.execute("INSERT INTO settings (key, value) VALUES ('theme', 'light')", &[])
    ///                     .await?;
    ///                 Ok(())
    ///             })
    ///         })
    ///         .tokio_postgres_down(|tx| {
    ///             Box::pin(async move {
    ///                 tx.execute("DELETE FROM settings WHERE key = 'theme'", &[]).await?;
    ///                 Ok(())
    ///             })
    ///         }),
    /// ])?;
    /// migrations.run_async(client).await?;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tokio-postgres")]
    #[must_use]
    pub fn tokio_postgres<F>(mut self, up: F) -> Self
    where
        F: for<'a, 'b> Fn(&'a mut tokio_postgres::Transaction<'b>) -> CodeFuture<'a>
            + Send
            + Sync
            + 'static,
    {
        self.tokio_postgres = Some(Up::InTransaction(Arc::new(up)));
        self
    }

    /// The up function on PostgreSQL through `tokio-postgres`, outside any
    /// transaction: it gets the client and commits as it goes (a batched
    /// backfill), marked `in_progress` while it runs.
    #[cfg(feature = "tokio-postgres")]
    #[must_use]
    pub fn tokio_postgres_no_transaction<F>(mut self, up: F) -> Self
    where
        F: for<'a> Fn(&'a mut tokio_postgres::Client) -> CodeFuture<'a> + Send + Sync + 'static,
    {
        self.tokio_postgres = Some(Up::Outside(Arc::new(up)));
        self
    }

    /// The down function on PostgreSQL through `tokio-postgres`, inside
    /// the rollback's transaction.
    #[cfg(feature = "tokio-postgres")]
    #[must_use]
    pub fn tokio_postgres_down<F>(mut self, down: F) -> Self
    where
        F: for<'a, 'b> Fn(&'a mut tokio_postgres::Transaction<'b>) -> CodeFuture<'a>
            + Send
            + Sync
            + 'static,
    {
        self.tokio_postgres_down = Some(Arc::new(down));
        self
    }

    /// The up function on SQLite, inside the migration's transaction.
    #[cfg(feature = "sqlite")]
    #[must_use]
    pub fn sqlite(
        mut self,
        up: impl Fn(&rusqlite::Transaction<'_>) -> Result<(), CodeError> + Send + Sync + 'static,
    ) -> Self {
        self.sqlite = Some(Up::InTransaction(Arc::new(up)));
        self
    }

    /// The up function on SQLite, outside any transaction: it gets the
    /// connection and commits as it goes.
    #[cfg(feature = "sqlite")]
    #[must_use]
    pub fn sqlite_no_transaction(
        mut self,
        up: impl Fn(&mut rusqlite::Connection) -> Result<(), CodeError> + Send + Sync + 'static,
    ) -> Self {
        self.sqlite = Some(Up::Outside(Arc::new(up)));
        self
    }

    /// The down function on SQLite, inside the rollback's transaction.
    #[cfg(feature = "sqlite")]
    #[must_use]
    pub fn sqlite_down(
        mut self,
        down: impl Fn(&rusqlite::Transaction<'_>) -> Result<(), CodeError> + Send + Sync + 'static,
    ) -> Self {
        self.sqlite_down = Some(Arc::new(down));
        self
    }

    /// Declares that the no-transaction up function can be run again after
    /// it was interrupted, carrying on where it stopped (a backfill that
    /// only updates rows not yet done). A run that finds it marked
    /// `in_progress` or `failed` then runs it again instead of refusing
    /// with [`Error::HalfApplied`](crate::Error::HalfApplied).
    #[must_use]
    pub fn resumable(mut self) -> Self {
        self.resumable = true;
        self
    }

    /// The version.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The code version the checksum is made of.
    #[must_use]
    pub fn code_version(&self) -> &str {
        &self.code_version
    }

    /// The checksum recorded when applied: `code:<code version>`.
    pub(crate) fn checksum(&self) -> String {
        format!("code:{}", self.code_version)
    }

    /// Which clients have an up function, and whether each runs outside a
    /// transaction.
    fn modes(&self) -> Vec<(CodeApi, bool)> {
        #[allow(unused_mut)]
        let mut modes = Vec::new();
        #[cfg(feature = "postgres")]
        if let Some(up) = &self.postgres {
            modes.push((CodeApi::Postgres, matches!(up, Up::Outside(_))));
        }
        #[cfg(feature = "tokio-postgres")]
        if let Some(up) = &self.tokio_postgres {
            modes.push((CodeApi::TokioPostgres, matches!(up, Up::Outside(_))));
        }
        #[cfg(feature = "sqlite")]
        if let Some(up) = &self.sqlite {
            modes.push((CodeApi::Sqlite, matches!(up, Up::Outside(_))));
        }
        modes
    }

    /// Whether an up function is registered for this client.
    pub(crate) fn runs_on(&self, api: CodeApi) -> bool {
        self.modes().iter().any(|&(a, _)| a == api)
    }

    /// Another client of the same database that has an up function, when
    /// `api` has none: what a refusal names.
    pub(crate) fn runs_on_other_client(&self, api: CodeApi) -> Option<CodeApi> {
        self.modes()
            .iter()
            .map(|&(a, _)| a)
            .find(|&a| a != api && a.engine() == api.engine())
    }

    /// Whether a down function is registered for this client.
    pub(crate) fn has_down_for(&self, api: CodeApi) -> bool {
        match api {
            #[cfg(feature = "postgres")]
            CodeApi::Postgres => self.postgres_down.is_some(),
            #[cfg(feature = "tokio-postgres")]
            CodeApi::TokioPostgres => self.tokio_postgres_down.is_some(),
            #[cfg(feature = "sqlite")]
            CodeApi::Sqlite => self.sqlite_down.is_some(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Whether the up functions run outside a transaction.
    pub(crate) fn no_transaction(&self) -> bool {
        self.modes().iter().any(|&(_, outside)| outside)
    }

    /// Whether a down function exists for some database.
    pub(crate) fn has_down(&self) -> bool {
        #[allow(unused_mut)]
        let mut any = false;
        #[cfg(feature = "postgres")]
        {
            any |= self.postgres_down.is_some();
        }
        #[cfg(feature = "tokio-postgres")]
        {
            any |= self.tokio_postgres_down.is_some();
        }
        #[cfg(feature = "sqlite")]
        {
            any |= self.sqlite_down.is_some();
        }
        any
    }

    /// What is wrong with the migration on its own, if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        let modes = self.modes();
        if self.code_version.trim().is_empty() {
            return Some("the code version must not be empty".to_owned());
        }
        if modes.is_empty() {
            return Some("no up function is registered".to_owned());
        }
        if modes.iter().any(|m| m.1) && modes.iter().any(|m| !m.1) {
            return Some(
                "its up functions mix a transaction and no transaction; use one mode for all databases"
                    .to_owned(),
            );
        }
        if self.resumable && !self.no_transaction() {
            return Some(
                "only a no-transaction migration can be resumable (a transactional one never stops halfway)"
                    .to_owned(),
            );
        }
        #[cfg(feature = "postgres")]
        if self.postgres_down.is_some() && self.postgres.is_none() {
            return Some("a PostgreSQL down function without a PostgreSQL up function".to_owned());
        }
        #[cfg(feature = "tokio-postgres")]
        if self.tokio_postgres_down.is_some() && self.tokio_postgres.is_none() {
            return Some(
                "a tokio-postgres down function without a tokio-postgres up function".to_owned(),
            );
        }
        #[cfg(feature = "sqlite")]
        if self.sqlite_down.is_some() && self.sqlite.is_none() {
            return Some("a SQLite down function without a SQLite up function".to_owned());
        }
        None
    }
}

impl fmt::Debug for CodeMigration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeMigration")
            .field("version", &self.version)
            .field("name", &self.name)
            .field("code_version", &self.code_version)
            .field("resumable", &self.resumable)
            .field("databases", &self.modes())
            .finish_non_exhaustive()
    }
}

/// Two code migrations are equal when they are the same registration
/// (functions cannot be compared).
impl PartialEq for CodeMigration {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.name == other.name
            && self.code_version == other.code_version
            && self.resumable == other.resumable
            && self.modes() == other.modes()
    }
}

impl Eq for CodeMigration {}
