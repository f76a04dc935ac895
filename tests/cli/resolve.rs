//! A rollback that did not finish: `repair` does not guess, `resolve`
//! records what the operator found, on each engine.

use crate::support::*;

#[test]
fn repair_refuses_a_failed_rollback_and_resolve_records_the_truth() {
    for db in each_engine("cli_resolve") {
        let dir = project("tests/fixtures/failing_nontx_down");
        let (dir, url) = (dir.path(), db.url.as_str());
        on(dir, url, &["up"], 0);
        let down = on(dir, url, &["down"], 1);
        assert!(
            down.stderr.contains("rollback_failed") && down.stderr.contains("resolve 1"),
            "{}: {}",
            db.engine,
            down.stderr
        );

        // The next `up` is refused, worded for the rollback.
        let up = on(dir, url, &["up", "--format", "json"], 1);
        let error = &up.json()["error"];
        assert_eq!(error["kind"], "half_applied", "{}", up.all());
        assert_eq!(error["state"], "rollback_failed");

        // `repair` changes nothing, says why, and exits 1.
        let repair = on(dir, url, &["repair"], 1);
        assert!(
            repair.stdout.contains("not repaired") && repair.stdout.contains("--rolled-back"),
            "{}",
            repair.all()
        );
        let status = on(dir, url, &["status", "--format", "json"], 0).json();
        assert_eq!(status["applied"][0]["state"], "rollback_failed", "{status}");

        // `resolve` needs one answer, and a version with a mark.
        on(dir, url, &["resolve", "1"], 2);
        on(dir, url, &["resolve", "1", "--applied", "--rolled-back"], 2);
        on(dir, url, &["resolve", "9", "--applied"], 2);
        let dry = on(dir, url, &["resolve", "1", "--rolled-back", "--dry-run"], 0);
        assert!(
            dry.stdout.contains("would record rolled back"),
            "{}",
            dry.all()
        );

        // The operator finished the rollback by hand.
        db.execute(dir, "DROP TABLE items");
        let resolved = on(
            dir,
            url,
            &["resolve", "1", "--rolled-back", "--format", "json"],
            0,
        )
        .json();
        assert_eq!(resolved["resolved"]["version"], 1, "{resolved}");
        assert_eq!(resolved["as"], "rolled back");
        let up = on(dir, url, &["up", "--format", "json"], 0).json();
        assert_eq!(up["applied"][0]["version"], 1, "{}: {up}", db.engine);
        on(dir, url, &["verify"], 0);
    }
}
