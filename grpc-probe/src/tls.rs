//! The rustls client configuration (ring provider, ALPN `h2`): CA bundle or
//! system roots, mTLS key pair, `-tls-no-verify`, `-tls-server-name`.
//!
//! Files are read before connecting so that an unreadable or unparsable file
//! is reported as bad arguments (exit 1), naming the file.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::config::TlsOptions;

/// Builds the client configuration and the server name to verify. Never
/// inlined, so that the caller's stack frame stays small on plaintext runs.
#[inline(never)]
pub(crate) fn client_config(
    opts: &TlsOptions,
    default_name: &str,
) -> Result<(Arc<ClientConfig>, ServerName<'static>), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let name = opts.server_name.as_deref().unwrap_or(default_name);
    let server_name = ServerName::try_from(name.to_owned())
        .map_err(|_| format!("invalid TLS server name {name:?}"))?;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = if opts.no_verify {
        let verifier = AcceptAnyCert(provider.signature_verification_algorithms);
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
    } else {
        builder.with_root_certificates(roots(opts.ca_cert.as_deref())?)
    };
    let mut config = match &opts.client_pair {
        Some((cert, key)) => {
            let chain = read_certs(cert, "client certificate")?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                format!(
                    "failed to load tls client key from file ({}): {e}",
                    key.display()
                )
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("failed to load tls client cert/key pair: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((Arc::new(config), server_name))
}

/// The CA bundle when given, else the system roots (loaded only here).
fn roots(ca_cert: Option<&Path>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match ca_cert {
        Some(path) => {
            for cert in read_certs(path, "root CA certificates")? {
                store.add(cert).map_err(|e| {
                    format!("bad root CA certificate in file ({}): {e}", path.display())
                })?;
            }
        }
        None => {
            // Unusable system certificates are skipped, as Go does.
            let _ = store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    Ok(store)
}

/// Reads every certificate of a PEM file; none at all is an error.
fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let fail = |e: &dyn std::fmt::Display| {
        format!("failed to load {what} from file ({}): {e}", path.display())
    };
    let bytes = std::fs::read(path).map_err(|e| fail(&e))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    if certs.is_empty() {
        return Err(format!("no {what} parsed from file {}", path.display()));
    }
    Ok(certs)
}

/// `-tls-no-verify`: any certificate is accepted, but the handshake
/// signatures are still checked, so the peer must hold the key it shows.
#[derive(Debug)]
struct AcceptAnyCert(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCert {
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
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_configs_with_alpn_h2() {
        let opts = TlsOptions {
            no_verify: true,
            ..TlsOptions::default()
        };
        let (config, name) = client_config(&opts, "127.0.0.1").unwrap();
        assert_eq!(config.alpn_protocols, [b"h2".to_vec()]);
        assert_eq!(name.to_str(), "127.0.0.1");
        let opts = TlsOptions {
            server_name: Some("probe.test".into()),
            ..TlsOptions::default()
        };
        assert_eq!(
            client_config(&opts, "10.0.0.1").unwrap().1.to_str(),
            "probe.test"
        );
    }

    #[test]
    fn file_errors_name_the_file() {
        let opts = TlsOptions {
            ca_cert: Some("/no/such/ca.pem".into()),
            ..TlsOptions::default()
        };
        let err = client_config(&opts, "localhost").unwrap_err();
        assert!(err.contains("/no/such/ca.pem"), "{err}");
        let opts = TlsOptions {
            server_name: Some("bad name!".into()),
            ..TlsOptions::default()
        };
        assert!(
            client_config(&opts, "localhost")
                .unwrap_err()
                .contains("invalid TLS server name")
        );
    }
}
