//! The runner: checks the database against the set, takes the lock only when
//! something is pending, and applies what is pending in version order.

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::thread;
use std::time::{Duration, Instant};

use crate::backend::{AppliedRow, Backend, Cache, Database, RowState, Step, Tracking};
use crate::checksum::StateDigest;
use crate::directives;
use crate::error::Error;
use crate::migration::{Migration, Migrations};
use crate::observe::{emit, watch, Observer, Progress};

use crate::report::{AppliedMigration, Report};
use crate::status::{self, Finding};

mod admin;
mod inspect;
mod rollback;
mod seed;

pub use rollback::Rollback;

/// The tracking table's default name; its event log is `<name>_events`.
pub const DEFAULT_TABLE: &str = "migrate_history";

/// How long a runner waits for another runner's lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(300);

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
///     .lock_timeout(std::time::Duration::from_secs(30))
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
    lock_timeout: Duration,
    target: Option<u64>,
    out_of_order: Policy,
    unknown_applied: Policy,
    ddl_lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    lock_retries: u32,
    retry_backoff: Duration,
    observer: Watcher,
    slow_threshold: Option<Duration>,
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
    pub fn run<D: Database>(&self, db: &mut D) -> Result<Report, Error> {
        self.runner().run(db)
    }

    /// A runner with options for this set.
    #[must_use]
    pub fn runner(&self) -> Runner<'_> {
        Runner {
            migrations: self,
            schema: None,
            table: DEFAULT_TABLE.to_owned(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            target: None,
            out_of_order: Policy::Refuse,
            unknown_applied: Policy::Refuse,
            ddl_lock_timeout: None,
            statement_timeout: None,
            lock_retries: 0,
            retry_backoff: Duration::from_secs(1),
            observer: Watcher::default(),
            slow_threshold: Some(DEFAULT_SLOW_THRESHOLD),
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

    /// How long to wait for another runner's lock before giving up with
    /// [`Error::LockTimeout`] (default [`DEFAULT_LOCK_TIMEOUT`]).
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
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

    /// Applies every pending migration (up to the target, if one is set).
    ///
    /// # Errors
    /// As [`Migrations::run`]; also [`Error::InvalidOption`] for an empty or
    /// too long table or schema name, or a target version the set lacks.
    pub fn run<D: Database>(&self, db: &mut D) -> Result<Report, Error> {
        let tracking = Tracking::new(self.schema.as_deref(), &self.table)?;
        self.check_target()?;
        self.run_on(&mut *db.backend(), &tracking)
    }

    fn run_on(&self, db: &mut dyn Backend, t: &Tracking) -> Result<Report, Error> {
        let started = Instant::now();
        let set = self.migrations;
        let up_to_date = |version, warnings| Report {
            applied: Vec::new(),
            rolled_back: Vec::new(),
            version,
            elapsed: started.elapsed(),
            warnings,
        };
        // The no-op boot: one small query when the database holds exactly
        // this set, all applied.
        let rows = match db.cached_digest(t, false)? {
            Cache::Stored(Some(d)) if d == set.digest => {
                return Ok(up_to_date(
                    set.iter().last().map(Migration::version),
                    Vec::new(),
                ))
            }
            Cache::Missing => Vec::new(),
            Cache::Stored(_) => db.read_applied(t, true)?,
            Cache::Unsupported => db.read_applied(t, false)?,
        };
        let (pending, warnings) = self.check(&rows, t, false)?;
        check_code(&pending, db.engine())?;
        if pending.is_empty() && rows.iter().all(|r| r.status == RowState::Applied) {
            warn_all(&warnings);
            return Ok(up_to_date(rows.last().map(|r| r.version), warnings));
        }

        // While another runner holds the lock, watch the cached digest: once
        // it has applied this very set, there is nothing left to wait for.
        let done = |db: &mut dyn Backend| -> Result<bool, Error> {
            Ok(matches!(db.cached_digest(t, true)?, Cache::Stored(Some(d)) if d == set.digest))
        };
        let Some(mut db) = LockGuard::acquire(db, t, self.lock_timeout, done)? else {
            return Ok(up_to_date(
                set.iter().last().map(Migration::version),
                Vec::new(),
            ));
        };
        db.begin_writes(t)?;
        // Another runner may have applied some while we waited.
        let rows = db.read_applied(t, false)?;
        let (pending, warnings) = self.check(&rows, t, true)?;
        check_code(&pending, db.engine())?;
        warn_all(&warnings);
        let mut state: BTreeMap<u64, &str> = rows
            .iter()
            .map(|r| (r.version, r.checksum.as_str()))
            .collect();
        let mut applied = Vec::with_capacity(pending.len());
        let mut rest = &pending[..];
        let (mut retries, mut backoff) = (0, self.retry_backoff);
        while !rest.is_empty() {
            let batch: Vec<Step<'_>> = rest[..batch_len(rest, db.max_batch())]
                .iter()
                .map(|m| self.step(m))
                .collect();
            let observer = self.observer.0.as_ref();
            for step in &batch {
                let m = step.migration;
                emit(
                    observer,
                    &Progress::Started {
                        version: m.version(),
                        name: m.name().to_owned(),
                    },
                );
            }
            let span = (
                batch[0].migration.version(),
                batch[batch.len() - 1].migration.version(),
            );
            let outcome = watch(observer, self.slow_threshold, span, || db.apply(t, &batch));
            let done = outcome.durations.len();
            for (step, duration) in batch.iter().zip(outcome.durations) {
                let m = step.migration;
                emit(
                    observer,
                    &Progress::Finished {
                        version: m.version(),
                        name: m.name().to_owned(),
                        duration,
                    },
                );
                state.insert(m.version(), m.checksum());
                applied.push(AppliedMigration {
                    version: m.version(),
                    name: m.name().to_owned(),
                    duration,
                    transactional: !m.no_transaction(),
                });
            }
            rest = &rest[done..];
            if let (Some(e), Some(m)) = (&outcome.error, batch.get(done)) {
                emit(
                    observer,
                    &Progress::Failed {
                        version: m.migration.version(),
                        error: e.to_string(),
                    },
                );
            }
            match outcome.error {
                None => {}
                Some(e) if is_lock_timeout(&e) && retries < self.lock_retries => {
                    retries += 1;
                    log::warn!(target: "migrate", "{e}\n  trying again in {backoff:?} ({retries} of {})", self.lock_retries);
                    thread::sleep(backoff);
                    backoff = backoff.saturating_mul(2);
                }
                Some(e) => return Err(e),
            }
        }
        let mut digest = StateDigest::default();
        for (&version, checksum) in &state {
            digest.push(version, checksum);
        }
        db.release(&digest.hex())?;
        Ok(Report {
            applied,
            rolled_back: Vec::new(),
            version: state.keys().next_back().copied(),
            elapsed: started.elapsed(),
            warnings,
        })
    }

    /// Compares the tracking rows with the set and returns what is pending
    /// (up to the target) and the warnings the policies asked for. Rows left
    /// by an unfinished no-transaction migration are an error only under the
    /// lock: without it, their runner may still be at work.
    fn check(
        &self,
        rows: &[AppliedRow],
        t: &Tracking,
        locked: bool,
    ) -> Result<(Vec<&Migration>, Vec<String>), Error> {
        let set = self.migrations;
        let (findings, pending) = status::examine(set, rows, self.target);
        let mut warnings = Vec::new();
        for finding in findings {
            let policy = match finding {
                Finding::UnknownApplied { .. } => self.unknown_applied,
                Finding::OutOfOrder { .. } => self.out_of_order,
                Finding::HalfApplied { .. } if !locked => continue,
                _ => Policy::Refuse,
            };
            let error = finding.into_error(set, &t.display_name());
            match policy {
                Policy::Refuse => return Err(error),
                Policy::Warn => warnings.push(error.to_string()),
                Policy::Allow => {}
            }
        }
        Ok((pending, warnings))
    }

    /// A pending migration with its timeouts: its own directives, or the
    /// runner's defaults.
    fn step<'m>(&self, m: &'m Migration) -> Step<'m> {
        let d = directives::of(m.up_sql());
        Step {
            migration: m,
            file: self.migrations.path_of(m.up_file()),
            lock_timeout: d.lock_timeout.or(self.ddl_lock_timeout),
            statement_timeout: d.statement_timeout.or(self.statement_timeout),
        }
    }

    fn check_target(&self) -> Result<(), Error> {
        match self.target {
            Some(v) if self.migrations.get(v).is_none() => Err(Error::InvalidOption {
                option: "target",
                reason: format!("version {v} is not in the set"),
            }),
            _ => Ok(()),
        }
    }
}

/// Refuses, before anything runs, a pending code migration that has no
/// functions registered or none for this database.
fn check_code(pending: &[&Migration], engine: &str) -> Result<(), Error> {
    for m in pending.iter().filter(|m| m.is_code()) {
        let reason = match m.code() {
            None => format!(
                "no functions are registered for its marker file {}; register them with Migrations::with_code",
                m.up_file()
            ),
            Some(c) if !c.runs_on(engine) => format!("it has no up function for {engine}"),
            Some(_) => continue,
        };
        return Err(Error::InvalidCode {
            version: m.version(),
            name: m.name().to_owned(),
            reason,
        });
    }
    Ok(())
}

fn warn_all(warnings: &[String]) {
    for w in warnings {
        log::warn!(target: "migrate", "{w}");
    }
}

/// Whether a migration failed because a statement gave up waiting for a
/// lock (`lock_timeout`).
fn is_lock_timeout(e: &Error) -> bool {
    matches!(e, Error::MigrationFailed { code: Some(code), partial: false, .. } if code == "55P03")
}

/// The most SQL sent in one batch (a larger migration goes alone).
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// How many of the pending migrations at the head of `rest` go in the next
/// batch: a no-transaction migration alone, otherwise transactional ones up
/// to `max` and [`MAX_BATCH_BYTES`] of SQL. A code migration runs alone
/// too: its functions run here, between messages.
fn batch_len(rest: &[&Migration], max: usize) -> usize {
    if rest[0].no_transaction() || rest[0].is_code() {
        return 1;
    }
    let mut bytes = 0;
    let n = rest
        .iter()
        .take(max)
        .take_while(|m| {
            bytes += m.up_sql().len();
            !m.no_transaction() && !m.is_code() && bytes <= MAX_BATCH_BYTES
        })
        .count();
    n.max(1)
}

/// The longest pause between two attempts at the lock: the most a waiter
/// lags behind the holder's release.
const MAX_POLL_PAUSE: Duration = Duration::from_millis(50);

/// Holds the migration lock; releases it when dropped, also on error or
/// panic. Waiting polls with `try_lock`, so a waiter holds no transaction
/// or snapshot that the lock holder's `CREATE INDEX CONCURRENTLY` would wait
/// for.
struct LockGuard<'a, 'b> {
    db: &'a mut (dyn Backend + 'b),
    tracking: &'a Tracking,
    held: bool,
}

impl<'a, 'b> LockGuard<'a, 'b> {
    /// Polls for the lock until it is taken, `done` says it is no longer
    /// needed (`None`), or the timeout passes.
    fn acquire(
        db: &'a mut (dyn Backend + 'b),
        tracking: &'a Tracking,
        timeout: Duration,
        mut done: impl FnMut(&mut dyn Backend) -> Result<bool, Error>,
    ) -> Result<Option<Self>, Error> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        while !db.try_lock(tracking)? {
            if done(db)? {
                return Ok(None);
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(Error::LockTimeout {
                    waited,
                    table: tracking.display_name(),
                });
            }
            thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(MAX_POLL_PAUSE);
        }
        Ok(Some(LockGuard {
            db,
            tracking,
            held: true,
        }))
    }

    /// Releases the lock after a successful run, caching the digest of the
    /// applied state.
    fn release(mut self, digest: &str) -> Result<(), Error> {
        self.held = false;
        self.db.end_writes(self.tracking, Some(digest))
    }
}

impl Drop for LockGuard<'_, '_> {
    fn drop(&mut self) {
        if self.held {
            // Best effort: if the connection is gone, the server (or the
            // operating system, for SQLite's lock file) has released it.
            let _ = self.db.end_writes(self.tracking, None);
        }
    }
}

impl<'b> Deref for LockGuard<'_, 'b> {
    type Target = dyn Backend + 'b;

    fn deref(&self) -> &Self::Target {
        self.db
    }
}

impl DerefMut for LockGuard<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.db
    }
}
