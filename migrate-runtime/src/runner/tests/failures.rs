//! A failing batch: the migration the server's position names, what
//! committed before it; without a position, the failing statement found
//! by replaying its migration, unless it was cancelled, the replay's place
//! taken only for the same error.

use super::*;

#[test]
fn a_failing_batch_names_the_migration_at_the_error_position_and_what_committed() {
    let set = set_of(3, &[]);
    let mut db = empty_pg(
        |sql| {
            // The error points into migration 2's statement: `t2` on line 2.
            let at = sql.find("CREATE TABLE t2").unwrap() + "CREATE TABLE ".len();
            let position = Position::Char(sql[..at].chars().count() + 1);
            let message = "relation \"t2\" already exists";
            Err(server_error(message, "42P07", Some(position)))
        },
        |sql| {
            if sql.starts_with("SELECT version, execution_ms") {
                Ok(vec![row("version", &[Some("1"), Some("4")])])
            } else {
                Ok(Vec::new())
            }
        },
    );
    let err = set.run(&mut db).unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert_eq!(
        (f.version(), f.line(), f.column()),
        (2, Some(2), Some(14)),
        "{err}"
    );
    assert_eq!(f.file(), "migrations/0002_t2.up.sql");
    assert_eq!(f.code(), Some(&ErrorCode::SqlState(SqlState::new("42P07"))));
    let before: Vec<u64> = f.report().applied().iter().map(|a| a.version()).collect();
    assert_eq!(before, [1], "migration 1 committed before the failure");
    let scripts = db.scripts();
    assert!(scripts.iter().any(|s| s == "ROLLBACK"));
    assert!(scripts
        .iter()
        .any(|s| s.contains("'failure'") && s.contains("VALUES (2,")));
    let Some(Call::Unlock(then)) = db.calls().last().cloned() else {
        panic!("the lock is released last");
    };
    assert!(
        !then.contains(DIGEST_PREFIX),
        "a failed run caches no digest: {then}"
    );
}

/// A double whose batches fail with `sqlstate` and `message`, without a
/// position, and whose replayed statements fail with `replayed` (`None`:
/// they succeed).
fn failing_without_position(
    sqlstate: &'static str,
    message: &'static str,
    replayed: Option<(&'static str, &'static str)>,
) -> Double {
    empty_pg(
        move |_| Err(server_error(message, sqlstate, None)),
        move |sql| match (sql.starts_with("CREATE TABLE t"), replayed) {
            (true, Some((state, text))) => Err(server_error(text, state, None)),
            _ => Ok(Vec::new()),
        },
    )
}

/// Whether a migration's statement was sent alone (a replay).
fn replayed(db: &Double) -> bool {
    db.scripts().iter().any(|s| s.starts_with("CREATE TABLE t"))
}

#[test]
fn a_statement_without_position_is_found_by_replaying_its_migration() {
    let set = set_of(1, &[]);
    let failing = ("22012", "division by zero");
    let mut db = failing_without_position(failing.0, failing.1, Some(failing));
    let err = set.run(&mut db).unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert!(replayed(&db));
    assert_eq!(
        (f.line(), f.message()),
        (Some(2), "division by zero"),
        "{err}"
    );
}

#[test]
fn a_cancelled_statement_is_not_run_again_to_find_it() {
    let set = set_of(1, &[]);
    let mut db = failing_without_position("57014", "canceling statement due to user request", None);
    let err = set.run(&mut db).unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert!(!replayed(&db), "{:?}", db.scripts());
    assert_eq!(f.message(), "canceling statement due to user request");
    assert_eq!(f.line(), None);
}

#[test]
fn a_replay_that_fails_otherwise_keeps_the_first_error_and_no_place() {
    let set = set_of(1, &[]);
    let mut db = failing_without_position(
        "22012",
        "division by zero",
        Some(("57014", "canceling statement due to statement timeout")),
    );
    let err = set.run(&mut db).unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert!(replayed(&db));
    assert_eq!((f.line(), f.message()), (None, "division by zero"), "{err}");
    assert_eq!(f.code(), Some(&ErrorCode::SqlState(SqlState::new("22012"))));
}
