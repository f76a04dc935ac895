//! migrate.toml: environments, interpolation, protected environments,
//! unknown keys.

use crate::support::*;

const CONFIG: &str = r#"
migrations = "migrations"
database_url = "sqlite:dev.db"

[environments.prod]
database_url = "sqlite:${MIGRATE_TEST_PROD_DB:-prod.db}"
protected = true
lock_timeout = "5s"
"#;

#[test]
fn a_protected_environment_refuses_destructive_commands_without_yes() {
    let p = project("tests/fixtures/basic");
    std::fs::write(p.path().join("migrate.toml"), CONFIG).unwrap();
    migrate(p.path(), &["up", "--env", "prod"]).expect(0);
    assert!(
        p.path().join("prod.db").exists(),
        "the default of ${{VAR:-default}}"
    );
    assert!(!p.path().join("dev.db").exists());
    for args in [
        &["down", "--env", "prod"][..],
        &["redo", "--env", "prod"],
        &["repair", "--env", "prod"],
        &["baseline", "1", "--env", "prod"],
    ] {
        let r = migrate(p.path(), args).expect(2);
        assert!(
            r.stderr.contains("environment `prod` is protected"),
            "{}",
            r.stderr
        );
    }
    let status = migrate(p.path(), &["status", "--env", "prod", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(status["current_version"], 3, "nothing was rolled back");
    // A dry run touches nothing, so it needs no confirmation.
    migrate(p.path(), &["down", "--env", "prod", "--dry-run"]).expect(0);
    let r = migrate_with(
        p.path(),
        &["down", "--env", "prod", "--yes"],
        &[("USER", "alice")],
    )
    .expect(0);
    assert!(
        r.stderr
            .contains("`down` in protected environment `prod` confirmed with --yes by alice"),
        "{}",
        r.stderr
    );
    // The top-level database is not protected; interpolation reads the
    // environment.
    migrate(p.path(), &["up"]).expect(0);
    migrate(p.path(), &["down"]).expect(0);
    migrate_with(
        p.path(),
        &["up", "--env", "prod"],
        &[("MIGRATE_TEST_PROD_DB", "other.db")],
    )
    .expect(0);
    assert!(p.path().join("other.db").exists());
}

#[test]
fn config_errors_name_the_key_and_exit_2() {
    let p = project("tests/fixtures/basic");
    let config = p.path().join("migrate.toml");
    std::fs::write(&config, "databse_url = \"sqlite:x.db\"\n").unwrap();
    let r = migrate(p.path(), &["status"]).expect(2);
    assert!(
        r.stderr.contains("unknown field `databse_url`"),
        "{}",
        r.stderr
    );
    std::fs::write(&config, "[environments.prod]\ntable = \"h\"\nfoo = 1\n").unwrap();
    let r = migrate(p.path(), &["status", "--env", "prod"]).expect(2);
    assert!(r.stderr.contains("unknown field `foo`"), "{}", r.stderr);
    std::fs::write(&config, "database_url = \"${MIGRATE_TEST_UNSET}\"\n").unwrap();
    let r = migrate(p.path(), &["status"]).expect(2);
    assert!(
        r.stderr.contains("MIGRATE_TEST_UNSET is not set"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(&config).unwrap();
    let r = migrate(p.path(), &["status"]).expect(2);
    assert!(r.stderr.contains("no database"), "{}", r.stderr);
    migrate(
        p.path(),
        &["status", "--env", "nowhere", "--config", "none.toml"],
    )
    .expect(2);
    // A .env file provides DATABASE_URL.
    std::fs::write(
        p.path().join(".env"),
        "DATABASE_URL=sqlite:from_dotenv.db\n",
    )
    .unwrap();
    migrate(p.path(), &["up"]).expect(0);
    assert!(p.path().join("from_dotenv.db").exists());
}
