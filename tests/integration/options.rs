//! Runner options: a target version and the policies, on both backends.

use migrate::{Error, Policy};

use crate::fixtures::*;
use crate::support::*;

#[test]
fn apply_up_to_a_target_then_the_rest() {
    on_both("target", |connect| {
        let mut db = connect();
        let report = db.run(BASIC.runner().to(2)).unwrap();
        assert_eq!(report.applied().len(), 2);
        assert_eq!(report.version(), Some(2));
        assert_eq!(db.versions(), vec![1, 2]);
        // Nothing above the target: a second run to 2 does nothing.
        assert!(db.run(BASIC.runner().to(2)).unwrap().is_up_to_date());
        let rest = db.run(BASIC.runner()).unwrap();
        assert_eq!(
            rest.applied()
                .iter()
                .map(|a| a.version())
                .collect::<Vec<_>>(),
            vec![3]
        );
        // A lower target never rolls back.
        assert!(db.run(BASIC.runner().to(1)).unwrap().is_up_to_date());
        assert_eq!(db.versions(), vec![1, 2, 3]);
        let err = db.run(BASIC.runner().to(9)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidOption {
                    option: "target",
                    ..
                }
            ),
            "{err}"
        );
    });
}

#[test]
fn out_of_order_can_be_warned_about_or_allowed() {
    on_both("ooo_policy", |connect| {
        let mut db = connect();
        db.run(OOO_OLD.runner()).unwrap();
        let err = db.run(OOO_NEW.runner()).unwrap_err();
        assert!(matches!(err, Error::OutOfOrder { .. }), "{err}");
        let report = db.run(OOO_NEW.runner().out_of_order(Policy::Warn)).unwrap();
        assert_eq!(report.applied().len(), 1);
        assert_eq!(report.warnings().len(), 1, "{report}");
        assert!(report.warnings()[0].to_string().contains("20240201000000"), "{report}");
        assert_eq!(
            db.versions(),
            vec![20_240_101_000_000, 20_240_201_000_000, 20_240_301_000_000]
        );
        // Everything applied now: the next plain run is a no-op.
        assert!(db.run(OOO_NEW.runner()).unwrap().is_up_to_date());
    });
    on_both("ooo_allow", |connect| {
        let mut db = connect();
        db.run(OOO_OLD.runner()).unwrap();
        let report = db
            .run(OOO_NEW.runner().out_of_order(Policy::Allow))
            .unwrap();
        assert_eq!((report.applied().len(), report.warnings().len()), (1, 0));
    });
}

#[test]
fn unknown_applied_can_be_warned_about_or_allowed() {
    on_both("unknown_policy", |connect| {
        let mut db = connect();
        db.run(BASIC.runner()).unwrap();
        let err = db.run(BASIC_SHORT.runner()).unwrap_err();
        assert!(
            matches!(err, Error::UnknownApplied { version: 3, .. }),
            "{err}"
        );
        let report = db
            .run(BASIC_SHORT.runner().unknown_applied(Policy::Warn))
            .unwrap();
        assert!(report.is_up_to_date());
        assert_eq!(report.version(), Some(3), "the database's version");
        assert_eq!(report.warnings().len(), 1, "{report}");
        let report = db
            .run(BASIC_SHORT.runner().unknown_applied(Policy::Allow))
            .unwrap();
        assert!(report.is_up_to_date() && report.warnings().is_empty());
        // Drift is never relaxed by a policy.
        let err = db
            .run(
                BASIC_EDITED
                    .runner()
                    .unknown_applied(Policy::Allow)
                    .out_of_order(Policy::Allow),
            )
            .unwrap_err();
        assert!(
            matches!(err, Error::ChecksumMismatch { version: 2, .. }),
            "{err}"
        );
    });
}
