//! `migrate check --reversible`: every down proved on a scratch database
//! of the URL's server (a scratch file for SQLite), the database named
//! never touched, the first down that does not restore its schema named
//! with the difference (text and JSON).

use crate::support::*;

/// The scratch database a passing run names (`scratch database NAME`).
fn scratch_name(stdout: &str) -> String {
    let (_, rest) = stdout
        .split_once("scratch database ")
        .unwrap_or_else(|| panic!("no scratch database named: {stdout}"));
    rest.split([',', ' ']).next().unwrap_or_default().to_owned()
}

#[test]
fn the_project_sets_downs_are_proved_on_a_scratch_database() {
    for db in each_engine("cli_reversible_ok") {
        // The PostgreSQL example set, the SQLite quickstart set.
        let fixture = match db.engine {
            "postgres" => "migrations",
            _ => "examples/quickstart/migrations",
        };
        let project = project(fixture);
        let n = std::fs::read_dir(project.path().join("migrations"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".up.sql")
            })
            .count();
        let run = on(project.path(), &db.url, &["check", "--reversible"], 0);
        assert!(
            run.stdout.contains(&format!(
                "every down restores the schema its up found ({n} migrations"
            )),
            "{}: {}",
            db.engine,
            run.stdout
        );
        let scratch = scratch_name(&run.stdout);
        assert!(scratch.starts_with("migrate_scratch_"), "{scratch}");
        assert!(!run.all().contains(PASSWORD), "{}", run.all());
        // The database named is never touched.
        let status = on(project.path(), &db.url, &["status", "--format", "json"], 0).json();
        assert_eq!(
            status["applied"].as_array().map(Vec::len),
            Some(0),
            "{}: {status}",
            db.engine
        );
        if db.engine == "postgres" {
            let admin = PgDb::create("cli_reversible_admin").expect("a server");
            let left: i64 = admin
                .connect()
                .query_one(
                    "SELECT count(*) FROM pg_database WHERE datname = $1",
                    &[&scratch],
                )
                .unwrap()
                .get(0);
            assert_eq!(left, 0, "the scratch database {scratch} is dropped");
        } else {
            let file = std::env::temp_dir().join("migrate-testing").join(&scratch);
            assert!(!file.exists(), "{} is removed", file.display());
        }
    }
}

#[test]
fn a_down_that_forgets_a_column_fails_with_the_difference() {
    for db in each_engine("cli_reversible_broken") {
        let project = project("tests/fixtures/broken_down");
        let run = on(project.path(), &db.url, &["check", "--reversible"], 1);
        assert!(
            run.stdout
                .contains("the down of 2 users_nickname does not restore the schema its up found"),
            "{}: {}",
            db.engine,
            run.stdout
        );
        let line = run
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with('+'))
            .unwrap_or_else(|| panic!("no difference line: {}", run.stdout));
        assert!(
            line.contains("users.nickname") && line.ends_with("(left behind)"),
            "{line}"
        );
        let json = on(
            project.path(),
            &db.url,
            &["check", "--reversible", "--format", "json"],
            1,
        )
        .json();
        assert_eq!(json["ok"], false, "{json}");
        assert_eq!(json["reversible"]["ok"], false, "{json}");
        assert_eq!(json["reversible"]["version"], 2, "{json}");
        assert_eq!(
            json["reversible"]["differences"].as_array().map(Vec::len),
            Some(1),
            "{json}"
        );
        assert_eq!(
            json["migrations"], 3,
            "the check's own verdict is there too: {json}"
        );
    }
}

#[test]
fn reversible_needs_a_database_url() {
    let project = project("migrations");
    let run = migrate(project.path(), &["check", "--reversible"]).expect(2);
    assert!(run.stderr.contains("no database"), "{}", run.stderr);
    // Without --reversible, check stays offline.
    migrate(project.path(), &["check"]).expect(0);
}
