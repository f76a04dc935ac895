//! Rollbacks on PostgreSQL: a down migration, the removal of its tracking
//! row and its `rollback` event, in one message and one transaction.

use super::failure::Failure;
use super::tracking::literal;
use super::{pg, Pg, PREFIX};
use crate::backend::{Revert, Tracking};
use crate::error::Error;
use crate::sql;

impl Pg<'_> {
    pub(super) fn revert_step(&mut self, t: &Tracking, step: &Revert<'_>) -> Result<(), Error> {
        let forget = format!(
            "DELETE FROM {history} WHERE version = {v};\n\
             INSERT INTO {events} (version, name, event, checksum, detail) \
             VALUES ({v}, {name}, 'rollback', {sum}, {detail});",
            history = t.history,
            events = t.events,
            v = step.version,
            name = literal(step.name),
            sum = literal(step.checksum),
            detail = literal(&format!("down SQL: {}", step.source)),
        );
        if let Some(m) = step.code {
            return self.revert_code(t, m, &step.file, &forget);
        }
        if step.no_transaction {
            return self.revert_statements(t, step, &forget);
        }
        let script = format!("{PREFIX}{}\n;\n{forget}\nCOMMIT;", step.sql);
        let Err(e) = self.client.batch_execute(&script) else {
            return Ok(());
        };
        let _ = self.client.batch_execute("ROLLBACK");
        let error = Failure::new(&e, step.sql, PREFIX.chars().count()).into_error(
            step.version,
            step.name,
            &step.file,
            false,
        );
        self.record_event(
            t,
            step.version,
            step.name,
            step.checksum,
            "failure",
            &error.to_string(),
        );
        Err(error)
    }

    /// A down migration marked `-- migrate:no-transaction`: statement by
    /// statement; a failure halfway marks the row `failed`.
    fn revert_statements(
        &mut self,
        t: &Tracking,
        step: &Revert<'_>,
        forget: &str,
    ) -> Result<(), Error> {
        for s in &sql::split(step.sql).unwrap_or_default() {
            let text = &step.sql[s.start..s.end];
            if let Err(e) = self.client.batch_execute(text) {
                let mut failure = Failure::new(&e, text, 0);
                failure.shift(step.sql, s.start);
                let error = failure.into_error(step.version, step.name, &step.file, true);
                let _ = self.client.batch_execute(&format!(
                    "UPDATE {} SET status = 'failed' WHERE version = {}",
                    t.history, step.version
                ));
                self.record_event(
                    t,
                    step.version,
                    step.name,
                    step.checksum,
                    "failure",
                    &error.to_string(),
                );
                return Err(error);
            }
        }
        self.client
            .batch_execute(forget)
            .map_err(pg("removing a rolled back migration's tracking row"))
    }
}
