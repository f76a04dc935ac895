//! PostgreSQL: per-statement lock timeouts and retries (a DDL statement
//! that cannot get its lock gives up and tries again, instead of queueing
//! and stalling the application's queries behind it), and the slow
//! threshold firing while a `CREATE INDEX CONCURRENTLY` runs.

use std::time::{Duration, Instant};

use crate::fixtures::*;
use crate::support::*;

#[test]
fn a_migration_that_cannot_get_its_lock_retries_without_blocking_the_application() {
    let Some(db) = PgDb::create("lock_retry") else {
        return;
    };
    let mut setup = db.connect();
    LOCK_RETRY.runner().to(1).run(&mut setup).unwrap();

    // A long transaction holds a lock that conflicts with ALTER TABLE.
    let mut holder = db.connect();
    holder
        .batch_execute("BEGIN; SELECT count(*) FROM hot;")
        .unwrap();

    let url = db.url();
    let runner = std::thread::spawn(move || {
        let mut client =
            migrate::postgres::Client::connect(&url, migrate::postgres::NoTls).unwrap();
        LOCK_RETRY
            .runner()
            .lock_retries(50, Duration::from_millis(50))
            .run(&mut client)
    });

    // The application keeps reading the table meanwhile.
    let mut app = db.connect();
    let held_for = Duration::from_millis(1500);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    while started.elapsed() < held_for {
        let t0 = Instant::now();
        app.query_one("SELECT count(*) FROM hot", &[]).unwrap();
        slowest = slowest.max(t0.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    holder.batch_execute("COMMIT").unwrap();
    let report = runner
        .join()
        .unwrap()
        .expect("applies once the lock is free");

    assert_eq!(
        report
            .applied()
            .iter()
            .map(|a| a.version())
            .collect::<Vec<_>>(),
        vec![2]
    );
    let failures = app.event_counts("failure");
    assert!(
        matches!(failures[..], [(2, n)] if n >= 2),
        "the migration gave up and retried: {failures:?}"
    );
    let detail: String = app
        .query_one(
            "SELECT detail FROM migrate_history_events WHERE event = 'failure' ORDER BY id LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(detail.contains("55P03"), "{detail}");
    // Without the timeout, the ALTER would have queued for the whole 1.5 s
    // and every read behind it with it.
    assert!(
        slowest < Duration::from_millis(700),
        "an application query waited {slowest:?}"
    );
}

#[test]
fn without_retries_the_lock_timeout_fails_the_migration_cleanly() {
    let Some(db) = PgDb::create("lock_timeout_fail") else {
        return;
    };
    let mut client = db.connect();
    LOCK_RETRY.runner().to(1).run(&mut client).unwrap();
    let mut holder = db.connect();
    holder
        .batch_execute("BEGIN; SELECT count(*) FROM hot;")
        .unwrap();
    let err = LOCK_RETRY.runner().run(&mut client).unwrap_err();
    assert!(
        err.migration_failure().is_some_and(|f| f.version() == 2
            && f.code()
                == Some(&migrate::ErrorCode::SqlState(
                    migrate::SqlState::LOCK_NOT_AVAILABLE
                ))),
        "{err}"
    );
    holder.batch_execute("COMMIT").unwrap();
    assert_eq!(client.versions(), [1]);
    // A runner default applies where the file has no directive.
    let applied = LOCK_RETRY
        .runner()
        .ddl_lock_timeout(Duration::from_secs(5))
        .run(&mut client)
        .unwrap();
    assert_eq!(applied.applied().len(), 1);
}

#[test]
fn progress_events_and_the_slow_threshold_fire_while_a_migration_runs() {
    use std::sync::{Arc, Mutex};

    use migrate::Progress;

    let Some(db) = PgDb::create("slow_threshold") else {
        return;
    };
    let mut client = db.connect();
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    SLOW_INDEX
        .runner()
        .slow_threshold(Duration::from_millis(200))
        .on_progress(move |p| sink.lock().unwrap().push(p.clone()))
        .run(&mut client)
        .unwrap();
    let seen = seen.lock().unwrap();
    // The CREATE INDEX CONCURRENTLY of migration 2 takes about two seconds.
    assert!(
        seen.iter().any(|p| matches!(p, Progress::Slow { first: 2, last: 2, elapsed } if *elapsed >= Duration::from_millis(200))),
        "{seen:?}"
    );
    let slow_at = seen
        .iter()
        .position(|p| matches!(p, Progress::Slow { .. }))
        .unwrap();
    let finished_2 = seen
        .iter()
        .position(|p| matches!(p, Progress::Finished { version: 2, .. }))
        .unwrap();
    assert!(
        slow_at < finished_2,
        "the warning came while it still ran: {seen:?}"
    );
    for v in 1..=3 {
        assert!(seen
            .iter()
            .any(|p| matches!(p, Progress::Started { version, .. } if *version == v)));
        assert!(seen
            .iter()
            .any(|p| matches!(p, Progress::Finished { version, .. } if *version == v)));
    }
    assert!(
        !seen
            .iter()
            .any(|p| matches!(p, Progress::Slow { first: 1 | 3, .. })),
        "{seen:?}"
    );
}
