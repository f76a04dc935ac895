// A valid folder: `.keep` and `README.md` are ignored, the BOM and CRLF of
// 0001 are normalised away, 0002 runs outside a transaction and 0003 is
// irreversible without a down file.
static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/valid");

fn main() {
    assert_eq!(MIGRATIONS.len(), 3);
    assert_eq!(MIGRATIONS.dir(), "tests/ui/fixtures/valid");
    let versions: Vec<u64> = MIGRATIONS.iter().map(|m| m.version()).collect();
    assert_eq!(versions, [1, 2, 3]);

    let users = MIGRATIONS.get(1).unwrap();
    assert_eq!(users.name(), "create_users");
    assert_eq!(users.up_file(), "0001_create_users.up.sql");
    assert!(!users.up_sql().contains('\r'), "{:?}", users.up_sql());
    assert!(!users.up_sql().starts_with('\u{feff}'), "{:?}", users.up_sql());
    assert_eq!(
        users.up_sql(),
        "-- users\nCREATE TABLE users (\n    id int PRIMARY KEY\n);\n"
    );
    assert_eq!(users.down_sql(), Some("DROP TABLE users;\n"));
    assert!(!users.no_transaction());
    assert!(!users.irreversible());
    assert!(users.checksum().starts_with("sha256:"));

    let index = MIGRATIONS.get(2).unwrap();
    assert!(index.no_transaction());
    assert!(index.down_no_transaction());
    assert!(!index.irreversible());

    let legacy = MIGRATIONS.get(3).unwrap();
    assert!(legacy.irreversible());
    assert_eq!(legacy.down_file(), None);
    assert_eq!(legacy.down_sql(), None);
}
