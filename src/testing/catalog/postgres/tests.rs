//! The PostgreSQL snapshot against a real server: each test in a database
//! of its own from the test kit, dropped at the end (also on panic).

use super::super::Snapshot;
use crate::postgres::Client;
use migrate_testkit::PgDb;

/// A test's database and a connection to it (closed first: fields drop in
/// order).
struct TestDb {
    client: Client,
    _db: PgDb,
}

impl TestDb {
    /// A fresh database, or `None` (skipped loudly) when no server answers
    /// outside CI.
    fn new(test: &str) -> Option<TestDb> {
        let db = PgDb::create(test)?;
        Some(TestDb {
            client: db.connect(),
            _db: db,
        })
    }

    /// The connection to the test's database.
    fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Runs `sql` (statements separated by `;`).
    fn run(&mut self, sql: &str) {
        self.client.batch_execute(sql).expect(sql);
    }

    /// The snapshot, skipping `migrate_history*`.
    fn snapshot(&mut self) -> Snapshot {
        super::postgres(&mut self.client, "migrate_history").expect("snapshot")
    }
}

#[test]
fn tables_columns_and_constraints_are_read_with_their_definitions() {
    let Some(mut db) = TestDb::new("catalog_definitions") else {
        return;
    };
    db.run(
        "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
         email text NOT NULL DEFAULT '', n int CONSTRAINT n_positive CHECK (n > 0)); \
         CREATE INDEX users_lower_email ON users (lower(email)); \
         CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); \
         CREATE VIEW grown AS SELECT id FROM users WHERE n > 17; \
         CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    );
    let s = db.snapshot();
    assert_eq!(s.get("table public.users"), Some("table"));
    let id = s.get("column public.users.id").unwrap();
    assert!(
        id.contains("bigint") && id.contains("not null") && id.contains("identity"),
        "{id}"
    );
    assert_eq!(
        s.get("column public.users.email"),
        Some("text not null default ''::text")
    );
    assert_eq!(s.get("column public.users.n"), Some("integer"));
    assert_eq!(
        s.get("constraint public.users.n_positive"),
        Some("CHECK ((n > 0))")
    );
    assert_eq!(
        s.get("constraint public.users.users_pkey"),
        Some("PRIMARY KEY (id)")
    );
    let index = s.get("index public.users_lower_email").unwrap();
    assert!(index.contains("lower(email)"), "{index}");
    assert_eq!(
        s.get("enum public.mood"),
        Some("enum ('sad', 'ok', 'happy')")
    );
    assert!(s.get("view public.grown").unwrap().contains("n > 17"));
    assert!(s.get("function public.one()").unwrap().contains("SELECT 1"));
    // The identity's sequence is the column's, not an object of its own
    // whose name would change; the schema is there.
    assert!(s.keys().contains(&"schema public"), "{:?}", s.keys());
}

#[test]
fn a_table_dropped_and_created_again_compares_equal() {
    let Some(mut db) = TestDb::new("catalog_recreated") else {
        return;
    };
    let create = "CREATE TABLE t (id serial PRIMARY KEY, a text UNIQUE, b int REFERENCES t (id)); \
                  CREATE INDEX t_b ON t (b)";
    db.run(create);
    let before = db.snapshot();
    db.run("DROP TABLE t");
    assert!(!before.diff(&db.snapshot()).is_empty());
    db.run(create);
    let diff = before.diff(&db.snapshot());
    assert!(diff.is_empty(), "{diff}");
}

#[test]
fn what_a_forgetful_down_leaves_shows_in_the_diff() {
    let Some(mut db) = TestDb::new("catalog_diff") else {
        return;
    };
    db.run("CREATE TABLE t (id int); CREATE TYPE mood AS ENUM ('a'); CREATE INDEX t_id ON t (id)");
    let before = db.snapshot();
    db.run(
        "ALTER TABLE t ADD COLUMN extra text; ALTER TYPE mood ADD VALUE 'b'; \
         ALTER TABLE t ALTER COLUMN id SET NOT NULL; DROP INDEX t_id",
    );
    let lines = before.diff(&db.snapshot()).lines();
    assert_eq!(
        lines,
        vec![
            "+ column public.t.extra: text (left behind)",
            "~ column public.t.id: integer → integer not null",
            "~ enum public.mood: enum ('a') → enum ('a', 'b')",
            "- index public.t_id: CREATE INDEX t_id ON public.t USING btree (id) (missing)",
        ]
    );
}

#[test]
fn an_invalid_index_and_a_constraint_not_validated_differ_from_valid_ones() {
    let Some(mut db) = TestDb::new("catalog_validity") else {
        return;
    };
    db.run(
        "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (1); \
         CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p int)",
    );
    let before = db.snapshot();
    // A unique index over duplicates, built concurrently, stays invalid.
    let failed = db
        .client()
        .batch_execute("CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id)");
    assert!(failed.is_err());
    db.run("ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p) REFERENCES p NOT VALID");
    let after = db.snapshot();
    let index = after.get("index public.t_id").unwrap();
    assert!(index.ends_with("invalid"), "{index}");
    assert_eq!(
        after.get("constraint public.c.c_p"),
        Some("FOREIGN KEY (p) REFERENCES p(id) NOT VALID")
    );
    db.run("ALTER TABLE c VALIDATE CONSTRAINT c_p");
    let validated = db.snapshot();
    assert_eq!(
        validated.get("constraint public.c.c_p"),
        Some("FOREIGN KEY (p) REFERENCES p(id)")
    );
    assert_eq!(before.diff(&validated).len(), 2);
}

#[test]
fn tracking_tables_and_extension_members_are_left_out() {
    let Some(mut db) = TestDb::new("catalog_left_out") else {
        return;
    };
    let before = db.snapshot();
    db.run(
        "CREATE TABLE migrate_history (version bigint PRIMARY KEY); \
         CREATE TABLE migrate_history_events (id serial); \
         CREATE FUNCTION migrate_history_digest_void() RETURNS trigger LANGUAGE plpgsql \
         AS 'BEGIN RETURN NULL; END'; \
         CREATE TRIGGER migrate_history_void AFTER INSERT ON migrate_history \
         FOR EACH STATEMENT EXECUTE FUNCTION migrate_history_digest_void(); \
         CREATE TABLE migrate_historyx (id int)",
    );
    let after = db.snapshot();
    let lines = before.diff(&after).lines();
    assert_eq!(
        lines,
        vec![
            "+ column public.migrate_historyx.id: integer (left behind)",
            "+ table public.migrate_historyx: table (left behind)",
        ],
        "only the table whose name merely starts like the tracking table's"
    );
    let with_extension = db
        .client()
        .batch_execute("CREATE EXTENSION IF NOT EXISTS pg_trgm");
    if with_extension.is_ok() {
        let s = db.snapshot();
        let extension = s.get("extension pg_trgm").unwrap();
        assert!(extension.starts_with("version "), "{extension}");
        assert!(
            !s.keys().iter().any(|k| k.contains("similarity")),
            "the extension's functions belong to it"
        );
    }
}
