//! Other tools' folders through the CLI: `check` names the layout, lists
//! what the tool passes over and what an empty down means; `--layout` and
//! `migrate.toml`'s `layout`; `convert` to migrate's pairs; `adopt` of a
//! database another tool migrated.

use std::path::Path;

use crate::support::*;

#[test]
fn check_names_the_layout_and_lists_what_it_passes_over() {
    let project = project("tests/fixtures/layouts/diesel");
    let run = migrate(project.path(), &["check"]).expect(0);
    assert!(
        run.stdout.contains("5 migrations (diesel layout)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("ignored, as diesel ignores it: migrations/schema.patch"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2019-02-26-002946_create_user/down.sql: its down file holds no statement, so migration 20190226002946 is irreversible"),
        "{}",
        run.stdout
    );
    let json = migrate(project.path(), &["check", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(json["layout"], "diesel");
    assert_eq!(json["ignored"].as_array().unwrap().len(), 2, "{json}");
}

#[test]
fn a_declared_layout_reads_what_the_files_alone_do_not_say() {
    let project = project("tests/fixtures/layouts/golang_migrate");
    // Pairs with gaps look native: the gap is an error that names the option.
    let run = migrate(project.path(), &["check"]).expect(2);
    assert!(
        run.stderr.contains("layout = \"golang-migrate\""),
        "{}",
        run.stderr
    );
    migrate(project.path(), &["check", "--layout", "golang-migrate"]).expect(0);
    std::fs::write(
        project.path().join("migrate.toml"),
        "layout = \"golang-migrate\"\n",
    )
    .unwrap();
    let run = migrate(project.path(), &["check"]).expect(0);
    assert!(
        run.stdout.contains("(golang-migrate layout)"),
        "{}",
        run.stdout
    );
    std::fs::write(
        project.path().join("migrate.toml"),
        "layout = \"liquibase\"\n",
    )
    .unwrap();
    let run = migrate(project.path(), &["check"]).expect(2);
    assert!(
        run.stderr.contains("migrate.toml:1") && run.stderr.contains("unknown layout `liquibase`"),
        "{}",
        run.stderr
    );
    let bad = migrate(project.path(), &["check", "--layout", "nope"]);
    assert_eq!(bad.code, 2, "{}", bad.all());
}

#[test]
fn convert_writes_pairs_that_check_passes() {
    let dbmate = project("tests/fixtures/layouts/dbmate");
    let run = migrate(dbmate.path(), &["convert", "converted"]).expect(0);
    assert!(
        run.stdout.contains("20151129054100_lowercase_emails.sql → 20151129054100_lowercase_emails.up.sql (irreversible: no down file)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("native: check passes"),
        "{}",
        run.stdout
    );
    let dir = dbmate.path().join("converted");
    let up = std::fs::read_to_string(dir.join("20151129054159_add_user_index.up.sql")).unwrap();
    assert!(
        up.starts_with("-- migrate:no-transaction\nCREATE INDEX users_email"),
        "{up}"
    );
    migrate(dbmate.path(), &["--dir", "converted", "check"]).expect(0);
    // Versions with gaps are kept: golang-migrate's layout reads them.
    let goose = project("tests/fixtures/layouts/goose");
    let run = migrate(goose.path(), &["convert", "out"]).expect(0);
    assert!(
        run.stdout.contains("layout = \"golang-migrate\""),
        "{}",
        run.stdout
    );
    migrate(
        goose.path(),
        &["--dir", "out", "--layout", "golang-migrate", "check"],
    )
    .expect(0);
    // Never over a folder that holds something.
    let again = migrate(goose.path(), &["convert", "out"]);
    assert_eq!(again.code, 2, "{}", again.all());
}

#[test]
fn a_diesel_folder_converts_with_its_version_0_and_18_digit_versions() {
    // Found by an audit: every real diesel folder has
    // 00000000000000_diesel_initial_setup, which became `0000_…`, and
    // newer diesel writes 18-digit versions; neither native nor sqlx reads
    // them, and convert sent the user to sqlx.
    let diesel = project("tests/fixtures/layouts/diesel");
    // The shape: `convert --to native IN OUT`.
    let run = migrate(
        diesel.path(),
        &["convert", "--to", "native", "migrations", "out"],
    )
    .expect(0);
    for change in [
        "00000000000000_diesel_initial_setup/up.sql → 0000_diesel_initial_setup.up.sql",
        "2025-12-08-212100-0000_Create-Bot.Configs/up.sql → 202512082121000000_create_bot_configs.up.sql (name `Create-Bot.Configs` → `create_bot_configs`)",
    ] {
        assert!(run.stdout.contains(change), "{change}: {}", run.stdout);
    }
    assert!(
        run.stdout.contains("layout = \"golang-migrate\""),
        "{}",
        run.stdout
    );
    let json = migrate(
        diesel.path(),
        &["--format", "json", "convert", "migrations", "again"],
    )
    .expect(0)
    .json();
    assert_eq!(json["layout"], "golang-migrate", "{json}");
    assert_eq!(json["native"], false, "{json}");
    // Read so, it is the diesel folder again: versions, names aside, and
    // the SQL of each.
    let check = migrate(
        diesel.path(),
        &[
            "--dir",
            "out",
            "--layout",
            "golang-migrate",
            "--format",
            "json",
            "check",
        ],
    )
    .expect(0)
    .json();
    let original = migrate(diesel.path(), &["--format", "json", "check"])
        .expect(0)
        .json();
    assert_eq!(check["migrations"], original["migrations"], "{check}");
    assert_eq!(
        check["latest_version"], original["latest_version"],
        "{check}"
    );
    let converted = migrate::Migrations::from_dir_with(
        diesel.path().join("out"),
        &migrate::ScanOptions::new().layout(migrate::Layout::GolangMigrate),
    )
    .unwrap();
    let source = migrate::Migrations::from_dir(diesel.path().join("migrations")).unwrap();
    let versions = |set: &migrate::Migrations| set.iter().map(|m| m.version()).collect::<Vec<_>>();
    assert_eq!(versions(&converted), versions(&source));
    assert_eq!(versions(&converted)[0], 0);
    for (c, s) in converted.iter().zip(source.iter()) {
        let v = c.version();
        assert_eq!(c.no_transaction(), s.no_transaction(), "{v}");
        assert_eq!(c.irreversible(), s.irreversible(), "{v}");
        assert_eq!(without_directives(c.up_sql()), s.up_sql().trim(), "{v}");
    }
}

/// A converted up file's SQL without the directive lines convert put at
/// its head, trimmed.
fn without_directives(sql: &str) -> &str {
    let mut rest = sql;
    while let Some(after) = rest.strip_prefix("-- migrate:") {
        rest = after.split_once('\n').map_or("", |(_, r)| r);
    }
    rest.trim()
}

#[test]
fn adopt_records_what_another_tool_applied_then_up_applies_the_rest() {
    let Some(db) = PgDb::create("cli_adopt") else {
        return;
    };
    let project = project("tests/fixtures/layouts/sqlx");
    let url = secret_url(&db).0;
    let toml = "layout = \"sqlx\"\n";
    std::fs::write(project.path().join("migrate.toml"), toml).unwrap();
    // sqlx applied the first two: their schema, its table and rows.
    let mut client = db.connect();
    let first: String = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/layouts/sqlx/20240101000000_init.sql"),
    )
    .unwrap();
    let second: String = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/layouts/sqlx/20240215093000_add-sessions.up.sql"),
    )
    .unwrap();
    client.batch_execute(&first).unwrap();
    client.batch_execute(&second).unwrap();
    client
        .batch_execute("CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)")
        .unwrap();
    for (version, name, sql) in [
        (20_240_101_000_000_i64, "init", &first),
        (20_240_215_093_000, "add-sessions", &second),
    ] {
        client
            .execute(
                "INSERT INTO _sqlx_migrations VALUES ($1, $2, now(), true, sha384(convert_to($3, 'UTF8')), 1)",
                &[&version, &name, sql],
            )
            .unwrap();
    }
    let status = on(project.path(), &url, &["status"], 0);
    assert!(
        status
            .stdout
            .contains("migrated by sqlx (_sqlx_migrations: 2 row(s)) and not adopted"),
        "{}",
        status.all()
    );
    let up = on(project.path(), &url, &["up", "--format", "json"], 1).json();
    assert_eq!(up["error"]["kind"], "foreign_tracking", "{up}");
    let dry = on(project.path(), &url, &["adopt", "--dry-run"], 0);
    assert!(
        dry.stdout
            .contains("would record applied (by sqlx): 20240101000000, 20240215093000"),
        "{}",
        dry.all()
    );
    let adopted = on(project.path(), &url, &["adopt", "--from", "sqlx"], 0);
    assert!(
        adopted.stdout.contains("20240101000000, 20240215093000"),
        "{}",
        adopted.all()
    );
    let up = on(project.path(), &url, &["up"], 0);
    assert!(up.stdout.contains("applied 1 migration"), "{}", up.all());
    let again = on(project.path(), &url, &["adopt"], 2);
    assert!(
        again.stderr.contains("migrate's already"),
        "{}",
        again.all()
    );
}

#[test]
fn new_writes_no_pairs_into_another_tools_folder() {
    let project = project("tests/fixtures/layouts/diesel");
    let before = std::fs::read_dir(project.path().join("migrations"))
        .unwrap()
        .count();
    let run = migrate(project.path(), &["new", "add things"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("is in the diesel layout"),
        "{}",
        run.stderr
    );
    let after = std::fs::read_dir(project.path().join("migrations"))
        .unwrap()
        .count();
    assert_eq!(before, after, "nothing written");
}
