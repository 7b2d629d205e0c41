//! `encryption`: how the API's traffic is protected in transit.
//!
//! - [`CLEARTEXT`] and [`BASIC_CLEARTEXT`]: the API answers over plain HTTP (passive, per exchange).
//! - [`COOKIES`]: `Set-Cookie` without `Secure`/`HttpOnly`/`SameSite` (passive, [`cookies`]).
//! - [`HSTS`]: missing or weak `Strict-Transport-Security` on https ([`hsts`]).
//! - [`CERTIFICATE`] and [`LEGACY_TLS`]: what the TLS handshake of recon learned ([`certificate`]).
//!
//! Scope: a scan never leaves the target's origin, and `http://host` is a different origin from
//! `https://host` (often a different server on port 80). So an https target's http twin is not
//! probed; HSTS is what protects its users and is checked instead. The "no redirect to https" check
//! applies when the user scans the http URL: if it answers with content rather than a redirect to
//! https, that is the finding. A loopback target (127.0.0.0/8, ::1, localhost) on plain HTTP is a
//! local development scan: TLS is normally added in front of it, so it is reported as info.
mod certificate;
mod cookies;
mod hsts;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::Exchange;
use crate::config::is_loopback;
use crate::context::ScanContext;
use crate::report::{Category, Confidence, Severity};

pub static CLEARTEXT: CheckInfo = CheckInfo {
    id: "cleartext_http",
    category: Category::Encryption,
    status: Status::Stable,
    cwe: &[319],
    summary: "API served over plain HTTP without redirecting to HTTPS (info on loopback)",
    docs: include_str!("../../docs/checks/cleartext_http.md"),
    runner: Runner::Passive(cleartext),
};

pub static BASIC_CLEARTEXT: CheckInfo = CheckInfo {
    id: "basic_auth_cleartext",
    category: Category::Encryption,
    status: Status::Stable,
    cwe: &[523, 319],
    summary: "HTTP Basic authentication requested over plain HTTP",
    docs: include_str!("../../docs/checks/basic_auth_cleartext.md"),
    runner: Runner::Passive(basic_over_http),
};

pub static COOKIES: CheckInfo = CheckInfo {
    id: "insecure_cookie",
    category: Category::Encryption,
    status: Status::Stable,
    cwe: &[614, 1004],
    summary: "Cookies set without Secure, HttpOnly or SameSite",
    docs: include_str!("../../docs/checks/insecure_cookie.md"),
    runner: Runner::Passive(cookies::analyze),
};

pub static HSTS: CheckInfo = CheckInfo {
    id: "hsts_missing_or_weak",
    category: Category::Encryption,
    status: Status::Stable,
    cwe: &[319, 523],
    summary: "https responses without Strict-Transport-Security, or with a short or partial policy",
    docs: include_str!("../../docs/checks/hsts_missing_or_weak.md"),
    runner: Runner::Active(hsts::run),
};

pub static CERTIFICATE: CheckInfo = CheckInfo {
    id: "tls_certificate",
    category: Category::Encryption,
    status: Status::Stable,
    cwe: &[295],
    summary: "TLS certificate untrusted, self-signed, expired or about to expire",
    docs: include_str!("../../docs/checks/tls_certificate.md"),
    runner: Runner::Active(certificate::run_certificate),
};

pub static LEGACY_TLS: CheckInfo = CheckInfo {
    id: "legacy_tls_protocol",
    category: Category::Encryption,
    status: Status::Stable,
    cwe: &[326, 327],
    summary: "Server still accepts TLS 1.0 or TLS 1.1",
    docs: include_str!("../../docs/checks/legacy_tls_protocol.md"),
    runner: Runner::Active(certificate::run_legacy),
};

/// Request headers that carry credentials when the user configures them (`--header`).
const CREDENTIAL_HEADERS: [&str; 9] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "x-access-token",
    "x-csrf-token",
];

fn redirects_to_https(ex: &Exchange) -> bool {
    matches!(ex.status, Some(301 | 302 | 303 | 307 | 308))
        && ex.header("location").is_some_and(|l| l.trim_start().to_ascii_lowercase().starts_with("https://"))
}

fn sends_credentials(ctx: &ScanContext) -> bool {
    ctx.config.headers.iter().any(|(name, _)| CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
}

/// One hit per plain-HTTP answer, all merged into one origin-wide finding whose severity is the
/// worst seen: an answer that sets a cookie or takes credentials makes it high.
fn cleartext(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    if ex.url.scheme() != "http" || ex.status.is_none() || redirects_to_https(ex) {
        return;
    }
    let cookie = ex.header_all("set-cookie").next().and_then(|c| c.split('=').next()).map(str::trim);
    let challenge = ex.header_all("www-authenticate").next();
    let credentials_taken = sends_credentials(ctx) && ex.is_success();
    let mut evidence = format!(
        "{} {} → {} over plain HTTP, no redirect to https",
        ex.method,
        ex.url.as_str().split('?').next().unwrap_or_default(),
        ex.status.unwrap_or_default()
    );
    if let Some(name) = cookie {
        evidence.push_str(&format!("; sets cookie `{name}`"));
    }
    if let Some(challenge) = challenge {
        let scheme = challenge.split_whitespace().next().unwrap_or_default();
        evidence.push_str(&format!("; asks for credentials (WWW-Authenticate: {scheme})"));
    }
    if credentials_taken {
        evidence.push_str("; answered a request that carried the configured credentials");
    }
    let (severity, title) =
        cleartext_verdict(is_loopback(ctx.client.base()), cookie.is_some(), challenge.is_some() || credentials_taken);
    hits.push(Hit {
        title: title.into(),
        severity,
        confidence: Confidence::Confirmed,
        method: "*".into(),
        path: "*".into(),
        kind: "cleartext".into(),
        pii_types: Vec::new(),
        evidence,
    });
}

/// Loopback is a local scan (info, whatever travels); elsewhere cleartext is medium, and high once
/// cookies or credentials travel over it.
fn cleartext_verdict(loopback: bool, sets_cookie: bool, takes_credentials: bool) -> (Severity, &'static str) {
    if loopback {
        (Severity::Info, "API is served over plain HTTP (a local scan: make sure production is served over HTTPS only)")
    } else if sets_cookie {
        (Severity::High, "API is served over plain HTTP without redirecting to HTTPS, and sets cookies over it")
    } else if takes_credentials {
        (Severity::High, "API is served over plain HTTP without redirecting to HTTPS, and takes credentials over it")
    } else {
        (Severity::Medium, "API is served over plain HTTP and does not redirect to HTTPS")
    }
}

/// `WWW-Authenticate: Basic` over http: the next request carries the password in base64, readable
/// by anyone on the path. High wherever the target runs: the challenge is the app's own choice.
fn basic_over_http(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    if ex.url.scheme() != "http" {
        return;
    }
    for challenge in ex.header_all("www-authenticate") {
        if !challenge.split_whitespace().next().is_some_and(|s| s.eq_ignore_ascii_case("basic")) {
            continue;
        }
        // A proxy that challenges every path (random ones included) is one origin-wide finding.
        let path = if ctx.soft404.is_not_found(ex) { "*".to_string() } else { ex.path().to_string() };
        hits.push(Hit {
            title: "HTTP Basic authentication is requested over plain HTTP".into(),
            severity: Severity::High,
            confidence: Confidence::Confirmed,
            method: ex.method.to_string(),
            path,
            kind: "basic".into(),
            pii_types: Vec::new(),
            evidence: format!(
                "{} {} → {} WWW-Authenticate: {}",
                ex.method,
                ex.path(),
                ex.status.unwrap_or_default(),
                challenge.trim()
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    #[test]
    fn cleartext_is_info_on_loopback_and_high_with_cookies_or_credentials_elsewhere() {
        assert_eq!(cleartext_verdict(true, true, true).0, Severity::Info);
        assert!(cleartext_verdict(true, false, false).1.contains("make sure production is served over HTTPS"));
        assert_eq!(cleartext_verdict(false, false, false).0, Severity::Medium);
        assert_eq!(cleartext_verdict(false, true, false).0, Severity::High);
        assert_eq!(cleartext_verdict(false, false, true).0, Severity::High);
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for local in [
            "http://127.0.0.1:5000",
            "http://127.8.0.1/",
            "http://[::1]:8080",
            "http://localhost:5000",
            "http://api.localhost/",
        ] {
            assert!(is_loopback(&Url::parse(local).expect("url")), "{local}");
        }
        for remote in ["http://192.0.2.1/", "http://api.acme.io/", "http://localhost.acme.io/", "http://[::2]/"] {
            assert!(!is_loopback(&Url::parse(remote).expect("url")), "{remote}");
        }
    }
}
