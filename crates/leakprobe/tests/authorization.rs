//! Authorization checks (issue 6: bola, bfla, property_authorization) against real Flask targets:
//! a members API with users and an admin role, its hardened twin, a DynamoDB-backed profile service
//! (boto3 on moto's in-process mock) and its hardened twin, and a public catalog that looks like a
//! BOLA candidate and is not one.
//!
//! The scans run the engine in-process with identities (the CLI flags for them land separately):
//! real scans over real HTTP on 127.0.0.1, with default settings.
mod common;

use std::time::Instant;

use common::{assert_valid_report, findings, Target};
use leakprobe_engine::identity::Identity;
use leakprobe_engine::report::Report;
use leakprobe_engine::{NoProgress, ScanConfig};
use leakprobe_render::Format;
use serde_json::Value;

const ALICE: &str = "alice-token-7Hq2xR9kLm4pW3";
const BOB: &str = "bob-token-Vn3s8Jd2QwZ6tY";
const CAROL: &str = "carol-token-Pz5t1Yc8Rb0eKu";
const PRIYA_KEY: &str = "pk_live_priya_4TgY8hQ2mZ6rW1vN";
const JONAS_KEY: &str = "pk_live_jonas_9KdP3sX7bV2nQ5wE";

const OWN_CATEGORIES: [&str; 3] = ["bola", "bfla", "property_authorization"];

fn identity(spec: &str, role: &str) -> Identity {
    let mut identity = Identity::parse(spec).expect("identity spec");
    identity.role = Some(role.to_string());
    identity
}

fn members(who: &[&str]) -> Vec<Identity> {
    who.iter()
        .map(|name| match *name {
            "alice" => identity(&format!("alice=bearer:{ALICE}"), "user"),
            "bob" => identity(&format!("bob=bearer:{BOB}"), "user"),
            "carol" => identity(&format!("carol=bearer:{CAROL}"), "admin"),
            other => panic!("no such member {other}"),
        })
        .collect()
}

struct Scan {
    report: Value,
}

/// One scan with default settings, in-process; every output format rendered; the report checked
/// against the schema, every output checked for the identities' secrets, timing printed.
fn scan_as(label: &str, url: &str, identities: Vec<Identity>, active: bool) -> Scan {
    let mut config = ScanConfig::new(url).expect("target url");
    let secrets: Vec<String> = identities.iter().flat_map(Identity::secrets).collect();
    config.identities = identities;
    config.active = active;
    let started = Instant::now();
    let report: Report = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(leakprobe_engine::scan(config, &NoProgress))
        .expect("scan");
    let elapsed = started.elapsed();
    let json = serde_json::to_value(&report).expect("report json");
    assert_valid_report(&json);
    let outputs: Vec<String> =
        [Format::Json, Format::Terminal, Format::Sarif, Format::Junit, Format::Markdown, Format::Html]
            .into_iter()
            .map(|f| leakprobe_render::render(&report, f))
            .chain(std::iter::once(json.to_string()))
            .collect();
    for secret in &secrets {
        for output in &outputs {
            assert!(!output.contains(secret.as_str()), "{label}: a credential appears in an output");
        }
    }
    eprintln!(
        "SCAN {label}: {} ms, {} requests (wall {} ms)",
        report.duration_ms,
        report.requests,
        elapsed.as_millis()
    );
    eprintln!("{}", summary(&findings(&json)));
    assert!(report.requests < 1_000, "{label}: {} requests", report.requests);
    Scan { report: json }
}

fn find<'a>(all: &'a [(String, Value)], check: &str, endpoint: &str) -> Option<&'a Value> {
    all.iter().map(|(_, f)| f).find(|f| f["check"] == check && f["endpoint"] == endpoint)
}

fn expect<'a>(all: &'a [(String, Value)], check: &str, endpoint: &str) -> &'a Value {
    find(all, check, endpoint).unwrap_or_else(|| panic!("no {check} on {endpoint}; findings: {}", summary(all)))
}

fn summary(all: &[(String, Value)]) -> String {
    all.iter()
        .map(|(c, f)| {
            let mut line = format!(
                "\n  {c}/{} {} {} [{} {}] {}",
                f["check"], f["method"], f["endpoint"], f["severity"], f["confidence"], f["title"]
            );
            if OWN_CATEGORIES.contains(&c.as_str()) {
                line.push_str(&format!("\n      {}", f["evidence"].as_str().unwrap_or("")));
            }
            line
        })
        .collect()
}

use common::pii;

/// No finding of medium or higher severity in the authorization categories.
fn assert_clean(label: &str, all: &[(String, Value)]) {
    let loud: Vec<&(String, Value)> = all
        .iter()
        .filter(|(c, f)| {
            // Hardened twins must be clean in every category; look-alikes in ours.
            (label.contains("hardened") || OWN_CATEGORIES.contains(&c.as_str()))
                && matches!(f["severity"].as_str(), Some("medium" | "high" | "critical"))
        })
        .collect();
    assert!(loud.is_empty(), "{label} must stay clean: {}", summary(&loud.into_iter().cloned().collect::<Vec<_>>()));
}

#[test]
fn members_api_two_identities_read_only() {
    let (target, log) = Target::start_logged("roles_api");
    let scan = scan_as("roles_api (alice, bob, carol)", &target.url, members(&["alice", "bob", "carol"]), false);
    let all = findings(&scan.report);

    // BOLA, proven by bodies: bob (or alice) gets another member's profile.
    let bola = expect(&all, "bola_cross_identity", "/api/users/{user_id}");
    assert_eq!(bola["confidence"], "confirmed", "{bola}");
    assert_eq!(bola["severity"], "critical", "{bola}");
    assert!(pii(bola).contains(&"email") && pii(bola).contains(&"ssn"), "{bola}");
    assert!(find(&all, "bola_id_enumeration", "/api/users/{user_id}").is_none(), "two identities: no guessing");

    // BFLA: the admin list and export answer any member, the stats anybody.
    for endpoint in ["/api/admin/users", "/api/admin/export"] {
        let f = expect(&all, "admin_function_exposed", endpoint);
        assert_eq!(f["confidence"], "confirmed", "{f}");
        assert_eq!(f["severity"], "critical", "{f}");
        assert!(f["title"].as_str().unwrap_or("").contains("low-privilege"), "{f}");
        assert!(pii(f).contains(&"ssn"), "{f}");
    }
    let stats = expect(&all, "admin_function_exposed", "/api/admin/stats");
    assert!(stats["title"].as_str().unwrap_or("").contains("without credentials"), "{stats}");
    assert_eq!(stats["confidence"], "confirmed", "{stats}");
    // The gateway's GET-only rule on the audit log: HEAD walks past it.
    let head = expect(&all, "method_tampering", "/api/admin/audit");
    assert_eq!(head["method"], "HEAD");
    assert_eq!(head["confidence"], "confirmed", "{head}");
    assert!(find(&all, "admin_function_exposed", "/api/admin/audit").is_none(), "GET on the audit log is refused");
    // /internal/metrics (found in robots.txt): the gateway wants any token for GET, none for HEAD.
    let metrics = expect(&all, "method_tampering", "/internal/metrics");
    assert!(metrics["evidence"].as_str().unwrap_or("").contains("without credentials → 401; HEAD → 200"), "{metrics}");
    let internal = expect(&all, "admin_function_exposed", "/internal/metrics");
    assert!(internal["evidence"].as_str().unwrap_or("").contains("path segment `internal`"), "{internal}");

    // Properties: the hashed password the spec marks writeOnly, the undeclared SSN.
    let write_only = expect(&all, "write_only_property_returned", "/api/profile");
    assert!(write_only["evidence"].as_str().unwrap_or("").contains("password"), "{write_only}");
    let undeclared = expect(&all, "undeclared_response_property", "/api/profile");
    assert_eq!(undeclared["severity"], "medium", "{undeclared}");
    assert!(undeclared["title"].as_str().unwrap_or("").contains("ssn"), "{undeclared}");
    let sensitive = expect(&all, "sensitive_property_exposure", "/api/profile");
    assert!(pii(sensitive).contains(&"ssn") && pii(sensitive).contains(&"password_hash"), "{sensitive}");
    assert!(!sensitive["evidence"].as_str().unwrap_or("").contains("524-71-3386"), "evidence is redacted");
    // The same serialiser behind a public endpoint: found without any identity.
    expect(&all, "write_only_property_returned", "/api/members/featured");
    expect(&all, "sensitive_property_exposure", "/api/members/featured");

    // Nothing that needs --active ran.
    assert!(all.iter().all(|(_, f)| f["check"] != "mass_assignment"), "mass assignment without --active");
    assert!(all.iter().all(|(_, f)| f["method"] != "DELETE"), "no tunnelled DELETE without --active");

    // The target saw nothing that could change state: reads, and bodies no parser accepts.
    let requests = Target::requests(&log);
    assert!(!requests.is_empty());
    for r in &requests {
        let method = r["method"].as_str().unwrap_or("");
        let body = r["body"].as_str().unwrap_or("");
        let headers = r["headers"].as_object().expect("headers");
        assert!(
            !headers.keys().any(|h| h.contains("method-override") || h == "x-http-method"),
            "method override sent without --active: {r}"
        );
        match method {
            "GET" | "HEAD" | "OPTIONS" => {}
            "PUT" | "PATCH" | "DELETE" => panic!("{method} sent without --active: {r}"),
            _ => {
                assert!(
                    serde_json::from_str::<Value>(body).is_err(),
                    "well-formed {method} body without --active: {r}"
                );
                let content_type = headers.get("content-type").and_then(Value::as_str).unwrap_or("");
                assert!(body.is_empty() || !content_type.contains("form"), "form body without --active: {r}");
            }
        }
        for field in ["is_admin", "balance"] {
            assert!(!body.contains(field), "mass-assignment field sent without --active: {r}");
        }
    }
    let state = target.get_json("/__test__/state");
    assert_eq!(state["bob"]["role"], "user");
    assert_eq!(state["alice"]["is_admin"], false);
    assert_eq!(state.as_object().map(|o| o.len()), Some(4), "nobody deleted");
}

#[test]
fn members_api_active_finds_mass_assignment_and_method_override() {
    let target = Target::start("roles_api");
    let scan = scan_as("roles_api --active", &target.url, members(&["alice", "bob", "carol"]), true);
    let all = findings(&scan.report);

    let mass = expect(&all, "mass_assignment", "/api/profile");
    assert_eq!(mass["method"], "PATCH");
    assert_eq!(mass["confidence"], "confirmed", "{mass}");
    assert_eq!(mass["severity"], "critical", "{mass}");
    let evidence = mass["evidence"].as_str().unwrap_or("");
    assert!(evidence.contains("is_admin") && evidence.contains("role") && evidence.contains("balance"), "{mass}");

    // POST + X-HTTP-Method-Override: DELETE passes the gateway's DELETE rule; sent to an id that
    // does not exist, so nobody was deleted.
    let tunnel = expect(&all, "method_tampering", "/api/admin/users/{user_id}");
    assert_eq!(tunnel["method"], "DELETE", "{tunnel}");
    assert!(tunnel["evidence"].as_str().unwrap_or("").contains("X-HTTP-Method-Override"), "{tunnel}");

    // The scan put back what it changed.
    let state = target.get_json("/__test__/state");
    assert_eq!(state.as_object().map(|o| o.len()), Some(4), "nobody deleted: {state}");
    assert_eq!(state["bob"]["role"], "user", "{state}");
    assert_eq!(state["bob"]["is_admin"], false, "{state}");
    assert_eq!(state["bob"]["balance"], 8.0, "{state}");
}

#[test]
fn members_api_one_identity_reports_likely_not_confirmed() {
    let target = Target::start("roles_api");
    let scan = scan_as("roles_api (alice only)", &target.url, members(&["alice"]), false);
    let all = findings(&scan.report);
    let likely = expect(&all, "bola_id_enumeration", "/api/users/{user_id}");
    assert_eq!(likely["confidence"], "medium", "likely, not confirmed: {likely}");
    assert_eq!(likely["severity"], "high", "{likely}");
    assert!(likely["evidence"].as_str().unwrap_or("").contains("likely"), "{likely}");
    assert!(all.iter().all(|(c, f)| c != "bola" || f["confidence"] != "confirmed"), "{}", summary(&all));
}

#[test]
fn members_api_hardened_twin_stays_clean() {
    let target = Target::start("roles_hardened");
    let scan = scan_as("roles_hardened --active", &target.url, members(&["alice", "bob", "carol"]), true);
    let all = findings(&scan.report);
    assert_clean("roles_hardened", &all);
    let state = target.get_json("/__test__/state");
    assert_eq!(state["bob"]["role"], "user");
    assert_eq!(state.as_object().map(|o| o.len()), Some(4));
}

fn profile_keys() -> Vec<Identity> {
    vec![
        identity(&format!("priya=header:X-Api-Key:{PRIYA_KEY}"), "user"),
        identity(&format!("jonas=header:X-Api-Key:{JONAS_KEY}"), "user"),
    ]
}

#[test]
fn dynamo_profiles_serve_whole_items_to_any_key() {
    let target = Target::start("dynamo_profiles");
    let scan = scan_as("dynamo_profiles (priya, jonas)", &target.url, profile_keys(), false);
    let all = findings(&scan.report);

    let bola = expect(&all, "bola_cross_identity", "/profiles/{id}");
    assert_eq!(bola["confidence"], "confirmed", "{bola}");
    assert_eq!(bola["severity"], "critical", "{bola}");
    assert!(pii(bola).contains(&"ssn") && pii(bola).contains(&"email"), "{bola}");

    let item = all
        .iter()
        .map(|(_, f)| f)
        .find(|f| {
            f["check"] == "sensitive_property_exposure"
                && f["endpoint"] == "/profiles/{id}"
                && f["title"].as_str().unwrap_or("").contains("storage record")
        })
        .unwrap_or_else(|| panic!("whole DynamoDB item not reported: {}", summary(&all)));
    assert!(item["evidence"].as_str().unwrap_or("").contains("PK"), "{item}");
    assert_eq!(item["severity"], "medium", "{item}");
    let sensitive = all
        .iter()
        .map(|(_, f)| f)
        .find(|f| {
            f["check"] == "sensitive_property_exposure" && f["endpoint"] == "/profiles/{id}" && f["severity"] == "high"
        })
        .unwrap_or_else(|| panic!("sensitive properties not reported: {}", summary(&all)));
    let names = sensitive["title"].as_str().unwrap_or("");
    assert!(names.contains("ssn") && names.contains("password_hash") && names.contains("mfa_secret"), "{sensitive}");
    assert!(find(&all, "sensitive_property_exposure", "/me").is_none(), "/me returns a projection");
}

#[test]
fn dynamo_profiles_hardened_twin_stays_clean() {
    let target = Target::start_env("dynamo_profiles", &[("DYNAMO_PROFILES_HARDENED", "1")]);
    let scan = scan_as("dynamo_profiles hardened", &target.url, profile_keys(), false);
    assert_clean("dynamo_profiles hardened", &findings(&scan.report));
}

#[test]
fn public_catalog_is_not_bola() {
    let target = Target::start("public_catalog");
    let runs = [
        ("public_catalog (alice, bob)", members(&["alice", "bob"])),
        ("public_catalog (alice only)", members(&["alice"])),
        ("public_catalog (anonymous)", Vec::new()),
    ];
    for (label, identities) in runs {
        let scan = scan_as(label, &target.url, identities, false);
        let all = findings(&scan.report);
        assert!(
            all.iter().all(|(c, _)| c != "bola"),
            "{label}: 200 with the same public body for every id is not BOLA: {}",
            summary(&all)
        );
        assert_clean(label, &all);
    }
}
