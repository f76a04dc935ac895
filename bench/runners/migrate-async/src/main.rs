//! Applies the embedded migrations with `migrate`'s async API on a
//! `tokio_postgres::Client` (its connection spawned on the runtime, as a
//! service does); prints how many it applied.
use std::error::Error;
use std::process::ExitCode;

use migrate::tokio_postgres::{self, NoTls};

static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations");

async fn run() -> Result<usize, Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let (mut client, connection) = tokio_postgres::connect(&url, NoTls).await?;
    let connection = tokio::spawn(connection);
    let report = MIGRATIONS.run_async(&mut client).await?;
    // Ends the session as the sync client does when dropped.
    drop(client);
    connection.await??;
    Ok(report.applied().len())
}

// The runtime both async runners use: a process per boot pays its start,
// and a multi-threaded one starts worker threads that a migration run does
// not use (about 0.5 to 1 ms here), which would measure tokio, not the
// library. The same flavor in both keeps the comparison the libraries'.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(n) => {
            println!("applied {n}");
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
