//! The floor: connect with the `postgres` crate and run `SELECT 1`, nothing
//! else. What any migration runner's no-op boot cannot beat.
//!
//! With `BENCH_FLOOR_SQL_DIR` set, it instead sends each `*.up.sql` file of
//! that folder (in name order) as one simple-query message wrapped in
//! `BEGIN; … COMMIT;`, with no tracking, no lock and no checks: a reference
//! for what the server's own work costs in a fresh apply.
use std::error::Error;
use std::process::ExitCode;

use postgres::{Client, NoTls};

fn run() -> Result<usize, Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let mut client = Client::connect(&url, NoTls)?;
    let Some(dir) = std::env::var_os("BENCH_FLOOR_SQL_DIR") else {
        client.simple_query("SELECT 1")?;
        return Ok(0);
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.to_string_lossy().ends_with(".up.sql"));
    files.sort();
    for path in &files {
        let sql = std::fs::read_to_string(path)?;
        client.batch_execute(&format!("BEGIN;\n{sql}\n;\nCOMMIT;"))?;
    }
    Ok(files.len())
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
