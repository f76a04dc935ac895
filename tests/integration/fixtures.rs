//! The fixture sets, embedded by the macro (folders under `tests/fixtures/`).

use migrate::{embed_migrations, Migrations};

/// The example schema of the repository.
pub static EXAMPLE: Migrations = embed_migrations!("migrations");
/// The quickstart's SQLite set.
pub static QUICKSTART: Migrations = embed_migrations!("examples/quickstart/migrations");
/// Three portable migrations; the third inserts one row, so a double
/// application would show.
pub static BASIC: Migrations = embed_migrations!("tests/fixtures/basic");
/// `BASIC` with migration 2 edited after the fact.
pub static BASIC_EDITED: Migrations = embed_migrations!("tests/fixtures/basic_edited");
/// The first two migrations of `BASIC`: an older binary.
pub static BASIC_SHORT: Migrations = embed_migrations!("tests/fixtures/basic_short");
/// Two migrations of `BASIC`, then one that fails on line 5.
pub static FAILING: Migrations = embed_migrations!("tests/fixtures/failing");
/// `FAILING` with a fourth migration after the failing one.
pub static FAILING_MIDDLE: Migrations = embed_migrations!("tests/fixtures/failing_middle");
/// Three migrations, the second marked irreversible.
pub static IRREVERSIBLE: Migrations = embed_migrations!("tests/fixtures/irreversible");
/// PostgreSQL: an `ALTER TABLE` with `-- migrate:lock-timeout 100ms`.
pub static LOCK_RETRY: Migrations = embed_migrations!("tests/fixtures/lock_retry");
/// Timestamps 2024-01 and 2024-03.
pub static OOO_OLD: Migrations = embed_migrations!("tests/fixtures/ooo_old");
/// Timestamps 2024-01, 2024-02 (new, older than the newest applied) and 2024-03.
pub static OOO_NEW: Migrations = embed_migrations!("tests/fixtures/ooo_new");
/// PostgreSQL: a failure without an error position (division by zero).
pub static FAILING_RUNTIME: Migrations = embed_migrations!("tests/fixtures/failing_runtime");
/// PostgreSQL: a no-transaction `CREATE INDEX CONCURRENTLY` between two
/// transactional migrations.
pub static CONCURRENT_INDEX: Migrations = embed_migrations!("tests/fixtures/concurrent_index");
/// A no-transaction migration whose second statement (line 3) fails.
pub static HALF_APPLIED: Migrations = embed_migrations!("tests/fixtures/half_applied");
/// A no-transaction migration (an index, then an update) between two
/// transactional ones.
pub static NO_TRANSACTION: Migrations = embed_migrations!("tests/fixtures/no_transaction");
/// PostgreSQL: a `CREATE INDEX CONCURRENTLY` that takes a few seconds.
pub static SLOW_INDEX: Migrations = embed_migrations!("tests/fixtures/slow_index");
/// SQLite: a no-transaction `VACUUM`.
pub static SQLITE_NO_TRANSACTION: Migrations =
    embed_migrations!("tests/fixtures/sqlite_no_transaction");

/// SQL and code migrations interleaved: users (SQL), a view (code), an
/// index (SQL), a resumable batched backfill (code, no transaction).
pub static CODE: Migrations = embed_migrations!("tests/fixtures/code");

/// One migration and seeds for `dev` and `staging`.
pub static SEEDED: Migrations = embed_migrations!("tests/fixtures/seeded");
/// The same with `dev`'s second seed changed, a third failing, a fourth new.
pub static SEEDED_CHANGED: Migrations = embed_migrations!("tests/fixtures/seeded_changed");

/// Migrations whose own statements return rows, in one batch.
pub static SELECTING: Migrations = embed_migrations!("tests/fixtures/selecting");

/// The engine's example schema: the repository's `migrations/` (the forum,
/// PostgreSQL) or the quickstart's (SQLite).
pub fn example(engine: migrate::Engine) -> &'static Migrations {
    match engine {
        migrate::Engine::Postgres => &EXAMPLE,
        _ => &QUICKSTART,
    }
}

/// PostgreSQL: three migrations that each sleep 0.3 s, sent in one batch.
pub static SLEEPY: Migrations = embed_migrations!("tests/fixtures/sleepy");

/// PostgreSQL: a syntax error in the second of three migrations sent in
/// one message.
pub static BATCH_PARSE_ERROR: Migrations = embed_migrations!("tests/fixtures/batch_parse_error");

/// SQLite: a parent table rebuilt (create, copy, drop, rename) under a
/// child with `ON DELETE CASCADE`.
pub static SQLITE_REBUILD: Migrations = embed_migrations!("tests/fixtures/sqlite_rebuild");
/// SQLite: a rebuild that leaves a child row without its parent.
pub static SQLITE_FK_VIOLATION: Migrations =
    embed_migrations!("tests/fixtures/sqlite_fk_violation");

/// PostgreSQL: a unique index built concurrently (`IF NOT EXISTS`) on a
/// column with a duplicate.
pub static INVALID_INDEX: Migrations = embed_migrations!("tests/fixtures/invalid_index");

/// PostgreSQL: the second of three migrations in one message ends the
/// session.
pub static CONNECTION_LOST: Migrations = embed_migrations!("tests/fixtures/connection_lost");

/// `BASIC` with migration 2 deleted and another migration created at its
/// version.
pub static BASIC_REPLACED: Migrations = embed_migrations!("tests/fixtures/basic_replaced");

/// PostgreSQL: a migration that changes the session's `search_path`.
pub static SEARCH_PATH: Migrations = embed_migrations!("tests/fixtures/search_path");

/// PostgreSQL: a no-transaction `CREATE RULE` whose action list holds two
/// statements.
pub static RULE_ACTIONS: Migrations = embed_migrations!("tests/fixtures/rule_actions");

/// `BASIC` whose migration 2 has a down file failing on its line 2.
pub static FAILING_DOWN: Migrations = embed_migrations!("tests/fixtures/failing_down");

/// One migration whose no-transaction down file fails on its second
/// statement, after dropping one of the two tables the migration made.
pub static FAILING_NONTX_DOWN: Migrations = embed_migrations!("tests/fixtures/failing_nontx_down");

/// A migration that drops every prepared statement of the session, the
/// runner's bookkeeping statement too.
pub static DEALLOCATING: Migrations = embed_migrations!("tests/fixtures/deallocating");

/// Three migrations, the second without a transaction (so that the first
/// goes alone in its message); the third's down file runs until cancelled
/// before it drops the table.
pub static STOPPABLE: Migrations = embed_migrations!("tests/fixtures/stoppable");

/// Three migrations; the second makes a table, then runs until cancelled.
pub static ENDLESS: Migrations = embed_migrations!("tests/fixtures/endless");

/// Other tools' folders, shaped like real projects' (`layouts`): each
/// read by the macro in the layout its files show, or as declared.
pub static DIESEL: Migrations = embed_migrations!("tests/fixtures/layouts/diesel");
pub static SQLX: Migrations = embed_migrations!("tests/fixtures/layouts/sqlx", layout = "sqlx");
pub static DBMATE: Migrations = embed_migrations!("tests/fixtures/layouts/dbmate");
pub static GOOSE: Migrations = embed_migrations!("tests/fixtures/layouts/goose", layout = "goose");
pub static UP_MIGRATION: Migrations = embed_migrations!("tests/fixtures/layouts/up_migration");
pub static GOLANG_MIGRATE: Migrations = embed_migrations!(
    "tests/fixtures/layouts/golang_migrate",
    layout = "golang-migrate"
);
pub static REFINERY: Migrations = embed_migrations!("tests/fixtures/layouts/refinery");
pub static YOYO: Migrations = embed_migrations!("tests/fixtures/layouts/yoyo");
pub static VERSIONS_ROLLBACKS: Migrations =
    embed_migrations!("tests/fixtures/layouts/versions_rollbacks");

/// A set by name, for child processes.
pub fn by_name(name: &str) -> &'static Migrations {
    match name {
        "basic" => &BASIC,
        "slow_index" => &SLOW_INDEX,
        "quickstart" => &QUICKSTART,
        "fault_pg_batch" => &FAULT_PG_BATCH,
        "fault_pg_no_transaction" => &FAULT_PG_NO_TRANSACTION,
        "fault_pg_index" => &FAULT_PG_INDEX,
        "fault_lite" => &FAULT_LITE,
        other => panic!("no fixture set {other}"),
    }
}

/// PostgreSQL, for `faults`: a log table (each migration inserts its
/// version once per application), then two migrations sleeping 1 s and
/// 2 s, all three sent in one message.
pub static FAULT_PG_BATCH: Migrations = embed_migrations!("tests/fixtures/fault_pg_batch");
/// PostgreSQL, for `faults`: the log table, then a no-transaction
/// migration that makes a table, sleeps 2 s and logs its version.
pub static FAULT_PG_NO_TRANSACTION: Migrations =
    embed_migrations!("tests/fixtures/fault_pg_no_transaction");
/// PostgreSQL, for `faults`: the log table and a table indexed slowly, then
/// a no-transaction `CREATE INDEX CONCURRENTLY` of about a second that
/// logs its version.
pub static FAULT_PG_INDEX: Migrations = embed_migrations!("tests/fixtures/fault_pg_index");
/// SQLite, for `faults`: the log table, a transactional migration and a
/// no-transaction one, each counting a recursive CTE for about a second
/// between making a table and logging its version.
pub static FAULT_LITE: Migrations = embed_migrations!("tests/fixtures/fault_lite");
