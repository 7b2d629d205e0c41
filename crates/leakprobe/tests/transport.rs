//! `cors` and `encryption` end to end: the binary against Flask targets served over plain http and
//! over real TLS with certificates generated per test (`common::pki`, rcgen): self-signed, or a test
//! CA and a leaf it signed, trusted with `--ca-cert`.
mod common;

use std::time::Duration;

use common::{assert_valid_report, findings, pki, scan, ScanOutput, Target};
use serde_json::Value;

/// The cookie `shop_api.py` maps to its logged-in demo customer.
const SHOP_SESSION: &str = "Cookie: sid=s3ss-7f1c2a9e4b";
/// The bound for a full scan with default settings.
const SCAN_BUDGET: Duration = Duration::from_secs(5);

// ---- report helpers -------------------------------------------------------------------------

fn scan_ok(url: &str, args: &[&str]) -> ScanOutput {
    let out = scan(url, args);
    assert_eq!(out.code, 0, "scan of {url} failed: {}", out.stderr);
    assert_valid_report(&out.report);
    assert!(out.elapsed < SCAN_BUDGET, "scan of {url} took {:?}", out.elapsed);
    out
}

/// Findings of `check` as `(category, finding)`.
fn of_check(report: &Value, check: &str) -> Vec<(String, Value)> {
    findings(report).into_iter().filter(|(_, f)| f["check"] == check).collect()
}

/// The one finding of `check` on `endpoint`, asserted to be in `category`.
fn finding_at(report: &Value, category: &str, check: &str, endpoint: &str) -> Value {
    let all = of_check(report, check);
    let (cat, f) = all
        .iter()
        .find(|(_, f)| f["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("no {check} on {endpoint}; {check} findings: {all:#?}"));
    assert_eq!(cat, category, "{check} belongs to {category}");
    f.clone()
}

fn severity(f: &Value) -> &str {
    f["severity"].as_str().unwrap_or_default()
}

/// Findings of medium or higher severity, as `check endpoint: title` lines.
fn medium_or_higher(report: &Value) -> Vec<String> {
    findings(report)
        .into_iter()
        .filter(|(_, f)| matches!(severity(f), "medium" | "high" | "critical"))
        .map(|(_, f)| format!("{} {} [{}]: {}", f["check"], f["endpoint"], f["severity"], f["title"]))
        .collect()
}

fn check_ids(report: &Value, category: &str) -> Vec<String> {
    report["categories"][category]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| format!("{} {} [{}]", f["check"], f["endpoint"], f["severity"]))
        .collect()
}

// ---- cors ---------------------------------------------------------------------------------

#[test]
fn cors_reflection_with_credentials_on_personal_data_is_high() {
    let target = Target::start("cors_leaky");
    let out = scan_ok(&target.url, &["--header", SHOP_SESSION]);
    let report = &out.report;

    // flask-cors with supports_credentials=True and no origins echoes any origin with credentials.
    let account = finding_at(report, "cors", "cors_origin_reflection", "/api/account");
    assert_eq!(severity(&account), "high", "{account:#}");
    assert_eq!(account["method"], "GET");
    assert_eq!(account["cwe"], serde_json::json!([942]));
    assert!(account["pii_types"].as_array().expect("pii").iter().any(|t| t == "email"), "{account:#}");
    let evidence = account["evidence"].as_str().expect("evidence");
    assert!(
        evidence.contains("Origin: https://leakprobe-") && evidence.contains("Access-Control-Allow-Credentials: true"),
        "{evidence}"
    );
    assert!(!account["remediation"].as_str().unwrap_or_default().is_empty());

    // The same policy on an endpoint without personal data: credentials but nothing to steal seen.
    let orders = finding_at(report, "cors", "cors_origin_reflection", "/api/orders");
    assert_eq!(severity(&orders), "medium", "{orders:#}");

    // flask-cors echoes `null` as well.
    let null = finding_at(report, "cors", "cors_null_origin", "/api/account");
    assert_eq!(severity(&null), "high", "{null:#}");
    assert_eq!(null["cwe"], serde_json::json!([942, 346]));

    // The partner hook's `hostname.endswith(domain)` refuses a foreign origin but takes `leakprobe…127.0.0.1`.
    let partner = finding_at(report, "cors", "cors_origin_bypass", "/partner/v1/contacts");
    assert_eq!(severity(&partner), "high", "{partner:#}");
    assert!(partner["title"].as_str().unwrap_or_default().contains("ends with `127.0.0.1`"), "{partner:#}");
    assert!(of_check(report, "cors_origin_reflection").iter().all(|(_, f)| f["endpoint"] != "/partner/v1/contacts"));
    // Where everything is reflected anyway, tricks are not reported twice.
    assert!(of_check(report, "cors_origin_bypass").iter().all(|(_, f)| f["endpoint"] != "/api/account"));

    // A wildcard on the public store list is info: it is what public data is for.
    let stores = finding_at(report, "cors", "cors_wildcard_origin", "/public/v1/stores");
    assert_eq!(severity(&stores), "info", "{stores:#}");

    assert_eq!(report["categories"]["cors"]["severity"], "high");
}

#[test]
fn cors_strict_twin_has_no_cors_finding_above_info() {
    let (target, log) = Target::start_logged("cors_strict");

    // Logged in, so the account and partner endpoints answer with personal data to every probe.
    let logged_in = scan_ok(&target.url, &["--header", SHOP_SESSION]);
    let inventory: Vec<&str> = logged_in.report["inventory"]
        .as_array()
        .expect("inventory")
        .iter()
        .filter_map(|e| e["endpoint"].as_str())
        .collect();
    for endpoint in ["/api/account", "/api/orders", "/partner/v1/contacts", "/public/v1/stores"] {
        assert!(inventory.contains(&endpoint), "{endpoint} was not discovered: {inventory:?}");
    }
    let cors = check_ids(&logged_in.report, "cors");
    assert!(
        findings(&logged_in.report).iter().filter(|(c, _)| c == "cors").all(|(_, f)| severity(f) == "info"),
        "exact origin lists must not be reported: {cors:?}"
    );
    for check in ["cors_origin_reflection", "cors_null_origin", "cors_origin_bypass"] {
        assert!(of_check(&logged_in.report, check).is_empty(), "{check} on the strict twin: {cors:?}");
    }
    // Not clean by omission: the crafted origins did reach the personal-data endpoint, within bounds.
    let probes: Vec<(String, String)> = Target::requests(&log)
        .iter()
        .filter_map(|r| Some((r["path"].as_str()?.to_string(), r["headers"]["origin"].as_str()?.to_string())))
        .collect();
    let to_account: Vec<&str> = probes.iter().filter(|(p, _)| p == "/api/account").map(|(_, o)| o.as_str()).collect();
    assert!(to_account.contains(&"null"), "{to_account:?}");
    assert!(to_account.iter().any(|o| o.starts_with("https://leakprobe-") && o.ends_with(".com")), "{to_account:?}");
    assert!(to_account.iter().any(|o| o.starts_with("https://127.0.0.1.leakprobe-")), "look-alike: {to_account:?}");
    assert!(
        to_account.iter().any(|o| o.starts_with("https://leakprobe") && o.ends_with("127.0.0.1")),
        "suffix: {to_account:?}"
    );
    assert!(probes.len() <= 30, "origin probes are bounded: {} sent", probes.len());

    // The wildcard it keeps on public data is seen, and is info.
    assert_eq!(severity(&finding_at(&logged_in.report, "cors", "cors_wildcard_origin", "/public/v1/stores")), "info");

    // Anonymous, with default settings, the hardened twin has nothing of medium or higher.
    let anonymous = scan_ok(&target.url, &[]);
    let serious = medium_or_higher(&anonymous.report);
    assert!(serious.is_empty(), "hardened twin: {serious:#?}");
}

// ---- encryption over TLS --------------------------------------------------------------------

#[test]
fn hardened_tls_api_trusted_with_ca_cert_is_clean() {
    let (ca, cert, key) = pki::ca_and_leaf(&pki::dir("hardened"), 365);
    let target = Target::start_tls("tls_api", &cert, &key, &[]);
    let out = scan_ok(&target.url, &["--ca-cert", ca.to_str().expect("utf8")]);
    let report = &out.report;

    let tls = &report["tls"];
    assert_eq!(tls["certificate_error"], Value::Null, "the test CA was passed with --ca-cert: {tls:#}");
    assert!(matches!(tls["protocol"].as_str(), Some("TLSv1_3" | "TLSv1_2")), "{tls:#}");
    assert_eq!(tls["legacy_protocols"], serde_json::json!([]), "Python's default context refuses TLS 1.0/1.1");
    assert_eq!(tls["self_signed"], false);
    let days = tls["expires_in_days"].as_i64().expect("expiry parsed");
    assert!((363..=365).contains(&days), "{days}");

    // The cart endpoint set its session cookie with every flag; HSTS is two years with subdomains.
    assert!(out.report["inventory"].as_array().expect("inventory").iter().any(|e| e["endpoint"] == "/api/cart"));
    let encryption = check_ids(report, "encryption");
    assert!(encryption.is_empty(), "hardened TLS API: {encryption:?}");
    let serious = medium_or_higher(report);
    assert!(serious.is_empty(), "hardened twin: {serious:#?}");
}

#[test]
fn self_signed_certificate_stops_the_scan_unless_insecure_and_is_then_reported() {
    let target = Target::start_tls_self_signed("tls_api", &[]);

    let refused = scan(&target.url, &[]);
    assert_ne!(refused.code, 0, "an untrusted certificate must not be scanned silently");
    assert!(refused.stderr.to_lowercase().contains("certificate"), "say why: {}", refused.stderr);

    let out = scan_ok(&target.url, &["--insecure"]);
    let cert = finding_at(&out.report, "encryption", "tls_certificate", "*");
    assert_eq!(severity(&cert), "high", "{cert:#}");
    assert!(cert["title"].as_str().unwrap_or_default().contains("self-signed"), "{cert:#}");
    assert_eq!(cert["cwe"], serde_json::json!([295]));
    assert_eq!(out.report["tls"]["self_signed"], true);
    assert!(out.report["tls"]["certificate_error"].is_string());
    // Everything else about this API is in order.
    let encryption = check_ids(&out.report, "encryption");
    assert_eq!(encryption.len(), 1, "{encryption:?}");
}

#[test]
fn weak_tls_target_reports_legacy_protocols_expiry_hsts_cookies_and_http_origin() {
    let (ca, cert, key) = pki::ca_and_leaf(&pki::dir("weak"), 10);
    let target = Target::start_tls("tls_weak", &cert, &key, &[("TARGET_TLS_MIN", "1.0")]);
    let out = scan_ok(&target.url, &["--ca-cert", ca.to_str().expect("utf8")]);
    let report = &out.report;
    let encryption = check_ids(report, "encryption");

    // The hand-written ClientHellos found TLS 1.0 and 1.1 still accepted.
    assert_eq!(report["tls"]["legacy_protocols"], serde_json::json!(["TLSv1_0", "TLSv1_1"]), "{:#}", report["tls"]);
    let legacy = finding_at(report, "encryption", "legacy_tls_protocol", "*");
    assert_eq!(severity(&legacy), "medium");
    assert_eq!(legacy["title"], "Server accepts TLS 1.0 and TLS 1.1");

    let expiring = finding_at(report, "encryption", "tls_certificate", "*");
    assert_eq!(severity(&expiring), "medium", "{expiring:#}");
    assert!(expiring["title"].as_str().unwrap_or_default().contains("expires in"), "{expiring:#}");

    let hsts = finding_at(report, "encryption", "hsts_missing_or_weak", "*");
    assert_eq!(severity(&hsts), "medium");
    assert!(hsts["title"].as_str().unwrap_or_default().contains("No Strict-Transport-Security"), "{hsts:#}");

    // Session cookie without Secure and HttpOnly (over https, so the full medium), remember_token without anything.
    let cookies = of_check(report, "insecure_cookie");
    let session = cookies.iter().find(|(_, f)| f["title"].as_str().unwrap_or_default().contains("`session`"));
    let (_, session) = session.unwrap_or_else(|| panic!("no session cookie finding: {encryption:?}"));
    assert_eq!(severity(session), "medium");
    for flag in ["Secure", "HttpOnly", "SameSite"] {
        assert!(session["title"].as_str().unwrap_or_default().contains(flag), "{session:#}");
    }
    // The value is a signed session: masked like any token (only a few characters survive).
    let evidence = session["evidence"].as_str().unwrap_or_default();
    assert!(
        evidence.starts_with("Set-Cookie: session=") && evidence.contains("****"),
        "cookie value redacted: {evidence}"
    );
    assert!(
        cookies.iter().any(|(_, f)| f["title"].as_str().unwrap_or_default().contains("`remember_token`")),
        "{encryption:?}"
    );

    // The CORS hook compares host names only, so the plain-http origin of the same host is trusted.
    let downgrade = of_check(report, "cors_origin_bypass");
    assert!(
        downgrade.iter().any(|(c, f)| c == "cors"
            && severity(f) == "medium"
            && f["evidence"].as_str().unwrap_or_default().contains("Origin: http://127.0.0.1:")),
        "{downgrade:#?}"
    );

    // Basic auth over https and an https target are not cleartext findings.
    assert!(of_check(report, "basic_auth_cleartext").is_empty(), "{encryption:?}");
    assert!(of_check(report, "cleartext_http").is_empty(), "{encryption:?}");
}

#[test]
fn weak_app_over_plain_http_on_loopback_reports_basic_auth_high_and_cleartext_info() {
    let target = Target::start("tls_weak");
    let out = scan_ok(&target.url, &[]);
    let report = &out.report;

    let basic = finding_at(report, "encryption", "basic_auth_cleartext", "/admin/reports");
    assert_eq!(severity(&basic), "high", "{basic:#}");
    assert!(
        basic["evidence"].as_str().unwrap_or_default().contains("WWW-Authenticate: Basic realm=\"Reports\""),
        "{basic:#}"
    );
    assert_eq!(basic["cwe"], serde_json::json!([523, 319]));

    // A loopback http target is a local scan: info, with the production reminder.
    let cleartext = finding_at(report, "encryption", "cleartext_http", "*");
    assert_eq!(severity(&cleartext), "info", "{cleartext:#}");
    assert!(cleartext["title"].as_str().unwrap_or_default().contains("make sure production is served over HTTPS"));

    // Missing Secure is expected on a local http server, missing HttpOnly is not.
    let cookies = of_check(report, "insecure_cookie");
    let (_, session) = cookies
        .iter()
        .find(|(_, f)| f["title"].as_str().unwrap_or_default().contains("`session`"))
        .unwrap_or_else(|| panic!("{cookies:#?}"));
    assert_eq!(severity(session), "medium", "HttpOnly is off: {session:#}");

    // No TLS facts and no https-only checks on an http target.
    assert!(report.get("tls").is_none_or(Value::is_null));
    for check in ["hsts_missing_or_weak", "tls_certificate", "legacy_tls_protocol"] {
        assert!(of_check(report, check).is_empty(), "{check} on plain http");
    }
}
