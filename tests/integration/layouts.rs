//! Other tools' folders (`tests/fixtures/layouts/`, shaped like real
//! projects': functions with dollar quotes, triggers, enums, extensions,
//! no-transaction index builds, empty downs, odd names and versions), read
//! as those tools read them: the versions and names each tool gives, the
//! files it passes over, then applied up, down as far as their downs go,
//! and up again — on PostgreSQL, and the portable ones on SQLite too.

use std::path::Path;

use migrate::{Error, Layout, Migrations, Rollback};

use crate::fixtures::*;
use crate::support::*;

/// Each embedded set, its folder and its declared layout (`""`: told from
/// its files).
pub const FOLDERS: [(&Migrations, &str, &str); 9] = [
    (&DIESEL, "tests/fixtures/layouts/diesel", ""),
    (&SQLX, "tests/fixtures/layouts/sqlx", "sqlx"),
    (&DBMATE, "tests/fixtures/layouts/dbmate", ""),
    (&GOOSE, "tests/fixtures/layouts/goose", "goose"),
    (&UP_MIGRATION, "tests/fixtures/layouts/up_migration", ""),
    (
        &GOLANG_MIGRATE,
        "tests/fixtures/layouts/golang_migrate",
        "golang-migrate",
    ),
    (&REFINERY, "tests/fixtures/layouts/refinery", ""),
    (&YOYO, "tests/fixtures/layouts/yoyo", ""),
    (
        &VERSIONS_ROLLBACKS,
        "tests/fixtures/layouts/versions_rollbacks",
        "",
    ),
];

/// What a folder must be read as.
struct Expected {
    set: &'static Migrations,
    dir: &'static str,
    layout: Layout,
    /// `version name` of each migration, in order.
    migrations: &'static [&'static str],
    /// The files the tool passes over, listed.
    ignored: &'static [&'static str],
    /// The versions that are irreversible.
    irreversible: &'static [u64],
    /// Tables the whole set makes.
    tables: &'static [&'static str],
    portable: bool,
}

const EXPECTED: &[Expected] = &[
    Expected {
        set: &DIESEL,
        dir: "tests/fixtures/layouts/diesel",
        layout: Layout::Diesel,
        migrations: &[
            "0 diesel_initial_setup",
            "20190226002946 create_user",
            "20200111012452 add_indexes",
            "20230501120000 post_status",
            "202512082121000000 Create-Bot.Configs",
        ],
        ignored: &["README.md", "schema.patch"],
        irreversible: &[20_190_226_002_946],
        tables: &["user_", "post", "bot_config"],
        portable: false,
    },
    Expected {
        set: &SQLX,
        dir: "tests/fixtures/layouts/sqlx",
        layout: Layout::Sqlx,
        migrations: &[
            "20240101000000 init",
            "20240215093000 add-sessions",
            "20240301000000 Audit.Log",
        ],
        ignored: &["notes.txt"],
        irreversible: &[20_240_101_000_000],
        tables: &["accounts", "sessions", "audit_log"],
        portable: true,
    },
    Expected {
        set: &DBMATE,
        dir: "tests/fixtures/layouts/dbmate",
        layout: Layout::Sections,
        migrations: &[
            "20151129054053 create_users",
            "20151129054100 lowercase_emails",
            "20151129054159 add_user_index",
            "20160101000000 seed_admin",
        ],
        ignored: &["schema.sql"],
        irreversible: &[20_151_129_054_100],
        tables: &["users"],
        portable: true,
    },
    Expected {
        set: &GOOSE,
        dir: "tests/fixtures/layouts/goose",
        layout: Layout::Sections,
        migrations: &[
            "1 create_orders",
            "2 order_total_function",
            "5 orders_placed_index",
            "6 order_status",
        ],
        ignored: &["main.go"],
        irreversible: &[],
        tables: &["orders"],
        portable: false,
    },
    Expected {
        set: &UP_MIGRATION,
        dir: "tests/fixtures/layouts/up_migration",
        layout: Layout::Sections,
        migrations: &[
            "20260210120000 create_users_table",
            "20260210130000 add_bio_to_users",
            "20260210150000 add_check_constraint",
        ],
        ignored: &[],
        irreversible: &[20_260_210_130_000],
        tables: &["users"],
        portable: false,
    },
    Expected {
        set: &GOLANG_MIGRATE,
        dir: "tests/fixtures/layouts/golang_migrate",
        layout: Layout::GolangMigrate,
        migrations: &["1 create_tenants", "3 tenant_audit", "10 archive_tenants"],
        ignored: &[],
        irreversible: &[1],
        tables: &["tenants", "tenant_audit"],
        portable: false,
    },
    Expected {
        set: &REFINERY,
        dir: "tests/fixtures/layouts/refinery",
        layout: Layout::Refinery,
        migrations: &[
            "1 initial",
            "2 Add_Email",
            "4 person_emails_view",
            "5 backfill_first_person",
        ],
        ignored: &[],
        irreversible: &[1, 2, 4, 5],
        tables: &["persons", "person_emails"],
        portable: false,
    },
    Expected {
        set: &YOYO,
        dir: "tests/fixtures/layouts/yoyo",
        layout: Layout::Yoyo,
        migrations: &[
            "1 20240101_01_aBcDe-create-products",
            "2 20240102_01_fGhIj-product-search",
            "3 20240103_01_kLmNo-price-check",
        ],
        ignored: &["yoyo.ini"],
        irreversible: &[1],
        tables: &["products"],
        portable: false,
    },
    Expected {
        set: &VERSIONS_ROLLBACKS,
        dir: "tests/fixtures/layouts/versions_rollbacks",
        layout: Layout::VersionsRollbacks,
        migrations: &["1 initial_schema", "2 add_topic_status"],
        ignored: &["cli.py", "versions/__init__.py"],
        irreversible: &[],
        tables: &["users", "topics"],
        portable: false,
    },
];

#[test]
fn each_folder_is_read_as_its_tool_reads_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for e in EXPECTED {
        let declared = FOLDERS.iter().find(|f| f.1 == e.dir).map(|f| f.2).unwrap();
        let scanned = migrate::scan_with(&root.join(e.dir), &options(declared))
            .unwrap_or_else(|err| panic!("{}: {err}", e.dir));
        assert_eq!(scanned.layout(), e.layout, "{}", e.dir);
        let found: Vec<String> = e
            .set
            .iter()
            .map(|m| format!("{} {}", m.version(), m.name()))
            .collect();
        assert_eq!(found, e.migrations, "{}", e.dir);
        let ignored: Vec<String> = scanned
            .ignored()
            .iter()
            .map(|p| {
                p.strip_prefix(root.join(e.dir))
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(ignored, e.ignored, "{}", e.dir);
        let irreversible: Vec<u64> = e
            .set
            .iter()
            .filter(|m| m.irreversible())
            .map(|m| m.version())
            .collect();
        assert_eq!(irreversible, e.irreversible, "{}", e.dir);
    }
}

#[test]
fn empty_downs_of_other_tools_are_irreversible_and_said_so() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scanned = migrate::scan(&root.join("tests/fixtures/layouts/up_migration")).unwrap();
    assert_eq!(scanned.notes().len(), 1, "{:?}", scanned.notes());
    let note = &scanned.notes()[0];
    assert!(
        note.ends_with(
            "20260210130000_add_bio_to_users.sql: its down section holds no statement, so migration 20260210130000 is irreversible: a rollback stops before it"
        ),
        "{note}"
    );
    let diesel = migrate::scan(&root.join("tests/fixtures/layouts/diesel")).unwrap();
    assert!(
        diesel.notes()[0]
            .contains("2019-02-26-002946_create_user/down.sql: its down file holds no statement"),
        "{:?}",
        diesel.notes()
    );
}

#[test]
fn each_folder_applies_rolls_back_as_far_as_its_downs_go_and_applies_again() {
    for e in EXPECTED {
        let mut dbs = Vec::new();
        dbs.extend(Db::postgres("layouts"));
        if e.portable {
            dbs.push(Db::sqlite());
        }
        for db in &dbs {
            round_trip(e, db);
        }
    }
}

/// Up, a no-op, down as far as the downs go, up again.
fn round_trip(e: &Expected, db: &Db) {
    let what = format!("{} on {:?}", e.dir, db.engine());
    let mut conn = db.open();
    let report = e
        .set
        .run(&mut conn)
        .unwrap_or_else(|err| panic!("{what}: {err}"));
    assert_eq!(report.applied().len(), e.set.len(), "{what}");
    for table in e.tables {
        assert!(conn.exists(table), "{what}: {table}");
    }
    assert!(e.set.run(&mut conn).unwrap().is_up_to_date(), "{what}");
    let down = e.set.runner().rollback(&mut conn, Rollback::All);
    let newest_irreversible = e.irreversible.iter().max();
    let rolled_back = match (down, newest_irreversible) {
        (Ok(report), None) => report.rolled_back().len(),
        (
            Err(Error::Irreversible {
                version,
                rolled_back,
                ..
            }),
            Some(&expected),
        ) => {
            assert_eq!(version, expected, "{what}");
            rolled_back
        }
        (other, _) => panic!("{what}: the rollback gave {other:?}"),
    };
    let newer = e
        .set
        .iter()
        .filter(|m| newest_irreversible.is_none_or(|&v| m.version() > v))
        .count();
    assert_eq!(rolled_back, newer, "{what}");
    let again = e
        .set
        .run(&mut conn)
        .unwrap_or_else(|err| panic!("{what}: {err}"));
    assert_eq!(again.applied().len(), newer, "{what}");
    for table in e.tables {
        assert!(conn.exists(table), "{what}: {table}");
    }
}

/// The scan's options for a layout's name (`""`: told from the files).
pub(crate) fn options(layout: &str) -> migrate::ScanOptions {
    match layout.parse() {
        Ok(l) => migrate::ScanOptions::new().layout(l),
        Err(_) => migrate::ScanOptions::new(),
    }
}
