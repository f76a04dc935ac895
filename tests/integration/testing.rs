//! `migrate::testing` on real servers: a database per test cloned from one
//! template per set (shared by parallel builders, rebuilt when the set
//! changes, dropped after the test and on panic), seeds as fixtures,
//! SQLite copies, the async twin; `check_reversible` on the project's own
//! sets and on a down that forgets a column, on both engines.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use migrate::testing::{assert_reversible, check_reversible, Template, TestingError};
use migrate::{embed_migrations, Migrations};
use migrate_testkit::PgDb;

use crate::fixtures::*;

static BROKEN_DOWN: Migrations = embed_migrations!("tests/fixtures/broken_down");

/// Whether `name` is a database of the server.
fn exists(admin: &mut migrate::postgres::Client, name: &str) -> bool {
    admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .is_some()
}

/// A set of its own (its folder is a fresh one, so its template is too).
fn own_set(files: &[(&str, &str)]) -> (tempfile::TempDir, Migrations) {
    let dir = tempfile::tempdir().unwrap();
    for (name, sql) in files {
        std::fs::write(dir.path().join(name), sql).unwrap();
    }
    let set = Migrations::from_dir(dir.path()).unwrap();
    (dir, set)
}

const NOTES: &[(&str, &str)] = &[
    (
        "0001_notes.up.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, body text);\n",
    ),
    ("0001_notes.down.sql", "DROP TABLE notes;\n"),
];

#[test]
fn each_test_gets_a_database_of_its_own_cloned_from_one_template() {
    let Some(server) = PgDb::create("testing_clone") else {
        return;
    };
    let url = server.url();
    let template = Template::new(&EXAMPLE);
    let (a, b) = (
        template.postgres(&url).unwrap(),
        template.postgres(&url).unwrap(),
    );
    assert_ne!(a.name(), b.name());
    let mut admin = server.connect();
    assert!(exists(&mut admin, &template.template_name()));
    let (mut ca, mut cb) = (a.connect().unwrap(), b.connect().unwrap());
    for c in [&mut ca, &mut cb] {
        assert!(EXAMPLE.runner().status(c).unwrap().is_up_to_date());
    }
    ca.batch_execute("CREATE TABLE only_in_a (id int)").unwrap();
    let seen: i64 = cb
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(seen, 0, "the clones are independent");
    assert!(
        !format!("{a:?}").contains("postgres://"),
        "Debug shows no URL: {a:?}"
    );
    let name = a.name();
    drop((ca, cb));
    drop(a);
    assert!(!exists(&mut admin, &name), "dropped with its value");
}

#[test]
fn a_test_that_panics_still_drops_its_database() {
    let Some(server) = PgDb::create("testing_panic") else {
        return;
    };
    let (_dir, set) = own_set(NOTES);
    let name = Mutex::new(String::new());
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let db = Template::new(&set).postgres(&server.url()).unwrap();
        *name.lock().unwrap() = db.name();
        panic!("the test fails");
    }));
    assert!(outcome.is_err());
    let name = name.into_inner().unwrap();
    assert!(name.starts_with("migrate_test_"), "{name}");
    assert!(!exists(&mut server.connect(), &name));
}

#[test]
fn parallel_builders_share_one_template_and_a_changed_set_gets_a_new_one() {
    let Some(one) = PgDb::create("testing_parallel_a") else {
        return;
    };
    let Some(two) = PgDb::create("testing_parallel_b") else {
        return;
    };
    let (dir, set) = own_set(NOTES);
    let template = Template::new(&set);
    // Builders connected to two databases do not share the advisory
    // lock: the first to finish names the template, the other drops its
    // build.
    let urls = [one.url(), two.url(), one.url(), two.url()];
    let dbs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = urls
            .iter()
            .map(|url| s.spawn(|| template.postgres(url).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut admin = one.connect();
    let family = &template.template_name()[..20];
    let like = format!("{family}%");
    let count = |admin: &mut migrate::postgres::Client| -> i64 {
        admin
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
                &[&like],
            )
            .unwrap()
            .get(0)
    };
    assert_eq!(count(&mut admin), 1, "one template, no build left behind");
    for db in &dbs {
        let mut c = db.connect().unwrap();
        assert!(set.runner().status(&mut c).unwrap().is_up_to_date());
    }
    drop(dbs);
    // The set changes: a new template, the old one dropped.
    std::fs::write(
        dir.path().join("0002_tags.up.sql"),
        "CREATE TABLE tags (id int);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("0002_tags.down.sql"), "DROP TABLE tags;\n").unwrap();
    let changed = Migrations::from_dir(dir.path()).unwrap();
    let newer = Template::new(&changed);
    assert_ne!(newer.template_name(), template.template_name());
    let db = newer.postgres(&one.url()).unwrap();
    assert!(exists(&mut admin, &newer.template_name()));
    assert!(!exists(&mut admin, &template.template_name()));
    assert_eq!(count(&mut admin), 1);
    drop(db);
    let name = newer.template_name();
    admin
        .batch_execute(&format!("ALTER DATABASE \"{name}\" WITH IS_TEMPLATE false"))
        .unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE \"{name}\""))
        .unwrap();
}

#[test]
fn seeds_are_fixtures_of_the_template() {
    let Some(server) = PgDb::create("testing_seeds") else {
        return;
    };
    let db = Template::new(&SEEDED)
        .seed("dev")
        .postgres(&server.url())
        .unwrap();
    let n: i64 = db
        .connect()
        .unwrap()
        .query_one("SELECT count(*) FROM a", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    let lite = Template::new(&SEEDED).seed("dev").sqlite().unwrap();
    let n: i64 = lite
        .connect_sqlite()
        .unwrap()
        .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn sqlite_test_databases_are_copies_removed_afterwards() {
    let template = Template::new(&QUICKSTART);
    let (a, b) = (template.sqlite().unwrap(), template.sqlite().unwrap());
    let path = a.path().unwrap().to_owned();
    assert_ne!(path, b.path().unwrap());
    let mut conn = a.connect_sqlite().unwrap();
    assert!(QUICKSTART
        .runner()
        .status(&mut conn)
        .unwrap()
        .is_up_to_date());
    conn.execute_batch("CREATE TABLE only_in_a (id int)")
        .unwrap();
    let seen: i64 = b
        .connect_sqlite()
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'only_in_a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(seen, 0);
    assert!(a.url().starts_with("sqlite:"));
    drop(conn);
    drop(a);
    assert!(!path.exists());
}

#[cfg(feature = "tokio-postgres")]
#[tokio::test]
async fn the_async_twin_clones_and_connects() {
    let Some(server) = migrate_testkit::AsyncPgDb::create("testing_async") else {
        return;
    };
    let db = Template::new(&EXAMPLE)
        .postgres_async(&server.url())
        .await
        .unwrap();
    let client = db.connect_async().await.unwrap();
    let n: i64 = client
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    drop(client);
    // Dropped from inside the runtime: on a thread of its own.
    drop(db);
}

#[test]
fn the_project_sets_downs_restore_their_schemas() {
    let mut lite = migrate::rusqlite::Connection::open_in_memory().unwrap();
    assert_reversible(&QUICKSTART, &mut lite);
    assert!(QUICKSTART
        .runner()
        .status(&mut lite)
        .unwrap()
        .is_up_to_date());
    let Some(db) = PgDb::create("testing_reversible") else {
        return;
    };
    assert_reversible(&EXAMPLE, &mut db.connect());
}

#[test]
fn a_down_that_forgets_a_column_is_caught_on_both_engines() {
    let mut lite = migrate::rusqlite::Connection::open_in_memory().unwrap();
    let pg = PgDb::create("testing_broken_down");
    let mut pg_client = pg.as_ref().map(PgDb::connect);
    let mut errors = vec![check_reversible(&BROKEN_DOWN, &mut lite).unwrap_err()];
    if let Some(client) = &mut pg_client {
        errors.push(check_reversible(&BROKEN_DOWN, client).unwrap_err());
    }
    for e in errors {
        let TestingError::NotReversible(n) = &e else {
            panic!("expected NotReversible, got {e}");
        };
        assert_eq!((n.version(), n.name()), (2, "users_nickname"));
        let text = e.to_string();
        assert!(text.contains("nickname") && text.contains('+'), "{text}");
        assert!(!text.contains("notes"), "stops at the first: {text}");
    }
    // A database with migrations applied is no scratch database.
    let mut applied = migrate::rusqlite::Connection::open_in_memory().unwrap();
    BASIC.runner().run(&mut applied).unwrap();
    let e = check_reversible(&BASIC, &mut applied).unwrap_err();
    assert!(matches!(e, TestingError::Unsuitable(_)), "{e}");
}
