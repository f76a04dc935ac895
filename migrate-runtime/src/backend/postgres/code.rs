//! Code migrations on PostgreSQL: the registered function runs in the
//! migration's transaction, which also records its tracking row, or on the
//! client itself between the no-transaction marks.

use super::tracking::{literal, RECORD};
use super::{pg, Pg};
use crate::backend::{Step, Tracking};
use crate::code::Up;
use crate::error::Error;
use crate::migration::Migration;

impl Pg<'_> {
    pub(super) fn apply_code(&mut self, t: &Tracking, step: &Step<'_>) -> Result<(), Error> {
        let m = step.migration;
        let Some(up) = m.code().and_then(|c| c.postgres.clone()) else {
            return Err(Error::InvalidCode {
                version: m.version(),
                name: m.name().to_owned(),
                reason: "it has no up function for PostgreSQL".to_owned(),
            });
        };
        match up {
            Up::Outside(f) => self.outside(t, step, |pg| {
                f(pg.client).map_err(|e| failure(m, &step.file, &*e, true))
            }),
            Up::InTransaction(f) => {
                let mut tx = self
                    .client
                    .transaction()
                    .map_err(pg("starting a code migration's transaction"))?;
                let settings = step.timeout_settings(true);
                if !settings.is_empty() {
                    tx.batch_execute(&settings)
                        .map_err(pg("setting a code migration's timeouts"))?;
                }
                if let Err(e) = f(&mut tx) {
                    drop(tx);
                    let error = failure(m, &step.file, &*e, false);
                    self.record_failure(t, m, &error);
                    return Err(error);
                }
                tx.batch_execute(&format!(
                    "EXECUTE {RECORD}({}, {}, {}, NULL)",
                    m.version(),
                    literal(m.name()),
                    literal(m.checksum()),
                ))
                .map_err(pg("recording an applied migration"))?;
                tx.commit().map_err(pg("committing a code migration"))
            }
        }
    }

    /// Runs a code migration's down function in a transaction with the
    /// removal of its tracking row (`forget`).
    pub(super) fn revert_code(
        &mut self,
        t: &Tracking,
        m: &Migration,
        file: &str,
        forget: &str,
    ) -> Result<(), Error> {
        let Some(down) = m.code().and_then(|c| c.postgres_down.clone()) else {
            return Err(Error::InvalidCode {
                version: m.version(),
                name: m.name().to_owned(),
                reason: "it has no down function for PostgreSQL".to_owned(),
            });
        };
        let mut tx = self
            .client
            .transaction()
            .map_err(pg("starting a rollback's transaction"))?;
        if let Err(e) = down(&mut tx) {
            drop(tx);
            let error = failure(m, file, &*e, false);
            self.record_failure(t, m, &error);
            return Err(error);
        }
        tx.batch_execute(forget)
            .map_err(pg("removing a rolled back migration's tracking row"))?;
        tx.commit().map_err(pg("committing a rollback"))
    }
}

/// A code migration's error as a migration failure, with the server's
/// message, detail, hint and SQLSTATE when it is a database error.
fn failure(
    m: &Migration,
    file: &str,
    e: &(dyn std::error::Error + Send + Sync + 'static),
    partial: bool,
) -> Error {
    let db = e
        .downcast_ref::<postgres::Error>()
        .and_then(postgres::Error::as_db_error);
    Error::MigrationFailed {
        version: m.version(),
        name: m.name().to_owned(),
        file: file.to_owned(),
        line: None,
        column: None,
        message: db.map_or_else(|| e.to_string(), |d| d.message().to_owned()),
        detail: db.and_then(|d| d.detail().map(str::to_owned)),
        hint: db.and_then(|d| d.hint().map(str::to_owned)),
        code: db.map(|d| d.code().code().to_owned()),
        partial,
    }
}
