//! The drivers' cancellers: a PostgreSQL cancel request for the sync and
//! the async client's sessions, SQLite's interrupt.

use std::sync::Arc;

use super::Canceller;

/// Cancels what the sync client's session runs, with the client's cancel
/// token: over TLS where the server offers it (feature `tls`), else in
/// plain text.
#[cfg(feature = "postgres")]
pub(super) fn postgres(token: postgres::CancelToken) -> Canceller {
    Arc::new(move || {
        #[cfg(feature = "tls")]
        if let Some(tls) = super::tls::for_cancel() {
            return Ok(token.cancel_query(tls)?);
        }
        Ok(token.cancel_query(postgres::NoTls)?)
    })
}

/// Cancels what the async client's session runs: as [`postgres`], on a
/// runtime of the calling thread's own (the canceller runs on a thread of
/// its own, never a runtime's).
#[cfg(feature = "tokio-postgres")]
pub(super) fn tokio_postgres(token: tokio_postgres::CancelToken) -> Canceller {
    Arc::new(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        #[cfg(feature = "tls")]
        if let Some(tls) = super::tls::for_cancel() {
            return Ok(runtime.block_on(token.cancel_query(tls))?);
        }
        Ok(runtime.block_on(token.cancel_query(tokio_postgres::NoTls))?)
    })
}

/// Interrupts what the SQLite connection runs.
#[cfg(feature = "sqlite")]
pub(super) fn sqlite(handle: rusqlite::InterruptHandle) -> Canceller {
    let handle = Arc::new(handle);
    Arc::new(move || {
        handle.interrupt();
        Ok(())
    })
}
