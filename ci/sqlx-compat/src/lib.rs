//! Uses both crates, so that `cargo check` compiles what a service would:
//! sqlx's pool for the service's queries, `migrate` on a PostgreSQL client
//! and on SQLite through `migrate::rusqlite`.

static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("../../examples/quickstart/migrations");

/// Applies the migrations on SQLite, then checks the service's pool.
///
/// # Errors
/// A migration's or a query's.
pub async fn boot(pool: &sqlx::PgPool, sqlite: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = migrate::rusqlite::Connection::open(sqlite)?;
    MIGRATIONS.run(&mut conn)?;
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(pool).await?;
    assert_eq!(one, 1);
    Ok(())
}
