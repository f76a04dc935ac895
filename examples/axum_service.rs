//! An async service on tokio: it takes a client from its deadpool-postgres
//! pool, applies its embedded migrations with `run_async` at boot, then
//! serves (axum). Nothing blocks the runtime: no sync client, no
//! `spawn_blocking`.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1/test \
//!     cargo run --example axum_service --features deadpool-postgres
//! curl http://127.0.0.1:3000/health
//! ```
//!
//! `BIND` sets the address (default `127.0.0.1:3000`). `GET /health`
//! answers 200 with the schema's version when every migration is applied
//! and nothing is wrong, else 503 saying why: a readiness probe that
//! reads the tracking table through the same pool. Ctrl-C during the boot
//! migration cancels its running statement (the run then says what
//! committed); afterwards it shuts the server down gracefully.

use std::error::Error;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use migrate::deadpool_postgres::{Manager, Pool};
use migrate::tokio_postgres::NoTls;

static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations");

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let pool = pool(&url)?;
    let stop = migrate::Stop::new();
    let interrupted = stop.clone();
    let ctrl_c = tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        interrupted.cancel();
    });
    let report = migrate(&pool, &stop).await?;
    println!("{report}");
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(pool))
        .with_graceful_shutdown(async move {
            let _ = ctrl_c.await;
        })
        .await?;
    Ok(())
}

/// The service's pool (no TLS; a `tokio_postgres::Config` parses the URL).
pub fn pool(url: &str) -> Result<Pool, Box<dyn Error + Send + Sync>> {
    let config: migrate::tokio_postgres::Config = url.parse()?;
    Ok(Pool::builder(Manager::new(config, NoTls))
        .max_size(8)
        .build()?)
}

/// Applies the pending migrations on a client of the pool, as it comes
/// from it: one round trip when there is nothing to do, and replicas
/// booting together wait for each other's lock without blocking. `stop`
/// cancelled ends the run: `Error::Stopped` says what committed.
pub async fn migrate(
    pool: &Pool,
    stop: &migrate::Stop,
) -> Result<migrate::Report, Box<dyn Error + Send + Sync>> {
    let mut client = pool.get().await?;
    Ok(MIGRATIONS
        .runner()
        .stop_on(stop)
        .run_async(&mut client)
        .await?)
}

/// The routes.
pub fn app(pool: Pool) -> Router {
    Router::new().route("/health", get(health)).with_state(pool)
}

/// 200 and the schema's version when it is the binary's, else 503.
async fn health(State(pool): State<Pool>) -> (StatusCode, String) {
    let status = match pool.get().await {
        Ok(mut client) => MIGRATIONS.runner().status_async(&mut client).await,
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("no database: {e}\n"),
            )
        }
    };
    match status {
        Ok(s) if s.is_up_to_date() && s.problems().is_empty() => (
            StatusCode::OK,
            format!("schema version {}, up to date\n", version(&s)),
        ),
        Ok(s) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "schema version {}: {} pending, {} problems\n",
                version(&s),
                s.pending().len(),
                s.problems().len()
            ),
        ),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    }
}

/// The applied version, `none` on an empty database.
fn version(status: &migrate::Status) -> String {
    status
        .current_version()
        .map_or_else(|| "none".to_owned(), |v| v.to_string())
}
