//! `migrate seed`: the seed folder named apart from the `migrate.toml`
//! environment, confirmation in a protected environment, `--force`.

use crate::support::*;

fn config(url: &str) -> String {
    format!(
        "database_url = \"{url}\"\n\n[environments.prod]\ndatabase_url = \"{url}\"\nprotected = true\n"
    )
}

#[test]
fn the_seed_folder_is_not_the_config_environment() {
    for db in each_engine("seed_folder") {
        let p = project("tests/fixtures/seeded");
        let dir = p.path();
        std::fs::write(dir.join("migrate.toml"), config(&db.url)).unwrap();
        migrate(dir, &["up"]).expect(0);
        let first = migrate(dir, &["seed", "dev"]).expect(0).stdout;
        assert_eq!(
            first.matches("applied (new)").count(),
            2,
            "{}: {first}",
            db.engine
        );
        // --env names the config's environment: a missing one says how to
        // name the seed folder instead.
        let r = migrate(dir, &["seed", "--env", "development"]).expect(2);
        assert!(
            r.stderr.contains("no environment `development`")
                && r.stderr.contains("`migrate seed development`"),
            "{}",
            r.stderr
        );
        // A protected environment asks, like `down`.
        let r = migrate(dir, &["seed", "dev", "--env", "prod"]).expect(2);
        assert!(
            r.stderr.contains("environment `prod` is protected"),
            "{}",
            r.stderr
        );
        let r = migrate(dir, &["seed", "dev", "--env", "prod", "--yes"]).expect(0);
        assert_eq!(
            r.stdout.matches("unchanged, skipped").count(),
            2,
            "{}",
            r.stdout
        );
        // The dry run needs no confirmation.
        migrate(dir, &["seed", "dev", "--env", "prod", "--dry-run"]).expect(0);
    }
}

#[test]
fn seed_force_runs_every_file_again() {
    for db in each_engine("seed_force") {
        let p = project("tests/fixtures/seeded");
        let dir = p.path();
        let url = db.url.as_str();
        on(dir, url, &["up"], 0);
        on(dir, url, &["seed", "dev"], 0);
        // The tables emptied by a full rollback: unchanged files skip...
        on(dir, url, &["down", "--all"], 0);
        on(dir, url, &["up"], 0);
        let again = on(dir, url, &["seed", "dev"], 0).stdout;
        assert_eq!(again.matches("unchanged, skipped").count(), 2, "{again}");
        // ...and --force runs them all.
        let forced = on(dir, url, &["seed", "dev", "--force", "--format", "json"], 0).json();
        let outcomes: Vec<&str> = forced["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["outcome"].as_str().unwrap())
            .collect();
        assert!(
            outcomes.iter().all(|o| *o != "unchanged"),
            "{}: {forced}",
            db.engine
        );
        // A second forced run runs them again even though their rows are
        // there: 001_notes.sql inserts the same keys and fails.
        let r = on(dir, url, &["seed", "dev", "--force"], 1);
        assert!(r.stdout.contains("failed, rolled back"), "{}", r.stdout);
    }
}
