//! Applies the embedded migrations with diesel_migrations; prints how many it
//! applied.
use std::error::Error;
use std::process::ExitCode;

use diesel::{Connection, PgConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

fn run() -> Result<usize, Box<dyn Error + Send + Sync>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let mut conn = PgConnection::establish(&url)?;
    let applied = conn.run_pending_migrations(MIGRATIONS)?;
    Ok(applied.len())
}

fn main() -> ExitCode {
    match run() {
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
