//! Pooled clients on the async API, as they come from the pool: a
//! deadpool-postgres `Object` and a bb8 `PooledConnection` are
//! `AsyncDatabase`s (features `deadpool-postgres` and `bb8`), their runs
//! spawned on a multi-threaded runtime; and the example service
//! (`examples/axum_service.rs`), which migrates at boot from its pool and
//! then answers.

use migrate::tokio_postgres::NoTls;

use crate::async_support::*;
use crate::fixtures::*;
use crate::support::*;

#[allow(dead_code)] // its `main`: the test calls the rest.
#[path = "../../examples/axum_service.rs"]
mod axum_service;

/// The versions of `EXAMPLE`, each applied once: `version:1`.
fn each_once() -> Vec<String> {
    EXAMPLE
        .iter()
        .map(|m| format!("{}:1", m.version()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadpool_clients_migrate_as_they_come_from_the_pool() {
    let Some(db) = AsyncPgDb::create("async_deadpool") else {
        return;
    };
    let config: migrate::tokio_postgres::Config = db.url().parse().unwrap();
    let manager = migrate::deadpool_postgres::Manager::new(config, NoTls);
    let pool = migrate::deadpool_postgres::Pool::builder(manager)
        .max_size(4)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut client = pool.get().await.unwrap();
                EXAMPLE
                    .run_async(&mut client)
                    .await
                    .map(|r| applied(&r).len())
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap().unwrap();
    }
    assert_eq!(total, EXAMPLE.iter().count());
    let mut client = pool.get().await.unwrap();
    assert_eq!(applies(&client).await, each_once());
    // The wrapper an `Object` dereferences to is one too.
    let wrapper: &mut migrate::deadpool_postgres::ClientWrapper = &mut client;
    let status = EXAMPLE.runner().status_async(wrapper).await.unwrap();
    assert!(status.is_up_to_date(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bb8_clients_migrate_as_they_come_from_the_pool() {
    let Some(db) = AsyncPgDb::create("async_bb8") else {
        return;
    };
    let manager =
        bb8_postgres::PostgresConnectionManager::new_from_stringlike(db.url(), NoTls).unwrap();
    let pool = migrate::bb8::Pool::builder()
        .max_size(4)
        .build(manager)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut conn = pool.get().await.unwrap();
                EXAMPLE
                    .run_async(&mut conn)
                    .await
                    .map(|r| applied(&r).len())
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap().unwrap();
    }
    assert_eq!(total, EXAMPLE.iter().count());
    let mut conn = pool.get().await.unwrap();
    assert_eq!(applies(&conn).await, each_once());
    let report = EXAMPLE.run_async(&mut conn).await.unwrap();
    assert!(report.is_up_to_date());
}

#[tokio::test]
async fn the_axum_service_example_migrates_at_boot_then_answers() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let Some(db) = AsyncPgDb::create("async_axum_service") else {
        return;
    };
    let pool = axum_service::pool(&db.url()).unwrap();
    let get_health = async |addr| {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum_service::app(pool.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // Before the boot's migrations: not ready.
    let answer = get_health(addr).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("schema version none: 7 pending"),
        "{answer}"
    );

    let report = axum_service::migrate(&pool, &migrate::Stop::new())
        .await
        .unwrap();
    assert_eq!(report.applied().len(), EXAMPLE.iter().count());
    let answer = get_health(addr).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with("schema version 7, up to date\n"),
        "{answer}"
    );
    // The next boot is a no-op.
    assert!(axum_service::migrate(&pool, &migrate::Stop::new())
        .await
        .unwrap()
        .is_up_to_date());
    server.abort();
}
