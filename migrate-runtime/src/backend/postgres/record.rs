//! Baseline and repair on PostgreSQL: tracking-table changes and their
//! events in one transaction, one message.

use super::tracking::{literal, opt_literal};
use super::{pg, Pg};
use crate::backend::{Change, Tracking};
use crate::error::Error;

impl Pg<'_> {
    pub(super) fn record_changes(
        &mut self,
        t: &Tracking,
        changes: &[Change<'_>],
    ) -> Result<(), Error> {
        let mut sql = String::from("BEGIN;\n");
        let event = |v: u64, name: &str, kind: &str, sum: &str, detail: &str| {
            format!(
                "INSERT INTO {} (version, name, event, checksum, detail) VALUES ({v}, {}, '{kind}', {}, {});\n",
                t.events,
                literal(name),
                literal(sum),
                literal(detail),
            )
        };
        for c in changes {
            match *c {
                Change::Stamp {
                    version,
                    name,
                    checksum,
                    down_sql,
                } => {
                    sql.push_str(&format!(
                        "INSERT INTO {} (version, name, checksum, no_transaction, down_sql) VALUES ({version}, {}, {}, false, {});\n",
                        t.history,
                        literal(name),
                        literal(checksum),
                        opt_literal(down_sql),
                    ));
                    sql.push_str(&event(
                        version,
                        name,
                        "baseline",
                        checksum,
                        "marked applied without running",
                    ));
                }
                Change::Rechecksum {
                    version,
                    name,
                    old,
                    new,
                    down_sql,
                } => {
                    sql.push_str(&format!(
                        "UPDATE {} SET checksum = {}, down_sql = {} WHERE version = {version};\n",
                        t.history,
                        literal(new),
                        opt_literal(down_sql),
                    ));
                    sql.push_str(&event(
                        version,
                        name,
                        "repair",
                        new,
                        &format!("checksum {old} replaced by {new}"),
                    ));
                }
                Change::Unmark {
                    version,
                    name,
                    checksum,
                    state,
                } => {
                    sql.push_str(&format!(
                        "DELETE FROM {} WHERE version = {version};\n",
                        t.history
                    ));
                    sql.push_str(&event(
                        version,
                        name,
                        "repair",
                        checksum,
                        &format!("`{state}` mark removed: the migration runs again"),
                    ));
                }
            }
        }
        sql.push_str("COMMIT;");
        if let Err(e) = self.client.batch_execute(&sql) {
            let _ = self.client.batch_execute("ROLLBACK");
            return Err(pg("changing the tracking table")(e));
        }
        Ok(())
    }
}
