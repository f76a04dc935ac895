//! Integration tests: one binary, a module per area. PostgreSQL tests use a
//! fresh database each (server from `MIGRATE_TEST_PG`, default
//! 127.0.0.1:5432 as postgres); they skip loudly when no server is reachable,
//! except in CI (`CI=true`), where they fail.

mod admin;
mod code;
mod concurrency;
mod embed;
mod fixtures;
mod inspect;
mod options;
mod postgres;
mod rollback;
mod seeds;
mod sqlite;
mod support;
mod timeouts;
