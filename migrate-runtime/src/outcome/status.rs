//! Status and verification: what is applied, what is pending, and every
//! problem, as data (serializable, for a health endpoint).

use std::collections::BTreeSet;

use super::finding::Finding;
use crate::model::{AppliedRow, HistoryRow, Migration, MigrationState, Migrations};

/// The state of a database against a set of migrations. Made by
/// [`Runner::status`](crate::Runner::status); serializes to JSON with serde.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Status {
    pub(crate) current_version: Option<u64>,
    pub(crate) latest_version: Option<u64>,
    pub(crate) pending: Vec<PendingMigration>,
    pub(crate) applied: Vec<AppliedEntry>,
    pub(crate) problems: Vec<Finding>,
}

/// A migration of the set that the database has not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PendingMigration {
    pub(crate) version: u64,
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) transactional: bool,
}

/// A row of the tracking table.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AppliedEntry {
    pub(crate) version: u64,
    pub(crate) name: String,
    pub(crate) checksum: String,
    pub(crate) state: MigrationState,
    pub(crate) applied_at: String,
    pub(crate) execution_ms: Option<f64>,
    pub(crate) applied_by: Option<String>,
    pub(crate) embedded: bool,
}

/// Every finding for these tracking rows, in version order, and the set's
/// pending migrations (up to `target`).
pub(crate) fn examine<'a>(
    set: &'a Migrations,
    rows: &[AppliedRow],
    target: Option<u64>,
) -> (Vec<Finding>, Vec<&'a Migration>) {
    let mut findings = Vec::new();
    let mut applied = BTreeSet::new();
    for row in rows {
        let embedded = set.get(row.version);
        let resumable = embedded
            .and_then(Migration::code)
            .is_some_and(|c| c.resumable);
        if row.state != MigrationState::Applied && resumable {
            // Interrupted and declared resumable: it runs again.
            continue;
        }
        applied.insert(row.version);
        let Some(m) = embedded else {
            findings.push(Finding::UnknownApplied {
                version: row.version,
                name: row.name.clone(),
            });
            continue;
        };
        if row.name != m.name() {
            findings.push(Finding::VersionReused {
                version: row.version,
                applied: row.name.clone(),
                name: m.name().to_owned(),
                file: set.path_of(m.up_file()),
            });
        } else if row.state != MigrationState::Applied {
            findings.push(Finding::HalfApplied {
                version: row.version,
                name: row.name.clone(),
                state: row.state,
            });
        } else if row.checksum != m.checksum() && !m.is_unregistered() {
            findings.push(Finding::Drift {
                version: row.version,
                file: set.path_of(m.up_file()),
                expected: row.checksum.clone(),
                found: m.checksum().to_owned(),
            });
        }
    }
    let pending: Vec<&Migration> = set
        .iter()
        .filter(|m| !applied.contains(&m.version()))
        .filter(|m| target.is_none_or(|v| m.version() <= v))
        .collect();
    if let Some(&latest) = applied.iter().next_back() {
        for m in pending.iter().filter(|m| m.version() < latest) {
            findings.push(Finding::OutOfOrder {
                version: m.version(),
                file: set.path_of(m.up_file()),
                latest_applied: latest,
            });
        }
    }
    (findings, pending)
}

/// The status of `rows` against `set`.
pub(crate) fn status(set: &Migrations, rows: &[HistoryRow]) -> Status {
    let plain: Vec<AppliedRow> = rows.iter().map(|r| r.row.clone()).collect();
    let (problems, pending) = examine(set, &plain, None);
    Status {
        // A half-applied migration is not the database's version.
        current_version: rows
            .iter()
            .rev()
            .find(|r| r.row.state == MigrationState::Applied)
            .map(|r| r.row.version),
        latest_version: set.iter().last().map(Migration::version),
        pending: pending
            .iter()
            .map(|m| PendingMigration {
                version: m.version(),
                name: m.name().to_owned(),
                file: set.path_of(m.up_file()),
                transactional: !m.no_transaction(),
            })
            .collect(),
        applied: rows
            .iter()
            .map(|r| AppliedEntry {
                version: r.row.version,
                name: r.row.name.clone(),
                checksum: r.row.checksum.clone(),
                state: r.row.state,
                applied_at: r.applied_at.clone(),
                execution_ms: r.execution_ms,
                applied_by: r.applied_by.clone(),
                embedded: set.get(r.row.version).is_some(),
            })
            .collect(),
        problems,
    }
}

impl Status {
    /// The newest version applied and committed (not one left
    /// `in_progress` or `failed`), if any.
    #[must_use]
    pub fn current_version(&self) -> Option<u64> {
        self.current_version
    }

    /// The newest version of the set, if any.
    #[must_use]
    pub fn latest_version(&self) -> Option<u64> {
        self.latest_version
    }

    /// The migrations not applied yet, in version order.
    #[must_use]
    pub fn pending(&self) -> &[PendingMigration] {
        &self.pending
    }

    /// The tracking table's rows, in version order.
    #[must_use]
    pub fn applied(&self) -> &[AppliedEntry] {
        &self.applied
    }

    /// Every problem found; empty when the database is consistent with the
    /// set.
    #[must_use]
    pub fn problems(&self) -> &[Finding] {
        &self.problems
    }

    /// Whether nothing is pending and nothing is wrong.
    #[must_use]
    pub fn is_up_to_date(&self) -> bool {
        self.pending.is_empty() && self.problems.is_empty()
    }
}

impl PendingMigration {
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

    /// The up file.
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Whether it runs in a transaction.
    #[must_use]
    pub fn transactional(&self) -> bool {
        self.transactional
    }
}

impl AppliedEntry {
    /// The version.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The name recorded.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The checksum recorded when it was applied.
    #[must_use]
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Applied, or in progress / failed for an unfinished no-transaction
    /// migration.
    #[must_use]
    pub fn state(&self) -> MigrationState {
        self.state
    }

    /// When it was applied, in UTC (`YYYY-MM-DDTHH:MM:SS.fffZ`).
    #[must_use]
    pub fn applied_at(&self) -> &str {
        &self.applied_at
    }

    /// How long it took, in milliseconds.
    #[must_use]
    pub fn execution_ms(&self) -> Option<f64> {
        self.execution_ms
    }

    /// Who applied it.
    #[must_use]
    pub fn applied_by(&self) -> Option<&str> {
        self.applied_by.as_deref()
    }

    /// Whether the set contains this version.
    #[must_use]
    pub fn embedded(&self) -> bool {
        self.embedded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::embedded::{migration, migrations};

    /// Migrations 1, 2 and 4 (no 3: a gap is the scanner's business).
    fn set() -> Migrations {
        static ITEMS: [Migration; 3] = [
            migration(
                1,
                "a",
                "sha256:a",
                false,
                ("0001_a.up.sql", "A", false, None, None, &[]),
                None,
            ),
            migration(
                2,
                "b",
                "sha256:b",
                false,
                ("0002_b.up.sql", "B", false, None, None, &[]),
                None,
            ),
            migration(
                4,
                "d",
                "sha256:d",
                false,
                ("0004_d.up.sql", "D", false, None, None, &[]),
                None,
            ),
        ];
        migrations("m", &ITEMS, &[], "digest")
    }

    fn row(version: u64, checksum: &str, state: MigrationState) -> AppliedRow {
        AppliedRow {
            version,
            // The set's names: 1 a, 2 b, 4 d (3 is unknown to it).
            name: ["", "a", "b", "c", "d"][usize::try_from(version).unwrap()].to_owned(),
            checksum: checksum.to_owned(),
            state,
        }
    }

    #[test]
    fn a_consistent_database_has_no_finding_and_the_rest_pending() {
        let set = set();
        let rows = [row(1, "sha256:a", MigrationState::Applied)];
        let (findings, pending) = examine(&set, &rows, None);
        assert!(findings.is_empty(), "{findings:?}");
        let pending: Vec<u64> = pending.iter().map(|m| m.version()).collect();
        assert_eq!(pending, [2, 4]);
        let (_, up_to_2) = examine(&set, &rows, Some(2));
        assert_eq!(up_to_2.len(), 1, "the target bounds what is pending");
    }

    #[test]
    fn every_problem_is_found_in_version_order() {
        let set = set();
        let rows = [
            row(1, "sha256:edited", MigrationState::Applied),
            row(2, "sha256:b", MigrationState::Failed),
            row(3, "sha256:c", MigrationState::Applied),
        ];
        let (findings, pending) = examine(&set, &rows, None);
        let kinds: Vec<String> = findings
            .iter()
            .map(|f| match f {
                Finding::Drift { version, .. } => format!("drift {version}"),
                Finding::HalfApplied { version, state, .. } => format!("half {version} {state}"),
                Finding::UnknownApplied { version, .. } => format!("unknown {version}"),
                Finding::OutOfOrder {
                    version,
                    latest_applied,
                    ..
                } => {
                    format!("late {version} < {latest_applied}")
                }
                Finding::InvalidIndex { name, .. } => format!("invalid {name}"),
                Finding::VersionReused { version, .. } => format!("reused {version}"),
                Finding::Foreign { tool, .. } => format!("foreign {tool}"),
            })
            .collect();
        assert_eq!(kinds, ["drift 1", "half 2 failed", "unknown 3"]);
        assert_eq!(pending.iter().map(|m| m.version()).collect::<Vec<_>>(), [4]);

        // 2 pending while 4 is applied: out of order.
        let rows = [
            row(1, "sha256:a", MigrationState::Applied),
            row(4, "sha256:d", MigrationState::Applied),
        ];
        let (findings, _) = examine(&set, &rows, None);
        assert!(
            matches!(
                findings[..],
                [Finding::OutOfOrder {
                    version: 2,
                    latest_applied: 4,
                    ..
                }]
            ),
            "{findings:?}"
        );
        assert!(
            findings[0].to_warning().is_some(),
            "out of order can be let pass"
        );
    }

    #[test]
    fn the_current_version_is_the_newest_committed_one() {
        let set = set();
        let history = |state| crate::model::HistoryRow {
            row: row(2, "sha256:b", state),
            applied_at: String::new(),
            execution_ms: None,
            applied_by: None,
            down_sql: None,
        };
        let first = crate::model::HistoryRow {
            row: row(1, "sha256:a", MigrationState::Applied),
            ..history(MigrationState::Applied)
        };
        let failed = status(&set, &[first.clone(), history(MigrationState::Failed)]);
        assert_eq!(failed.current_version(), Some(1), "2 is half applied");
        let done = status(&set, &[first, history(MigrationState::Applied)]);
        assert_eq!(done.current_version(), Some(2));
    }
}
