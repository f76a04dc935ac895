//! The tracking tables' definitions: the same columns on every engine, in
//! each engine's types.

use crate::model::{quote_ident, Engine, MigrationState, Tracking};

/// An engine's column types.
struct Types {
    /// A version (a 64-bit integer; on SQLite `INTEGER PRIMARY KEY` is the
    /// row id).
    int: &'static str,
    /// The event log's increasing key.
    serial_key: &'static str,
    /// When, defaulting to now.
    stamp: &'static str,
    /// Milliseconds.
    real: &'static str,
    /// Who, defaulting to the database user where there is one.
    who: &'static str,
    /// A flag, false by default.
    flag: &'static str,
}

fn types(engine: Engine) -> Types {
    match engine {
        Engine::Postgres => Types {
            int: "BIGINT",
            serial_key: "BIGSERIAL PRIMARY KEY",
            stamp: "TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()",
            real: "DOUBLE PRECISION",
            who: "TEXT NOT NULL DEFAULT current_user",
            flag: "BOOLEAN NOT NULL DEFAULT false",
        },
        Engine::Sqlite => Types {
            int: "INTEGER",
            serial_key: "INTEGER PRIMARY KEY",
            stamp: "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            real: "REAL",
            who: "TEXT",
            flag: "INTEGER NOT NULL DEFAULT 0",
        },
    }
}

/// The tracking table's columns, in order.
const HISTORY_COLUMNS: &str =
    "version, name, checksum, status, applied_at, execution_ms, applied_by, no_transaction, down_sql";

/// The constraint on the `status` column: every [`MigrationState`].
pub(super) fn status_check() -> String {
    let states: Vec<String> = MigrationState::ALL
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("CHECK (status IN ({}))", states.join(", "))
}

/// Whether a tracking table's constraint (its text, as the catalog gives
/// it) predates a state: the table was made by an earlier release.
pub(super) fn check_outdated(definition: &str) -> bool {
    definition.contains("'in_progress'")
        && MigrationState::ALL
            .iter()
            .any(|s| !definition.contains(&format!("'{}'", s.as_str())))
}

/// The tracking table's definition (without `CREATE TABLE`).
fn history_columns(engine: Engine) -> String {
    let Types {
        int,
        stamp,
        real,
        who,
        flag,
        ..
    } = types(engine);
    format!(
        "(
    version {int} PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'applied' {check},
    applied_at {stamp},
    execution_ms {real},
    applied_by {who},
    no_transaction {flag},
    down_sql TEXT
)",
        check = status_check()
    )
}

/// On SQLite, whose constraints cannot be altered: the tracking table
/// made again with today's definition, its rows copied, in one
/// transaction (as SQLite's documentation prescribes for a schema change).
pub(super) fn rebuild_history(t: &Tracking) -> String {
    let schema = t
        .schema
        .as_deref()
        .map_or_else(String::new, |s| format!("{}.", quote_ident(s)));
    let new = format!("{schema}{}", quote_ident(&format!("{}_rebuilt", t.table)));
    format!(
        "BEGIN IMMEDIATE;
CREATE TABLE {new} {columns};
INSERT INTO {new} ({HISTORY_COLUMNS}) SELECT {HISTORY_COLUMNS} FROM {history};
DROP TABLE {history};
ALTER TABLE {new} RENAME TO {name};
COMMIT;",
        columns = history_columns(Engine::Sqlite),
        history = t.history,
        name = quote_ident(&t.table),
    )
}

/// The tracking table and the event log, created if missing.
pub(super) fn history_and_events(engine: Engine, t: &Tracking) -> String {
    let Types {
        int,
        serial_key,
        stamp,
        real,
        who,
        ..
    } = types(engine);
    format!(
        "CREATE TABLE IF NOT EXISTS {history} {columns};
CREATE TABLE IF NOT EXISTS {events} (
    id {serial_key},
    version {int},
    name TEXT,
    event TEXT NOT NULL,
    checksum TEXT,
    at {stamp},
    execution_ms {real},
    actor {who},
    detail TEXT
);
",
        history = t.history,
        columns = history_columns(engine),
        events = t.events,
    )
}

/// The seeds table, created if missing.
pub(super) fn seeds(engine: Engine, t: &Tracking) -> String {
    let Types { stamp, who, .. } = types(engine);
    format!(
        "CREATE TABLE IF NOT EXISTS {} (
    env TEXT NOT NULL,
    file TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at {stamp},
    applied_by {who},
    PRIMARY KEY (env, file)
);",
        t.seeds
    )
}
