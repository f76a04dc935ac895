//! Changes to the tracking table that run no migration (baseline, repair,
//! resolve), each recorded with its event.

use super::{Dialect, EventRow};
use crate::model::MigrationState;
use crate::outcome::EventKind;

/// A change to the tracking table made without running any migration
/// (baseline, repair), recorded with its event.
pub(crate) enum Change<'a> {
    /// Marks a migration applied without running it (event `baseline`).
    Stamp {
        version: u64,
        name: &'a str,
        checksum: &'a str,
        down_sql: Option<&'a str>,
    },
    /// Rewrites a recorded checksum (and stored down SQL) to the set's
    /// (event `repair`).
    Rechecksum {
        version: u64,
        name: &'a str,
        old: &'a str,
        new: &'a str,
        down_sql: Option<&'a str>,
    },
    /// Records what an operator says of an unfinished no-transaction
    /// migration: applied (the mark becomes `applied`), or rolled back (the
    /// row goes, and the migration runs again). Event `resolve`.
    Resolve {
        version: u64,
        name: &'a str,
        checksum: &'a str,
        state: MigrationState,
        applied: bool,
    },
    /// Marks a migration applied that another tool applied (event `adopt`,
    /// its detail `source`).
    Adopt {
        version: u64,
        name: &'a str,
        checksum: &'a str,
        down_sql: Option<&'a str>,
        source: &'a str,
    },
    /// Removes the mark of an unfinished no-transaction migration, so that
    /// it runs again (event `repair`).
    Unmark {
        version: u64,
        name: &'a str,
        checksum: &'a str,
        state: &'a str,
    },
}

impl Change<'_> {
    /// The version the change concerns.
    pub(crate) fn version(&self) -> u64 {
        match *self {
            Change::Stamp { version, .. }
            | Change::Adopt { version, .. }
            | Change::Rechecksum { version, .. }
            | Change::Resolve { version, .. }
            | Change::Unmark { version, .. } => version,
        }
    }
}

impl Dialect {
    /// A tracking row of a migration recorded applied without running.
    fn stamp(&self, version: u64, name: &str, checksum: &str, down_sql: Option<&str>) -> String {
        format!(
            "INSERT INTO {} (version, name, checksum, applied_by, no_transaction, down_sql) \
             VALUES ({version}, {}, {}, {}, false, {});\n",
            self.t.history,
            self.literal(name),
            self.literal(checksum),
            self.actor(),
            self.opt_literal(down_sql),
        )
    }

    /// A baseline or repair change and its event.
    pub(crate) fn change(&self, c: &Change<'_>) -> String {
        let h = &self.t.history;
        let (mut sql, event) = match *c {
            Change::Stamp {
                version,
                name,
                checksum,
                down_sql,
            } => (
                self.stamp(version, name, checksum, down_sql),
                (
                    version,
                    name,
                    EventKind::Baseline,
                    checksum,
                    "marked applied without running".to_owned(),
                ),
            ),
            Change::Adopt {
                version,
                name,
                checksum,
                down_sql,
                source,
            } => (
                self.stamp(version, name, checksum, down_sql),
                (version, name, EventKind::Adopt, checksum, source.to_owned()),
            ),
            Change::Rechecksum {
                version,
                name,
                old,
                new,
                down_sql,
            } => (
                format!(
                    "UPDATE {h} SET checksum = {}, down_sql = {} WHERE version = {version};\n",
                    self.literal(new),
                    self.opt_literal(down_sql),
                ),
                (
                    version,
                    name,
                    EventKind::Repair,
                    new,
                    format!("checksum {old} replaced by {new}"),
                ),
            ),
            Change::Resolve {
                version,
                name,
                checksum,
                state,
                applied,
            } => (
                if applied {
                    format!(
                        "UPDATE {h} SET status = '{}' WHERE version = {version};\n",
                        MigrationState::Applied.as_str()
                    )
                } else {
                    format!("DELETE FROM {h} WHERE version = {version};\n")
                },
                (
                    version,
                    name,
                    EventKind::Resolve,
                    checksum,
                    if applied {
                        format!("`{state}` mark resolved by hand: applied")
                    } else {
                        format!("`{state}` mark resolved by hand: rolled back, the migration runs again")
                    },
                ),
            ),
            Change::Unmark {
                version,
                name,
                checksum,
                state,
            } => (
                format!("DELETE FROM {h} WHERE version = {version};\n"),
                (
                    version,
                    name,
                    EventKind::Repair,
                    checksum,
                    format!("`{state}` mark removed: the migration runs again"),
                ),
            ),
        };
        let (version, name, kind, checksum, detail) = event;
        sql.push_str(&self.event(&EventRow {
            version: Some(version),
            name,
            kind,
            checksum,
            ms: None,
            detail: Some(&detail),
        }));
        sql
    }
}
