//! The quickstart: applies the SQLite migrations under
//! `examples/quickstart/migrations/` to `quickstart.db` in the current
//! directory (no server needed) and prints the status.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use migrate::rusqlite::Connection;

static MIGRATIONS: migrate::Migrations =
    migrate::embed_migrations!("examples/quickstart/migrations");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "quickstart.db";
    let mut conn = Connection::open(path)?;
    let report = MIGRATIONS.run(&mut conn)?;
    println!("{path}: {report}");

    println!(
        "\n{:>4}  {:<32} {:<24} {:>10}",
        "ver", "migration", "applied at", "time"
    );
    let mut stmt = conn.prepare(
        "SELECT version, name, applied_at, execution_ms FROM migrate_history ORDER BY version",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<f64>>(3)?,
        ))
    })?;
    for row in rows {
        let (version, name, at, ms) = row?;
        let ms = ms.map_or_else(|| "-".to_owned(), |ms| format!("{ms:.1} ms"));
        println!("{version:>4}  {name:<32} {at:<24} {ms:>10}");
    }
    let pending = MIGRATIONS
        .iter()
        .filter(|m| Some(m.version()) > report.version())
        .count();
    println!(
        "\n{} migrations embedded, {pending} pending",
        MIGRATIONS.len()
    );
    Ok(())
}
