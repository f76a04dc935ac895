//! Baseline and repair.

use migrate::{Error, EventKind, Finding};

use crate::fixtures::*;
use crate::support::*;

contract! {
    baseline_adopts_an_existing_schema_then_apply_runs_only_the_later_migrations,
    baseline_refuses_versions_applied_with_other_checksums,
    repair_rewrites_drifted_checksums_and_logs_it,
}

fn baseline_adopts_an_existing_schema_then_apply_runs_only_the_later_migrations(db: &Db) {
    let mut conn = db.open();
    // A database that already has the first two migrations' schema.
    for m in BASIC.iter().take(2) {
        conn.execute_sql(m.up_sql());
    }
    let stamped = BASIC.runner().baseline(&mut conn, 2).unwrap();
    assert_eq!(stamped, [1, 2]);
    assert_eq!(conn.versions(), [1, 2]);
    let report = BASIC.run(&mut conn).unwrap();
    assert_eq!(applied(&report), [3]);
    assert_eq!(
        events(&mut conn, &BASIC, 10),
        ["apply:3", "baseline:2", "baseline:1"]
    );
    // Again: nothing to mark. A version outside the set is refused.
    assert!(BASIC.runner().baseline(&mut conn, 3).unwrap().is_empty());
    let err = BASIC.runner().baseline(&mut conn, 7).unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err}");
}

fn baseline_refuses_versions_applied_with_other_checksums(db: &Db) {
    let mut conn = db.open();
    BASIC.runner().to(2).run(&mut conn).unwrap();
    let before = conn.snapshot();
    let err = BASIC_EDITED.runner().baseline(&mut conn, 3).unwrap_err();
    assert!(
        matches!(err, Error::ChecksumMismatch { version: 2, .. }),
        "{err}"
    );
    assert_eq!(conn.snapshot(), before, "nothing was marked");
}

fn repair_rewrites_drifted_checksums_and_logs_it(db: &Db) {
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    assert!(matches!(
        BASIC_EDITED.run(&mut conn),
        Err(Error::ChecksumMismatch { .. })
    ));
    let resolved = BASIC_EDITED.runner().repair(&mut conn).unwrap();
    assert!(
        matches!(&resolved[..], [Finding::Drift { version: 2, .. }]),
        "{resolved:?}"
    );
    assert!(BASIC_EDITED.runner().verify(&mut conn).unwrap().is_empty());
    assert!(BASIC_EDITED.run(&mut conn).unwrap().is_up_to_date());
    let status = BASIC_EDITED.runner().status(&mut conn).unwrap();
    assert_eq!(
        status.applied()[1].checksum(),
        BASIC_EDITED.get(2).unwrap().checksum()
    );
    let last = &BASIC.runner().history(&mut conn, 1).unwrap()[0];
    assert_eq!((last.kind(), last.version()), (EventKind::Repair, Some(2)));
    assert!(last.detail().is_some_and(|d| d.contains("replaced by")));
    assert!(
        BASIC_EDITED.runner().repair(&mut conn).unwrap().is_empty(),
        "nothing left to repair"
    );
}
