//! Applying: the no-op check, the lock, the re-check under it, batches,
//! progress events and retries after a lock timeout.

use std::time::Instant;

use super::check::{batch_len, check_code, warn_all};
use super::lock::{acquire, hold, State};
use super::stop::{interrupted, stopped};
use super::trace::MigrationSpan;
use super::Runner;
use crate::backend::protocol::{Cache, Session, Step};
use crate::backend::Driver;
use crate::model::{CodeApi, Migration, MigrationState};
use crate::outcome::{emit, AppliedMigration, Direction, Error, Progress, Report, Watchdog};

operations! {
    /// Applies every pending migration (up to the target, if one is set).
    ///
    /// # Errors
    /// As [`Migrations::run`](crate::Migrations::run); also
    /// [`Error::InvalidOption`] for an empty or too long table or schema
    /// name, or a target version the set lacks.
    pub fn run, run_async() -> Report = run_with;
}

impl Runner<'_> {
    async fn run_with(&self, d: &mut dyn Driver) -> Result<Report, Error> {
        let t = self.tracking()?;
        self.check_target()?;
        let api = d.code_api();
        self.on(d, &t, async |s| self.apply_on(s, api).await).await
    }

    /// The whole run on a session whose driver runs code migrations
    /// registered for `api`.
    pub(super) async fn apply_on(
        &self,
        s: &mut Session<'_>,
        api: CodeApi,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let set = self.migrations;
        let up_to_date = |version, warnings| Report {
            version,
            elapsed: started.elapsed(),
            warnings,
            ..Report::default()
        };
        let latest = set.iter().last().map(Migration::version);
        // The no-op boot: one small query when the database holds exactly
        // this set, all applied.
        let (rows, fresh) = match s.cached_digest().await? {
            Cache::Stored(Some(d)) if d == set.digest => return Ok(up_to_date(latest, Vec::new())),
            Cache::Missing => (Vec::new(), true),
            Cache::Stored(_) => (s.read_applied(true).await?, false),
            Cache::Unsupported => {
                let rows = s.read_applied(false).await?;
                let fresh = rows.is_empty();
                (rows, fresh)
            }
        };
        // A database without our tracking table may be another tool's.
        let adopting = if fresh {
            self.foreign_before(s).await?
        } else {
            None
        };
        let (pending, warnings) = self.check(&rows, s.tracking(), false)?;
        check_code(&pending, api)?;
        if pending.is_empty() && rows.iter().all(|r| r.state == MigrationState::Applied) {
            warn_all(&warnings);
            return Ok(up_to_date(rows.last().map(|r| r.version), warnings));
        }
        // While another runner holds the lock, watch the cached digest: once
        // it has applied this very set, there is nothing left to wait for.
        if !acquire(s, self.wait(), Some(&set.digest)).await? {
            return Ok(up_to_date(latest, Vec::new()));
        }
        hold(s, async |s, state| {
            // Another runner may have applied some while we waited.
            let mut rows = s.read_applied(false).await?;
            let mut adopted = Vec::new();
            if let (Some(tool), true) = (adopting, rows.is_empty()) {
                adopted = self.adopt_locked(s, tool).await?;
                rows = s.read_applied(false).await?;
            }
            let (pending, warnings) = self.check(&rows, s.tracking(), true)?;
            check_code(&pending, api)?;
            warn_all(&warnings);
            state.extend(rows.into_iter().map(|r| (r.version, r.checksum)));
            let mut report = Report {
                warnings,
                adopted_from: adopting.filter(|_| !adopted.is_empty()),
                adopted,
                ..Report::default()
            };
            let outcome = self.apply_pending(s, &pending, state, &mut report).await;
            report.version = state.keys().next_back().copied();
            report.elapsed = started.elapsed();
            match outcome {
                Ok(()) => Ok(report),
                Err(e) => Err(e.with_report(report)),
            }
        })
        .await
    }

    /// Applies `pending` in batches, adding each applied migration to the
    /// state and the report; retries a batch that gave up waiting for a
    /// lock, as the options allow.
    async fn apply_pending(
        &self,
        s: &mut Session<'_>,
        pending: &[&Migration],
        state: &mut State,
        report: &mut Report,
    ) -> Result<(), Error> {
        let observer = self.observer();
        let max = s.max_batch();
        let mut rest = pending;
        let (mut retries, mut backoff) = (0, self.retry_backoff);
        while !rest.is_empty() {
            if self.stop_requested() {
                return Err(stopped(Direction::Up, rest.iter().map(|m| m.version())));
            }
            let batch: Vec<Step<'_>> = rest[..batch_len(rest, max)]
                .iter()
                .map(|m| self.step(m))
                .collect();
            for step in &batch {
                let (version, name) = (step.migration.version(), step.migration.name().to_owned());
                emit(observer, &Progress::Started { version, name });
            }
            let span = (
                batch[0].migration.version(),
                batch[batch.len() - 1].migration.version(),
            );
            let watchdog = Watchdog::start(observer, self.slow_threshold, span);
            let running = self.stop.as_ref().map(|stop| stop.running(s.canceller()));
            let spans: Vec<MigrationSpan> = batch
                .iter()
                .map(|b| {
                    MigrationSpan::start(b.migration.version(), b.migration.name(), Direction::Up)
                })
                .collect();
            let outcome = match &spans[..] {
                [alone] => alone.around(s.apply(&batch)).await,
                _ => s.apply(&batch).await,
            };
            drop((running, watchdog));
            let done = outcome.durations.len();
            let mut spans = spans.into_iter();
            for (step, duration) in batch.iter().zip(outcome.durations) {
                if let Some(span) = spans.next() {
                    span.done(duration);
                }
                let m = step.migration;
                let (version, name) = (m.version(), m.name().to_owned());
                emit(
                    observer,
                    &Progress::Finished {
                        version,
                        name: name.clone(),
                        duration,
                    },
                );
                state.insert(version, m.checksum().to_owned());
                report.applied.push(AppliedMigration {
                    version,
                    name,
                    duration,
                    transactional: !m.no_transaction(),
                });
            }
            rest = &rest[done..];
            let Some(e) = outcome.error else { continue };
            if let Some(span) = spans.next() {
                span.failed(&e);
            }
            spans.for_each(MigrationSpan::not_run);
            if let Some(m) = batch.get(done) {
                let (version, error) = (m.migration.version(), e.to_string());
                emit(observer, &Progress::Failed { version, error });
            }
            if self.cancelled() {
                return Err(interrupted(
                    e,
                    Direction::Up,
                    rest.iter().map(|m| m.version()),
                ));
            }
            if !is_lock_timeout(&e) || retries >= self.lock_retries {
                return Err(e);
            }
            retries += 1;
            log::warn!(target: "migrate", "{e}\n  trying again in {backoff:?} ({retries} of {})", self.lock_retries);
            s.pause(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
        Ok(())
    }
}

/// Whether a migration failed because a statement gave up waiting for a
/// lock (`lock_timeout`), inside its transaction (so nothing of it stays).
fn is_lock_timeout(e: &Error) -> bool {
    e.migration_failure().is_some_and(|f| {
        !f.is_partial()
            && f.code()
                == Some(&crate::outcome::ErrorCode::SqlState(
                    crate::outcome::SqlState::LOCK_NOT_AVAILABLE,
                ))
    })
}
