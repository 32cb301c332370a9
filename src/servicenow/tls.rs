//! The rustls configuration: ring as the crypto provider, the OS trust store (or
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`, which replace it as OpenSSL does), plus `--ca-file`.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::Error;

/// A client TLS configuration and how many trusted roots it holds.
pub(crate) struct TlsSetup {
    /// The configuration handed to reqwest.
    pub config: rustls::ClientConfig,
    /// Number of trusted root certificates (0 means every HTTPS check will fail).
    pub roots: usize,
}

/// Builds the rustls configuration for `ca_file` (extra PEM roots) and the environment.
pub(crate) fn client_config(ca_file: Option<&Path>) -> Result<TlsSetup, Error> {
    let mut roots = RootCertStore::empty();

    let native = rustls_native_certs::load_native_certs();
    let env_named = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .into_iter()
        .filter(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
        .collect::<Vec<_>>();
    if !native.errors.is_empty() {
        if !env_named.is_empty() && native.certs.is_empty() {
            // The user pointed us at certificates explicitly; silently trusting nothing would
            // turn into a baffling "unknown issuer" later.
            return Err(Error::Setup(format!(
                "cannot load the certificates named by {}: {}",
                env_named.join(" / "),
                native.errors[0]
            )));
        }
        for e in &native.errors {
            tracing::warn!(error = %e, "some trusted certificates could not be loaded");
        }
    }
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    if ignored > 0 {
        tracing::debug!(
            ignored,
            "unusable certificates in the trust store were skipped"
        );
    }
    tracing::debug!(added, "trusted roots loaded from the system");

    if let Some(path) = ca_file {
        for cert in read_ca_file(path)? {
            roots.add(cert).map_err(|e| {
                Error::Setup(format!(
                    "the CA file {} holds a certificate that cannot be trusted as a root: {e}",
                    path.display()
                ))
            })?;
        }
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let count = roots.len();
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Setup(format!("TLS set-up failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // reqwest does not set ALPN on a preconfigured config; without it no HTTP/2.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsSetup {
        config,
        roots: count,
    })
}

/// The PEM certificates of a CA file; a missing file, bad PEM or no certificate at all is an
/// error that names the file.
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Setup(format!("cannot read the CA file {}: {e}", path.display())))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::Setup(format!(
                "the CA file {} is not valid PEM: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::Setup(format!(
            "the CA file {} holds no certificate (expected PEM blocks starting with -----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}
