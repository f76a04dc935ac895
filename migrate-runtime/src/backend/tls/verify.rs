//! The rustls client configuration for each sslmode, with the `ring`
//! provider named explicitly (never the process default, which another
//! crate of the program may have chosen or left ambiguous).
//!
//! - no roots (`allow`, `prefer`, `require` without a CA): the connection
//!   is encrypted and the server must sign the handshake with the key of
//!   the certificate it shows, which is not checked (libpq does the same);
//! - roots and not `verify-full`: the chain must lead to a root, the name
//!   is not checked (libpq's `verify-ca`, and `require` with a CA);
//! - `verify-full`: the chain and the host name.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// What the server's certificate is checked against.
pub(super) enum Check {
    /// Nothing: encryption only.
    Nothing,
    /// The chain, not the name.
    Chain(RootCertStore),
    /// The chain and the host name.
    Full(RootCertStore),
}

/// A client configuration for `check`, or why there is none.
pub(super) fn client_config(check: Check) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("no TLS protocol version: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Nothing => Arc::new(EncryptOnly(provider)),
        Check::Chain(roots) => Arc::new(ChainOnly(webpki(roots, provider)?)),
        Check::Full(roots) => webpki(roots, provider)?,
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn webpki(
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("cannot use the root certificates: {e}"))
}

/// Accepts any certificate, checks that the server holds its key.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The web PKI verifier, with a certificate for another name accepted:
/// webpki checks the chain first and the name last, so a name error
/// means the chain was good.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The certificates of a PEM file, as roots.
pub(super) fn roots_from_file(path: &std::path::Path) -> Result<RootCertStore, String> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = RootCertStore::empty();
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    for certificate in certificates {
        let certificate = certificate.map_err(|e| format!("{} is not PEM: {e}", path.display()))?;
        roots
            .add(certificate)
            .map_err(|e| format!("{} holds a certificate rustls refuses: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(roots)
}

/// The platform's trusted roots (`sslrootcert=system`).
pub(super) fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let why: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "sslrootcert=system: the platform has no trusted root certificates{}",
            if why.is_empty() {
                String::new()
            } else {
                format!(" ({})", why.join("; "))
            }
        ));
    }
    Ok(roots)
}

/// What a rustls error in a connection error's chain says (about the
/// server's certificate, mostly), in words; `trusted` says where the
/// roots came from.
pub(super) fn explain(e: &(dyn std::error::Error + 'static), trusted: &str) -> Option<String> {
    let mut next = Some(e);
    while let Some(e) = next {
        let found = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        match found {
            Some(rustls::Error::InvalidCertificate(c)) => return Some(certificate(c, trusted)),
            Some(other) => return Some(format!("the TLS handshake failed: {other}")),
            None => {}
        }
        next = e.source();
    }
    None
}

fn certificate(e: &CertificateError, trusted: &str) -> String {
    match e {
        CertificateError::NotValidForName => {
            "the server's certificate is not valid for the host name".to_owned()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            // rustls shows each name as `DnsName("db")` or `IpAddress(…)`.
            let names: Vec<&str> = presented
                .iter()
                .map(|n| {
                    n.split_once('(')
                        .map_or(n.as_str(), |(_, inner)| inner.trim_end_matches(')'))
                        .trim_matches('"')
                })
                .collect();
            format!(
                "the server's certificate is not valid for the host name {} (it is for {})",
                expected.to_str(),
                names.join(", ")
            )
        }
        CertificateError::UnknownIssuer => {
            format!("the server's certificate is not signed by {trusted}")
        }
        other => format!("the server's certificate was refused: {other}"),
    }
}
