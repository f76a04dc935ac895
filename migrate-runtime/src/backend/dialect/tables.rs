//! The tracking tables' definitions: the same columns on every engine, in
//! each engine's types.

use crate::model::{Engine, Tracking};

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

/// The tracking table and the event log, created if missing.
pub(super) fn history_and_events(engine: Engine, t: &Tracking) -> String {
    let Types {
        int,
        serial_key,
        stamp,
        real,
        who,
        flag,
    } = types(engine);
    format!(
        "CREATE TABLE IF NOT EXISTS {history} (
    version {int} PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'in_progress', 'failed')),
    applied_at {stamp},
    execution_ms {real},
    applied_by {who},
    no_transaction {flag},
    down_sql TEXT
);
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
