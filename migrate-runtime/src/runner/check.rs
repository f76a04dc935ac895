//! The runner's checks before it runs anything: the tracking rows against
//! the set under the policies, the target, code migrations' functions; and
//! how pending migrations are cut into batches.

use super::{Policy, Runner};
use crate::backend::protocol::Step;
use crate::model::{AppliedRow, CodeApi, Migration, Tracking};
use crate::outcome::{examine, Error, Finding, Warning};

/// The most SQL sent in one batch (a larger migration goes alone).
const MAX_BATCH_BYTES: usize = 256 * 1024;

impl Runner<'_> {
    /// Compares the tracking rows with the set and returns what is pending
    /// (up to the target) and the warnings the policies asked for. Rows left
    /// by an unfinished no-transaction migration are an error only under the
    /// lock: without it, their runner may still be at work.
    pub(super) fn check(
        &self,
        rows: &[AppliedRow],
        t: &Tracking,
        locked: bool,
    ) -> Result<(Vec<&Migration>, Vec<Warning>), Error> {
        let set = self.migrations;
        let (findings, pending) = examine(set, rows, self.target);
        let mut warnings = Vec::new();
        for finding in findings {
            let policy = match finding {
                Finding::UnknownApplied { .. } => self.unknown_applied,
                Finding::OutOfOrder { .. } => self.out_of_order,
                Finding::HalfApplied { .. } if !locked => continue,
                _ => Policy::Refuse,
            };
            match (policy, finding.to_warning()) {
                (Policy::Warn, Some(w)) => warnings.push(w),
                (Policy::Allow, Some(_)) => {}
                _ => return Err(finding.into_error(set, &t.display_name())),
            }
        }
        Ok((pending, warnings))
    }

    /// A pending migration with its timeouts: its own directives, or the
    /// runner's defaults.
    pub(super) fn step<'m>(&self, m: &'m Migration) -> Step<'m> {
        let d = m.up_directives();
        Step {
            migration: m,
            file: self.migrations.path_of(m.up_file()),
            lock_timeout: d.lock_timeout.or(self.ddl_lock_timeout),
            statement_timeout: d.statement_timeout.or(self.statement_timeout),
        }
    }

    pub(super) fn check_target(&self) -> Result<(), Error> {
        match self.target {
            Some(v) if self.migrations.get(v).is_none() => Err(Error::invalid_option(
                "target",
                format!("version {v} is not in the set"),
            )),
            _ => Ok(()),
        }
    }
}

/// Logs the warnings a run lets pass.
pub(super) fn warn_all(warnings: &[Warning]) {
    for w in warnings {
        log::warn!(target: "migrate", "{w}");
    }
}

/// Refuses, before anything runs, a pending code migration that has no
/// functions registered or none for this database's client (`api`).
pub(super) fn check_code(pending: &[&Migration], api: CodeApi) -> Result<(), Error> {
    let engine = api.engine();
    for m in pending.iter().filter(|m| m.is_code()) {
        let reason = match m.code() {
            None => format!(
                "no functions are registered for its marker file {}; register them with Migrations::with_code",
                m.up_file()
            ),
            Some(c) if !c.runs_on(api) => match c.runs_on_other_client(api) {
                Some(other) => format!(
                    "it has no up function for {engine} through {}: the one registered takes a {} \
                     (register one with CodeMigration::{})",
                    api.client(),
                    other.client(),
                    api.method()
                ),
                None => format!("it has no up function for {engine}"),
            },
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

/// How many of the pending migrations at the head of `rest` go in the next
/// batch: a no-transaction or code migration alone, otherwise
/// transactional ones up to `max` and [`MAX_BATCH_BYTES`] of SQL.
pub(super) fn batch_len(rest: &[&Migration], max: usize) -> usize {
    let alone = |m: &Migration| m.no_transaction() || m.is_code();
    if alone(rest[0]) {
        return 1;
    }
    let mut bytes = 0;
    let n = rest
        .iter()
        .take(max)
        .take_while(|m| {
            bytes += m.up_sql().len();
            !alone(m) && bytes <= MAX_BATCH_BYTES
        })
        .count();
    n.max(1)
}
