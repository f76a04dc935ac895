//! Integration tests: one binary, a module per area. `contract` holds every
//! behaviour both engines promise, written once and run on each;
//! `postgres`, `sqlite` and `timeouts` what one engine alone promises;
//! `embed` the sets themselves. Databases come from `migrate-testkit`: a
//! fresh PostgreSQL database per test (server from `MIGRATE_TEST_PG`, a
//! `postgres://` URL or a key=value string, default 127.0.0.1:5432 as
//! postgres), skipped loudly when no server is reachable, except in CI
//! (`CI=true`), where they fail; SQLite files in temporary folders.

mod adopt;
#[cfg(feature = "tokio-postgres")]
mod async_api;
#[cfg(feature = "tokio-postgres")]
mod async_code;
#[cfg(all(feature = "deadpool-postgres", feature = "bb8"))]
mod async_pools;
#[cfg(feature = "tokio-postgres")]
mod async_stops;
#[cfg(feature = "tokio-postgres")]
mod async_support;
mod concurrency;
mod contract;
mod embed;
mod faults;
mod fixtures;
mod layouts;
mod postgres;
mod sqlite;
mod support;
#[cfg(feature = "testing")]
mod testing;
mod timeouts;
mod tls;
