//! `tls_certificate` and `legacy_tls_protocol`: judged from the facts recon's own TLS handshakes
//! collected ([`crate::tls`]); they send nothing.
use futures::future::BoxFuture;

use crate::checks::Hit;
use crate::context::ScanContext;
use crate::report::{Confidence, Severity};
use crate::tls::TlsFacts;

/// Days before expiry at which renewal is overdue (medium) or due (low). Let's Encrypt renews at 30.
const EXPIRY_URGENT_DAYS: i64 = 14;
const EXPIRY_DUE_DAYS: i64 = 30;

fn hit(title: String, severity: Severity, kind: &str, evidence: String) -> Hit {
    Hit {
        title,
        severity,
        confidence: Confidence::Confirmed,
        method: "*".into(),
        path: "*".into(),
        kind: kind.into(),
        pii_types: Vec::new(),
        evidence,
    }
}

pub fn certificate_hits(tls: &TlsFacts) -> Vec<Hit> {
    let mut hits = Vec::new();
    let not_after = tls.not_after.as_deref().unwrap_or("unknown");
    match tls.expires_in_days {
        Some(days) if days < 0 => hits.push(hit(
            format!("TLS certificate expired {} day(s) ago", -days),
            Severity::High,
            "expired",
            format!("notAfter {not_after}"),
        )),
        _ => {
            if let Some(error) = &tls.certificate_error {
                let title = if tls.self_signed {
                    "TLS certificate is self-signed: clients cannot verify the server".to_string()
                } else {
                    "TLS certificate does not verify: clients cannot trust the server".to_string()
                };
                hits.push(hit(title, Severity::High, "untrusted", format!("{error} (protocol {})", tls.protocol)));
            }
        }
    }
    if let Some(days @ 0..=EXPIRY_DUE_DAYS) = tls.expires_in_days {
        let severity = if days <= EXPIRY_URGENT_DAYS { Severity::Medium } else { Severity::Low };
        hits.push(hit(
            format!("TLS certificate expires in {days} day(s)"),
            severity,
            "expiring",
            format!("notAfter {not_after}"),
        ));
    }
    hits
}

pub fn legacy_hits(tls: &TlsFacts) -> Vec<Hit> {
    if tls.legacy_protocols.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = tls.legacy_protocols.iter().map(|p| p.replace("TLSv1_", "TLS 1.")).collect();
    vec![hit(
        format!("Server accepts {}", names.join(" and ")),
        Severity::Medium,
        "legacy",
        names
            .iter()
            .map(|v| format!("a ClientHello offering only {v} got a ServerHello for {v}"))
            .collect::<Vec<_>>()
            .join("; "),
    )]
}

pub fn run_certificate(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move { ctx.tls.as_ref().map(certificate_hits).unwrap_or_default() })
}

pub fn run_legacy(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move { ctx.tls.as_ref().map(legacy_hits).unwrap_or_default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> TlsFacts {
        TlsFacts {
            protocol: "TLSv1_3".into(),
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
            certificate_error: None,
            certificate_der_len: 600,
            not_after: Some("2027-11-23T00:00:00Z".into()),
            expires_in_days: Some(365),
            self_signed: false,
            legacy_protocols: Vec::new(),
        }
    }

    fn verdicts(hits: Vec<Hit>) -> Vec<(String, Severity)> {
        hits.into_iter().map(|h| (h.kind, h.severity)).collect()
    }

    #[test]
    fn a_valid_long_lived_modern_certificate_is_clean() {
        assert!(certificate_hits(&facts()).is_empty());
        assert!(legacy_hits(&facts()).is_empty());
    }

    #[test]
    fn expiry_window_and_trust_are_rated() {
        let soon = TlsFacts { expires_in_days: Some(10), ..facts() };
        assert_eq!(verdicts(certificate_hits(&soon)), vec![("expiring".into(), Severity::Medium)]);
        let due = TlsFacts { expires_in_days: Some(25), ..facts() };
        assert_eq!(verdicts(certificate_hits(&due)), vec![("expiring".into(), Severity::Low)]);
        let gone = TlsFacts { expires_in_days: Some(-3), certificate_error: Some("expired".into()), ..facts() };
        assert_eq!(verdicts(certificate_hits(&gone)), vec![("expired".into(), Severity::High)]);
        let selfie = TlsFacts { certificate_error: Some("UnknownIssuer".into()), self_signed: true, ..facts() };
        let hits = certificate_hits(&selfie);
        assert_eq!(hits[0].severity, Severity::High);
        assert!(hits[0].title.contains("self-signed"));
    }

    #[test]
    fn legacy_protocols_are_one_medium_finding() {
        let old = TlsFacts { legacy_protocols: vec!["TLSv1_0".into(), "TLSv1_1".into()], ..facts() };
        let hits = legacy_hits(&old);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Medium);
        assert_eq!(hits[0].title, "Server accepts TLS 1.0 and TLS 1.1");
    }
}
