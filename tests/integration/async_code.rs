//! Async code migrations (`CodeMigration::tokio_postgres*`) on the async
//! API: in the migration's transaction or on the client, rolled back with
//! their down functions, a panic failing the migration alone; functions
//! registered for the sync client only refused before anything runs; and
//! runners on one thread waiting for each other's lock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use migrate::{CodeMigration, Error, Migrations, Rollback, TokioClient};
use tokio::sync::Notify;

use crate::async_support::*;
use crate::fixtures::*;
use crate::support::*;

const VIEW: &str = "CREATE VIEW active_users AS SELECT id, email FROM users";
const CHUNK: &str = "UPDATE users SET display_name = 'User ' || id \
     WHERE id IN (SELECT id FROM users WHERE display_name IS NULL ORDER BY id LIMIT 10)";
const MISSING: &str = "SELECT count(*) FROM users WHERE display_name IS NULL";

fn with(code: impl IntoIterator<Item = CodeMigration>) -> Migrations {
    CODE.with_code(code).expect("the code migrations register")
}

/// Version 2 in the migration's transaction, and its down function.
fn view() -> CodeMigration {
    CodeMigration::new(2, "users_view", "1")
        .tokio_postgres(|tx| Box::pin(async move { Ok(tx.batch_execute(VIEW).await?) }))
        .tokio_postgres_down(|tx| {
            Box::pin(async move { Ok(tx.batch_execute("DROP VIEW active_users").await?) })
        })
}

/// Version 4 on the client, ten rows a chunk, counting its chunks.
fn backfill(chunks: &Arc<AtomicUsize>) -> CodeMigration {
    let chunks = chunks.clone();
    CodeMigration::new(4, "backfill_display_names", "1").tokio_postgres_no_transaction(
        move |client| {
            let chunks = chunks.clone();
            Box::pin(async move {
                loop {
                    chunks.fetch_add(1, Ordering::SeqCst);
                    if client.execute(CHUNK, &[]).await? == 0 {
                        return Ok(());
                    }
                }
            })
        },
    )
}

#[tokio::test]
async fn async_code_migrations_run_in_order_and_roll_back_with_their_down_functions() {
    let Some(db) = AsyncPgDb::create("async_code") else {
        return;
    };
    let mut client = db.connect().await;
    let chunks = Arc::new(AtomicUsize::new(0));
    let set = with([view(), backfill(&chunks)]);
    let report = set.run_async(&mut client).await.unwrap();
    assert_eq!(applied(&report), [1, 2, 3, 4]);
    assert!(!report.applied()[3].transactional());
    assert!(exists(&client, "active_users").await);
    assert_eq!(count(&client, MISSING).await, 0);
    assert_eq!(
        chunks.load(Ordering::SeqCst),
        6,
        "5 chunks and an empty one"
    );
    let sums = column(
        &client,
        "SELECT checksum FROM migrate_history ORDER BY version",
    )
    .await;
    assert_eq!(sums[1], "code:1");
    assert!(set.run_async(&mut client).await.unwrap().is_up_to_date());

    // Version 4 has no down function: irreversible; the rest rolls back.
    let err = set
        .runner()
        .rollback_async(&mut client, Rollback::All)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Irreversible { version: 4, .. }),
        "{err}"
    );
    let set = with([
        view(),
        backfill(&chunks).tokio_postgres_down(|_| Box::pin(async { Ok(()) })),
    ]);
    // The checksum is the code version's: the down function changes none.
    let report = set
        .runner()
        .rollback_async(&mut client, Rollback::All)
        .await
        .unwrap();
    assert_eq!(report.rolled_back().len(), 4);
    assert!(
        !exists(&client, "active_users").await,
        "the down function ran"
    );
}

#[tokio::test]
async fn a_panicking_async_code_migration_fails_alone_and_the_lock_is_released() {
    let Some(db) = AsyncPgDb::create("async_code_panic") else {
        return;
    };
    let mut client = db.connect().await;
    let panicking = CodeMigration::new(2, "users_view", "1").tokio_postgres(|tx| {
        Box::pin(async move {
            tx.batch_execute(VIEW).await?;
            panic!("half way");
        })
    });
    let err = with([panicking])
        .runner()
        .to(3)
        .run_async(&mut client)
        .await
        .unwrap_err();
    let failure = err.migration_failure().expect("a migration failure");
    assert_eq!(failure.version(), 2);
    assert!(failure.message().contains("panicked: half way"), "{err}");
    assert!(
        !exists(&client, "active_users").await,
        "its transaction rolled back"
    );
    assert_eq!(
        column(&client, "SELECT version FROM migrate_history").await,
        ["1"]
    );
    // The lock was released: another client runs at once.
    let mut other = db.connect().await;
    let report = with([view()])
        .runner()
        .to(3)
        .lock_wait(Duration::from_secs(5))
        .run_async(&mut other)
        .await
        .unwrap();
    assert_eq!(applied(&report), [2, 3]);
}

#[tokio::test]
async fn code_for_the_sync_client_only_is_refused_on_the_async_driver_before_anything_runs() {
    let Some(db) = AsyncPgDb::create("async_code_sync_only") else {
        return;
    };
    let sync_only = || {
        with([CodeMigration::new(2, "users_view", "1").postgres(|tx| Ok(tx.batch_execute(VIEW)?))])
    };
    let expected = "it has no up function for PostgreSQL through tokio_postgres::Client: \
                    the one registered takes a postgres::Client \
                    (register one with CodeMigration::tokio_postgres)";
    let mut client = db.connect().await;
    match sync_only().run_async(&mut client).await {
        Err(Error::InvalidCode {
            version: 2, reason, ..
        }) => assert_eq!(reason, expected),
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    assert!(!exists(&client, "users").await, "nothing ran");
    // A `TokioClient` runs the same driver from sync code: the same refusal.
    let url = db.url();
    let refused = off_runtime(move || {
        let mut conn = TokioClient::connect(&url).unwrap();
        sync_only().run(&mut conn).unwrap_err()
    });
    assert!(refused.to_string().contains(expected), "{refused}");
    // The sync client runs it.
    let url = db.url();
    let report = off_runtime(move || {
        let mut conn = AnyConnection::open(&url).unwrap();
        sync_only().runner().to(2).run(&mut conn).unwrap()
    });
    assert_eq!(applied(&report), [1, 2]);
}

/// Two runners on one thread (a current-thread runtime): while one holds
/// the lock inside its code migration, the other polls for it and gives
/// up after its wait, and the holder finishes; neither blocks the thread
/// the other needs.
#[tokio::test]
async fn async_runners_on_one_thread_wait_for_each_others_lock() {
    let Some(db) = AsyncPgDb::create("async_lock") else {
        return;
    };
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (inside, released) = (entered.clone(), release.clone());
    let holding = with([
        CodeMigration::new(2, "users_view", "1").tokio_postgres(move |tx| {
            let (inside, released) = (inside.clone(), released.clone());
            Box::pin(async move {
                inside.notify_one();
                released.notified().await;
                Ok(tx.batch_execute(VIEW).await?)
            })
        }),
    ]);
    let waiting = with([view()]);
    let (mut a, mut b) = (db.connect().await, db.connect().await);
    let holder = async { holding.runner().to(2).run_async(&mut a).await };
    let waiter = async {
        entered.notified().await;
        let err = waiting
            .runner()
            .to(2)
            .lock_wait(Duration::from_millis(300))
            .run_async(&mut b)
            .await
            .unwrap_err();
        release.notify_one();
        err
    };
    let (held, err) = tokio::join!(holder, waiter);
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert_eq!(applied(&held.unwrap()), [1, 2]);
    // Once released, the waiter finds the work done.
    let report = waiting.runner().to(2).run_async(&mut b).await.unwrap();
    assert!(report.is_up_to_date());
    assert!(exists(&b, "active_users").await);
}

#[test]
fn async_registrations_are_checked_as_sync_ones_are() {
    let down_only = CodeMigration::new(2, "users_view", "1")
        .postgres(|_| Ok(()))
        .tokio_postgres_down(|_| Box::pin(async { Ok(()) }));
    match CODE.with_code([down_only]).err() {
        Some(Error::InvalidCode { reason, .. }) => assert_eq!(
            reason,
            "a tokio-postgres down function without a tokio-postgres up function"
        ),
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    // One mode for every client: a sync function in a transaction and an
    // async one without cannot be the same migration.
    let mixed = CodeMigration::new(2, "users_view", "1")
        .postgres(|_| Ok(()))
        .tokio_postgres_no_transaction(|_| Box::pin(async { Ok(()) }));
    match CODE.with_code([mixed]).err() {
        Some(Error::InvalidCode { reason, .. }) => {
            assert!(
                reason.contains("mix a transaction and no transaction"),
                "{reason}"
            );
        }
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    let both = CodeMigration::new(2, "users_view", "1")
        .postgres(|_| Ok(()))
        .tokio_postgres(|_| Box::pin(async { Ok(()) }));
    assert!(format!("{both:?}").contains("TokioPostgres"), "{both:?}");
    assert!(CODE.with_code([both]).is_ok());
}
