//! The TLS connector an sslmode asks for: rustls configured to check what
//! the mode checks, with the CA certificates `sslrootcert` names (or
//! libpq's default file), or none where the mode uses no TLS.

#[cfg(feature = "tls")]
use std::path::PathBuf;

use super::{invalid, PgConnectOptions, SslMode};
#[cfg(feature = "tls")]
use super::{verify, Root};
use crate::outcome::Error;

/// The driver's TLS connector (one type for the sync and the async
/// client: both connect a `tokio_postgres::Socket`).
#[cfg(feature = "tls")]
pub(super) type Connector = tokio_postgres_rustls::MakeRustlsConnect;

/// Without TLS there is never a connector.
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
pub(super) enum Connector {}

impl PgConnectOptions {
    /// The TLS connector for `mode`, if it uses TLS.
    #[cfg(feature = "tls")]
    pub(super) fn connector(&self, mode: SslMode) -> Result<Option<Connector>, Error> {
        use verify::Check;
        if mode == SslMode::Disable {
            return Ok(None);
        }
        let roots = match &self.root {
            Root::System => Some(verify::system_roots().map_err(invalid)?),
            Root::File(path) => Some(
                verify::roots_from_file(path).map_err(|e| invalid(format!("sslrootcert: {e}")))?,
            ),
            Root::Default => match default_root_file().filter(|p| p.is_file()) {
                Some(path) => Some(
                    verify::roots_from_file(&path)
                        .map_err(|e| invalid(format!("the default sslrootcert: {e}")))?,
                ),
                None => None,
            },
        };
        let check = match (mode, roots) {
            (SslMode::VerifyFull, Some(roots)) => Check::Full(roots),
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
                return Err(invalid(format!(
                    "sslmode={} checks the server's certificate against a CA, and none is \
                     given: set sslrootcert to the CA's certificate (a PEM file), or \
                     sslrootcert=system for the platform's trusted roots",
                    mode.as_str()
                )))
            }
            (_, Some(roots)) => Check::Chain(roots),
            (_, None) => Check::Nothing,
        };
        let config = verify::client_config(check).map_err(invalid)?;
        Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
    }

    /// Without the `tls` feature: plain text, or a refusal for the modes
    /// that need TLS.
    #[cfg(not(feature = "tls"))]
    pub(super) fn connector(&self, mode: SslMode) -> Result<Option<Connector>, Error> {
        match mode {
            SslMode::Disable | SslMode::Allow | SslMode::Prefer => Ok(None),
            _ => Err(invalid(format!(
                "sslmode={} needs TLS, which this build lacks (feature `tls`)",
                mode.as_str()
            ))),
        }
    }
}

/// libpq's default CA file: `~/.postgresql/root.crt`.
#[cfg(feature = "tls")]
fn default_root_file() -> Option<PathBuf> {
    std::env::home_dir().map(|home| home.join(".postgresql").join("root.crt"))
}

/// The connector for a cancel request: TLS where the server offers it,
/// the certificate unchecked. The request carries only the session's
/// cancel key, the connection it cancels checked the server already, and
/// libpq sends the same request in plain text; but a connection made with
/// `sslmode=require` or stronger makes its cancel request insist on TLS.
#[cfg(feature = "tls")]
pub(crate) fn for_cancel() -> Option<Connector> {
    let config = verify::client_config(verify::Check::Nothing).ok()?;
    Some(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}
