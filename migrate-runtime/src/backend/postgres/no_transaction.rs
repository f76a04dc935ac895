//! Migrations outside a transaction: the tracking row is marked
//! `in_progress` first, the work runs (SQL statement by statement, or a
//! code migration's function), and the row is marked `applied`, or
//! `failed` with a failure event.

use super::failure::Failure;
use super::tracking::{literal, opt_literal};
use super::{pg, Pg};
use crate::backend::{Step, Tracking};
use crate::error::Error;
use crate::sql;

impl Pg<'_> {
    /// Runs `work` outside a transaction between the marks, with the step's
    /// timeouts set for the session while it runs. A row left `in_progress`
    /// or `failed` by an interrupted resumable code migration is marked
    /// again and the work runs again.
    pub(super) fn outside(
        &mut self,
        t: &Tracking,
        step: &Step<'_>,
        work: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let m = step.migration;
        let (v, name, sum) = (m.version(), literal(m.name()), literal(m.checksum()));
        self.client
            .batch_execute(&format!(
                "INSERT INTO {history} (version, name, checksum, status, no_transaction, down_sql) \
                 VALUES ({v}, {name}, {sum}, 'in_progress', true, {down}) \
                 ON CONFLICT (version) DO UPDATE SET status = 'in_progress', \
                 checksum = EXCLUDED.checksum, applied_at = clock_timestamp();\n\
                 INSERT INTO {events} (version, name, event, checksum) VALUES ({v}, {name}, 'start', {sum});",
                history = t.history,
                events = t.events,
                down = opt_literal(m.down_sql()),
            ))
            .map_err(pg("marking a no-transaction migration in progress"))?;
        let settings = step.timeout_settings(false);
        if !settings.is_empty() {
            self.client
                .batch_execute(&settings)
                .map_err(pg("setting a no-transaction migration's timeouts"))?;
        }
        let result = work(self);
        if !settings.is_empty() {
            let _ = self
                .client
                .batch_execute("RESET lock_timeout; RESET statement_timeout;");
        }
        if let Err(error) = result {
            let _ = self.client.batch_execute(&format!(
                "UPDATE {} SET status = 'failed' WHERE version = {v}",
                t.history
            ));
            self.record_failure(t, m, &error);
            return Err(error);
        }
        self.client
            .batch_execute(&format!(
                "UPDATE {history} SET status = 'applied', \
                 execution_ms = extract(epoch FROM clock_timestamp() - applied_at) * 1000, \
                 applied_at = clock_timestamp() WHERE version = {v};\n\
                 INSERT INTO {events} (version, name, event, checksum, execution_ms) \
                 SELECT {v}, {name}, 'apply', {sum}, execution_ms FROM {history} WHERE version = {v};",
                history = t.history,
                events = t.events,
            ))
            .map_err(pg("marking a no-transaction migration applied"))
    }

    /// Runs a no-transaction migration's SQL statement by statement; a
    /// failure is mapped onto its line in the file.
    pub(super) fn run_statements(&mut self, step: &Step<'_>) -> Result<(), Error> {
        let m = step.migration;
        let up = m.up_sql();
        for s in &sql::split(up).unwrap_or_default() {
            let text = &up[s.start..s.end];
            if let Err(e) = self.client.batch_execute(text) {
                let mut failure = Failure::new(&e, text, 0);
                failure.shift(up, s.start);
                return Err(failure.into_error(m.version(), m.name(), &step.file, true));
            }
        }
        Ok(())
    }
}
