//! `fingerprinting`: what the response headers say about the software behind the API.
use std::sync::LazyLock;

use regex::Regex;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::Exchange;
use crate::context::ScanContext;
use crate::report::{Category, Confidence, Severity};

pub static SERVER_VERSION: CheckInfo = CheckInfo {
    id: "server_version_disclosure",
    category: Category::Fingerprinting,
    status: Status::Stable,
    cwe: &[200, 497],
    summary: "Server header names the software and its version (Werkzeug dev server called out)",
    docs: include_str!("../../docs/checks/server_version_disclosure.md"),
    runner: Runner::Passive(server_version),
};

pub static POWERED_BY: CheckInfo = CheckInfo {
    id: "powered_by_disclosure",
    category: Category::Fingerprinting,
    status: Status::Stable,
    cwe: &[200, 497],
    summary: "X-Powered-By and framework version headers",
    docs: include_str!("../../docs/checks/powered_by_disclosure.md"),
    runner: Runner::Passive(powered_by),
};

pub static AUTH_REALM: CheckInfo = CheckInfo {
    id: "auth_realm_disclosure",
    category: Category::Fingerprinting,
    status: Status::Stable,
    cwe: &[200],
    summary: "WWW-Authenticate realms that name internal systems or versions",
    docs: include_str!("../../docs/checks/auth_realm_disclosure.md"),
    runner: Runner::Passive(auth_realm),
};

#[allow(clippy::unwrap_used)] // constant patterns
static PRODUCT_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z][A-Za-z0-9._-]*/v?\d+(?:\.\d+)+").unwrap());
#[allow(clippy::unwrap_used)]
static VERSION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bv?\d+\.\d+(?:\.\d+)*\b").unwrap());
/// A version where it starts a word (`3.0.1`, `v2`, `10.0-rc1`), and what it is glued to.
#[allow(clippy::unwrap_used)]
static VERSION_TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bv?\d[\w.+~-]*").unwrap());
#[allow(clippy::unwrap_used)]
static REALM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"(?i)realm\s*=\s*"([^"]*)""#).unwrap());

/// Words in a realm that point at internal systems rather than a public product name.
const INTERNAL_REALM_WORDS: [&str; 12] = [
    "internal",
    "staging",
    "stage",
    "dev",
    "test",
    "admin",
    "intranet",
    "corp",
    "jenkins",
    "tomcat",
    "jboss",
    "backoffice",
];

/// A header fact: method `*` and the path it was seen on; triage reports it origin-wide when it
/// holds across paths (or came with the answer to a path that does not exist), else per path.
fn header_hit(ex: &Exchange, ctx: &ScanContext, title: String, severity: Severity, header: &str, value: &str) -> Hit {
    let path = if ctx.soft404.is_not_found(ex) { "*".to_string() } else { ex.path().to_string() };
    Hit {
        title,
        severity,
        confidence: Confidence::High,
        method: "*".into(),
        path,
        kind: stable_kind(header, value),
        pii_types: Vec::new(),
        evidence: format!("{header}: {value}"),
    }
}

fn server_version(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    for value in ex.header_all("server") {
        if value.contains("Werkzeug/") {
            hits.push(header_hit(
                ex,
                ctx,
                format!("Flask development server (Werkzeug) answers requests: `{value}`"),
                Severity::Medium,
                "Server",
                value,
            ));
        } else if PRODUCT_VERSION.is_match(value) {
            hits.push(header_hit(
                ex,
                ctx,
                format!("Server header discloses `{value}`"),
                Severity::Low,
                "Server",
                value,
            ));
        }
    }
}

fn powered_by(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    for header in ["x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator"] {
        for value in ex.header_all(header) {
            if value.trim().is_empty() {
                continue;
            }
            let name = canonical(header);
            hits.push(header_hit(ex, ctx, format!("{name} header discloses `{value}`"), Severity::Low, &name, value));
        }
    }
}

fn auth_realm(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    for value in ex.header_all("www-authenticate") {
        for cap in REALM.captures_iter(value) {
            let realm = &cap[1];
            let lower = realm.to_ascii_lowercase();
            let internal = lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| INTERNAL_REALM_WORDS.contains(&w));
            if internal || VERSION.is_match(realm) {
                hits.push(header_hit(
                    ex,
                    ctx,
                    format!("Authentication realm discloses `{realm}`"),
                    Severity::Low,
                    "WWW-Authenticate",
                    value,
                ));
            }
        }
    }
}

/// What tells two disclosures apart in a finding's id: the header and the products it names, without
/// their versions. An upgrade from `Werkzeug/3.0.1` to `3.0.6` is the same finding (a baseline keeps
/// it), another product is another one.
fn stable_kind(header: &str, value: &str) -> String {
    let products = VERSION_TOKEN.replace_all(value, "");
    let products = products.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{}: {}", header.to_ascii_lowercase(), products.to_ascii_lowercase())
}

/// `x-powered-by` → `X-Powered-By`.
fn canonical(header: &str) -> String {
    header
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::stable_kind;

    #[test]
    fn finding_kind_ignores_versions() {
        let a = stable_kind("Server", "Werkzeug/3.0.1 Python/3.11.4");
        assert_eq!(a, "server: werkzeug/ python/");
        assert_eq!(a, stable_kind("Server", "Werkzeug/3.0.6 Python/3.12.0"));
        assert_eq!(stable_kind("X-Powered-By", "PHP/8"), stable_kind("X-Powered-By", "PHP/7.4.33"));
        assert_eq!(stable_kind("Server", "Apache/2.4.41 (Ubuntu)"), "server: apache/ (ubuntu)");
        assert_eq!(
            stable_kind("WWW-Authenticate", r#"Basic realm="Jenkins v2.401""#),
            stable_kind("WWW-Authenticate", r#"Basic realm="Jenkins v2.440""#)
        );
        assert_ne!(stable_kind("Server", "nginx/1.25.3"), stable_kind("Server", "Apache/1.25.3"));
        // A digit inside a word is part of the name, not a version.
        assert_eq!(stable_kind("X-Generator", "Drupal 10 (Python3)"), "x-generator: drupal (python3)");
    }
}
