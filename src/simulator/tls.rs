//! `--tls`: a throwaway CA, a server certificate for the loopback names, and the CA's PEM in a
//! temporary file that clients can trust (`SSL_CERT_FILE` or `--ca-file`).

use std::io::Write;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::NamedTempFile;
use time::{Duration, OffsetDateTime};
use tokio_rustls::TlsAcceptor;

use super::SimError;

/// What a TLS simulator keeps: the acceptor and the CA file (deleted when dropped).
pub(crate) struct TlsSetup {
    pub acceptor: TlsAcceptor,
    pub ca_file: NamedTempFile,
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> SimError {
    SimError::Tls(format!("{what}: {e}"))
}

/// Generate the CA and a server certificate for the loopback names plus `extra_names`
/// (`--tls-name`), and write the CA PEM to a temporary file.
pub(crate) fn setup(extra_names: &[String]) -> Result<TlsSetup, SimError> {
    let now = OffsetDateTime::now_utc();
    let not_before = now - Duration::days(1);
    let not_after = now + Duration::days(365);

    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_error("CA parameters", e))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "snow-connect simulator CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "snow-connect");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_key = KeyPair::generate().map_err(|e| tls_error("CA key", e))?;
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(|e| tls_error("CA certificate", e))?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    for name in extra_names {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '/') {
            return Err(SimError::Tls(format!(
                "--tls-name \"{}\" is not a host name",
                crate::sanitize::line(&name)
            )));
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut params =
        CertificateParams::new(names).map_err(|e| tls_error("server parameters", e))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = not_before;
    params.not_after = not_after;
    let server_key = KeyPair::generate().map_err(|e| tls_error("server key", e))?;
    let server_cert = params
        .signed_by(&server_key, &issuer)
        .map_err(|e| tls_error("server certificate", e))?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", e))?
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone()], key)
        .map_err(|e| tls_error("server certificate", e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

    let mut ca_file = tempfile::Builder::new()
        .prefix("snow-connect-sim-ca-")
        .suffix(".pem")
        .tempfile()?;
    ca_file.write_all(ca_cert.pem().as_bytes())?;
    ca_file.flush()?;

    Ok(TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_file,
    })
}
