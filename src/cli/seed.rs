//! `migrate seed [NAME] [--force]`: the seed files of `seeds/NAME/`.
//!
//! The seed folder is the positional NAME, else the `--env` name, else
//! `development`; `--env` keeps choosing the `migrate.toml` environment
//! (database, protection), so `migrate seed dev --env staging` seeds the
//! staging database with `seeds/dev/`. `--force` runs every file of the
//! folder again, under the lock (after `down --all` and `up` left the
//! tables empty, say).

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
    let report = if force {
        runner.reseed(conn, env)?
    } else {
        runner.seed(conn, env)?
    };
    out.document(&serde_json::to_value(&report).unwrap_or(Value::Null));
    out.line(&report.to_string());
    Ok(u8::from(report.has_failures()))
}
