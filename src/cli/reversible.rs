//! `check --reversible`: every down proved on a scratch database made on
//! the server of the database URL (the database itself never touched).

use std::path::Path;

use serde_json::{json, Value};

use super::connection::{reason, Target};
use super::output::Out;
use super::Failure;
use crate::testing::{check_reversible, TestDatabase, TestingError};
use crate::{Error, Migrations};

/// Proves the downs of `set` (the folder `dir`): exit code 0 when each
/// restores the schema, 1 with the difference for the first that does
/// not; and the JSON of the verdict.
pub(crate) fn prove(
    dir: &Path,
    set: &Migrations,
    url: &str,
    out: &Out,
) -> Result<(u8, Value), Failure> {
    // Read as every command reads it (usage errors, the password hidden).
    let target = Target::parse(url)?;
    let proved = if matches!(target, Target::Sqlite(_)) {
        TestDatabase::sqlite_scratch()
            .and_then(|db| check_reversible(set, &mut db.connect_sqlite()?).map(|()| db.name()))
    } else {
        TestDatabase::postgres_scratch(url)
            .and_then(|db| check_reversible(set, &mut db.connect()?).map(|()| db.name()))
    };
    let irreversible = set.iter().filter(|m| m.irreversible()).count();
    match proved {
        Ok(scratch) => {
            out.line(&format!(
                "{}: every down restores the schema its up found ({} migrations, {irreversible} irreversible applied without a down; scratch database {scratch}, dropped)",
                dir.display(),
                set.len()
            ));
            let verdict = json!({ "ok": true, "irreversible": irreversible });
            Ok((0, verdict))
        }
        Err(TestingError::NotReversible(n)) => {
            out.line(&format!(
                "{}: the down of {} {} does not restore the schema its up found; after up and down, compared with before up:",
                dir.display(),
                n.version(),
                n.name()
            ));
            for line in n.diff().lines() {
                out.line(&format!("  {line}"));
            }
            let verdict = json!({
                "ok": false,
                "irreversible": irreversible,
                "version": n.version(),
                "name": n.name(),
                "differences": n.diff().lines(),
            });
            Ok((1, verdict))
        }
        Err(TestingError::Migrate(
            e @ Error::Database {
                context: "connecting",
                ..
            },
        )) => Err(Failure::failed(format!(
            "cannot connect to {}: {}",
            target.shown(),
            reason(&e)
        ))),
        Err(TestingError::Migrate(e)) => Err(e.into()),
        Err(e) => Err(Failure::failed(e.to_string()).with("kind", "reversible")),
    }
}
