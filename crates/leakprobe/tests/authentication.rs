//! Authentication with identities: Basic auth over http, API keys in headers and URLs, credential
//! echo — and the hardened twin that must stay clean.
mod common;

use common::Target;
use leakprobe_engine::identity::Identity;
use leakprobe_engine::report::{Confidence, Finding, Report, Severity};
use leakprobe_engine::{scan, NoProgress, ScanConfig};

fn scan_as(url: &str, identities: &[&str]) -> Report {
    let mut config = ScanConfig::new(url).expect("config");
    config.identities = identities.iter().map(|s| Identity::parse(s).expect("identity")).collect();
    tokio::runtime::Runtime::new().expect("runtime").block_on(scan(config, &NoProgress)).expect("scan")
}

fn all(report: &Report) -> Vec<&Finding> {
    report.findings().map(|(_, f)| f).collect()
}

fn expect<'a>(report: &'a Report, check: &str, endpoint: &str) -> &'a Finding {
    all(report).into_iter().find(|f| f.check == check && f.endpoint == endpoint).unwrap_or_else(|| {
        let have: Vec<_> = all(report).iter().map(|f| format!("{} {} {}", f.check, f.endpoint, f.title)).collect();
        panic!("no {check} on {endpoint}: {have:#?}")
    })
}

#[test]
fn basic_auth_api_leaks_through_a_forgotten_decorator_and_a_present_only_check() {
    let target = Target::start("basic_auth_api");
    let report = scan_as(&target.url, &["maria=basic:maria:correct-horse-7"]);

    let forgot = expect(&report, "unauthenticated_access", "/api/accounts/summary");
    assert_eq!(forgot.title, "Endpoint serves the same data without credentials");
    assert_eq!(forgot.severity, Severity::Critical, "it carries e-mails");
    assert!(forgot.pii_types.contains(&leakprobe_detect::PiiType::Email));

    let present_only = expect(&report, "unauthenticated_access", "/api/v2/profile");
    assert_eq!(present_only.confidence, Confidence::Confirmed);
    assert!(present_only.title.contains("only when present"), "{}", present_only.title);

    // The protected profile itself is fine: anonymous callers get 401 there.
    assert!(all(&report).iter().all(|f| !(f.check == "unauthenticated_access" && f.endpoint == "/api/profile")));
    // Basic over plain http is called out by the encryption category.
    expect(&report, "basic_auth_cleartext", "/api/profile");
    assert!(matches!(report.grade.to_string().as_str(), "D" | "F"), "grade {}", report.grade);

    let json = serde_json::to_string(&report).expect("json");
    assert!(
        !json.contains("correct-horse-7") && !json.contains("bWFyaWE6Y29ycmVjdC1ob3JzZS03"),
        "credential in the report"
    );
}

#[test]
fn api_key_in_url_and_echoed_key_are_reported() {
    let target = Target::start("apikey_api");
    let report = scan_as(&target.url, &["mobile=header:X-Api-Key:lp-key-3c1f8e2a9b7d4f60"]);

    let in_query = all(&report).into_iter().find(|f| f.check == "api_key_in_query").expect("api_key_in_query");
    assert!(in_query.title.contains("api_key="), "{}", in_query.title);
    assert_eq!(in_query.severity, Severity::Medium);

    let echo = all(&report).into_iter().find(|f| f.check == "credential_echo").expect("credential_echo");
    assert_eq!(echo.severity, Severity::High);
    assert!(echo.evidence.contains("identity `mobile`"), "{}", echo.evidence);

    let json = serde_json::to_string(&report).expect("json");
    assert!(!json.contains("lp-key-3c1f8e2a9b7d4f60"), "the key leaked into the report");
    // The header works and anonymous callers are refused: no unauthenticated_access here.
    assert!(all(&report).iter().all(|f| f.check != "unauthenticated_access"));
}

#[test]
fn hardened_auth_twin_stays_clean() {
    let (target, log) = Target::start_logged("auth_hardened");
    let report = scan_as(&target.url, &["mobile=header:X-Api-Key:lp-key-3c1f8e2a9b7d4f60"]);
    let serious: Vec<_> = all(&report).into_iter().filter(|f| f.severity >= Severity::Medium).collect();
    assert!(serious.is_empty(), "{serious:#?}");
    assert!(matches!(report.grade.to_string().as_str(), "A" | "B"), "grade {}", report.grade);
    // The checks really ran: broken keys and keys in the URL were tried and refused.
    let requests = Target::requests(&log);
    assert!(requests.iter().any(|r| r["query"].as_str().unwrap_or("").contains("api_key=")), "no key-in-URL probe");
    assert!(
        requests.iter().any(|r| r["headers"]["x-api-key"].as_str().is_some_and(|k| k.ends_with("x0"))),
        "no broken-key probe"
    );
}
