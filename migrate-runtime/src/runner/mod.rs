//! The runner: the options of a run, and every operation on a database
//! (apply, rollback, baseline, repair, seed, status, history, dry runs).
//! It decides what to run; the backend's protocol runs it.
//!
//! Each operation is one private `async fn` over a driver; its public sync
//! method blocks on it and its `_async` twin awaits it (`operations!`).

use std::time::Duration;

use crate::backend::protocol::Session;
#[cfg(feature = "tokio-postgres")]
use crate::backend::AsyncDatabase;
use crate::backend::{Database, Driver};
use crate::model::{Migrations, Tracking};
use crate::outcome::{Error, Observer, Progress, Report};

/// The public methods of runner operations, in pairs over one body each:
/// `pub fn op, op_async(args) -> Out = body;` makes `op`, which blocks on
/// `self.body(driver, args)` (a sync connection's driver never makes it
/// wait), and `op_async`, which awaits it on the caller's runtime.
macro_rules! operations {
    ($(
        $(#[$doc:meta])*
        pub fn $sync:ident, $async_:ident($($arg:ident: $ty:ty),*) -> $out:ty = $body:ident;
    )+) => {
        impl $crate::Runner<'_> {
            $(
                $(#[$doc])*
                pub fn $sync<D: $crate::Database + ?Sized>(
                    &self,
                    db: &mut D
                    $(, $arg: $ty)*
                ) -> Result<$out, $crate::Error> {
                    $crate::backend::block_on($crate::runner::trace::operation(
                        stringify!($sync),
                        &self.table,
                        self.$body(&mut *db.driver() $(, $arg)*),
                    ))
                }

                #[doc = concat!(
                    "[`Runner::", stringify!($sync), "`] on an async client ",
                    "([`AsyncDatabase`](crate::AsyncDatabase)), awaited: the same operation, ",
                    "which waits for the database without blocking the runtime's thread."
                )]
                ///
                /// # Errors
                #[doc = concat!("As [`Runner::", stringify!($sync), "`].")]
                #[cfg(feature = "tokio-postgres")]
                pub async fn $async_<D: $crate::AsyncDatabase + ?Sized>(
                    &self,
                    db: &mut D
                    $(, $arg: $ty)*
                ) -> Result<$out, $crate::Error> {
                    $crate::runner::trace::operation(
                        stringify!($sync),
                        &self.table,
                        self.$body(&mut *db.async_driver() $(, $arg)*),
                    )
                    .await
                }
            )+
        }
    };
}

mod admin;
mod adopt;
mod apply;
mod check;
mod code;
mod inspect;
mod lock;
mod rollback;
mod seed;
mod stop;
#[cfg(test)]
mod tests;
mod trace;

pub use admin::Resolution;
pub use rollback::Rollback;
pub use stop::Stop;

/// The tracking table's default name; its event log is `<name>_events`.
pub const DEFAULT_TABLE: &str = "migrate_history";

/// How long a runner waits for another runner's lock by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(300);

/// The former name of [`DEFAULT_LOCK_WAIT`].
#[deprecated(note = "renamed DEFAULT_LOCK_WAIT")]
pub const DEFAULT_LOCK_TIMEOUT: Duration = DEFAULT_LOCK_WAIT;

/// Runs a set of migrations with options. Made by [`Migrations::runner`].
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
/// # #[cfg(feature = "postgres")] {
/// let mut client = postgres::Client::connect("host=localhost user=postgres", postgres::NoTls)?;
/// let report = migrations
///     .runner()
///     .schema("app")
///     .table("schema_history")
///     .lock_wait(std::time::Duration::from_secs(30))
///     .run(&mut client)?;
/// println!("{report}");
/// # }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Runner<'a> {
    migrations: &'a Migrations,
    schema: Option<String>,
    table: String,
    lock_wait: Duration,
    target: Option<u64>,
    out_of_order: Policy,
    unknown_applied: Policy,
    ddl_lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    lock_retries: u32,
    retry_backoff: Duration,
    observer: Watcher,
    slow_threshold: Option<Duration>,
    stop: Option<Stop>,
    adopt: Option<crate::model::Foreign>,
}

/// The progress callback, if any (its own type so that `Runner` stays
/// `Debug`).
#[derive(Clone, Default)]
struct Watcher(Option<Observer>);

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Some(<callback>)"
        } else {
            "None"
        })
    }
}

/// The default slow-migration threshold: five minutes.
pub const DEFAULT_SLOW_THRESHOLD: Duration = Duration::from_secs(300);

/// What a runner does about a condition it would otherwise refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Policy {
    /// Stop with an error, changing nothing (the default).
    #[default]
    Refuse,
    /// Go on, logging a warning (`log` target `migrate`) and listing it in
    /// the report's warnings.
    Warn,
    /// Go on silently.
    Allow,
}

impl Migrations {
    /// Applies every pending migration with the default options.
    ///
    /// When nothing is pending this takes no lock and costs one round trip.
    ///
    /// # Errors
    /// Refuses to run, changing nothing, when an applied migration's checksum
    /// differs ([`Error::ChecksumMismatch`]), the database has a migration
    /// this set lacks ([`Error::UnknownApplied`]), a pending migration is
    /// older than the newest applied one ([`Error::OutOfOrder`]), or a
    /// no-transaction migration was left half-applied
    /// ([`Error::HalfApplied`]). Stops at the first failing migration
    /// ([`Error::MigrationFailed`]), keeping the ones before it. Also fails on
    /// a lock timeout or a database error.
    pub fn run<D: Database + ?Sized>(&self, db: &mut D) -> Result<Report, Error> {
        self.runner().run(db)
    }

    /// [`Migrations::run`] on an async client, awaited: for a service on a
    /// tokio runtime, with a `tokio_postgres::Client` or a pooled one (see
    /// [`AsyncDatabase`]). The same run: one round trip when nothing is
    /// pending, batches, the polled lock, the refusals.
    ///
    /// ```no_run
    /// # async fn boot() -> Result<(), Box<dyn std::error::Error>> {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let url = std::env::var("DATABASE_URL")?;
    /// let (mut client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(connection);
    /// let report = migrations.run_async(&mut client).await?;
    /// println!("{report}");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Migrations::run`].
    #[cfg(feature = "tokio-postgres")]
    pub async fn run_async<D: AsyncDatabase + ?Sized>(&self, db: &mut D) -> Result<Report, Error> {
        self.runner().run_async(db).await
    }

    /// A runner with options for this set.
    #[must_use]
    pub fn runner(&self) -> Runner<'_> {
        Runner {
            migrations: self,
            schema: None,
            table: DEFAULT_TABLE.to_owned(),
            lock_wait: DEFAULT_LOCK_WAIT,
            target: None,
            out_of_order: Policy::Refuse,
            unknown_applied: Policy::Refuse,
            ddl_lock_timeout: None,
            statement_timeout: None,
            lock_retries: 0,
            retry_backoff: Duration::from_secs(1),
            observer: Watcher::default(),
            slow_threshold: Some(DEFAULT_SLOW_THRESHOLD),
            stop: None,
            adopt: None,
        }
    }
}

impl Runner<'_> {
    /// The schema (PostgreSQL) or attached database (SQLite) of the tracking
    /// tables; by default the connection's current one. PostgreSQL creates
    /// it if needed.
    #[must_use]
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// The tracking table's name (default [`DEFAULT_TABLE`]); the event log
    /// is named after it with `_events` appended.
    #[must_use]
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// How long to wait for another runner's migration lock before giving
    /// up with [`Error::LockTimeout`] (default [`DEFAULT_LOCK_WAIT`]). Not
    /// to be confused with PostgreSQL's `lock_timeout` for a migration's
    /// statements: see [`Runner::ddl_lock_timeout`].
    #[must_use]
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The former name of [`Runner::lock_wait`].
    #[deprecated(note = "renamed `lock_wait`, to tell it from PostgreSQL's `lock_timeout`")]
    #[must_use]
    pub fn lock_timeout(self, wait: Duration) -> Self {
        self.lock_wait(wait)
    }

    /// Applies pending migrations up to and including `version` only
    /// (default: all of them). Applied migrations above it stay applied.
    #[must_use]
    pub fn to(mut self, version: u64) -> Self {
        self.target = Some(version);
        self
    }

    /// What to do when a pending migration is older than the newest applied
    /// one (default [`Policy::Refuse`], [`Error::OutOfOrder`]). With `Warn`
    /// or `Allow` it is applied, in version order with the other pending ones.
    #[must_use]
    pub fn out_of_order(mut self, policy: Policy) -> Self {
        self.out_of_order = policy;
        self
    }

    /// What to do when the database has applied a migration this set lacks
    /// (default [`Policy::Refuse`], [`Error::UnknownApplied`]), as when an
    /// older binary boots during a rolling deploy.
    #[must_use]
    pub fn unknown_applied(mut self, policy: Policy) -> Self {
        self.unknown_applied = policy;
        self
    }

    /// How long each statement of a migration may wait for a table lock
    /// (PostgreSQL `lock_timeout`; a `-- migrate:lock-timeout` directive
    /// overrides it). A DDL statement waiting for a lock makes every query
    /// of the application on that table queue behind it; with a timeout it
    /// gives up instead, and the runner retries (see
    /// [`Runner::lock_retries`]). Not set by default.
    #[must_use]
    pub fn ddl_lock_timeout(mut self, timeout: Duration) -> Self {
        self.ddl_lock_timeout = Some(timeout);
        self
    }

    /// How long each statement of a migration may run (PostgreSQL
    /// `statement_timeout`; a `-- migrate:statement-timeout` directive
    /// overrides it). Not set by default.
    #[must_use]
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// How many times to try a migration again when it gave up waiting for
    /// a lock (SQLSTATE 55P03), pausing `backoff`, then twice as long each
    /// time. Default: no retry.
    #[must_use]
    pub fn lock_retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.lock_retries = retries;
        self.retry_backoff = backoff;
        self
    }

    /// Calls `f` as each migration starts, finishes or fails, and while one
    /// runs longer than the slow threshold. The same events go to the
    /// `log` crate (target `migrate`) either way.
    #[must_use]
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.observer = Watcher(Some(std::sync::Arc::new(f)));
        self
    }

    /// How long a migration may run before a [`Progress::Slow`] warning is
    /// emitted (again each time the threshold passes), while it still runs
    /// (default [`DEFAULT_SLOW_THRESHOLD`]). Migrations sent together in
    /// one message are watched together: the warning names the batch.
    #[must_use]
    pub fn slow_threshold(mut self, threshold: Duration) -> Self {
        self.slow_threshold = Some(threshold);
        self
    }

    /// Lets `stop` end the run early: between migrations when it is
    /// [requested](Stop::request), at once (the running statement
    /// cancelled on the server) when it is [cancelled](Stop::cancel). The
    /// run then returns [`Error::Stopped`], saying what committed and what
    /// did not. Applying and rolling back stop between migrations (or
    /// batches) and while waiting for the lock; the other operations stop
    /// only while waiting for the lock.
    #[must_use]
    pub fn stop_on(mut self, stop: &Stop) -> Self {
        self.stop = Some(stop.clone());
        self
    }

    /// The wait for the lock: how long, and what may stop it.
    fn wait(&self) -> lock::Wait<'_> {
        lock::Wait {
            limit: self.lock_wait,
            stop: self.stop.as_ref(),
        }
    }

    /// Whether a stop was requested.
    fn stop_requested(&self) -> bool {
        self.stop.as_ref().is_some_and(Stop::is_requested)
    }

    /// Whether a cancel interrupted what ran.
    fn cancelled(&self) -> bool {
        self.stop.as_ref().is_some_and(Stop::cancelled)
    }

    /// The tracking tables this runner's options name.
    fn tracking(&self) -> Result<Tracking, Error> {
        Tracking::new(self.schema.as_deref(), &self.table)
            .map_err(|(option, reason)| Error::InvalidOption { option, reason })
    }

    /// The progress callback, if any.
    fn observer(&self) -> Option<&Observer> {
        self.observer.0.as_ref()
    }
}

impl Runner<'_> {
    /// Runs `op` on a session over `driver`: how every operation drives
    /// the one protocol, sync or async. While it runs, the connection
    /// waits for other writers as long as the lock wait says (SQLite's
    /// busy timeout), as it waits for the migration lock.
    async fn on<T>(
        &self,
        driver: &mut dyn Driver,
        t: &Tracking,
        op: impl AsyncFnOnce(&mut Session<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut session = Session::new(driver, t);
        let before = session.wait_for_writers(self.lock_wait).await?;
        let out = op(&mut session).await;
        session.restore_wait(before).await;
        out
    }
}
