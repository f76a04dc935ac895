//! `migrate seed [NAME] [--force]`: the seed files of `seeds/NAME/`.
//!
//! The seed folder is the positional NAME, else the `--env` name, else
//! `development`; `--env` keeps choosing the `migrate.toml` environment
//! (database, protection), so `migrate seed dev --env staging` seeds the
//! staging database with `seeds/dev/`. `--force` forgets the records of
//! the folder's files first, so every file runs again (after `down --all`
//! and `up` left the tables empty).

use serde_json::{json, Value};

use super::output::Out;
use super::Failure;
use crate::{AnyConnection, Migrations, Runner};

/// The seed folder to run: NAME, else the environment's name, else
/// `development`.
pub(crate) fn folder<'a>(name: Option<&'a str>, env: Option<&'a str>) -> &'a str {
    name.or(env).unwrap_or("development")
}

/// Runs (or with `dry`, shows) the seed files of `env`.
pub(crate) fn seed(
    set: &Migrations,
    runner: &Runner<'_>,
    conn: &mut AnyConnection,
    out: &Out,
    (env, dry, force): (&str, bool, bool),
    table: &str,
) -> Result<u8, Failure> {
    if dry {
        let when = if force {
            "runs"
        } else {
            "runs if new or changed"
        };
        let files: Vec<Value> = set
            .seeds(env)
            .map(|s| json!({ "file": s.file(), "checksum": s.checksum(), "sql": s.sql() }))
            .collect();
        out.document(&json!({ "dry_run": true, "env": env, "force": force, "files": files }));
        for s in set.seeds(env) {
            out.line(&format!(
                "-- seed {} ({when})\n{}",
                s.file(),
                s.sql().trim_end()
            ));
        }
        return Ok(0);
    }
    if force && set.seeds(env).next().is_some() {
        let forgotten = forget(conn, table, env)?;
        out.note(&format!(
            "--force: forgot {forgotten} seed record(s) of `{env}`; every file runs again"
        ));
    }
    let report = runner.seed(conn, env)?;
    out.document(&serde_json::to_value(&report).unwrap_or(Value::Null));
    out.line(&report.to_string());
    Ok(u8::from(report.has_failures()))
}

/// Deletes the seed records of `env` (none when the seeds table does not
/// exist yet); returns how many there were.
fn forget(conn: &mut AnyConnection, table: &str, env: &str) -> Result<u64, Failure> {
    let seeds = format!("{table}_seeds");
    let quoted = format!("\"{}\"", seeds.replace('"', "\"\""));
    let failed = |e: &dyn std::fmt::Display| {
        Failure::failed(format!("--force: cannot forget the seed records: {e}"))
    };
    match conn {
        AnyConnection::Postgres(client) => {
            let exists: bool = client
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&quoted])
                .map_err(|e| failed(&e))?
                .get(0);
            if !exists {
                return Ok(0);
            }
            client
                .execute(&format!("DELETE FROM {quoted} WHERE env = $1"), &[&env])
                .map_err(|e| failed(&e))
        }
        AnyConnection::Sqlite(c) => {
            let exists: bool = c
                .query_row(
                    "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [&seeds],
                    |r| r.get(0),
                )
                .map_err(|e| failed(&e))?;
            if !exists {
                return Ok(0);
            }
            c.execute(&format!("DELETE FROM {quoted} WHERE env = ?1"), [env])
                .map(|n| n as u64)
                .map_err(|e| failed(&e))
        }
        #[allow(unreachable_patterns)]
        _ => Err(Failure::usage("--force: this database is not supported")),
    }
}
