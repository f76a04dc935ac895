//! The time a test waits for its database, on the migrate runner's set
//! (`../migrate/migrations`, N migrations): cloned from the template
//! (`migrate::testing`, built once) against an empty database migrated
//! each time (what `#[sqlx::test]` does), each until the test has
//! connected to it. Prints one JSON object.
use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use migrate::testing::{Template, TestDatabase};

static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("../migrate/migrations");

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn run() -> Result<String, Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let k: usize = std::env::var("BENCH_TESTING_DBS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let template = Template::new(&MIGRATIONS);
    // The first database builds the template.
    let start = Instant::now();
    drop(template.postgres(&url)?);
    let first = ms(start);
    let mut cloned = Vec::new();
    let mut dropped = Vec::new();
    for _ in 0..k {
        // Until the test holds a connection to its database, both ways.
        let start = Instant::now();
        let db = template.postgres(&url)?;
        drop(db.connect()?);
        cloned.push(ms(start));
        let start = Instant::now();
        drop(db);
        dropped.push(ms(start));
    }
    let mut migrated = Vec::new();
    for _ in 0..k {
        let start = Instant::now();
        let db = TestDatabase::postgres_scratch(&url)?;
        MIGRATIONS.run(&mut db.connect()?)?;
        migrated.push(ms(start));
    }
    let list = |v: &[f64]| v.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(",");
    Ok(format!(
        "{{\"migrations\":{},\"first_ms\":{first:.2},\"clone_ms\":[{}],\"drop_ms\":[{}],\"migrate_ms\":[{}]}}",
        MIGRATIONS.len(),
        list(&cloned),
        list(&dropped),
        list(&migrated)
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
