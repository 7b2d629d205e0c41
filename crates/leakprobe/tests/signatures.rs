//! HMAC request signing: a partner API with the four classic signing bugs (`hmac_api`) and its
//! hardened twin (`hmac_hardened`), scanned in-process as a partner identity that signs every
//! request, configured the way `[[identity]]` in leakprobe.toml configures it.
mod common;

use std::path::Path;

use common::{repo_root, Target};
use leakprobe_detect::PiiType;
use leakprobe_engine::identity::{Identity, IdentityConfig};
use leakprobe_engine::report::{Category, Confidence, Finding, Report, Severity};
use leakprobe_engine::{NoProgress, ScanConfig, SpecSource};
use serde_json::Value;

/// The credentials `hmac_api.py` issued to its partners (test values, nothing real).
const PARTNER_KEY: &str = "nwp_pk_4f9c2e71d8a3";
const SIGNING_SECRET: &str = "nwp_sk_9Qm3vX7tLr2Hc8KdW1";
const BODY_SIGNING_PARTNER_KEY: &str = "nwp_pk_0b6d94c2a7e5";
const BODY_SIGNING_SECRET: &str = "nwp_sk_Lk4Rz8Tq1Wm6Yp3Vb7";
const SECRETS: [&str; 4] = [PARTNER_KEY, SIGNING_SECRET, BODY_SIGNING_PARTNER_KEY, BODY_SIGNING_SECRET];

const SIGNATURE_CHECKS: [&str; 4] =
    ["signature_not_enforced", "signature_partial_coverage", "signature_replay", "unsigned_legacy_route"];

/// Harbor Lending signs method, path with query, timestamp, nonce and body.
fn harbor() -> Identity {
    identity(&format!(
        r#"
        name = "harbor"
        auth = "header:X-Api-Key:{PARTNER_KEY}"
        [sign]
        secret = "{SIGNING_SECRET}"
        algorithm = "sha256"
        encoding = "hex"
        header = "X-Signature"
        template = "{{method}}\n{{path}}\n{{timestamp}}\n{{nonce}}\n{{body}}"
        timestamp_header = "X-Timestamp"
        nonce_header = "X-Nonce"
        "#
    ))
}

/// Lakeside Credit's SDK signs the raw body only (the `[identity.sign]` default template).
fn lakeside() -> Identity {
    identity(&format!(
        r#"
        name = "lakeside"
        auth = "header:X-Api-Key:{BODY_SIGNING_PARTNER_KEY}"
        [sign]
        secret = "{BODY_SIGNING_SECRET}"
        "#
    ))
}

/// As `[[identity]]` in leakprobe.toml.
fn identity(toml_text: &str) -> Identity {
    let config: IdentityConfig = toml::from_str(toml_text).expect("identity config");
    config.resolve().expect("identity")
}

/// A default scan (no `--active`) with the target's OpenAPI file, as `--spec` would pass it (the
/// API publishes no spec: partners get it from the developer portal).
fn scan_as(target: &Target, spec: &str, identity: Identity) -> Report {
    let mut config = ScanConfig::new(&target.url).expect("config");
    config.spec = Some(SpecSource::File(repo_root().join("tests/targets").join(spec)));
    config.identities.push(identity);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let report = runtime.block_on(leakprobe_engine::scan(config, &NoProgress)).expect("scan");
    eprintln!("{spec}: {} ms, {} requests", report.duration_ms, report.requests);
    for (category, f) in all_findings(&report) {
        eprintln!(
            "  {category:?} {} {:?}/{:?} {} {} — {}",
            f.check, f.severity, f.confidence, f.method, f.endpoint, f.evidence
        );
    }
    report
}

fn all_findings(report: &Report) -> Vec<(Category, &Finding)> {
    report.categories.iter().flat_map(|(c, r)| r.findings.iter().map(move |f| (*c, f))).collect()
}

fn of_check<'a>(report: &'a Report, check: &str) -> Vec<(Category, &'a Finding)> {
    all_findings(report).into_iter().filter(|(_, f)| f.check == check).collect()
}

fn log_header<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request["headers"][name].as_str()
}

/// Neither the secret, the key, nor any signature that went over the wire shows in the report.
fn assert_no_secrets(report: &Report, log: &Path) {
    let json = serde_json::to_string(report).expect("report json");
    for secret in SECRETS {
        assert!(!json.contains(secret), "a key or signing secret leaked into the report");
    }
    let signatures: Vec<String> =
        Target::requests(log).iter().filter_map(|r| log_header(r, "x-signature").map(str::to_string)).collect();
    assert!(signatures.len() > 10, "the identity signed its requests: {}", signatures.len());
    // A body-only signature of an empty GET is one constant value: seen once is enough.
    let signatures: std::collections::BTreeSet<String> = signatures.into_iter().collect();
    for signature in &signatures {
        assert!(!json.contains(signature.as_str()), "a signature leaked into the report");
    }
}

/// Without `--active`, everything sent as the partner is a read, or a body no server can parse.
fn assert_only_reads_as_partner(log: &Path) {
    let writes: Vec<Value> = Target::requests(log)
        .into_iter()
        .filter(|r| {
            log_header(r, "x-api-key").is_some() && !matches!(r["method"].as_str(), Some("GET" | "HEAD" | "OPTIONS"))
        })
        .filter(|r| {
            let body = r["body"].as_str().unwrap_or("");
            body.is_empty() || serde_json::from_str::<Value>(body).is_ok()
        })
        .collect();
    assert!(writes.is_empty(), "state-changing requests sent without --active: {writes:#?}");
}

#[test]
fn every_signing_bug_of_the_partner_api_is_found() {
    let (target, log) = Target::start_logged("hmac_api");
    let report = scan_as(&target, "hmac_api.openapi.json", harbor());

    // An API key that works without a signature on one route.
    let not_enforced = of_check(&report, "signature_not_enforced");
    // Discovery's version-sibling guess also finds the unlinked key-only `/api/v0` (it predates
    // signing): its findings are real and listed on their own endpoints.
    let on_current: Vec<_> = not_enforced.iter().filter(|(_, f)| !f.endpoint.starts_with("/api/v0/")).collect();
    assert_eq!(on_current.len(), 1, "{not_enforced:#?}");
    let (category, f) = *on_current[0];
    assert_eq!(category, Category::Authentication);
    assert_eq!((f.method.as_str(), f.endpoint.as_str()), ("GET", "/api/v1/customers/{customer_id}/payment-methods"));
    assert_eq!(f.confidence, Confidence::Confirmed);
    assert_eq!(f.severity, Severity::Critical, "card numbers on file: {f:#?}");
    assert!(!f.pii_types.is_empty(), "{f:#?}");
    assert!(f.title.contains("only when present"), "{}", f.title);

    // The old SDK's path-only signatures: `customer_id` can be changed on a signed request.
    let coverage = of_check(&report, "signature_partial_coverage");
    assert_eq!(coverage.len(), 1, "{coverage:#?}");
    let (category, f) = coverage[0];
    assert_eq!(category, Category::Authentication);
    assert_eq!(f.endpoint, "/api/v1/statements");
    assert!(f.title.contains("query string") && f.title.contains("customer_id"), "{}", f.title);
    assert_eq!(f.confidence, Confidence::Confirmed);
    assert!(f.severity >= Severity::High, "{f:#?}");
    assert!(f.evidence.contains("customer_id=2"), "{}", f.evidence);

    // Neither timestamp freshness nor nonces are checked: one finding each, on a signed route.
    let replay = of_check(&report, "signature_replay");
    assert_eq!(replay.len(), 2, "{replay:#?}");
    for (category, f) in &replay {
        assert_eq!(*category, Category::Authentication);
        assert!(f.endpoint.starts_with("/api/v1/"), "{f:#?}");
        assert_eq!(f.confidence, Confidence::Confirmed);
        assert_eq!(f.severity, Severity::Medium);
    }
    assert!(replay.iter().any(|(_, f)| f.title.contains("Stale")), "{replay:#?}");
    assert!(replay.iter().any(|(_, f)| f.title.contains("nonce")), "{replay:#?}");

    // /api/v0 answers with the key alone, and nothing else does.
    let legacy = of_check(&report, "unsigned_legacy_route");
    let endpoints: Vec<&str> = legacy.iter().map(|(_, f)| f.endpoint.as_str()).collect();
    assert!(endpoints.contains(&"/api/v0/customers/{id}"), "{legacy:#?}");
    assert!(endpoints.iter().all(|e| e.starts_with("/api/v0/")), "{endpoints:?}");
    for (category, f) in &legacy {
        assert_eq!(*category, Category::Authentication);
        assert_eq!(f.severity, Severity::Critical, "{f:#?}");
        assert_eq!(f.confidence, Confidence::Confirmed);
        assert!(f.pii_types.contains(&PiiType::Email), "{f:#?}");
        assert!(!f.title.contains("to anyone"), "v0 still wants the key: {}", f.title);
    }

    // The correctly signed routes are not blamed for the others' bugs.
    for check in ["signature_not_enforced", "signature_partial_coverage"] {
        for (_, f) in of_check(&report, check) {
            assert_ne!(f.endpoint, "/api/v1/customers/{customer_id}", "{f:#?}");
        }
    }

    assert_no_secrets(&report, &log);
    assert_only_reads_as_partner(&log);
}

#[test]
fn hardened_twin_refuses_every_variation_and_stays_clean() {
    let (target, log) = Target::start_logged("hmac_hardened");
    let report = scan_as(&target, "hmac_hardened.openapi.json", harbor());

    let serious: Vec<_> = all_findings(&report).into_iter().filter(|(_, f)| f.severity >= Severity::Medium).collect();
    assert!(serious.is_empty(), "{serious:#?}");
    for check in SIGNATURE_CHECKS {
        assert!(of_check(&report, check).is_empty(), "{check}: {:#?}", of_check(&report, check));
    }

    // The checks did run: the variations reached the server, and it refused each for its reason.
    let requests = Target::requests(&log);
    let signed_route = |r: &&Value| r["path"].as_str().is_some_and(|p| p.starts_with("/api/v1/"));
    let unsigned = requests
        .iter()
        .filter(signed_route)
        .filter(|r| log_header(r, "x-api-key").is_some() && log_header(r, "x-signature").is_none())
        .count();
    assert!(unsigned >= 4, "unsigned variations sent: {unsigned}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let stale = requests
        .iter()
        .filter(signed_route)
        .filter_map(|r| log_header(r, "x-timestamp")?.parse::<u64>().ok())
        .any(|t| t + 3000 < now);
    assert!(stale, "a stale timestamp was sent");
    let mut nonces: Vec<&str> = requests.iter().filter(signed_route).filter_map(|r| log_header(r, "x-nonce")).collect();
    let sent = nonces.len();
    nonces.sort_unstable();
    nonces.dedup();
    assert!(nonces.len() < sent, "a nonce was sent twice");
    let sent_to = |prefix: &str| requests.iter().any(|r| r["path"].as_str().is_some_and(|p| p.starts_with(prefix)));
    assert!(sent_to("/api/v0/customers/") && sent_to("/legacy/"), "unsigned twins were looked for");
    let changed_query = requests
        .iter()
        .filter(|r| {
            r["path"] == "/api/v1/statements" && r["query"].as_str().is_some_and(|q| q.starts_with("customer_id="))
        })
        .count();
    assert!(changed_query >= 2, "the query coverage probes were sent: {changed_query}");

    let rejections = target.get_json("/__test__/rejections");
    for reason in ["unsigned", "bad signature", "stale timestamp", "replayed nonce"] {
        assert!(rejections[reason].as_u64().unwrap_or(0) >= 1, "no request refused as {reason}: {rejections}");
    }

    assert_no_secrets(&report, &log);
    assert_only_reads_as_partner(&log);
}

#[test]
fn body_only_signatures_leave_path_query_and_time_unsigned() {
    let (target, log) = Target::start_logged("hmac_api");
    let report = scan_as(&target, "hmac_api.openapi.json", lakeside());

    // The signature of GET /api/v1/customers/1 (over an empty body) opens customer 2.
    let coverage = of_check(&report, "signature_partial_coverage");
    let path = coverage
        .iter()
        .find(|(_, f)| f.endpoint == "/api/v1/customers/{customer_id}")
        .unwrap_or_else(|| panic!("no path finding: {coverage:#?}"));
    assert!(path.1.title.contains("does not cover the path"), "{}", path.1.title);
    assert_eq!(path.1.confidence, Confidence::Confirmed);
    assert_eq!(path.1.severity, Severity::Critical, "customer 2's SSN and e-mail: {:#?}", path.1);
    assert!(path.1.evidence.contains("/api/v1/customers/2"), "{}", path.1.evidence);
    assert!(
        coverage.iter().any(|(_, f)| f.endpoint == "/api/v1/statements" && f.title.contains("query")),
        "{coverage:#?}"
    );

    // Nothing in the request changes over time: one finding, not a stale-timestamp one.
    let replay = of_check(&report, "signature_replay");
    assert_eq!(replay.len(), 1, "{replay:#?}");
    assert!(replay[0].1.title.contains("no timestamp or nonce"), "{}", replay[0].1.title);
    assert_eq!(replay[0].1.severity, Severity::Medium);

    assert_no_secrets(&report, &log);
    assert_only_reads_as_partner(&log);
}

#[test]
fn signature_checks_stay_silent_without_a_signing_identity() {
    let (target, log) = Target::start_logged("hmac_api");
    let mut config = ScanConfig::new(&target.url).expect("config");
    config.spec = Some(SpecSource::File(repo_root().join("tests/targets/hmac_api.openapi.json")));
    config.wordlist = false;
    config.identities.push(Identity::parse(&format!("harbor=header:X-Api-Key:{PARTNER_KEY}")).expect("identity"));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let report = runtime.block_on(leakprobe_engine::scan(config, &NoProgress)).expect("scan");
    for check in SIGNATURE_CHECKS {
        assert!(of_check(&report, check).is_empty(), "{check}: {:#?}", of_check(&report, check));
    }
    let twins =
        Target::requests(&log).iter().filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/v0/"))).count();
    assert_eq!(twins, 0, "no twin probing without a signer");
}
