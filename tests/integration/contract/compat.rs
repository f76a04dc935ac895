//! Compatibility: a database written by the previous release (commit
//! 578c19f, before the runtime became one protocol over thin drivers) is
//! read and migrated by this one. Its tracking tables, rows and events (and,
//! on PostgreSQL, the `_state` digest row and its trigger) are built here
//! with the very SQL that release sent.

use migrate::{DownSource, EventKind, MigrationState, Migrations, Rollback};

use crate::fixtures::*;
use crate::support::*;

contract! {
    a_database_written_by_the_previous_release_is_read_and_migrated,
    a_table_of_the_previous_release_takes_the_marks_of_a_failed_rollback,
}

fn a_table_of_the_previous_release_takes_the_marks_of_a_failed_rollback(db: &Db) {
    // Its `status` constraint predates the rollback marks: the first run
    // that writes brings it up to date (on SQLite by making the table
    // again), keeping the rows.
    // The previous release's connection (a sync one on every engine).
    let mut old = AnyConnection::open(&db.url()).unwrap();
    previous_release_applied(&mut old, &BASIC, 2);
    drop(old);
    let mut conn = db.open();
    assert_eq!(applied(&BASIC.run(&mut conn).unwrap()), [3]);
    assert_eq!(conn.versions(), [1, 2, 3]);
    conn.execute_sql("DROP TABLE boots; DROP TABLE b; DROP TABLE a;");
    conn.execute_sql("DELETE FROM migrate_history");
    let err = FAILING_NONTX_DOWN
        .run(&mut conn)
        .and_then(|_| {
            FAILING_NONTX_DOWN
                .runner()
                .rollback(&mut conn, Rollback::All)
        })
        .unwrap_err();
    assert!(err.migration_failure().is_some(), "{err}");
    assert_eq!(conn.statuses(), ["rollback_failed"]);
}

/// PostgreSQL, `tracking::begin_writes` of 578c19f for the default table
/// (`migrate_history`, no schema): the tracking tables, the state row, the
/// trigger voiding it, the session setting and the prepared statement of
/// the bookkeeping.
const PG_BEGIN_WRITES: &str = r#"CREATE TABLE IF NOT EXISTS "migrate_history" (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'in_progress', 'failed')),
    applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    execution_ms DOUBLE PRECISION,
    applied_by TEXT NOT NULL DEFAULT current_user,
    no_transaction BOOLEAN NOT NULL DEFAULT false,
    down_sql TEXT
);
CREATE TABLE IF NOT EXISTS "migrate_history_events" (
    id BIGSERIAL PRIMARY KEY,
    version BIGINT,
    name TEXT,
    event TEXT NOT NULL,
    checksum TEXT,
    at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    execution_ms DOUBLE PRECISION,
    actor TEXT NOT NULL DEFAULT current_user,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS "migrate_history_state" (
    digest TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO "migrate_history_state" (digest) SELECT NULL WHERE NOT EXISTS (SELECT FROM "migrate_history_state");
CREATE OR REPLACE FUNCTION "migrate_history_state_reset"() RETURNS trigger LANGUAGE plpgsql AS $migrate$
BEGIN
    -- A change to the tracking table not made by migrate (an edit by hand)
    -- voids the cached digest: the next run reads the table itself.
    EXECUTE format('UPDATE %I.%I SET digest = NULL, updated_at = clock_timestamp()',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME || '_state');
    RETURN NULL;
END
$migrate$;
DO $migrate$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_trigger
                   WHERE tgrelid = E'"migrate_history"'::regclass AND tgname = 'migrate_state_reset') THEN
        CREATE TRIGGER migrate_state_reset
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "migrate_history"
            FOR EACH STATEMENT
            WHEN (current_setting('migrate.writing', true) IS DISTINCT FROM 'on')
            EXECUTE FUNCTION "migrate_history_state_reset"();
    END IF;
END
$migrate$;
UPDATE "migrate_history_state" SET digest = NULL, updated_at = clock_timestamp();
SET migrate.writing = on;
PREPARE migrate_record_apply (bigint, text, text, text) AS
    WITH applied AS (
        INSERT INTO "migrate_history" (version, name, checksum, execution_ms, no_transaction, down_sql)
        VALUES ($1, $2, $3, extract(epoch FROM clock_timestamp() - now()) * 1000, false, $4)
        RETURNING version, name, checksum, execution_ms
    )
    INSERT INTO "migrate_history_events" (version, name, event, checksum, execution_ms)
    SELECT version, name, 'apply', checksum, execution_ms FROM applied
    RETURNING execution_ms AS migrate_applied_ms;"#;

/// SQLite, `begin_writes` of 578c19f for the default table.
const LITE_BEGIN_WRITES: &str = r#"CREATE TABLE IF NOT EXISTS "migrate_history" (
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
CREATE TABLE IF NOT EXISTS "migrate_history_events" (
    id INTEGER PRIMARY KEY,
    version INTEGER,
    name TEXT,
    event TEXT NOT NULL,
    checksum TEXT,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    execution_ms REAL,
    actor TEXT,
    detail TEXT
);"#;

/// The detail of the failure event the previous release logged for a
/// failed attempt at migration 3.
const OLD_FAILURE: &str =
    "migration 3 failed at tests/fixtures/basic/0003_record_boot.up.sql:1:13: \
     relation \"boots\" already exists (SQLSTATE 42P07)";

/// An `E'…'` literal, as the previous release wrote them.
fn literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// The previous release ran `set` up to and including `upto`, after a
/// failed attempt at the next migration: the schema, the tracking rows and
/// the events it left, and on PostgreSQL the digest of the applied state.
fn previous_release_applied(conn: &mut AnyConnection, set: &Migrations, upto: u64) {
    let done: Vec<&migrate::Migration> = set.iter().filter(|m| m.version() <= upto).collect();
    let next = set
        .iter()
        .find(|m| m.version() > upto)
        .expect("a later migration");
    match conn {
        AnyConnection::Postgres(client) => {
            // One run: set-up, every migration with its bookkeeping in one
            // message, the failure event, then the digest and the reset.
            client.batch_execute(PG_BEGIN_WRITES).unwrap();
            let mut script = String::new();
            for m in &done {
                script.push_str(&format!(
                    "BEGIN;\n{}\n;\nEXECUTE migrate_record_apply({}, {}, {}, {});\nCOMMIT;\n",
                    m.up_sql(),
                    m.version(),
                    literal(m.name()),
                    literal(m.checksum()),
                    m.down_sql().map_or_else(|| "NULL".to_owned(), literal),
                ));
            }
            client.batch_execute(&script).unwrap();
            client
                .batch_execute(&format!(
                    "INSERT INTO \"migrate_history_events\" (version, name, event, checksum, detail) \
                     VALUES ({}, {}, {}, {}, {})",
                    next.version(),
                    literal(next.name()),
                    literal("failure"),
                    literal(next.checksum()),
                    literal(OLD_FAILURE),
                ))
                .unwrap();
            // The release's `StateDigest`: SHA-256 of `version:checksum\n`
            // of the applied migrations, in version order.
            let lines: String = done
                .iter()
                .map(|m| format!("{}:{}\n", m.version(), m.checksum()))
                .collect();
            client
                .batch_execute(&format!(
                    "UPDATE \"migrate_history_state\" SET digest = \
                     encode(sha256(convert_to({}, 'UTF8')), 'hex'), updated_at = clock_timestamp();\n\
                     RESET migrate.writing;\nDEALLOCATE migrate_record_apply;",
                    literal(&lines)
                ))
                .unwrap();
        }
        AnyConnection::Sqlite(conn) => {
            use migrate::rusqlite::params;
            conn.execute_batch(LITE_BEGIN_WRITES).unwrap();
            let actor = Some("previous-release");
            for m in &done {
                let v = i64::try_from(m.version()).unwrap();
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                conn.execute_batch(m.up_sql()).unwrap();
                conn.execute(
                    "INSERT INTO \"migrate_history\" (version, name, checksum, execution_ms, applied_by, no_transaction, down_sql) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                    params![v, m.name(), m.checksum(), 1.25, actor, m.down_sql()],
                )
                .unwrap();
                conn.execute(
                    "INSERT INTO \"migrate_history_events\" (version, name, event, checksum, execution_ms, actor, detail) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![v, m.name(), "apply", m.checksum(), 1.25, actor, None::<String>],
                )
                .unwrap();
                conn.execute_batch("COMMIT").unwrap();
            }
            conn.execute(
                "INSERT INTO \"migrate_history_events\" (version, name, event, checksum, execution_ms, actor, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    i64::try_from(next.version()).unwrap(),
                    next.name(),
                    "failure",
                    next.checksum(),
                    None::<f64>,
                    actor,
                    OLD_FAILURE
                ],
            )
            .unwrap();
        }
        other => panic!("no previous release for {other:?}"),
    }
}

fn a_database_written_by_the_previous_release_is_read_and_migrated(db: &Db) {
    // On PostgreSQL, the runs go through a proxy counting round trips.
    let proxy = db.as_postgres().map(PgDb::proxy);
    let url = proxy
        .as_ref()
        .map_or_else(|| db.url(), |p| p.url().to_owned());
    let mut conn = AnyConnection::open(&url).unwrap();
    previous_release_applied(&mut conn, &BASIC, 2);
    // A run with nothing pending, in `trips` round trips on PostgreSQL.
    let boot = |conn: &mut AnyConnection, set: &Migrations, trips: usize| {
        let before = proxy.as_ref().map(|p| p.round_trips());
        let report = set.run(conn).unwrap();
        assert!(report.is_up_to_date(), "{report}");
        if let (Some(p), Some(before)) = (&proxy, before) {
            assert_eq!(
                p.round_trips() - before,
                trips,
                "round trips of the no-op boot"
            );
        }
    };
    let no_op = |conn: &mut AnyConnection, set: &Migrations| boot(conn, set, 1);

    // The release's own set is up to date. On PostgreSQL, the digest it
    // cached in a table of its own is not taken: the first boot reads the
    // tracking table (and has the server keep the digest with it, the same
    // one this release computes for the set); the next is one query.
    boot(&mut conn, &BASIC_SHORT, 2);
    no_op(&mut conn, &BASIC_SHORT);
    let status = BASIC_SHORT.runner().status(&mut conn).unwrap();
    assert!(status.is_up_to_date() && status.problems().is_empty());

    // The new set: its status reads the old rows.
    let status = BASIC.runner().status(&mut conn).unwrap();
    assert_eq!(status.current_version(), Some(2));
    let pending: Vec<u64> = status.pending().iter().map(|p| p.version()).collect();
    assert_eq!(pending, [3]);
    assert!(status.problems().is_empty(), "{:?}", status.problems());
    for (entry, m) in status.applied().iter().zip(BASIC.iter()) {
        assert_eq!(
            (entry.version(), entry.name(), entry.checksum()),
            (m.version(), m.name(), m.checksum())
        );
        assert_eq!(entry.state(), MigrationState::Applied);
        assert!(entry.embedded());
        assert!(entry.execution_ms().is_some());
        assert!(entry.applied_by().is_some_and(|by| !by.is_empty()));
        assert!(
            entry.applied_at().ends_with('Z') && entry.applied_at().contains('T'),
            "{}",
            entry.applied_at()
        );
    }
    assert!(BASIC.runner().verify(&mut conn).unwrap().is_empty());

    // `run` applies the rest, once; the second is a no-op.
    assert_eq!(applied(&BASIC.run(&mut conn).unwrap()), [3]);
    assert_eq!(conn.count("SELECT count(*) FROM boots"), 1);
    // The first run that writes drops the old digest table and trigger: a
    // runner of the previous release finds no digest and reads the table.
    assert!(!conn.exists("migrate_history_state"));
    no_op(&mut conn, &BASIC);
    assert_eq!(conn.versions(), [1, 2, 3]);

    // The history holds the old events and the new one, newest first.
    let history = BASIC.runner().history(&mut conn, 10).unwrap();
    let seen: Vec<(EventKind, Option<u64>)> =
        history.iter().map(|e| (e.kind(), e.version())).collect();
    assert_eq!(
        seen,
        [
            (EventKind::Apply, Some(3)),
            (EventKind::Failure, Some(3)),
            (EventKind::Apply, Some(2)),
            (EventKind::Apply, Some(1)),
        ]
    );
    assert_eq!(history[1].detail(), Some(OLD_FAILURE));
    assert!(history.iter().all(|e| e.at().ends_with('Z')));
    assert!(history[2].execution_ms().is_some());

    // An edit by hand of an old row: on PostgreSQL the trigger voids the
    // cached digest, the next boot reads the table and caches it again.
    conn.execute_sql("UPDATE migrate_history SET applied_by = 'someone else' WHERE version = 1");
    let before = proxy.as_ref().map(|p| p.round_trips());
    assert!(BASIC.run(&mut conn).unwrap().is_up_to_date());
    if let (Some(p), Some(before)) = (&proxy, before) {
        assert_eq!(
            p.round_trips() - before,
            2,
            "the void digest, then the table"
        );
    }
    no_op(&mut conn, &BASIC);

    // Everything rolls back, the old rows with the embedded down files.
    let report = BASIC.runner().rollback(&mut conn, Rollback::All).unwrap();
    let rolled: Vec<(u64, DownSource)> = report
        .rolled_back()
        .iter()
        .map(|r| (r.version(), r.source()))
        .collect();
    assert_eq!(
        rolled,
        [
            (3, DownSource::Embedded),
            (2, DownSource::Embedded),
            (1, DownSource::Embedded)
        ]
    );
    assert!(conn.versions().is_empty());
    for table in ["a", "b", "boots"] {
        assert!(!conn.exists(table), "{table} dropped");
    }
    assert_eq!(
        events(&mut conn, &BASIC, 3),
        ["rollback:1", "rollback:2", "rollback:3"]
    );
    // And applies again from nothing, then boots in one query.
    assert_eq!(applied(&BASIC.run(&mut conn).unwrap()), [1, 2, 3]);
    no_op(&mut conn, &BASIC);
}
