//! Applies the embedded migrations with `migrate`; prints how many it applied.
use std::error::Error;
use std::process::ExitCode;

use migrate::postgres::{Client, NoTls};

static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations");

fn run() -> Result<usize, Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let mut client = Client::connect(&url, NoTls)?;
    let report = MIGRATIONS.run(&mut client)?;
    Ok(report.applied().len())
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
