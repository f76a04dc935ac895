//! Baseline and repair on both backends.

use migrate::{Error, Finding};

use crate::fixtures::*;
use crate::support::*;

#[test]
fn baseline_adopts_an_existing_schema_then_apply_runs_only_the_later_migrations() {
    on_both("baseline", |connect| {
        let mut db = connect();
        // A database that already has the first two migrations' schema.
        for m in BASIC.iter().take(2) {
            db.execute(m.up_sql());
        }
        let stamped = db.baseline(BASIC.runner(), 2).unwrap();
        assert_eq!(stamped, vec![1, 2]);
        assert_eq!(db.versions(), vec![1, 2]);
        let report = db.run(BASIC.runner()).unwrap();
        assert_eq!(
            report
                .applied()
                .iter()
                .map(|a| a.version())
                .collect::<Vec<_>>(),
            vec![3]
        );
        let kinds: Vec<String> = db
            .history(BASIC.runner(), 10)
            .unwrap()
            .iter()
            .map(|e| format!("{}:{}", e.kind(), e.version().unwrap_or_default()))
            .collect();
        assert_eq!(kinds, vec!["apply:3", "baseline:2", "baseline:1"]);
        // Again: nothing to mark. A version outside the set is refused.
        assert!(db.baseline(BASIC.runner(), 3).unwrap().is_empty());
        let err = db.baseline(BASIC.runner(), 7).unwrap_err();
        assert!(matches!(err, Error::InvalidOption { .. }), "{err}");
    });
}

#[test]
fn baseline_refuses_versions_applied_with_other_checksums() {
    on_both("baseline_refuses", |connect| {
        let mut db = connect();
        db.run(BASIC.runner().to(2)).unwrap();
        let before = db.snapshot();
        let err = db.baseline(BASIC_EDITED.runner(), 3).unwrap_err();
        assert!(
            matches!(err, Error::ChecksumMismatch { version: 2, .. }),
            "{err}"
        );
        assert_eq!(db.snapshot(), before, "nothing was marked");
    });
}

#[test]
fn repair_rewrites_drifted_checksums_and_logs_it() {
    on_both("repair", |connect| {
        let mut db = connect();
        db.run(BASIC.runner()).unwrap();
        assert!(matches!(
            db.run(BASIC_EDITED.runner()),
            Err(Error::ChecksumMismatch { .. })
        ));
        let resolved = db.repair(BASIC_EDITED.runner()).unwrap();
        assert!(
            matches!(&resolved[..], [Finding::Drift { version: 2, .. }]),
            "{resolved:?}"
        );
        assert!(db.verify(BASIC_EDITED.runner()).unwrap().is_empty());
        assert!(db.run(BASIC_EDITED.runner()).unwrap().is_up_to_date());
        let status = db.status(BASIC_EDITED.runner()).unwrap();
        assert_eq!(
            status.applied()[1].checksum(),
            BASIC_EDITED.get(2).unwrap().checksum()
        );
        let last = &db.history(BASIC.runner(), 1).unwrap()[0];
        assert_eq!((last.kind(), last.version()), (migrate::EventKind::Repair, Some(2)));
        assert!(last.detail().is_some_and(|d| d.contains("replaced by")));
        assert!(
            db.repair(BASIC_EDITED.runner()).unwrap().is_empty(),
            "nothing left to repair"
        );
    });
}

#[test]
fn repair_clears_a_half_applied_mark() {
    let Some(pg) = PgDb::create("repair_half") else {
        return;
    };
    let mut client = pg.connect();
    HALF_APPLIED.run(&mut client).unwrap_err();
    let resolved = HALF_APPLIED.runner().repair(&mut client).unwrap();
    assert!(
        matches!(&resolved[..], [Finding::HalfApplied { version: 2, .. }]),
        "{resolved:?}"
    );
    let status = HALF_APPLIED.runner().status(&mut client).unwrap();
    assert!(status.problems().is_empty(), "{:?}", status.problems());
    assert_eq!(
        status
            .pending()
            .iter()
            .map(|p| p.version())
            .collect::<Vec<_>>(),
        vec![2]
    );
}
