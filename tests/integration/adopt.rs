//! Adopting a database another tool migrated: its tracking table made as
//! the tool's source defines it, with the rows the tool writes for the
//! first migrations of a set in its layout (their schema applied); then
//! status points to adoption, a run refuses (changing nothing) unless it
//! adopts, and adoption records what the tool applied, leaves its table
//! as it is and applies the rest. And what adoption refuses.

use migrate::{Error, Finding, Foreign, Migrations};

use crate::fixtures::*;
use crate::support::*;

/// A tool, the set in its layout, its table's definition and how many of
/// the set's migrations it applied.
struct Tool {
    tool: Foreign,
    set: &'static Migrations,
    table: &'static str,
    applied: usize,
}

const TOOLS: &[Tool] = &[
    Tool {
        tool: Foreign::Diesel,
        set: &DIESEL,
        table: "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        applied: 3,
    },
    Tool {
        tool: Foreign::Sqlx,
        set: &SQLX,
        table: "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)",
        applied: 2,
    },
    Tool {
        tool: Foreign::Dbmate,
        set: &DBMATE,
        table: "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)",
        applied: 2,
    },
    Tool {
        tool: Foreign::Goose,
        set: &GOOSE,
        table: "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id))",
        applied: 3,
    },
    Tool {
        tool: Foreign::GolangMigrate,
        set: &GOLANG_MIGRATE,
        table: "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)",
        applied: 2,
    },
    Tool {
        tool: Foreign::Refinery,
        set: &REFINERY,
        table: "CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255))",
        applied: 2,
    },
    Tool {
        tool: Foreign::Flyway,
        set: &REFINERY,
        table: "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)",
        applied: 3,
    },
    Tool {
        tool: Foreign::Yoyo,
        set: &YOYO,
        table: "CREATE TABLE _yoyo_migration (migration_hash VARCHAR(64), migration_id VARCHAR(255), applied_at_utc TIMESTAMP, PRIMARY KEY (migration_hash))",
        applied: 2,
    },
];

/// A SQL string literal.
fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The rows `t.tool` writes for the first `t.applied` migrations.
fn rows(t: &Tool) -> String {
    let applied: Vec<&migrate::Migration> = t.set.iter().take(t.applied).collect();
    let table = t.tool.table();
    let each = |f: &dyn Fn(usize, &migrate::Migration) -> String| {
        applied
            .iter()
            .enumerate()
            .map(|(i, m)| format!("INSERT INTO {table} VALUES ({});", f(i, m)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match t.tool {
        Foreign::Diesel => each(&|_, m| format!("{}, now()", lit(&format!("{:014}", m.version())))),
        Foreign::Sqlx => each(&|_, m| {
            format!(
                "{}, {}, now(), true, sha384(convert_to({}, 'UTF8')), 1",
                m.version(),
                lit(m.name()),
                lit(m.up_sql())
            )
        }),
        Foreign::Dbmate => each(&|_, m| lit(&m.version().to_string())),
        Foreign::Goose => format!(
            "INSERT INTO {table} (version_id, is_applied) VALUES (0, true);\n{}",
            applied
                .iter()
                .map(|m| format!(
                    "INSERT INTO {table} (version_id, is_applied) VALUES ({}, true);",
                    m.version()
                ))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        Foreign::GolangMigrate => {
            let last = applied.last().unwrap().version();
            format!("INSERT INTO {table} VALUES ({last}, false);")
        }
        Foreign::Refinery => {
            each(&|_, m| format!("{}, {}, '2024-01-01', '123'", m.version(), lit(m.name())))
        }
        Foreign::Flyway => each(&|i, m| {
            format!(
                "{}, {}, {}, 'SQL', {}, 0, 'flyway', now(), 1, true",
                i + 1,
                lit(&m.version().to_string()),
                lit(m.name()),
                lit(m.up_file())
            )
        }),
        Foreign::Yoyo => each(&|_, m| {
            format!(
                "{}, {}, now()",
                lit(&format!("hash{}", m.version())),
                lit(m.name())
            )
        }),
        _ => unreachable!(),
    }
}

/// A database where `t.tool` applied its first migrations: their schema
/// (applied by migrate, whose tables are then dropped), the tool's table
/// and rows.
fn migrated_by(t: &Tool, name: &str) -> Option<Db> {
    let db = Db::postgres(name)?;
    let mut conn = db.open();
    let last = t.set.iter().nth(t.applied - 1).unwrap().version();
    t.set.runner().to(last).run(&mut conn).unwrap();
    conn.execute_sql("DROP TABLE migrate_history, migrate_history_events");
    conn.execute_sql(t.table);
    conn.execute_sql(&rows(t));
    Some(db)
}

#[test]
fn each_tools_database_is_refused_then_adopted_and_migrated_on() {
    for t in TOOLS {
        let Some(db) = migrated_by(t, "adopt") else {
            return;
        };
        let what = t.tool.name();
        let mut conn = db.open();
        let foreign_rows = |conn: &mut AnyConnection| {
            conn.count(&format!("SELECT count(*) FROM {}", t.tool.table()))
        };
        let before = foreign_rows(&mut conn);
        // status says who migrated it; a plain run refuses, changing nothing.
        let status = t.set.runner().status(&mut conn).unwrap();
        assert!(
            status
                .problems()
                .iter()
                .any(|f| matches!(f, Finding::Foreign { tool, .. } if *tool == t.tool)),
            "{what}: {:?}",
            status.problems()
        );
        let err = t.set.run(&mut conn).unwrap_err();
        assert!(
            matches!(err, Error::ForeignTracking { tool, .. } if tool == t.tool),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("migrate adopt"), "{err}");
        assert!(
            !conn.exists("migrate_history"),
            "{what}: the refusal changed nothing"
        );
        // A dry run of the adoption, then the run that adopts and goes on.
        let (tool, planned) = t.set.runner().plan_adoption(&mut conn, None).unwrap();
        assert_eq!(tool, t.tool, "{what}");
        let expected: Vec<u64> = t.set.iter().take(t.applied).map(|m| m.version()).collect();
        assert_eq!(planned, expected, "{what}");
        let report = t
            .set
            .runner()
            .adopt(t.tool)
            .run(&mut conn)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(report.adopted(), expected, "{what}");
        assert_eq!(report.adopted_from(), Some(t.tool));
        let rest: Vec<u64> = t.set.iter().skip(t.applied).map(|m| m.version()).collect();
        assert_eq!(applied(&report), rest, "{what}");
        assert!(
            report.to_string().starts_with(&format!(
                "adopted {} migrations applied by {what}",
                t.applied
            )),
            "{report}"
        );
        let adopt_events = conn.event_counts("adopt");
        assert_eq!(adopt_events.len(), t.applied, "{what}: {adopt_events:?}");
        assert_eq!(
            foreign_rows(&mut conn),
            before,
            "{what}: the tool's table is left as it is"
        );
        assert!(t.set.run(&mut conn).unwrap().is_up_to_date(), "{what}");
    }
}

#[test]
fn the_adopt_operation_records_without_running_and_only_once() {
    let t = &TOOLS[1];
    let Some(db) = migrated_by(t, "adopt_op") else {
        return;
    };
    let mut conn = db.open();
    let adopted = t
        .set
        .runner()
        .adopt_foreign(&mut conn, Some(Foreign::Sqlx))
        .unwrap();
    assert_eq!(adopted.len(), t.applied);
    assert_eq!(conn.versions().len(), t.applied);
    let again = t.set.runner().adopt_foreign(&mut conn, None).unwrap_err();
    assert!(matches!(err_option(&again), Some("adopt")), "{again}");
    let wrong = Db::postgres("adopt_none").map(|db| {
        let mut c = db.open();
        t.set
            .runner()
            .adopt_foreign(&mut c, None)
            .unwrap_err()
            .to_string()
    });
    if let Some(message) = wrong {
        assert!(message.contains("nothing to adopt"), "{message}");
    }
}

fn err_option(e: &Error) -> Option<&'static str> {
    match e {
        Error::InvalidOption { option, .. } => Some(option),
        _ => None,
    }
}

#[test]
fn what_adoption_refuses_changes_nothing() {
    let sqlx = &TOOLS[1];
    let cases: [(&Tool, &str, &str); 5] = [
        (sqlx, "UPDATE _sqlx_migrations SET checksum = sha384('edited') WHERE version = 20240101000000", "changed since sqlx applied it"),
        (sqlx, "UPDATE _sqlx_migrations SET success = false WHERE version = 20240215093000", "recorded migration 20240215093000 as failed"),
        (&TOOLS[4], "UPDATE schema_migrations SET dirty = true", "left version 3 dirty"),
        (sqlx, "INSERT INTO _sqlx_migrations VALUES (20230101000000, 'gone', now(), true, sha384('x'), 1)", "20230101000000"),
        (sqlx, "DELETE FROM _sqlx_migrations WHERE version = 20240101000000", "refusing to apply out of order"),
    ];
    for (t, edit, said) in cases {
        let Some(db) = migrated_by(t, "adopt_refused") else {
            return;
        };
        let mut conn = db.open();
        conn.execute_sql(edit);
        let err = t.set.runner().adopt(t.tool).run(&mut conn).unwrap_err();
        assert!(err.to_string().contains(said), "{edit}: {err}");
        assert!(!conn.exists("migrate_history"), "{edit}: nothing changed");
    }
}

/// The binary of `ci/foreign-tools` (sqlx, diesel_migrations and refinery
/// run on a folder), which `.ci/run` builds: `None`, loudly, outside CI
/// when it was not built; in CI its absence fails the test.
fn foreign_tools() -> Option<std::path::PathBuf> {
    match std::env::var_os("MIGRATE_FOREIGN_TOOLS") {
        Some(path) => Some(path.into()),
        None if migrate_testkit::in_ci() => {
            panic!("MIGRATE_FOREIGN_TOOLS is not set: .ci/run builds ci/foreign-tools and sets it")
        }
        None => {
            eprintln!("SKIPPED: the real tools' tables (build ci/foreign-tools and set MIGRATE_FOREIGN_TOOLS)");
            None
        }
    }
}

/// Copies `from` into `to`, leaving out the entries named in `without`.
fn copy_without(from: &std::path::Path, to: &std::path::Path, without: &[&str]) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if without.contains(&name.as_str()) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_without(&entry.path(), &target, &[]);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn tables_the_real_tools_wrote_are_adopted_and_the_rest_applied() {
    let Some(tools) = foreign_tools() else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases: [(Foreign, &Migrations, &str, &[&str]); 3] = [
        (
            Foreign::Sqlx,
            &SQLX,
            "tests/fixtures/layouts/sqlx",
            &[
                "20240301000000_Audit.Log.up.sql",
                "20240301000000_Audit.Log.down.sql",
                "notes.txt",
            ],
        ),
        (
            Foreign::Diesel,
            &DIESEL,
            "tests/fixtures/layouts/diesel",
            &[
                "2025-12-08-212100-0000_Create-Bot.Configs",
                "README.md",
                "schema.patch",
            ],
        ),
        (
            Foreign::Refinery,
            &REFINERY,
            "tests/fixtures/layouts/refinery",
            &["U5__backfill_first_person.sql"],
        ),
    ];
    for (tool, set, fixture, newest) in cases {
        let Some(db) = Db::postgres("adopt_real") else {
            return;
        };
        let folder = tempfile::tempdir().unwrap();
        copy_without(&root.join(fixture), folder.path(), newest);
        let ran = std::process::Command::new(&tools)
            .args([tool.name(), &db.url(), &folder.path().display().to_string()])
            .output()
            .expect("run foreign-tools");
        assert!(
            ran.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&ran.stderr)
        );
        let mut conn = db.open();
        let foreign = conn.count(&format!("SELECT count(*) FROM {}", tool.table()));
        assert_eq!(
            foreign as usize,
            set.len() - 1,
            "{tool} recorded each it applied"
        );
        let err = set.run(&mut conn).unwrap_err();
        assert!(
            matches!(err, Error::ForeignTracking { .. }),
            "{tool}: {err}"
        );
        let report = set
            .runner()
            .adopt(tool)
            .run(&mut conn)
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        let all: Vec<u64> = set.iter().map(|m| m.version()).collect();
        assert_eq!(report.adopted(), &all[..all.len() - 1], "{tool}");
        assert_eq!(applied(&report), [all[all.len() - 1]], "{tool}");
        assert!(set.run(&mut conn).unwrap().is_up_to_date(), "{tool}");
    }
}

/// SQLite: dbmate's `schema_migrations` and golang-migrate's (with its
/// `dirty` column) told apart, adopted, the rest applied.
#[test]
fn sqlite_databases_are_adopted_too() {
    for (tool, set, table, rows, adopted) in [
        (
            Foreign::Dbmate,
            &DBMATE,
            "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)",
            "INSERT INTO schema_migrations VALUES ('20151129054053'), ('20151129054100')",
            2,
        ),
        (
            Foreign::Sqlx,
            &SQLX,
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
            "INSERT INTO _sqlx_migrations VALUES (20240101000000, 'init', CURRENT_TIMESTAMP, 0, x'00', 1)",
            0,
        ),
    ] {
        let db = Db::sqlite();
        let mut conn = db.open();
        let last = set.iter().nth(adopted.max(1) - 1).unwrap().version();
        set.runner().to(last).run(&mut conn).unwrap();
        conn.execute_sql("DROP TABLE migrate_history; DROP TABLE migrate_history_events");
        conn.execute_sql(table);
        conn.execute_sql(rows);
        let status = set.runner().status(&mut conn).unwrap();
        assert!(
            status.problems().iter().any(|f| matches!(f, Finding::Foreign { tool: t, .. } if *t == tool)),
            "{tool}: {:?}",
            status.problems()
        );
        let result = set.runner().adopt(tool).run(&mut conn);
        if adopted == 0 {
            // sqlx's failed row is refused, changing nothing.
            let err = result.unwrap_err();
            assert!(err.to_string().contains("as failed"), "{err}");
            assert!(!conn.exists("migrate_history"));
            continue;
        }
        let report = result.unwrap();
        assert_eq!(report.adopted().len(), adopted, "{tool}");
        assert_eq!(report.applied().len(), set.len() - adopted, "{tool}");
    }
}
