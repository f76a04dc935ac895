//! The contract: every behaviour both engines promise, written once and run
//! on each. `contract!` turns each listed function `f(db: &Db)` into a
//! module `f` with three tests, `f::postgres` (a fresh PostgreSQL database;
//! skipped loudly without a server, except in CI), `f::postgres_async`
//! (the same, through the async driver) and `f::sqlite` (a file in a fresh
//! folder); the function opens `AnyConnection`s from the `Db` and reads the
//! results back through `Inspect`. A function left out of its module's
//! `contract!` list is dead code, which the lints refuse.
//!
//! `postgres_async` proves the `tokio-postgres` driver: there `Db::open`
//! gives `AnyConnection::TokioPostgres`, whose driver is the async one, its
//! futures run on the connection's own runtime, so every operation a
//! function calls sync goes through the async driver's `run`, lock,
//! unlock, pauses and code migrations (registered with
//! `CodeMigration::tokio_postgres*`), with the same protocol above it. The
//! connections a function opens itself from `db.url()` (another runner,
//! a proxy's) are sync ones; the async API itself (`run_async` and the
//! rest, pools, spawning) is tested in `async_*`.
//! What one engine alone promises is in `postgres`, `sqlite` and
//! `timeouts`.
//!
//! Applying (`apply`):
//! - a fresh database gets every migration of the engine's example schema,
//!   each with a duration and one `apply` event; a second run is a no-op
//!   that applies and logs nothing, and the stored checksums are the
//!   embedded ones;
//! - rows returned by a migration's own `SELECT`s are not taken for the
//!   bookkeeping;
//! - a target version applies up to it; a lower target never rolls back;
//!   a target outside the set is an invalid option;
//! - every down file undoes its up file;
//! - a custom tracking table name is quoted; an empty one is refused.
//!
//! Refusals (`refusals`), each changing nothing:
//! - drift: version, file and both checksums in the error and its message;
//! - an applied version the binary does not know, named;
//! - a pending version older than the newest applied one (with both);
//! - the out-of-order and unknown-applied policies warn or allow; drift is
//!   never relaxed.
//!
//! Failures (`failures`):
//! - a failing third migration: version, file, line (PostgreSQL: and
//!   column), message, the engine's error code, the driver's error as the
//!   source, what the run applied before it; the first two stay, nothing
//!   of the third does, one `failure` event; the lock is released (another
//!   connection fails the same way at once);
//! - nothing after a failing migration runs;
//! - the progress callback sees each start and finish, then the failure.
//!
//! No-transaction migrations (`no_transaction`):
//! - applied between transactional ones, reported as not transactional,
//!   marked `applied`; rolled back without a transaction too;
//! - one failing half way is marked `failed` (what ran stays), reported
//!   as partial, and stops later runs with `HalfApplied`, changing nothing;
//! - `verify` reports it; `repair` clears the mark and it is pending again.
//!
//! The lock (`lock`): a runner that cannot get it within `lock_wait` fails
//! with `LockTimeout`, changing nothing, while the holder finishes.
//!
//! Spans (`spans`, feature `tracing`): a `migrate` span per operation
//! with its outcome, a `migrate.migration` span per migration inside it
//! (version, name, direction, duration, outcome).
//!
//! Stopping (`stop`): a requested stop ends the run between migrations
//! (what ran is applied, the rest is pending and applies next time) and
//! a runner's wait for the lock; a cancel interrupts the running
//! statement, whose migration rolls back (applying and rolling back),
//! the ones before it staying; `Error::Stopped` tells which.
//!
//! Concurrency (`concurrency`): eight threads, and eight processes, booting
//! at once apply each migration exactly once.
//!
//! Inspection (`inspect`):
//! - status of an empty database: everything pending, nothing created;
//! - status of applied and pending migrations, and its JSON;
//! - verify reports drift, unknown and out-of-order versions (JSON kinds),
//!   changing nothing;
//! - history lists events newest first, with details, durations, times
//!   and a limit;
//! - a dry run shows the exact SQL, refuses what a run refuses, and
//!   touches nothing.
//!
//! Rollback (`rollback`):
//! - the last N, down to a version, everything (events logged; the cached
//!   state follows);
//! - an older binary rolls back with the down SQL stored in the row;
//! - an irreversible migration stops the rollback before it;
//! - a dry run of a rollback changes nothing;
//! - down to nothing and up again gives the same schema.
//!
//! Baseline and repair (`admin`): baseline adopts an existing schema (then
//! only later migrations run), marks nothing twice, refuses a version
//! outside the set or applied with another checksum; repair rewrites a
//! drifted checksum and logs it.
//!
//! Code migrations (`code`): run between SQL migrations by version; a
//! marker without functions, or with functions for the other engine only,
//! refuses before anything runs; a failing one rolls back alone; an
//! interrupted resumable backfill resumes, one not declared resumable is
//! half applied until repaired; a new code version is drift until
//! repaired; down functions roll back (none: irreversible); dry runs show
//! code steps and run nothing.
//!
//! Seeds (`seeds`): run in name order once per change, a failing file
//! rolls back alone and runs again next time, environments are separate,
//! seeding keeps the no-op boot.
//!
//! Compatibility (`compat`): a database written by the previous release
//! (tracking tables, rows, events, PostgreSQL's digest table and trigger, as
//! 578c19f left them) is read by `status`, `verify` and `history`,
//! migrated by `run` (a second run is a no-op: one query on PostgreSQL,
//! after the first boot reads the table), the old digest table is dropped
//! by the first run that writes, and everything is rolled back.

/// One `#[test]` per engine for each listed contract function.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn postgres() {
                    if let Some(db) = migrate_testkit::Db::postgres(stringify!($name)) {
                        super::$name(&db);
                    }
                }

                #[test]
                fn postgres_async() {
                    if let Some(db) = migrate_testkit::Db::postgres_async(stringify!($name)) {
                        super::$name(&db);
                    }
                }

                #[test]
                fn sqlite() {
                    super::$name(&migrate_testkit::Db::sqlite());
                }
            }
        )*
    };
}

mod admin;
mod apply;
mod code;
mod compat;
mod concurrency;
mod failures;
mod inspect;
mod lock;
mod no_transaction;
mod refusals;
mod rollback;
mod seeds;
#[cfg(feature = "tracing")]
mod spans;
mod stop;
