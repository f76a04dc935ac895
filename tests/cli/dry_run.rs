//! Dry runs tell what the real command would do and end as it would (an
//! irreversible migration stops `down` and `redo`; `redo` shows both
//! halves), and the messages of rollbacks and baselines with nothing to
//! do. On SQLite and PostgreSQL.

use serde_json::Value;

use crate::support::*;

/// `(direction, version)` of each step of a dry run's JSON plan.
fn steps(plan: &Value) -> Vec<(String, u64)> {
    plan["plan"]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("no steps in {plan}"))
        .iter()
        .map(|s| {
            (
                s["direction"].as_str().unwrap().to_owned(),
                s["version"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn current_version(dir: &std::path::Path, url: &str) -> Value {
    on(dir, url, &["status", "--format", "json"], 0).json()["current_version"].clone()
}

/// Each rollback that reaches the irreversible migration 2: the dry run
/// shows the steps the real command would take, says where it stops, and
/// exits 1 like the real command.
fn irreversible(dir: &std::path::Path, url: &str, engine: &str) {
    let cases: [(&[&str], &[u64]); 4] = [
        (&["down", "--all"], &[3]),
        (&["down", "--steps", "3"], &[3]),
        (&["down", "--to", "1"], &[3]),
        (&["redo", "--steps", "2"], &[]),
    ];
    for (args, rolled_back) in cases {
        on(dir, url, &["up"], 0);
        let dry = on(dir, url, &[args, &["--dry-run"]].concat(), 1);
        assert!(
            dry.stderr.contains("migration 2 (one_way) is irreversible"),
            "{engine} {args:?} --dry-run: {}",
            dry.stderr
        );
        assert!(!dry.all().contains("nothing to"), "{}", dry.all());
        for v in rolled_back {
            assert!(
                dry.stdout.contains(&format!("-- down {v} ")),
                "{}",
                dry.stdout
            );
        }
        let json = on(
            dir,
            url,
            &[args, &["--dry-run", "--format", "json"]].concat(),
            1,
        )
        .json();
        let expected: Vec<(String, u64)> = rolled_back
            .iter()
            .map(|v| ("down".to_owned(), *v))
            .collect();
        assert_eq!(steps(&json), expected, "{engine} {args:?}: {json}");
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("irreversible"),
            "{json}"
        );
        assert_eq!(
            json["plan"]["warnings"][0]["kind"], "irreversible",
            "{json}"
        );
        assert_eq!(
            current_version(dir, url),
            3,
            "{engine} {args:?}: the dry run changed nothing"
        );
        let real = on(dir, url, args, 1);
        assert!(
            real.stderr
                .contains("migration 2 (one_way) is irreversible"),
            "{}",
            real.stderr
        );
    }
    assert_eq!(
        current_version(dir, url),
        3,
        "{engine}: `redo` refused before rolling back"
    );
    // With the irreversible migration on top, the dry run does not say
    // "nothing to do": it fails as `down` does.
    on(dir, url, &["down"], 0);
    for args in [&["down"][..], &["down", "--all"], &["redo"]] {
        let dry = on(dir, url, &[args, &["--dry-run"]].concat(), 1);
        assert!(
            dry.stderr.contains("irreversible"),
            "{engine} {args:?}: {}",
            dry.stderr
        );
        assert!(!dry.all().contains("nothing to"), "{}", dry.all());
        on(dir, url, args, 1);
    }
}

#[test]
fn a_dry_rollback_stops_at_an_irreversible_migration_like_the_real_one() {
    let p = project("tests/fixtures/irreversible");
    for db in each_engine("dry_irreversible") {
        irreversible(p.path(), &db.url, db.engine);
    }
}

#[test]
fn a_dry_redo_shows_the_rollback_and_the_migrations_applied_again() {
    let p = project("tests/fixtures/basic");
    for db in each_engine("dry_redo") {
        let (dir, url) = (p.path(), db.url.as_str());
        on(dir, url, &["up"], 0);
        let text = on(dir, url, &["redo", "--steps", "2", "--dry-run"], 0).stdout;
        let order: Vec<usize> = ["-- down 3 ", "-- down 2 ", "-- up 2 ", "-- up 3 "]
            .iter()
            .map(|s| {
                text.find(s)
                    .unwrap_or_else(|| panic!("{} no {s}: {text}", db.engine))
            })
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(
            text.contains("0002_create_b.up.sql)\nCREATE TABLE b"),
            "{text}"
        );
        assert!(
            text.contains("INSERT INTO boots"),
            "the up SQL of 3: {text}"
        );
        let json = on(
            dir,
            url,
            &["redo", "--steps", "2", "--dry-run", "--format", "json"],
            0,
        )
        .json();
        let expected =
            [("down", 3), ("down", 2), ("up", 2), ("up", 3)].map(|(d, v)| (d.to_owned(), v));
        assert_eq!(steps(&json), expected, "{json}");
        assert_eq!(
            json["plan"]["steps"][2]["file"],
            "migrations/0002_create_b.up.sql"
        );
        assert_eq!(current_version(dir, url), 3);
        // The real redo does what its dry run said.
        let real = on(dir, url, &["redo", "--steps", "2", "--format", "json"], 0);
        assert_eq!(current_version(dir, url), 3, "{}", real.stdout);
        on(dir, url, &["down", "--all"], 0);
        let empty = on(dir, url, &["redo", "--dry-run"], 0).stdout;
        assert_eq!(empty.trim(), "nothing to roll back", "{}", db.engine);
    }
}

#[test]
fn rollbacks_and_baselines_with_nothing_to_do_say_so() {
    let p = project("tests/fixtures/basic");
    for db in each_engine("nothing_to_do") {
        let (dir, url) = (p.path(), db.url.as_str());
        for args in [&["down", "--steps", "0"][..], &["redo", "--steps", "0"]] {
            let r = on(dir, url, args, 2);
            assert!(r.stderr.contains("must be at least 1"), "{}", r.stderr);
        }
        for args in [
            &["down"][..],
            &["down", "--all"],
            &["down", "--to", "2"],
            &["redo"],
        ] {
            let r = on(dir, url, args, 0);
            assert!(
                r.stdout.starts_with("nothing to roll back (version none)"),
                "{args:?}: {}",
                r.stdout
            );
            assert!(!r.stdout.contains("up to date"), "{}", r.stdout);
            let dry = on(dir, url, &[args, &["--dry-run"]].concat(), 0);
            assert_eq!(dry.stdout.trim(), "nothing to roll back", "{args:?}");
        }
        let json = on(dir, url, &["down", "--format", "json"], 0).json();
        assert_eq!(json["rolled_back"], serde_json::json!([]));
        on(dir, url, &["up", "--to", "2"], 0);
        let r = on(dir, url, &["down", "--to", "2"], 0);
        assert!(
            r.stdout.starts_with("nothing to roll back (version 2)"),
            "{}",
            r.stdout
        );
        for args in [&["baseline", "2"][..], &["baseline", "2", "--dry-run"]] {
            let r = on(dir, url, args, 0);
            assert!(!r.stdout.contains("[]"), "{}", r.stdout);
            assert!(
                r.stdout
                    .starts_with("nothing to mark: every migration up to 2 is"),
                "{}",
                r.stdout
            );
        }
        let json = on(dir, url, &["baseline", "2", "--format", "json"], 0).json();
        assert_eq!(json["marked"], serde_json::json!([]));
        on(dir, url, &["down", "--all"], 0);
        let r = on(dir, url, &["baseline", "2"], 0);
        assert_eq!(r.stdout.trim(), "marked applied without running: 1, 2");
    }
}

#[test]
fn redo_refuses_a_migration_it_could_not_apply_again() {
    let p = project("tests/fixtures/basic");
    for db in each_engine("redo_stored") {
        let (dir, url) = (p.path(), db.url.as_str());
        on(dir, url, &["up"], 0);
        let m = dir.join("migrations");
        let files = ["0003_record_boot.up.sql", "0003_record_boot.down.sql"];
        let kept: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(m.join(f)).unwrap())
            .collect();
        for f in files {
            std::fs::remove_file(m.join(f)).unwrap();
        }
        // The binary no longer has migration 3: `down` could roll it back
        // with its stored SQL, `redo` could not apply it again.
        for dry in [&["--dry-run"][..], &[]] {
            let r = on(dir, url, &[&["redo"][..], dry].concat(), 2);
            assert!(
                r.stderr
                    .contains("migration 3 (record_boot) is not in this set"),
                "{}",
                r.stderr
            );
            assert_eq!(
                current_version(dir, url),
                3,
                "{}: nothing was done",
                db.engine
            );
        }
        let dry = on(dir, url, &["down", "--dry-run"], 0).stdout;
        assert!(
            dry.contains("-- down 3 record_boot (the down SQL stored"),
            "{dry}"
        );
        for (f, text) in files.iter().zip(&kept) {
            std::fs::write(m.join(f), text).unwrap();
        }
        on(dir, url, &["down", "--all"], 0);
    }
}
