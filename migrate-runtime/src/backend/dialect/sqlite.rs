//! SQLite's tracking tables.

use crate::model::Tracking;

/// The tracking table and the event log.
pub(super) fn create_tables(t: &Tracking) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {history} (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'in_progress', 'failed')),
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    execution_ms REAL,
    applied_by TEXT,
    no_transaction INTEGER NOT NULL DEFAULT 0,
    down_sql TEXT
);
CREATE TABLE IF NOT EXISTS {events} (
    id INTEGER PRIMARY KEY,
    version INTEGER,
    name TEXT,
    event TEXT NOT NULL,
    checksum TEXT,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    execution_ms REAL,
    actor TEXT,
    detail TEXT
);",
        history = t.history,
        events = t.events,
    )
}

/// The seeds table.
pub(super) fn create_seeds(t: &Tracking) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (
    env TEXT NOT NULL,
    file TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    applied_by TEXT,
    PRIMARY KEY (env, file)
);",
        t.seeds
    )
}
