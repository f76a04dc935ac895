//! The migration lock: a runner that cannot get it within its wait gives
//! up with a clear error, changing nothing; the holder is not disturbed.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use migrate::{CodeMigration, Error};

use crate::fixtures::*;
use crate::support::*;

contract! {
    lock_timeout_gives_a_clear_error,
    a_stop_ends_the_wait_for_the_lock,
}

/// Runs `while_held` while another connection holds the migration lock:
/// its run of `CODE` (up to version 2) is inside the code migration, which
/// waits until `while_held` returns.
fn holding_the_lock(db: &Db, while_held: impl FnOnce()) {
    let (inside, entered) = mpsc::channel::<()>();
    let (release, released) = mpsc::channel::<()>();
    let inside = Arc::new(Mutex::new(inside));
    let released = Arc::new(Mutex::new(released));
    let hold = move || -> Result<(), migrate::CodeError> {
        inside.lock().unwrap().send(())?;
        released.lock().unwrap().recv_timeout(DEADLINE)?;
        Ok(())
    };
    let hold = Arc::new(hold);
    let (pg, lite) = (hold.clone(), hold);
    let set = CODE
        .with_code([CodeMigration::new(2, "users_view", "1")
            .postgres(move |_| pg())
            .sqlite(move |_| lite())])
        .unwrap();
    let url = db.url();
    let holder = std::thread::spawn(move || {
        let mut conn = AnyConnection::open(&url).unwrap();
        set.runner().to(2).run(&mut conn).map(|r| applied(&r))
    });
    entered
        .recv_timeout(DEADLINE)
        .expect("the holder reaches its code migration");
    while_held();
    release.send(()).unwrap();
    let holder = holder.join().unwrap();
    assert_eq!(holder.expect("the holder finishes"), [1, 2]);
}

/// The holder's set, with a code migration that does nothing.
fn doing_nothing() -> migrate::Migrations {
    CODE.with_code([CodeMigration::new(2, "users_view", "1")
        .postgres(|_| Ok(()))
        .sqlite(|_| Ok(()))
        .tokio_postgres(|_| Box::pin(async { Ok(()) }))])
        .unwrap()
}

fn lock_timeout_gives_a_clear_error(db: &Db) {
    let set = doing_nothing();
    let runner = || set.runner().to(2);
    let mut conn = db.open();
    holding_the_lock(db, || {
        let before = conn.snapshot();
        let err = runner()
            .lock_wait(Duration::from_millis(300))
            .run(&mut conn)
            .unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
        assert!(err.to_string().contains("migration lock"), "{err}");
        assert_eq!(conn.snapshot(), before, "the waiter changed nothing");
    });
    // The holder applied everything; the lock is free again.
    let report = runner().lock_wait(Duration::from_secs(5)).run(&mut conn);
    assert!(report.unwrap().is_up_to_date());
}

fn a_stop_ends_the_wait_for_the_lock(db: &Db) {
    let set = doing_nothing();
    let mut conn = db.open();
    holding_the_lock(db, || {
        let before = conn.snapshot();
        let stop = migrate::Stop::new();
        let requester = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            requester.request();
        });
        let started = std::time::Instant::now();
        let err = set
            .runner()
            .to(2)
            .stop_on(&stop)
            .lock_wait(Duration::from_secs(60))
            .run(&mut conn)
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "it stopped waiting"
        );
        let Error::Stopped(stopped) = err else {
            panic!("expected a stop, got {err}");
        };
        assert_eq!(stopped.direction(), None);
        assert_eq!(
            stopped.to_string(),
            "stopped while waiting for the migration lock: nothing was changed"
        );
        assert_eq!(conn.snapshot(), before, "the waiter changed nothing");
    });
}
