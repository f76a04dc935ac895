//! Applies the embedded migrations with sqlx on one `PgConnection` (not a
//! pool); prints how many it applied.
//!
//! `Migrator::run` returns `()`, so the count costs two extra queries: they
//! are made only when `BENCH_COUNT=1` (never in the timed or counted runs,
//! where the runner prints `applied ?`).
use std::error::Error;
use std::process::ExitCode;

use sqlx::{Connection, PgConnection};

async fn applied_rows(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(conn)
        .await
        .unwrap_or(0)
}

async fn run() -> Result<Option<i64>, Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let count = std::env::var("BENCH_COUNT").is_ok_and(|v| v == "1");
    let mut conn = PgConnection::connect(&url).await?;
    let before = if count { applied_rows(&mut conn).await } else { 0 };
    sqlx::migrate!("./migrations").run(&mut conn).await?;
    let applied = if count {
        Some(applied_rows(&mut conn).await - before)
    } else {
        None
    };
    conn.close().await?;
    Ok(applied)
}

// The runtime both async runners use: a process per boot pays its start,
// and a multi-threaded one starts worker threads that a migration run does
// not use (about 0.5 to 1 ms here), which would measure tokio, not the
// library. The same flavor in both keeps the comparison the libraries'.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(n) => {
            match n {
                Some(n) => println!("applied {n}"),
                None => println!("applied ?"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
