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
        for c in changes {
            sql.push_str(&match *c {
                Change::Stamp { version, name, checksum, down_sql } => format!(
                    "INSERT INTO {} (version, name, checksum, no_transaction, down_sql) VALUES ({version}, {}, {}, false, {});\n",
                    t.history,
                    literal(name),
                    literal(checksum),
                    opt_literal(down_sql),
                ),
                Change::Rechecksum { version, new, down_sql, .. } => format!(
                    "UPDATE {} SET checksum = {}, down_sql = {} WHERE version = {version};\n",
                    t.history,
                    literal(new),
                    opt_literal(down_sql),
                ),
                Change::Unmark { version, .. } => {
                    format!("DELETE FROM {} WHERE version = {version};\n", t.history)
                }
            });
            let (version, name, kind, checksum, detail) = c.event();
            sql.push_str(&format!(
                "INSERT INTO {} (version, name, event, checksum, detail) VALUES ({version}, {}, '{kind}', {}, {});\n",
                t.events,
                literal(name),
                literal(checksum),
                literal(&detail),
            ));
        }
        sql.push_str("COMMIT;");
        if let Err(e) = self.client.batch_execute(&sql) {
            let _ = self.client.batch_execute("ROLLBACK");
            return Err(pg("changing the tracking table")(e));
        }
        Ok(())
    }
}
