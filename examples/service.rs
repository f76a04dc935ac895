//! A service that applies its embedded PostgreSQL migrations at boot.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1/test cargo run --example service
//! ```
//!
//! Prints the report and exits non-zero on any error, naming the migration,
//! the file and the line.

use std::process::ExitCode;

use migrate::postgres::{Client, NoTls};

static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations");

fn main() -> ExitCode {
    match boot() {
        Ok(()) => ExitCode::SUCCESS,
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

fn boot() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let mut client = Client::connect(&url, NoTls)?;
    let report = MIGRATIONS.run(&mut client)?;
    println!("{report}");
    Ok(())
}
