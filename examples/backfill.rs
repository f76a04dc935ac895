//! A batched, resumable backfill as a code migration, between two SQL
//! migrations (`examples/backfill/migrations/`): version 2 is the marker
//! file `0002_backfill_email_lower.code`, whose functions are registered
//! here.
//!
//! ```text
//! cargo run --example backfill                          # SQLite, backfill.db
//! DATABASE_URL=postgres://postgres@127.0.0.1/test cargo run --example backfill
//! ```
//!
//! The backfill runs outside a transaction and commits each chunk of 1,000
//! rows on its own, so no long transaction holds the table while it runs.
//! It is declared resumable: if the process dies halfway, the next boot
//! finds the migration marked `in_progress` and runs it again, and it
//! carries on with the rows still NULL.

use migrate::{CodeError, CodeMigration, Migrations};

static MIGRATIONS: Migrations = migrate::embed_migrations!("examples/backfill/migrations");

/// One chunk: the next 1,000 rows not done yet.
const CHUNK: &str = "UPDATE accounts SET email_lower = lower(email) \
     WHERE id IN (SELECT id FROM accounts WHERE email_lower IS NULL ORDER BY id LIMIT 1000)";
const UNDO: &str = "UPDATE accounts SET email_lower = NULL";

/// Runs chunks until one updates nothing, logging progress.
fn in_chunks(mut chunk: impl FnMut() -> Result<u64, CodeError>) -> Result<(), CodeError> {
    let mut done = 0;
    loop {
        let n = chunk()?;
        if n == 0 {
            println!("  backfill: {done} rows");
            return Ok(());
        }
        done += n;
    }
}

fn backfill() -> CodeMigration {
    CodeMigration::new(2, "backfill_email_lower", "1")
        .postgres_no_transaction(|client| in_chunks(|| Ok(client.execute(CHUNK, &[])?)))
        .postgres_down(|tx| Ok(tx.batch_execute(UNDO)?))
        .sqlite_no_transaction(|conn| in_chunks(|| Ok(conn.execute(CHUNK, [])? as u64)))
        .sqlite_down(|tx| Ok(tx.execute_batch(UNDO)?))
        .resumable()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let migrations = MIGRATIONS.with_code([backfill()])?;
    let report = match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let mut client = migrate::postgres::Client::connect(&url, migrate::postgres::NoTls)?;
            migrations.run(&mut client)?
        }
        _ => {
            let mut conn = migrate::rusqlite::Connection::open("backfill.db")?;
            migrations.run(&mut conn)?
        }
    };
    println!("{report}");
    Ok(())
}
