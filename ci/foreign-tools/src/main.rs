//! `foreign-tools <sqlx|diesel|refinery> <database-url> <folder>`: applies
//! the folder's migrations with that tool, as its users run it, so that
//! its tracking table is the tool's own.
use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

use diesel::Connection as _;
use diesel_migrations::{FileBasedMigrations, MigrationHarness as _};
use sqlx::Connection as _;

fn sqlx(url: &str, dir: &Path) -> Result<(), Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let migrator = sqlx::migrate::Migrator::new(dir).await?;
        let mut conn = sqlx::PgConnection::connect(url).await?;
        migrator.run(&mut conn).await?;
        Ok(())
    })
}

fn diesel(url: &str, dir: &Path) -> Result<(), Box<dyn Error>> {
    let mut conn = diesel::PgConnection::establish(url)?;
    let migrations = FileBasedMigrations::from_path(dir)?;
    conn.run_pending_migrations(migrations)
        .map_err(|e| -> Box<dyn Error> { e.to_string().into() })?;
    Ok(())
}

fn refinery(url: &str, dir: &Path) -> Result<(), Box<dyn Error>> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    let migrations = refinery::load_sql_migrations(dir)?;
    refinery::Runner::new(&migrations).run(&mut client)?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, tool, url, dir] = &args[..] else {
        eprintln!("usage: foreign-tools <sqlx|diesel|refinery> <database-url> <folder>");
        return ExitCode::from(2);
    };
    let dir = Path::new(dir);
    let done = match tool.as_str() {
        "sqlx" => sqlx(url, dir),
        "diesel" => diesel(url, dir),
        "refinery" => refinery(url, dir),
        other => Err(format!("unknown tool {other}").into()),
    };
    match done {
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
