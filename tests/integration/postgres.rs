//! What only PostgreSQL promises (the contract both engines keep is in
//! `contract`): the example forum schema in full, the session a run leaves
//! behind, error positions found by replay, `CREATE INDEX CONCURRENTLY`
//! outside a transaction and runners waiting behind it, a quoted schema,
//! the cached digest of the one-round-trip no-op boot.

use std::thread;

use migrate::Error;

use crate::concurrency::{run_threads, spawn_child, wait_all, RUNNERS};
use crate::fixtures::*;
use crate::support::*;

macro_rules! pg_db {
    ($name:expr) => {
        match PgDb::create($name) {
            Some(db) => db,
            None => return,
        }
    };
}

/// A run leaves the caller's session as it found it: no lock, no setting,
/// no prepared statement of its own.
fn assert_session_left_clean(client: &mut migrate::postgres::Client) {
    let row = client
        .query_one(
            "SELECT current_setting('migrate.writing', true) IS DISTINCT FROM 'on', \
                    (SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'migrate%'), \
                    (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())",
            &[],
        )
        .unwrap();
    assert!(row.get::<_, bool>(0), "migrate.writing was reset");
    assert_eq!(row.get::<_, i64>(1), 0, "prepared statement deallocated");
    assert_eq!(row.get::<_, i64>(2), 0, "advisory lock released");
}

#[test]
fn the_example_schema_applies_in_full_and_leaves_the_session_clean() {
    let db = pg_db!("example");
    let mut client = db.connect();
    EXAMPLE.run(&mut client).expect("apply the example schema");
    assert_eq!(
        client.count("SELECT count(*) FROM pg_matviews WHERE matviewname = 'user_leaderboard'"),
        1,
        "the leaderboard materialized view exists"
    );
    assert_eq!(
        client.count("SELECT count(*) FROM pg_index WHERE NOT indisvalid"),
        0
    );
    assert_session_left_clean(&mut client);
}

#[test]
fn a_failed_run_leaves_the_session_clean_and_no_advisory_lock() {
    let db = pg_db!("failed_session");
    let mut client = db.connect();
    let err = FAILING.run(&mut client).unwrap_err();
    assert_eq!(err.migration_failure().map(|f| f.version()), Some(3));
    assert_session_left_clean(&mut client);
    // The same session runs (and fails) again at once.
    let again = FAILING
        .runner()
        .lock_wait(std::time::Duration::from_secs(2))
        .run(&mut client)
        .unwrap_err();
    assert_eq!(again.migration_failure().map(|f| f.version()), Some(3));
    let mut other = db.connect();
    assert_eq!(
        other.count(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        ),
        0
    );
}

#[test]
fn failure_without_server_position_points_at_the_failing_statement() {
    let db = pg_db!("no_position");
    let mut client = db.connect();
    let err = FAILING_RUNTIME.run(&mut client).unwrap_err();
    let Some(f) = err.migration_failure() else {
        panic!("expected a migration failure, got {err}");
    };
    let code = f.code().map(|c| c.to_string().replace("SQLSTATE ", ""));
    assert_eq!(f.version(), 2);
    assert_eq!(
        (f.line(), f.column()),
        (Some(3), Some(3)),
        "the SELECT 1 / 0 statement"
    );
    assert_eq!(code.as_deref(), Some("22012"));
    assert!(!client.exists("x"), "the replay left nothing behind");
    assert_eq!(client.versions(), [1]);
}

#[test]
fn no_transaction_create_index_concurrently_applies() {
    let db = pg_db!("cic");
    let mut client = db.connect();
    let report = CONCURRENT_INDEX.run(&mut client).expect("apply");
    let transactional: Vec<bool> = report.applied().iter().map(|a| a.transactional()).collect();
    assert_eq!(transactional, [true, false, true]);
    assert_eq!(
        client.column(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'items_name'::regclass"
        ),
        ["true"]
    );
    assert_eq!(client.statuses(), ["applied"; 3]);
}

#[test]
fn runners_waiting_behind_a_slow_create_index_concurrently_do_not_deadlock() {
    let db = pg_db!("slow_cic");
    let url = db.url();
    let first = spawn_child("slow_index", &url);
    // Start the others while the first is inside CREATE INDEX CONCURRENTLY,
    // which waits for every transaction that holds a snapshot: a waiter
    // blocked inside a lock statement would deadlock it.
    let mut watcher = db.connect();
    wait_for_query(&mut watcher, "CREATE INDEX CONCURRENTLY");
    let mut children = vec![first];
    children.extend((1..RUNNERS).map(|_| spawn_child("slow_index", &url)));
    let threads = thread::spawn(move || run_threads(&SLOW_INDEX, &url));
    wait_all(children);
    assert_eq!(
        threads.join().unwrap().iter().sum::<usize>(),
        0,
        "the first runner applied all"
    );
    assert_eq!(watcher.versions(), [1, 2, 3]);
    assert_eq!(watcher.event_counts("apply"), [(1, 1), (2, 1), (3, 1)]);
    assert_eq!(
        watcher.column(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'slow_identity_idx'::regclass"
        ),
        ["true"]
    );
}

#[test]
fn custom_schema_and_table_names_are_quoted() {
    let db = pg_db!("custom_table");
    let mut client = db.connect();
    let runner = BASIC
        .runner()
        .schema("Ops Schema")
        .table("Schema \"History\"");
    runner.run(&mut client).expect("apply");
    assert_eq!(
        client.count("SELECT count(*) FROM \"Ops Schema\".\"Schema \"\"History\"\"\""),
        3
    );
    assert!(!client.exists("migrate_history"));
    assert!(runner.run(&mut client).unwrap().is_up_to_date());
    // An empty table name: `contract::apply::a_custom_tracking_table_name_is_quoted`.
}

/// The digest kept as the tracking table's comment.
fn state_digest(client: &mut migrate::postgres::Client) -> Option<String> {
    let comment: Option<String> = client
        .query_one(
            "SELECT obj_description('migrate_history'::regclass, 'pg_class')",
            &[],
        )
        .unwrap()
        .get(0);
    comment.map(|c| {
        c.strip_prefix("migrate applied-state digest ")
            .unwrap_or_else(|| panic!("a digest: {c}"))
            .to_owned()
    })
}

#[test]
fn no_op_boot_reads_one_cached_digest_that_any_change_voids() {
    let db = pg_db!("digest");
    let proxy = db.proxy();
    let mut counted = AnyConnection::open(proxy.url()).unwrap();
    let mut client = db.connect();
    BASIC.run(&mut client).unwrap();
    let cached = state_digest(&mut client).expect("a digest after a run");

    // Nothing pending: one round trip, whatever the number of migrations.
    let before = proxy.round_trips();
    assert!(BASIC.run(&mut counted).unwrap().is_up_to_date());
    assert_eq!(proxy.round_trips() - before, 1, "the no-op boot");

    // A hand edit voids the cache; the next boot reads the table, finds
    // nothing to do and has the server compute the digest again, which
    // must equal the one the runner computed.
    client
        .batch_execute("UPDATE migrate_history SET applied_by = 'someone else'")
        .unwrap();
    assert_eq!(state_digest(&mut client), None);
    let before = proxy.round_trips();
    assert!(BASIC.run(&mut counted).unwrap().is_up_to_date());
    assert_eq!(
        proxy.round_trips() - before,
        2,
        "the digest, then the table (and the digest computed again)"
    );
    assert_eq!(state_digest(&mut client), Some(cached.clone()));

    // Removing the last row by hand (and its table) makes the next boot
    // apply it again, although the cached digest had matched before.
    client
        .batch_execute("DELETE FROM migrate_history WHERE version = 3; DROP TABLE boots")
        .unwrap();
    let report = BASIC.run(&mut client).unwrap();
    assert_eq!(applied(&report), [3]);
    assert_eq!(state_digest(&mut client), Some(cached));

    // A different set (an older binary) never takes the shortcut.
    let err = BASIC_SHORT.run(&mut client).unwrap_err();
    assert!(
        matches!(err, Error::UnknownApplied { version: 3, .. }),
        "{err}"
    );
}

#[test]
fn each_migration_of_a_batch_records_its_own_duration() {
    // Found in issue 10: the server's `now()` is the same for every
    // transaction of one message, so each migration of a batch was
    // recorded with the time since the batch began (0.3, 0.6, 0.9 s).
    let db = pg_db!("own_duration");
    let mut client = db.connect();
    let report = SLEEPY.run(&mut client).unwrap();
    let reported: Vec<f64> = report
        .applied()
        .iter()
        .map(|a| a.duration().as_secs_f64() * 1000.0)
        .collect();
    let recorded: Vec<f64> = client
        .query(
            "SELECT execution_ms FROM migrate_history ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let events: Vec<f64> = client
        .query(
            "SELECT execution_ms FROM migrate_history_events WHERE event = 'apply' ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for ms in [&reported, &recorded, &events] {
        assert_eq!(ms.len(), 3);
        assert!(ms.iter().all(|&t| t >= 300.0), "each slept 0.3 s: {ms:?}");
        // Cumulative times would make the third at least the first two together.
        assert!(ms[2] < ms[0] + ms[1], "each its own duration: {ms:?}");
    }
}

#[test]
fn a_syntax_error_in_a_batch_is_blamed_on_its_migration_and_the_ones_before_apply() {
    // Found in issue 10: the server parses a whole message before running
    // any of it, so a typo in the second migration of a batch stopped the
    // first too, and the failure was blamed on the first, without a line.
    let db = pg_db!("batch_parse");
    let mut client = db.connect();
    let err = BATCH_PARSE_ERROR.run(&mut client).unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert_eq!(
        (f.version(), f.file(), f.line(), f.column()),
        (
            2,
            "tests/fixtures/batch_parse_error/0002_b.up.sql",
            Some(2),
            Some(1)
        ),
        "{err}"
    );
    let before: Vec<u64> = f.report().applied().iter().map(|a| a.version()).collect();
    assert_eq!(before, [1], "as if each had been sent alone");
    assert_eq!(client.versions(), [1]);
    assert!(client.exists("pa"));
    assert!(!client.exists("pc"), "nothing after the failure runs");
}

#[test]
fn an_invalid_index_is_never_counted_as_applied_and_verify_reports_it() {
    // Found in issue 10: the failed build leaves an invalid index; after
    // `repair` the migration ran again, `IF NOT EXISTS` skipped the broken
    // index, the migration was recorded applied, `verify` said ok, and
    // duplicates were accepted.
    let db = pg_db!("invalid_index");
    let mut client = db.connect();
    let err = INVALID_INDEX.run(&mut client).unwrap_err();
    assert_eq!(
        err.migration_failure().map(|f| f.version()),
        Some(2),
        "{err}"
    );
    let problems = INVALID_INDEX.runner().verify(&mut client).unwrap();
    assert!(
        problems.iter().any(
            |p| matches!(p, migrate::Finding::InvalidIndex { name, .. } if name == "accounts_email")
        ),
        "verify reports the invalid index: {problems:?}"
    );
    INVALID_INDEX.runner().repair(&mut client).unwrap();
    let again = INVALID_INDEX.run(&mut client).unwrap_err();
    let f = again.migration_failure().expect("refused, not applied");
    assert_eq!(f.version(), 2);
    assert!(
        f.message().contains("accounts_email") && f.message().contains("invalid"),
        "{again}"
    );
    assert_eq!(client.statuses(), ["applied", "failed"]);
    let status = INVALID_INDEX.runner().status(&mut client).unwrap();
    assert!(!status.is_up_to_date());
    assert!(status
        .problems()
        .iter()
        .any(|p| matches!(p, migrate::Finding::InvalidIndex { .. })));
    // Once the duplicate is gone and the leftover dropped, it applies.
    client
        .batch_execute("DELETE FROM accounts WHERE id = 2; DROP INDEX accounts_email;")
        .unwrap();
    INVALID_INDEX.runner().repair(&mut client).unwrap();
    INVALID_INDEX.run(&mut client).unwrap();
    assert!(INVALID_INDEX
        .runner()
        .verify(&mut client)
        .unwrap()
        .is_empty());
}

#[test]
fn a_lost_connection_says_the_outcome_is_unknown_instead_of_blaming_a_migration() {
    // Found in issue 10: after the session was terminated, the error named
    // migration 1 although it had committed and 2 was interrupted.
    let db = pg_db!("connection_lost");
    let mut client = db.connect();
    let err = CONNECTION_LOST.run(&mut client).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::ConnectionLost {
                first: 1,
                last: 3,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("unknown") && text.contains("status"),
        "{text}"
    );
    // A new connection tells the truth: 1 committed, 2 and 3 did not.
    let status = CONNECTION_LOST.runner().status(&mut db.connect()).unwrap();
    let applied: Vec<u64> = status.applied().iter().map(|a| a.version()).collect();
    assert_eq!(applied, [1]);
}

#[test]
fn a_migration_that_sets_the_search_path_does_not_lose_the_tracking_tables() {
    // Found in issue 10: `SET search_path` in a migration made the
    // bookkeeping fail with `relation "migrate_history" does not exist`.
    let db = pg_db!("search_path");
    let mut client = db.connect();
    let report = SEARCH_PATH.run(&mut client).unwrap();
    assert_eq!(report.applied().len(), 2);
    let mut fresh = db.connect();
    assert_eq!(
        fresh.versions(),
        [1, 2],
        "the rows are in the schema the run began in"
    );
    assert!(SEARCH_PATH.run(&mut fresh).unwrap().is_up_to_date());
    let status = SEARCH_PATH.runner().status(&mut fresh).unwrap();
    assert!(status.is_up_to_date(), "{:?}", status.problems());
}

#[test]
fn a_dropped_tracking_table_is_not_taken_for_an_up_to_date_database() {
    // Found in issue 10: after `DROP TABLE migrate_history` (and the app's
    // tables), the cached digest in `migrate_history_state` outlived the
    // table: `run` said up to date while `status` showed all pending.
    let db = pg_db!("dropped_history");
    let mut client = db.connect();
    BASIC.run(&mut client).unwrap();
    client
        .batch_execute("DROP TABLE migrate_history, boots, b, a")
        .unwrap();
    let report = BASIC.run(&mut client).unwrap();
    assert_eq!(report.applied().len(), 3, "{report}");
    assert_eq!(client.versions(), [1, 2, 3]);
    assert!(BASIC.run(&mut client).unwrap().is_up_to_date());
}

#[test]
fn a_replaced_tracking_table_is_not_taken_for_the_one_digested() {
    // Found in issue 10: the digest was kept in a table of its own, and a
    // tracking table dropped and made again (restored from an older copy,
    // say) left it standing: `run` said up to date and applied nothing.
    let db = pg_db!("replaced_history");
    let mut client = db.connect();
    BASIC.run(&mut client).unwrap();
    client
        .batch_execute(
            "CREATE TABLE old_copy AS SELECT * FROM migrate_history WHERE version < 3;
             DROP TABLE migrate_history, boots;
             ALTER TABLE old_copy RENAME TO migrate_history;",
        )
        .unwrap();
    let report = BASIC.run(&mut client).unwrap();
    assert_eq!(applied(&report), [3], "{report}");
    assert_eq!(client.count("SELECT count(*) FROM boots"), 1);
    assert!(BASIC.run(&mut client).unwrap().is_up_to_date());
}

#[test]
fn a_first_boot_makes_the_server_report_no_error() {
    // Found in issue 10: the one-round-trip probe read a table that does
    // not exist on an empty database, and the server logged an ERROR for
    // every booting replica (log-based alerting fired on each deploy).
    let db = pg_db!("first_boot_quiet");
    let proxy = db.proxy();
    let url = proxy.url().to_owned();
    let boots: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = AnyConnection::open(&url).unwrap();
                BASIC.run(&mut conn).unwrap().applied().len()
            })
        })
        .collect();
    let applied: usize = boots.into_iter().map(|b| b.join().unwrap()).sum();
    assert_eq!(applied, 3, "each migration applied once");
    let mut conn = AnyConnection::open(&url).unwrap();
    assert!(BASIC.run(&mut conn).unwrap().is_up_to_date());
    assert_eq!(proxy.server_errors(), 0, "errors the server reported");
    // The proxy does see the server's errors.
    let AnyConnection::Postgres(client) = &mut conn else {
        unreachable!("a PostgreSQL connection")
    };
    assert!(client.batch_execute("SELECT FROM no_such_table").is_err());
    assert_eq!(proxy.server_errors(), 1);
}

#[test]
fn an_edit_by_a_role_that_does_not_own_the_table_voids_the_digest() {
    // Only the table's owner may set its comment: the trigger voids the
    // digest with its owner's rights, so an editor's change is neither
    // refused nor left with a stale digest.
    let db = pg_db!("editor_voids");
    let mut client = db.connect();
    BASIC.run(&mut client).unwrap();
    assert!(state_digest(&mut client).is_some());
    let editor = format!("\"{}_editor\"", db.name());
    client
        .batch_execute(&format!(
            "CREATE ROLE {editor};
             GRANT SELECT, UPDATE ON migrate_history TO {editor};
             SET ROLE {editor};
             UPDATE migrate_history SET applied_by = 'an editor';
             RESET ROLE;
             DROP OWNED BY {editor};
             DROP ROLE {editor};"
        ))
        .unwrap();
    assert_eq!(state_digest(&mut client), None);
    assert!(BASIC.run(&mut client).unwrap().is_up_to_date());
    assert!(state_digest(&mut client).is_some());
}

/// Polls `query` (a count) on `client` until it is positive; panics after
/// 20 s.
fn wait_for(client: &mut migrate::postgres::Client, query: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while client.count(query) == 0 {
        assert!(std::time::Instant::now() < deadline, "timed out: {query}");
        thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_digest_is_stored_before_the_lock_is_released() {
    // Found in issue 10: the lock was released first and the digest stored
    // after it in the same message, so a runner taking the lock in between
    // could have its void overwritten by the digest of an older state
    // while it applied.
    let db = pg_db!("digest_before_unlock");
    let mut watcher = db.connect();
    let url = db.url();
    let run = thread::spawn(move || {
        let mut conn = AnyConnection::open(&url).unwrap();
        SLEEPY.run(&mut conn).map(|r| r.applied().len())
    });
    let others = "pid <> pg_backend_pid() AND datname = current_database()";
    // Past its set-up (which comments the table too), in the batch.
    wait_for(
        &mut watcher,
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE {others} AND query LIKE '%pg_sleep%'"
        ),
    );
    // The comment waits for this lock: the runner stops while storing it.
    let mut blocker = db.connect();
    blocker
        .batch_execute("BEGIN; LOCK TABLE migrate_history IN SHARE UPDATE EXCLUSIVE MODE")
        .unwrap();
    wait_for(
        &mut watcher,
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE {others} AND wait_event_type = 'Lock'"
        ),
    );
    let held = watcher.count(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()",
    );
    blocker.batch_execute("COMMIT").unwrap();
    assert_eq!(run.join().unwrap().unwrap(), 3);
    assert_eq!(
        held, 1,
        "the migration lock is held while the digest is stored"
    );
    assert!(state_digest(&mut watcher).is_some());
}

#[test]
fn the_lock_is_released_when_the_end_of_a_run_fails() {
    // The digest and the session's reset go before the release, in one
    // message; when they fail (here the bookkeeping statement they
    // deallocate is gone), the lock is released on its own.
    let db = pg_db!("unlock_after_failed_end");
    let mut client = db.connect();
    let err = DEALLOCATING.run(&mut client).unwrap_err();
    assert_eq!(
        err.migration_failure().map(|f| f.version()),
        Some(2),
        "{err}"
    );
    let mut other = db.connect();
    let held = other.count(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE l.locktype = 'advisory' AND d.datname = current_database()",
    );
    assert_eq!(held, 0, "no lock kept by the open connection");
    drop(client);
}

#[test]
fn a_failed_connection_keeps_the_server_code() {
    // Found in issue 11: the connection's error wraps the driver's, and
    // `Error::code` read only the outer one.
    let db = pg_db!("connection_code");
    let missing = db.server().url(&format!("{}_missing", db.name()));
    let Err(err) = AnyConnection::open(&missing) else {
        panic!("connected to a database that does not exist");
    };
    assert_eq!(
        err.code(),
        Some(migrate::ErrorCode::SqlState(migrate::SqlState::new(
            "3D000"
        ))),
        "{err}"
    );
}

#[test]
fn a_rule_with_several_actions_runs_whole_outside_a_transaction() {
    // Found in issue 10: the lexer split the rule's action list at its inner
    // `;`, and the no-transaction run sent half a rule.
    let db = pg_db!("rule_actions");
    let mut client = db.connect();
    RULE_ACTIONS.run(&mut client).unwrap();
    client
        .batch_execute("INSERT INTO ruled VALUES (7)")
        .unwrap();
    assert_eq!(client.count("SELECT count(*) FROM ruled_a WHERE id = 7"), 1);
    assert_eq!(client.count("SELECT count(*) FROM ruled_b WHERE id = 7"), 1);
}
