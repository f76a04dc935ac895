//! One attempt at a connection in one TLS mode, within the connection
//! timeout: for the sync client on a thread we stop waiting for, for the
//! async client on its runtime.

use std::sync::mpsc;

use postgres::config::SslMode as DriverSslMode;

use super::{Connector, Kind, PgConnectOptions};
use crate::outcome::Error;

/// A sync client's attempt. The driver bounds only the TCP connect, not
/// the startup exchange, and its sync client cannot be built from an
/// async connection: the attempt runs on a thread we stop waiting for. A
/// client that connects after that is dropped (closing it); a server that
/// never answers keeps the thread until it closes the socket or the
/// process ends.
pub(super) fn blocking(
    options: &PgConnectOptions,
    ssl: DriverSslMode,
    tls: Option<Connector>,
) -> Result<Result<postgres::Client, Kind>, Error> {
    let mut config = options.config.clone();
    config.ssl_mode(ssl);
    let explain = |r: Result<postgres::Client, postgres::Error>| {
        r.map_err(|error| options.driver_failure(error))
    };
    let (Some(wait), Some(total)) = (options.connect_timeout(), options.attempt_bound()) else {
        return Ok(explain(connect(&config, tls)));
    };
    config.connect_timeout(wait);
    let (send, receive) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("migrate-pg-connect".to_owned())
        .spawn(move || {
            let _ = send.send(connect(&config, tls));
        })
        .map_err(|source| Error::Io {
            context: "starting a thread to connect",
            source,
        })?;
    Ok(match receive.recv_timeout(total) {
        Ok(result) => explain(result),
        Err(_) => Err(Kind::TimedOut(total)),
    })
}

/// The sync driver's connect, with TLS when there is a connector.
fn connect(
    config: &postgres::Config,
    tls: Option<Connector>,
) -> Result<postgres::Client, postgres::Error> {
    match tls {
        #[cfg(feature = "tls")]
        Some(tls) => config.connect(tls),
        #[cfg(not(feature = "tls"))]
        Some(never) => match never {},
        None => config.connect(postgres::NoTls),
    }
}

/// An async client's attempt on `runtime`, the whole of it bounded there;
/// the connection's task is spawned on the runtime, where it runs while a
/// call blocks on it.
#[cfg(feature = "tokio-postgres")]
pub(super) fn on_runtime(
    options: &PgConnectOptions,
    runtime: &tokio::runtime::Runtime,
    ssl: DriverSslMode,
    tls: Option<Connector>,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), Kind> {
    let mut config = options.async_config.clone();
    config.ssl_mode(ssl);
    if let Some(wait) = options.connect_timeout() {
        config.connect_timeout(wait);
    }
    let attempt = async {
        match tls {
            #[cfg(feature = "tls")]
            Some(tls) => config.connect(tls).await.map(|(client, connection)| {
                (client, tokio::spawn(async move { drop(connection.await) }))
            }),
            #[cfg(not(feature = "tls"))]
            Some(never) => match never {},
            None => config
                .connect(tokio_postgres::NoTls)
                .await
                .map(|(client, connection)| {
                    (client, tokio::spawn(async move { drop(connection.await) }))
                }),
        }
    };
    let bounded = async {
        match options.attempt_bound() {
            Some(total) => tokio::time::timeout(total, attempt)
                .await
                .map_err(|_| Kind::TimedOut(total)),
            None => Ok(attempt.await),
        }
    };
    runtime
        .block_on(bounded)?
        .map_err(|error| options.driver_failure(error))
}
