//! A server that stops answering while a runner waits for the migration
//! lock: the async driver's wait ends on the runner's own clock, and an
//! attempt the server runs later cannot leave its session holding the lock.
//! A stop cancelled from a task of the runtime the run awaits on. A run
//! whose future is dropped mid-run (a timeout) leaves the session clean
//! once what it sent has run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use migrate::{CodeMigration, Error, Migrations, Progress, Stop};
use tokio::sync::Notify;

use crate::async_support::*;
use crate::fixtures::*;
use crate::support::*;

/// The set of `CODE` whose version 2 waits inside its transaction (holding
/// the migration lock) until `release` is notified, after notifying
/// `entered`.
fn holding(entered: &Arc<Notify>, release: &Arc<Notify>) -> Migrations {
    let (entered, release) = (entered.clone(), release.clone());
    CODE.with_code([
        CodeMigration::new(2, "users_view", "1").tokio_postgres(move |_| {
            let (entered, release) = (entered.clone(), release.clone());
            Box::pin(async move {
                entered.notify_one();
                release.notified().await;
                Ok(())
            })
        }),
    ])
    .expect("the code migration registers")
}

/// Waits until the session `pid` is idle after a query containing
/// `last` (what was queued behind its work ran), failing after 20 s.
async fn idle_after(observer: &migrate::tokio_postgres::Client, pid: &str, last: &str) {
    let sql = format!("SELECT state || ' ' || query FROM pg_stat_activity WHERE pid = {pid}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = column(observer, &sql).await.join("");
        if seen.starts_with("idle ") && seen.contains(last) {
            return;
        }
        assert!(Instant::now() < deadline, "no `{last}` ran: {seen}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_cannot_hold_an_async_runner_past_its_lock_wait() {
    let Some(db) = AsyncPgDb::create("async_stall") else {
        return;
    };
    let proxy = db.pg().proxy();
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let set = holding(&entered, &release);
    let mut a = db.connect().await;
    let holder = {
        let set = set.clone();
        tokio::spawn(async move { set.runner().to(2).run_async(&mut a).await })
    };
    entered.notified().await;

    // The waiter talks through the proxy, which freezes once it polls.
    let mut b = connect(proxy.url()).await;
    let pid = column(&b, "SELECT pg_backend_pid()").await.remove(0);
    let freeze = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        proxy.freeze();
    };
    let started = Instant::now();
    let wait = set.runner().to(2).lock_wait(Duration::from_millis(800));
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(wait.run_async(&mut b), freeze).0
    })
    .await
    .expect("the runner gives up on its own clock, not when the server answers");
    let elapsed = started.elapsed();
    let err = waited.unwrap_err();
    assert!(
        matches!(
            err,
            Error::LockTimeout {
                unanswered: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("did not answer"), "{err}");
    // The wait, plus at most the last attempt's grace of one second.
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");

    // The holder finishes and releases the lock; then the server gets the
    // held attempt, which takes the lock now, and the release queued
    // behind it.
    release.notify_one();
    assert_eq!(applied(&holder.await.unwrap().unwrap()), [1, 2]);
    proxy.thaw();
    let observer = db.connect().await;
    idle_after(&observer, &pid, "pg_advisory_unlock").await;
    let held = format!("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = {pid}");
    assert_eq!(
        count(&observer, &held).await,
        0,
        "the session keeps no lock"
    );
    // And the same connection migrates once the server answers again.
    let report = set.runner().to(3).run_async(&mut b).await.unwrap();
    assert_eq!(applied(&report), [3]);
}

/// The same through a `TokioClient` (the async driver under the sync API,
/// as the CLI connects): the wait ends on the runner's clock, and dropping
/// the client while the server still does not answer does not hang.
#[test]
fn a_stalled_server_cannot_hold_a_tokio_client_past_its_lock_wait_nor_its_drop() {
    let Some(db) = Db::postgres("sync_stall") else {
        return;
    };
    let pg = db.as_postgres().expect("a PostgreSQL database");
    let proxy = pg.proxy();
    let (inside, entered) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (inside, released) = (
        std::sync::Mutex::new(inside),
        std::sync::Mutex::new(released),
    );
    let set = CODE
        .with_code([CodeMigration::new(2, "users_view", "1")
            .postgres(move |_| {
                inside.lock().unwrap().send(())?;
                released.lock().unwrap().recv_timeout(DEADLINE)?;
                Ok(())
            })
            .tokio_postgres(|_| Box::pin(async { Ok(()) }))])
        .unwrap();
    let url = db.url();
    let holder = {
        let set = set.clone();
        std::thread::spawn(move || {
            let mut conn = AnyConnection::open(&url).unwrap();
            set.runner().to(2).run(&mut conn).map(|r| applied(&r))
        })
    };
    entered
        .recv_timeout(DEADLINE)
        .expect("the holder holds the lock");
    let mut waiter = migrate::TokioClient::connect(proxy.url()).unwrap();
    let started = Instant::now();
    let err = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            proxy.freeze();
        });
        set.runner()
            .to(2)
            .lock_wait(Duration::from_millis(800))
            .run(&mut waiter)
            .unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::LockTimeout {
                unanswered: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    let (dropped, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(waiter);
        let _ = dropped.send(());
    });
    let gone = done.recv_timeout(Duration::from_secs(3));
    proxy.thaw();
    gone.expect("dropping the client returns while the server is silent");
    release.send(()).unwrap();
    assert_eq!(holder.join().unwrap().unwrap(), [1, 2]);
}

/// `Stop::cancel` called on a runtime's thread (a shutdown task) does not
/// block it, and interrupts the running migration of `run_async`.
#[tokio::test]
async fn a_cancel_from_a_task_interrupts_run_async() {
    let Some(db) = AsyncPgDb::create("async_cancel") else {
        return;
    };
    let mut client = db.connect().await;
    let stop = Stop::new();
    let (started, mut begun) = tokio::sync::mpsc::unbounded_channel();
    let runner = ENDLESS.runner().stop_on(&stop).on_progress(move |p| {
        if matches!(p, Progress::Started { version: 2, .. }) {
            let _ = started.send(());
        }
    });
    let canceller = stop.clone();
    let cancel = async move {
        begun.recv().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    };
    let run = tokio::time::timeout(Duration::from_secs(30), runner.run_async(&mut client));
    let (result, ()) = tokio::join!(run, cancel);
    let Err(Error::Stopped(stopped)) = result.expect("the cancel ended the run") else {
        panic!("expected a stop");
    };
    assert_eq!(applied(stopped.report()), [1]);
    assert_eq!(stopped.interrupted().map(|m| m.version()), Some(2));
    assert_eq!(
        column(&client, "SELECT version FROM migrate_history").await,
        ["1"]
    );
    assert!(!exists(&client, "endless_table").await);
}

/// `tokio::time::timeout` around `run_async`: the future is dropped while
/// its message (three migrations, sleeping 1 s and 2 s) runs. What it sent
/// runs to its end on the server; then the session releases the lock and
/// undoes its set-up, so that the same (pooled) client migrates again and
/// no other runner waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_dropped_mid_batch_leaves_its_session_clean() {
    let Some(db) = AsyncPgDb::create("async_dropped") else {
        return;
    };
    let mut client = db.connect().await;
    let pid = column(&client, "SELECT pg_backend_pid()").await.remove(0);
    let dropped = tokio::time::timeout(
        Duration::from_millis(500),
        FAULT_PG_BATCH.run_async(&mut client),
    )
    .await;
    assert!(dropped.is_err(), "the run was still going: {dropped:?}");
    let observer = db.connect().await;
    idle_after(&observer, &pid, "DEALLOCATE").await;
    let held = format!("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = {pid}");
    assert_eq!(count(&observer, &held).await, 0, "the lock is released");
    // The message ran to its end: each migration committed once.
    assert_eq!(applies(&observer).await, ["1:1", "2:1", "3:1"]);
    // Another runner gets the lock at once, and the same client runs again.
    let mut other = db.connect().await;
    let report = FAULT_PG_BATCH
        .runner()
        .lock_wait(Duration::from_secs(2))
        .run_async(&mut other)
        .await
        .unwrap();
    assert!(report.is_up_to_date());
    let again = FAULT_PG_BATCH.run_async(&mut client).await.unwrap();
    assert!(again.is_up_to_date());
    let writing = column(&client, "SELECT current_setting('migrate.writing', true)").await;
    assert_ne!(writing, ["on"], "the writing flag is reset");
}
