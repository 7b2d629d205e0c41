//! TLS facts of an https target, read from a handshake of our own (reqwest does not expose the
//! negotiated protocol): version, cipher suite, and whether the certificate chain verifies.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFacts {
    pub protocol: String,
    pub cipher_suite: String,
    /// `None` when the chain verifies for the host name; the verifier's complaint otherwise.
    pub certificate_error: Option<String>,
    pub certificate_der_len: usize,
}

/// Verifies as usual but never fails the handshake: the verdict is recorded, so a scan can go on
/// (with `--insecure`) and still report an invalid certificate.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    verdict: Mutex<Option<String>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = verdict.err().map(|e| e.to_string());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Handshakes with the target and reports what was negotiated; `None` for http targets or when no
/// handshake completes within `timeout`.
pub async fn probe(target: &Url, extra_roots: &[Vec<u8>], timeout: Duration) -> Option<TlsFacts> {
    if target.scheme() != "https" {
        return None;
    }
    let host = target.host_str()?.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = target.port_or_known_default()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in extra_roots {
        for cert in CertificateDer::pem_slice_iter(pem).flatten() {
            let _ = roots.add(cert);
        }
    }
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .ok()?;
    let verifier = Arc::new(RecordingVerifier { inner: webpki, verdict: Mutex::new(None) });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from(host.clone()).ok()?;

    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.ok()?;
        let tls = connector.connect(name, tcp).await.ok()?;
        let (_, session) = tls.get_ref();
        Some(TlsFacts {
            protocol: session.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default(),
            cipher_suite: session
                .negotiated_cipher_suite()
                .map(|c| format!("{:?}", c.suite()))
                .unwrap_or_default(),
            certificate_error: verifier.verdict.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            certificate_der_len: session.peer_certificates().and_then(|c| c.first()).map_or(0, |c| c.len()),
        })
    };
    tokio::time::timeout(timeout, handshake).await.ok().flatten()
}
