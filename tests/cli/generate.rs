//! `migrate new`: numbering, templates that apply and roll back on
//! PostgreSQL, and a folder `check` accepts.

use crate::support::*;

const BASE: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text, age int);
CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint, title text);
";

#[test]
fn every_template_applies_and_rolls_back_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(m.join("0001_base.up.sql"), BASE).unwrap();
    std::fs::write(
        m.join("0001_base.down.sql"),
        "DROP TABLE posts;\nDROP TABLE users;\n",
    )
    .unwrap();
    let new = |args: &[&str]| migrate(dir.path(), &[&["new"][..], args].concat()).expect(0);
    let created = new(&[
        "create widgets",
        "--template",
        "create-table",
        "--table",
        "widgets",
        "--columns",
        "label text NOT NULL",
    ]);
    assert!(
        created
            .stdout
            .contains("migrations/0002_create_widgets.up.sql"),
        "{}",
        created.stdout
    );
    new(&[
        "add nickname",
        "--template",
        "add-column",
        "--table",
        "users",
        "--column",
        "nickname",
        "--type",
        "varchar(40)",
    ]);
    new(&[
        "index posts by user",
        "--template",
        "add-index",
        "--table",
        "posts",
        "--column",
        "user_id",
    ]);
    new(&[
        "posts belong to users",
        "--template",
        "add-foreign-key",
        "--table",
        "posts",
        "--column",
        "user_id",
        "--references",
        "users (id)",
    ]);
    new(&[
        "rename name",
        "--template",
        "rename-column",
        "--table",
        "users",
        "--column",
        "name",
        "--to",
        "full_name",
    ]);
    new(&[
        "age is positive",
        "--template",
        "add-check-constraint",
        "--table",
        "users",
        "--check",
        "age >= 0",
    ]);
    new(&[
        "default ages",
        "--template",
        "data-migration",
        "--sql",
        "UPDATE users SET age = 0 WHERE age IS NULL",
        "--down-sql",
        "UPDATE users SET age = NULL WHERE age = 0",
    ]);
    new(&["Add user preferences"]);
    let files: Vec<String> = std::fs::read_dir(&m)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.contains(&"0009_add_user_preferences.up.sql".to_owned()),
        "{files:?}"
    );
    assert_eq!(files.len(), 18);
    let index = std::fs::read_to_string(m.join("0004_index_posts_by_user.up.sql")).unwrap();
    assert!(
        index.contains("-- migrate:no-transaction") && index.contains("CONCURRENTLY"),
        "{index}"
    );
    // Issue 10: `IF NOT EXISTS` skipped the invalid index a failed build
    // leaves, and the migration was recorded applied.
    assert!(
        !index.contains("IF NOT EXISTS"),
        "a concurrent build must not skip an existing index: {index}"
    );
    let fk = std::fs::read_to_string(m.join("0005_posts_belong_to_users.up.sql")).unwrap();
    assert!(
        fk.contains("NOT VALID") && fk.contains("VALIDATE CONSTRAINT"),
        "{fk}"
    );
    migrate(dir.path(), &["check"]).expect(0);
    // A missing option is a usage error that writes nothing.
    let r = migrate(
        dir.path(),
        &["new", "x", "--template", "add-column", "--table", "users"],
    )
    .expect(2);
    assert!(
        r.stderr.contains("template add-column needs --column"),
        "{}",
        r.stderr
    );

    let Some(db) = PgDb::create("templates") else {
        return;
    };
    let (url, _) = secret_url(&db);
    let up = migrate(
        dir.path(),
        &["up", "--database-url", &url, "--format", "json"],
    )
    .expect(0)
    .json();
    assert_eq!(up["applied"].as_array().unwrap().len(), 9);
    let mut client = db.connect();
    let constraints: i64 = client
        .query_one("SELECT count(*) FROM pg_constraint WHERE convalidated AND conname IN ('posts_user_id_fkey', 'users_age_0_check')", &[])
        .unwrap()
        .get(0);
    assert_eq!(constraints, 2, "both constraints validated");
    migrate(dir.path(), &["down", "--all", "--database-url", &url]).expect(0);
    let tables: i64 = client
        .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrate_history' AND tablename NOT LIKE 'migrate_history_%'", &[])
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "everything rolled back");
    migrate(dir.path(), &["up", "--database-url", &url]).expect(0);
}

/// Runs `migrate new DESCRIPTION` in `dir`: the up file it created.
fn created_up_file(dir: &std::path::Path, description: &str) -> String {
    let r = migrate(dir, &["new", description, "--format", "json"]).expect(0);
    let created = r.json()["created"][0].as_str().unwrap().to_owned();
    std::path::Path::new(&created)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_timestamp_folder_gets_a_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("20240101000000_init.up.sql"),
        "CREATE TABLE t (id int);\n",
    )
    .unwrap();
    std::fs::write(m.join("20240101000000_init.down.sql"), "DROP TABLE t;\n").unwrap();
    let name = created_up_file(dir.path(), "next step");
    let (version, rest) = name.split_once('_').unwrap();
    assert_eq!(version.len(), 14, "{name}");
    assert!(version > "20240101000000");
    assert_eq!(rest, "next_step.up.sql");
    // Issue 10: two calls within one second took the same version.
    let versions: Vec<String> = (0..3)
        .map(|i| {
            let name = created_up_file(dir.path(), &format!("quick {i}"));
            name.split_once('_').unwrap().0.to_owned()
        })
        .collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "{versions:?} after {version}"
    );
    assert!(
        versions[0].as_str() > version,
        "{versions:?} after {version}"
    );
    migrate(dir.path(), &["check"]).expect(0);
    // An empty folder starts at 0001.
    let empty = tempfile::tempdir().unwrap();
    let r = migrate(empty.path(), &["new", "first"]).expect(0);
    assert!(
        r.stdout.contains("migrations/0001_first.up.sql"),
        "{}",
        r.stdout
    );
}
