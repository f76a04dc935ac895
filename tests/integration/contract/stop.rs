//! Stopping a run from outside it (`Stop`): between migrations, while
//! waiting for the lock, and by cancelling the running statement, whose
//! migration rolls back while the ones before it stay.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use migrate::{Direction, Error, Progress, Rollback, Stop, Stopped};

use crate::fixtures::*;
use crate::support::*;

contract! {
    a_requested_stop_ends_the_run_between_migrations,
    a_cancel_interrupts_the_running_migration_which_rolls_back,
    a_cancel_interrupts_a_rollback,
}

/// The stop the run ended with.
fn stopped(result: Result<migrate::Report, Error>) -> Box<Stopped> {
    match result {
        Err(Error::Stopped(stopped)) => stopped,
        other => panic!("expected a stop, got {other:?}"),
    }
}

/// Runs `run` on a thread of its own, failing (not hanging) when it does
/// not return within `within`.
fn within<T: Send + 'static>(within: Duration, run: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let _ = send.send(run());
    });
    receive
        .recv_timeout(within)
        .expect("the stopped run returned in time")
}

fn a_requested_stop_ends_the_run_between_migrations(db: &Db) {
    let mut conn = db.open();
    let stop = Stop::new();
    let on_finish = stop.clone();
    let result = STOPPABLE
        .runner()
        .stop_on(&stop)
        .on_progress(move |p| {
            if matches!(p, Progress::Finished { version: 1, .. }) {
                on_finish.request();
            }
        })
        .run(&mut conn);
    let stopped = stopped(result);
    assert_eq!(stopped.direction(), Some(Direction::Up));
    assert_eq!(applied(stopped.report()), [1]);
    assert_eq!(stopped.left(), [2, 3]);
    assert!(stopped.interrupted().is_none());
    let message = stopped.to_string();
    assert_eq!(
        message, "stopped: applied 1; not applied: 2, 3",
        "{message}"
    );
    assert_eq!(conn.versions(), [1]);
    assert!(conn.exists("first_table") && !conn.exists("second_table"));
    // The rest is pending, and applies next time.
    let report = STOPPABLE.run(&mut conn).unwrap();
    assert_eq!(applied(&report), [2, 3]);
}

fn a_cancel_interrupts_the_running_migration_which_rolls_back(db: &Db) {
    let stop = Stop::new();
    let canceller = stop.clone();
    let on_start = move |p: &Progress| {
        if matches!(p, Progress::Started { version: 2, .. }) {
            let canceller = canceller.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(500));
                canceller.cancel();
            });
        }
    };
    let started = Instant::now();
    let mut conn = db.open();
    let result = within(Duration::from_secs(60), move || {
        ENDLESS
            .runner()
            .stop_on(&stop)
            .on_progress(on_start)
            .run(&mut conn)
    });
    assert!(started.elapsed() < Duration::from_secs(30));
    let stopped = stopped(result);
    assert_eq!(applied(stopped.report()), [1]);
    assert_eq!(stopped.left(), [2, 3]);
    let interrupted = stopped
        .interrupted()
        .expect("the cancel interrupted migration 2");
    assert_eq!(interrupted.version(), 2);
    assert!(!interrupted.is_partial());
    // The engine's own word for it: 57014 on PostgreSQL, SQLITE_INTERRUPT.
    let code = interrupted
        .code()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(code.contains("57014") || code.contains('9'), "{code}");
    let message = stopped.to_string();
    assert!(
        message.contains("the cancel interrupted migration 2 (")
            && message.contains("rolled back with its transaction; not applied: 2, 3"),
        "{message}"
    );
    // The tracking table agrees with the schema: 1 applied, nothing of 2.
    let mut conn = db.open();
    assert_eq!(conn.versions(), [1]);
    assert!(conn.exists("first_table"));
    assert!(!conn.exists("endless_table") && !conn.exists("third_table"));
    assert_eq!(conn.event_counts("failure"), [(2, 1)]);
}

fn a_cancel_interrupts_a_rollback(db: &Db) {
    let mut conn = db.open();
    STOPPABLE.run(&mut conn).unwrap();
    let stop = Stop::new();
    let canceller = stop.clone();
    thread::spawn(move || {
        // Long after the rollback took the lock and began the third down
        // migration, which runs until cancelled.
        thread::sleep(Duration::from_secs(1));
        canceller.cancel();
    });
    let result = within(Duration::from_secs(60), move || {
        STOPPABLE
            .runner()
            .stop_on(&stop)
            .rollback(&mut conn, Rollback::All)
    });
    let stopped = stopped(result);
    assert_eq!(stopped.direction(), Some(Direction::Down));
    assert!(stopped.report().rolled_back().is_empty());
    assert_eq!(stopped.interrupted().map(|m| m.version()), Some(3));
    assert_eq!(stopped.left(), [3, 2, 1]);
    assert!(
        stopped.to_string().ends_with("not rolled back: 3, 2, 1"),
        "{stopped}"
    );
    let mut conn = db.open();
    assert_eq!(conn.versions(), [1, 2, 3]);
    assert!(conn.exists("third_table"));
}
