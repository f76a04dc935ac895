//! `status` and `verify` as CI gates and as honest reports: nothing applied
//! is not "ok", a failed or unknown version is named in the headline.

use crate::support::*;

#[test]
fn status_check_and_verify_pending_gate_on_pending_migrations() {
    for db in each_engine("gates") {
        let p = project("tests/fixtures/basic");
        let dir = p.path();
        let url = db.url.as_str();
        let status = on(dir, url, &["status", "--check"], 1).stdout;
        assert!(status.contains("version none of 3 (3 pending)"), "{status}");
        on(dir, url, &["status", "--exit-code"], 1);
        on(dir, url, &["status"], 0);
        // Nothing applied: not a bare "ok", and a gate with --pending.
        let verify = on(dir, url, &["verify"], 0).stdout;
        assert!(
            verify.contains("no migration applied yet: 3 pending") && !verify.contains("ok"),
            "{}: {verify}",
            db.engine
        );
        let gate = on(dir, url, &["verify", "--pending", "--format", "json"], 1).json();
        assert_eq!(gate["ok"], false);
        assert_eq!(gate["pending"], 3);
        on(dir, url, &["up", "--to", "2"], 0);
        let verify = on(dir, url, &["verify"], 0).stdout;
        assert!(verify.contains("1 pending"), "{verify}");
        on(dir, url, &["verify", "--pending"], 1);
        on(dir, url, &["status", "--check"], 1);
        on(dir, url, &["up"], 0);
        on(dir, url, &["status", "--check"], 0);
        let verify = on(dir, url, &["verify", "--pending"], 0).stdout;
        assert!(verify.contains("ok: the database matches"), "{verify}");
        // The app's tables without the tracking rows (another tool, or a
        // dropped history): still not "ok".
        db.execute(dir, "DELETE FROM migrate_history");
        let verify = on(dir, url, &["verify"], 0).stdout;
        assert!(
            verify.contains("no migration applied yet: 3 pending"),
            "{verify}"
        );
    }
}

#[test]
fn the_status_headline_names_failed_and_unknown_versions() {
    for db in each_engine("headline") {
        let p = project("tests/fixtures/basic");
        let dir = p.path();
        let url = db.url.as_str();
        on(dir, url, &["up"], 0);
        db.execute(
            dir,
            "UPDATE migrate_history SET status = 'failed' WHERE version = 3",
        );
        let r = on(dir, url, &["status", "--check"], 1);
        assert!(
            r.stdout.contains("version 2 of 3 (0 pending; 3 failed"),
            "{}: {}",
            db.engine,
            r.stdout
        );
        assert!(!r.stdout.contains("version 3 of 3"), "{}", r.stdout);
        let json = on(dir, url, &["status", "--format", "json"], 0).json();
        assert_eq!(json["up_to_date"], false);
        db.execute(
            dir,
            "UPDATE migrate_history SET status = 'applied' WHERE version = 3;
             INSERT INTO migrate_history (version, name, checksum) VALUES (5, 'elsewhere', 'sha256:x')",
        );
        let r = on(dir, url, &["status", "--check"], 1);
        assert!(
            r.stdout
                .contains("version 5, unknown to these migrations (latest here: 3; 0 pending"),
            "{}: {}",
            db.engine,
            r.stdout
        );
    }
}

#[test]
fn applied_by_is_filled_on_sqlite_without_a_user_variable() {
    // Found in issue 10: `applied_by` was empty on SQLite where `USER` is
    // unset (containers, service managers); it comes from the operating
    // system's account database then.
    let p = project("tests/fixtures/basic");
    let dir = p.path();
    let url = ["--database-url", "sqlite:app.db"];
    let no_user = [("USER", ""), ("USERNAME", "")];
    migrate_with(dir, &[&["up"][..], &url].concat(), &no_user).expect(0);
    let status = migrate_with(
        dir,
        &[&["status", "--format", "json"][..], &url].concat(),
        &no_user,
    )
    .expect(0)
    .json();
    let by = status["applied"][0]["applied_by"]
        .as_str()
        .unwrap_or_default();
    assert!(!by.is_empty(), "{status}");
    let with_user = migrate_with(
        dir,
        &[&["down"][..], &url].concat(),
        &[("USER", "ops-alice")],
    );
    with_user.expect(0);
    let history = migrate_with(
        dir,
        &[&["history", "--format", "json"][..], &url].concat(),
        &[],
    )
    .expect(0)
    .json();
    assert_eq!(history[0]["actor"], "ops-alice", "{history}");
}
