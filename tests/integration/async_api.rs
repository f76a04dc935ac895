//! The async API (`run_async` and every operation's `_async` twin) on a
//! `tokio_postgres::Client`, on a tokio runtime: the same protocol as the
//! sync API, so the same round trips; every operation; refusals; runs
//! spawned on a multi-threaded runtime. (The contract runs on the async
//! driver too: `contract::*::postgres_async`.)

use migrate::{Error, Finding, Resolution, Rollback, SeedOutcome};

use crate::async_support::*;
use crate::fixtures::*;
use crate::support::*;

#[tokio::test]
async fn a_no_op_boot_is_one_round_trip_and_a_fresh_apply_sends_what_the_sync_one_does() {
    // 40 migrations: two batches, as on the sync driver.
    let (_dir, set) = many(40);
    let Some(sync_db) = AsyncPgDb::create("async_trips_sync") else {
        return;
    };
    let Some(db) = AsyncPgDb::create("async_trips") else {
        return;
    };
    let sync_proxy = sync_db.pg().proxy();
    let sync_trips = off_runtime(|| {
        let mut conn = AnyConnection::open(sync_proxy.url()).unwrap();
        let before = sync_proxy.round_trips();
        assert_eq!(set.run(&mut conn).unwrap().applied().len(), 40);
        sync_proxy.round_trips() - before
    });

    let proxy = db.pg().proxy();
    let mut client = connect(proxy.url()).await;
    let before = proxy.round_trips();
    let report = set.run_async(&mut client).await.unwrap();
    let trips = proxy.round_trips() - before;
    assert_eq!(applied(&report), (1..=40).collect::<Vec<_>>());
    assert_eq!(
        trips, sync_trips,
        "the async driver sends what the sync one does"
    );
    assert!(trips < 10, "batched: {trips} round trips for 40 migrations");

    let before = proxy.round_trips();
    assert!(set.run_async(&mut client).await.unwrap().is_up_to_date());
    assert_eq!(proxy.round_trips() - before, 1, "the no-op boot");
    assert_eq!(proxy.server_errors(), 0);
}

#[tokio::test]
async fn every_operation_has_an_async_twin() {
    let Some(db) = AsyncPgDb::create("async_operations") else {
        return;
    };
    let mut client = db.connect().await;
    let runner = BASIC.runner();

    let plan = runner.plan_async(&mut client).await.unwrap();
    assert_eq!(plan.steps().len(), 3);
    assert!(!exists(&client, "migrate_history").await, "a dry run");
    let status = runner.status_async(&mut client).await.unwrap();
    assert_eq!(status.pending().len(), 3);

    let report = runner.run_async(&mut client).await.unwrap();
    assert_eq!(applied(&report), [1, 2, 3]);
    let status = runner.status_async(&mut client).await.unwrap();
    assert!(status.is_up_to_date(), "{status:?}");
    assert!(runner.verify_async(&mut client).await.unwrap().is_empty());
    let events = runner.history_async(&mut client, 10).await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].version(), Some(3));

    let plan = runner
        .plan_rollback_async(&mut client, Rollback::Last(2))
        .await
        .unwrap();
    assert_eq!(plan.steps().len(), 2);
    let report = runner
        .rollback_async(&mut client, Rollback::Last(2))
        .await
        .unwrap();
    assert_eq!(report.rolled_back().len(), 2);
    assert_eq!(
        column(&client, "SELECT version FROM migrate_history").await,
        ["1"]
    );
    assert!(!exists(&client, "b").await);

    // Baseline records what exists without running it.
    client
        .batch_execute("CREATE TABLE b (id int)")
        .await
        .unwrap();
    let stamped = runner.baseline_async(&mut client, 2).await.unwrap();
    assert_eq!(stamped, [2]);
    assert_eq!(applied(&runner.run_async(&mut client).await.unwrap()), [3]);

    // Repair takes an edited file's checksum; resolve finds nothing here.
    let edited = BASIC_EDITED.runner();
    assert!(matches!(
        edited.run_async(&mut client).await,
        Err(Error::ChecksumMismatch { .. })
    ));
    let repaired = edited.repair_async(&mut client).await.unwrap();
    assert!(
        matches!(&repaired[..], [Finding::Drift { .. }]),
        "{repaired:?}"
    );
    assert!(edited.verify_async(&mut client).await.unwrap().is_empty());
    let err = edited
        .resolve_async(&mut client, 1, Resolution::Applied)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err}");
}

#[tokio::test]
async fn seeds_run_and_run_again_async() {
    let Some(db) = AsyncPgDb::create("async_seeds") else {
        return;
    };
    let mut client = db.connect().await;
    SEEDED.run_async(&mut client).await.unwrap();
    let runner = SEEDED.runner();
    let first = runner.seed_async(&mut client, "dev").await.unwrap();
    assert!(first
        .files()
        .iter()
        .all(|f| f.outcome() == SeedOutcome::New));
    assert_eq!(count(&client, "SELECT count(*) FROM a").await, 2);
    let again = runner.seed_async(&mut client, "dev").await.unwrap();
    assert!(again
        .files()
        .iter()
        .all(|f| f.outcome() == SeedOutcome::Unchanged));
    client.batch_execute("DELETE FROM a").await.unwrap();
    let forced = runner.reseed_async(&mut client, "dev").await.unwrap();
    assert!(forced
        .files()
        .iter()
        .all(|f| f.outcome() == SeedOutcome::Forced));
    assert_eq!(count(&client, "SELECT count(*) FROM a").await, 2);
    // Seeding keeps the no-op boot.
    assert!(SEEDED.run_async(&mut client).await.unwrap().is_up_to_date());
}

#[tokio::test]
async fn refusals_change_nothing_async() {
    let Some(db) = AsyncPgDb::create("async_refusals") else {
        return;
    };
    let mut client = db.connect().await;
    BASIC.run_async(&mut client).await.unwrap();
    let before = column(
        &client,
        "SELECT row_to_json(h)::text FROM migrate_history h",
    )
    .await;

    let err = BASIC_EDITED.run_async(&mut client).await.unwrap_err();
    assert!(
        matches!(err, Error::ChecksumMismatch { version: 2, .. }),
        "{err}"
    );
    let err = BASIC_SHORT.run_async(&mut client).await.unwrap_err();
    assert!(
        matches!(err, Error::UnknownApplied { version: 3, .. }),
        "{err}"
    );
    let after = column(
        &client,
        "SELECT row_to_json(h)::text FROM migrate_history h",
    )
    .await;
    assert_eq!(after, before);

    let Some(other) = AsyncPgDb::create("async_out_of_order") else {
        return;
    };
    let mut client = other.connect().await;
    OOO_OLD.run_async(&mut client).await.unwrap();
    let err = OOO_NEW.run_async(&mut client).await.unwrap_err();
    assert!(matches!(err, Error::OutOfOrder { .. }), "{err}");
    assert!(!exists(&client, "second").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_spawned_on_a_multi_threaded_runtime_apply_each_migration_once() {
    let Some(db) = AsyncPgDb::create("async_spawned") else {
        return;
    };
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let mut client = db.connect().await;
        // `tokio::spawn` takes only `Send` futures: this compiles because
        // `run_async`'s is one.
        tasks.push(tokio::spawn(async move {
            EXAMPLE.run_async(&mut client).await.map(|r| applied(&r))
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap().unwrap().len();
    }
    let n = EXAMPLE.iter().count();
    assert_eq!(total, n, "each migration applied by exactly one runner");
    let client = db.connect().await;
    let expected: Vec<String> = EXAMPLE
        .iter()
        .map(|m| format!("{}:1", m.version()))
        .collect();
    assert_eq!(applies(&client).await, expected);
}
