//! What only SQLite promises (the contract both engines keep is in
//! `contract`): an in-memory database needs no lock file, a no-transaction
//! migration really runs outside a transaction (`VACUUM`), and a table
//! rebuild keeps the rows that reference the table while a migration that
//! breaks a foreign key fails.

use crate::fixtures::*;
use crate::support::*;

#[test]
fn in_memory_database_needs_no_lock_file() {
    let mut conn = migrate::rusqlite::Connection::open_in_memory().unwrap();
    let report = BASIC.run(&mut conn).unwrap();
    assert_eq!(report.applied().len(), 3);
    assert_eq!(conn.versions(), [1, 2, 3]);
    // The same through a URL.
    let mut any = AnyConnection::open("sqlite::memory:").unwrap();
    assert_eq!(applied(&BASIC.run(&mut any).unwrap()), [1, 2, 3]);
    assert!(BASIC.run(&mut any).unwrap().is_up_to_date());
}

#[test]
fn a_file_database_is_locked_beside_itself() {
    let lite = LiteDb::new();
    BASIC.run(&mut lite.connect()).unwrap();
    let mut lock = lite.path().into_os_string();
    lock.push(".migrate-lock");
    assert!(std::path::Path::new(&lock).exists());
}

#[test]
fn no_transaction_migration_applies_outside_a_transaction() {
    let lite = LiteDb::new();
    let mut conn = lite.connect();
    let report = SQLITE_NO_TRANSACTION
        .run(&mut conn)
        .expect("VACUUM runs outside a transaction");
    let transactional: Vec<bool> = report.applied().iter().map(|a| a.transactional()).collect();
    assert_eq!(transactional, [true, false]);
    assert_eq!(conn.statuses(), ["applied", "applied"]);
}

fn foreign_keys_on(conn: &migrate::rusqlite::Connection) -> bool {
    conn.query_row("PRAGMA foreign_keys", [], |r| r.get::<_, i64>(0))
        .unwrap()
        == 1
}

#[test]
fn a_table_rebuild_keeps_the_rows_that_reference_the_table() {
    // Found in issue 10: foreign keys are enforced on the runner's
    // connection, `PRAGMA foreign_keys = OFF` does nothing inside a
    // transaction, so `DROP TABLE parent` cascaded and emptied `child`.
    let lite = LiteDb::new();
    let mut conn = lite.connect();
    assert!(
        foreign_keys_on(&conn),
        "rusqlite's SQLite enforces foreign keys"
    );
    SQLITE_REBUILD.run(&mut conn).unwrap();
    assert_eq!(
        conn.count("SELECT count(*) FROM child"),
        2,
        "no child row lost"
    );
    assert_eq!(conn.count("SELECT count(*) FROM parent"), 2);
    assert!(
        foreign_keys_on(&conn),
        "the connection's setting is restored"
    );
    // And back down, the same way.
    SQLITE_REBUILD
        .runner()
        .rollback(&mut conn, migrate::Rollback::Last(1))
        .unwrap();
    assert_eq!(conn.count("SELECT count(*) FROM child"), 2);
    assert!(foreign_keys_on(&conn));
}

#[test]
fn a_migration_that_breaks_a_foreign_key_fails_and_rolls_back() {
    let lite = LiteDb::new();
    let mut conn = lite.connect();
    let err = SQLITE_FK_VIOLATION.run(&mut conn).unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert_eq!(f.version(), 2, "{err}");
    assert!(f.message().contains("child"), "names the table: {err}");
    assert_eq!(conn.versions(), [1]);
    assert_eq!(conn.count("SELECT count(*) FROM parent"), 2, "rolled back");
    assert!(
        foreign_keys_on(&conn),
        "the connection's setting is restored"
    );
}

/// Holds a write transaction (`BEGIN IMMEDIATE`, or `BEGIN EXCLUSIVE`,
/// which also stops readers in rollback-journal mode) on `path` for `hold`,
/// then commits. Returns once the transaction is open.
fn hold_writer(
    path: std::path::PathBuf,
    begin: &'static str,
    hold: std::time::Duration,
) -> std::thread::JoinHandle<()> {
    let (opened, wait) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = migrate::rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(begin).unwrap();
        conn.execute_batch("CREATE TABLE IF NOT EXISTS other_writer (x int)")
            .unwrap();
        opened.send(()).unwrap();
        std::thread::sleep(hold);
        conn.execute_batch("COMMIT").unwrap();
    });
    wait.recv().unwrap();
    holder
}

fn waits_for_another_writer(journal: &str, begin: &'static str) {
    // Found in issue 10: the runner read and wrote under rusqlite's default
    // busy timeout (5 s), whatever its lock wait, so a replica booting while
    // another process wrote for longer failed with "database is locked".
    let lite = LiteDb::new();
    let conn = lite.connect();
    conn.execute_batch(&format!("PRAGMA journal_mode = {journal}"))
        .unwrap();
    drop(conn);
    let holder = hold_writer(lite.path(), begin, std::time::Duration::from_secs(6));
    let mut conn = lite.connect();
    let report = BASIC
        .runner()
        .lock_wait(std::time::Duration::from_secs(60))
        .run(&mut conn)
        .unwrap_or_else(|e| panic!("the runner waits its lock wait ({journal}): {e}"));
    assert_eq!(report.applied().len(), 3);
    holder.join().unwrap();
    let busy: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert_eq!(busy, 5000, "the connection's own busy timeout is restored");
}

#[test]
fn a_runner_waits_for_another_writer_in_rollback_journal_mode() {
    waits_for_another_writer("DELETE", "BEGIN EXCLUSIVE");
}

#[test]
fn a_runner_waits_for_another_writer_in_wal_mode() {
    waits_for_another_writer("WAL", "BEGIN IMMEDIATE");
}

#[cfg(unix)]
#[test]
fn the_lock_file_is_private_and_never_a_planted_link() {
    use std::os::unix::fs::PermissionsExt;
    // Found in issue 10: the lock file was created 0644 and a symbolic link
    // planted in its place was followed.
    let lite = LiteDb::new();
    BASIC.run(&mut lite.connect()).unwrap();
    let mut lock = lite.path().into_os_string();
    lock.push(".migrate-lock");
    let mode = std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");

    let other = LiteDb::new();
    let target = other.path().with_file_name("planted-target");
    let mut planted = other.path().into_os_string();
    planted.push(".migrate-lock");
    std::os::unix::fs::symlink(&target, &planted).unwrap();
    let err = BASIC.run(&mut other.connect()).unwrap_err();
    assert!(
        matches!(&err, migrate::Error::Io { .. }) && err.to_string().contains("symbolic link"),
        "{err}"
    );
    assert!(!target.exists(), "the link was not followed");
    assert!(other.connect().versions().is_empty(), "nothing ran");
}

#[test]
fn a_sqlite_url_takes_options_and_needs_a_file() {
    // Found in issue 10: `sqlite:app.db?mode=ro` opened a file named
    // `app.db?mode=ro`, and `sqlite:` opened an unnamed database.
    let lite = LiteDb::new();
    BASIC.run(&mut lite.connect()).unwrap();
    let url = format!("sqlite:{}?mode=ro", lite.path().display());
    let mut read_only = AnyConnection::open(&url).unwrap();
    assert!(BASIC
        .runner()
        .status(&mut read_only)
        .unwrap()
        .is_up_to_date());
    // A write through a read-only URL fails (an empty database: nothing
    // applied, so the run has to write).
    let empty = LiteDb::new();
    drop(empty.connect());
    let url = format!("sqlite:{}?mode=ro", empty.path().display());
    let err = BASIC
        .run(&mut AnyConnection::open(&url).unwrap())
        .unwrap_err();
    assert!(format!("{err:?}").contains("ReadOnly"), "{err:?}");
    // Its code, from the driver's error (SQLITE_READONLY is 8).
    assert!(
        matches!(err.code(), Some(migrate::ErrorCode::Sqlite(c)) if c & 0xff == 8),
        "{:?}",
        err.code()
    );
    let named = lite.path().with_file_name("test.db?mode=ro");
    assert!(!named.exists(), "no file named after the options");
    for empty in ["sqlite:", "sqlite://", "sqlite:?mode=ro"] {
        assert!(
            matches!(
                AnyConnection::open(empty),
                Err(migrate::Error::InvalidOption { .. })
            ),
            "{empty}"
        );
    }
}
