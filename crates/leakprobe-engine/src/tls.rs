//! TLS facts of an https target, read from a handshake of our own (reqwest does not expose the
//! negotiated protocol): version, cipher suite, whether the certificate chain verifies, when the
//! certificate expires, and whether the server still accepts TLS 1.0/1.1 ([`legacy`]).
//!
//! These connections go to the target's own host and port only; they are not HTTP requests and do
//! not count against the request budget.
pub(crate) mod legacy;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    /// The leaf certificate's notAfter (RFC 3339), when it parses.
    #[serde(default)]
    pub not_after: Option<String>,
    /// Whole days from the scan to notAfter; negative once expired.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// Issuer and subject of the leaf are the same name.
    #[serde(default)]
    pub self_signed: bool,
    /// Legacy protocol versions (`TLSv1_0`, `TLSv1_1`) the server accepted in a handshake of their own.
    #[serde(default)]
    pub legacy_protocols: Vec<String>,
}

/// The longest any one legacy-protocol probe may take. They run concurrently with the main handshake
/// and recon's soft-404 probes; a server that answers at all answers within a round trip, so only a
/// silently dropping one costs this much.
const LEGACY_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

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
    let webpki =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().ok()?;
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
        let leaf = session.peer_certificates().and_then(|c| c.first());
        let validity = leaf.and_then(|c| leaf_facts(c));
        Some(TlsFacts {
            protocol: session.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default(),
            cipher_suite: session.negotiated_cipher_suite().map(|c| format!("{:?}", c.suite())).unwrap_or_default(),
            certificate_error: verifier.verdict.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            certificate_der_len: leaf.map_or(0, |c| c.len()),
            not_after: validity.as_ref().map(|v| v.not_after.clone()),
            expires_in_days: validity.as_ref().map(|v| v.expires_in_days),
            self_signed: validity.is_some_and(|v| v.self_signed),
            legacy_protocols: Vec::new(),
        })
    };
    let legacy_timeout = timeout.min(LEGACY_PROBE_TIMEOUT);
    let legacy = futures::future::join_all(legacy::LEGACY_VERSIONS.iter().map(|&(version, name)| {
        let host = host.as_str();
        async move {
            (legacy::probe(host, port, version, legacy_timeout).await == legacy::Outcome::Accepted).then_some(name)
        }
    }));
    let (facts, legacy) = tokio::join!(tokio::time::timeout(timeout, handshake), legacy);
    let mut facts = facts.ok().flatten()?;
    facts.legacy_protocols = legacy.into_iter().flatten().map(str::to_string).collect();
    Some(facts)
}

pub(crate) struct LeafFacts {
    not_after: String,
    expires_in_days: i64,
    self_signed: bool,
}

/// Expiry and self-signedness of the leaf certificate; `None` when the DER does not parse.
pub(crate) fn leaf_facts(der: &CertificateDer<'_>) -> Option<LeafFacts> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let not_after = cert.validity().not_after.timestamp();
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    let when = UNIX_EPOCH + Duration::from_secs(u64::try_from(not_after).unwrap_or(0));
    Some(LeafFacts {
        not_after: humantime::format_rfc3339_seconds(when).to_string(),
        expires_in_days: (not_after - now).div_euclid(86_400),
        self_signed: cert.subject() == cert.issuer(),
    })
}
