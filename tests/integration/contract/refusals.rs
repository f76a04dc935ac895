//! Refusals: an edited migration (drift), a version the binary does not
//! know, a pending version older than the newest applied one; each changes
//! nothing, and the policies that relax the last two.

use migrate::{Error, Policy};

use crate::fixtures::*;
use crate::support::*;

contract! {
    drift_is_refused_with_version_file_and_both_checksums,
    unknown_applied_version_is_refused,
    out_of_order_pending_version_is_refused_and_nothing_is_applied,
    out_of_order_can_be_warned_about_or_allowed,
    unknown_applied_can_be_warned_about_or_allowed,
    another_migration_at_an_applied_version_is_refused_and_not_repaired,
}

fn another_migration_at_an_applied_version_is_refused_and_not_repaired(db: &Db) {
    // Found in issue 10: `0002_create_b` deleted and `0002_other_b` created
    // was reported as "changed", `repair` accepted it, and its SQL never ran.
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    let before = conn.snapshot();
    let err = BASIC_REPLACED.run(&mut conn).unwrap_err();
    assert!(
        matches!(&err, Error::VersionReused { version: 2, applied, name, .. } if applied == "create_b" && name == "other_b"),
        "{err:?}"
    );
    assert!(err.to_string().contains("0002_other_b.up.sql"), "{err}");
    let runner = BASIC_REPLACED.runner();
    let found = runner.verify(&mut conn).unwrap();
    assert!(
        matches!(
            &found[..],
            [migrate::Finding::VersionReused { version: 2, .. }]
        ),
        "{found:?}"
    );
    assert!(
        runner.repair(&mut conn).unwrap().is_empty(),
        "repair does not guess"
    );
    assert!(matches!(
        BASIC_REPLACED.run(&mut conn),
        Err(Error::VersionReused { .. })
    ));
    assert_eq!(conn.snapshot(), before, "nothing changed");
}

fn drift_is_refused_with_version_file_and_both_checksums(db: &Db) {
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    let before = conn.snapshot();
    let err = BASIC_EDITED.run(&mut conn).unwrap_err();
    let Error::ChecksumMismatch {
        version,
        file,
        expected,
        found,
        ..
    } = &err
    else {
        panic!("expected a checksum mismatch, got {err}");
    };
    assert_eq!(*version, 2);
    assert_eq!(file, "tests/fixtures/basic_edited/0002_create_b.up.sql");
    assert_eq!(expected, BASIC.get(2).unwrap().checksum());
    assert_eq!(found, BASIC_EDITED.get(2).unwrap().checksum());
    assert_ne!(expected, found);
    let message = err.to_string();
    assert!(
        message.contains(expected.as_str()) && message.contains(found.as_str()),
        "{message}"
    );
    // Issue 10: the error says what to do.
    assert!(
        message.contains("new migration") && message.contains("`repair`"),
        "{message}"
    );
    assert_eq!(conn.snapshot(), before, "a refusal changes nothing");
}

fn unknown_applied_version_is_refused(db: &Db) {
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    let before = conn.snapshot();
    let err = BASIC_SHORT.run(&mut conn).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownApplied { version: 3, name, .. } if name == "record_boot"),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("binary") && message.contains("`down`"),
        "says where the migration is and how to undo it: {message}"
    );
    assert_eq!(conn.snapshot(), before, "a refusal changes nothing");
}

fn out_of_order_pending_version_is_refused_and_nothing_is_applied(db: &Db) {
    let mut conn = db.open();
    OOO_OLD.run(&mut conn).unwrap();
    let before = conn.snapshot();
    let err = OOO_NEW.run(&mut conn).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutOfOrder {
                version: 20_240_201_000_000,
                latest_applied: 20_240_301_000_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(!conn.exists("second"));
    assert_eq!(conn.versions(), [20_240_101_000_000, 20_240_301_000_000]);
    assert_eq!(conn.snapshot(), before, "a refusal changes nothing");
}

fn out_of_order_can_be_warned_about_or_allowed(db: &Db) {
    let mut conn = db.open();
    OOO_OLD.run(&mut conn).unwrap();
    let err = OOO_NEW.run(&mut conn).unwrap_err();
    assert!(matches!(err, Error::OutOfOrder { .. }), "{err}");
    let report = OOO_NEW
        .runner()
        .out_of_order(Policy::Warn)
        .run(&mut conn)
        .unwrap();
    assert_eq!(report.applied().len(), 1);
    assert_eq!(report.warnings().len(), 1, "{report}");
    assert!(
        report.warnings()[0].to_string().contains("20240201000000"),
        "{report}"
    );
    assert_eq!(
        conn.versions(),
        [20_240_101_000_000, 20_240_201_000_000, 20_240_301_000_000]
    );
    // Everything applied now: the next plain run is a no-op.
    assert!(OOO_NEW.run(&mut conn).unwrap().is_up_to_date());

    // Allowed: applied without a warning (on a database of its own).
    let other = Db::create(db.engine(), "ooo_allow");
    let Some(other) = other else { return };
    let mut conn = other.open();
    OOO_OLD.run(&mut conn).unwrap();
    let report = OOO_NEW
        .runner()
        .out_of_order(Policy::Allow)
        .run(&mut conn)
        .unwrap();
    assert_eq!((report.applied().len(), report.warnings().len()), (1, 0));
}

fn unknown_applied_can_be_warned_about_or_allowed(db: &Db) {
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    let err = BASIC_SHORT.run(&mut conn).unwrap_err();
    assert!(
        matches!(err, Error::UnknownApplied { version: 3, .. }),
        "{err}"
    );
    let report = BASIC_SHORT
        .runner()
        .unknown_applied(Policy::Warn)
        .run(&mut conn)
        .unwrap();
    assert!(report.is_up_to_date());
    assert_eq!(report.version(), Some(3), "the database's version");
    assert_eq!(report.warnings().len(), 1, "{report}");
    let report = BASIC_SHORT
        .runner()
        .unknown_applied(Policy::Allow)
        .run(&mut conn)
        .unwrap();
    assert!(report.is_up_to_date() && report.warnings().is_empty());
    // Drift is never relaxed by a policy.
    let err = BASIC_EDITED
        .runner()
        .unknown_applied(Policy::Allow)
        .out_of_order(Policy::Allow)
        .run(&mut conn)
        .unwrap_err();
    assert!(
        matches!(err, Error::ChecksumMismatch { version: 2, .. }),
        "{err}"
    );
}
