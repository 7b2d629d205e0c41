//! Discovery that finds what a browser and a reader would: POST-only form actions, endpoints named
//! only by JavaScript or by documentation text, and guesses (a `/debug/…` path, a `v0` sibling of
//! `v1`), each found by a default scan of a real target, its leak reported, its clean twin quiet,
//! and only safe requests sent.
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, pii, scan, timing_line, Target};
use serde_json::Value;

struct Scanned {
    report: Value,
    requests: Vec<Value>,
}

/// A default scan of `module` (with `env`), its request log checked for safety.
fn scan_target(module: &str, env: &[(&str, &str)]) -> Scanned {
    let log = std::env::temp_dir().join(format!("leakprobe-disc-{module}-{}-{}.jsonl", std::process::id(), env.len()));
    let _ = std::fs::remove_file(&log);
    let mut all = vec![("TARGET_REQUEST_LOG", log.to_str().expect("utf8 path"))];
    all.extend_from_slice(env);
    let target = Target::start_env(module, &all);
    let out = scan(&target.url, &[]);
    assert!(out.report.is_object(), "{module}: no report; stderr: {}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line(module, &out.report));
    let requests = Target::requests(&log);
    assert_only_safe_requests(&requests);
    Scanned { report: out.report, requests }
}

/// `(methods, sources)` of an inventory entry, panicking with the inventory when it is missing.
fn entry(report: &Value, endpoint: &str) -> (Vec<String>, Vec<String>) {
    let inventory = report["inventory"].as_array().expect("inventory");
    let e = inventory
        .iter()
        .find(|e| e["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("{endpoint} not discovered: {inventory:#?}"));
    let strings =
        |v: &Value| v.as_array().expect("array").iter().filter_map(|s| s.as_str().map(str::to_string)).collect();
    (strings(&e["methods"]), strings(&e["sources"]))
}

fn endpoints(report: &Value) -> Vec<String> {
    report["inventory"]
        .as_array()
        .expect("inventory")
        .iter()
        .filter_map(|e| e["endpoint"].as_str().map(str::to_string))
        .collect()
}

/// The data-exposure finding on `endpoint`, panicking with every finding when it is missing.
fn leak_on<'a>(found: &'a [(String, Value)], endpoint: &str) -> &'a Value {
    found
        .iter()
        .find(|(cat, f)| cat == "data_exposure" && f["check"] == "pii_in_response" && f["endpoint"] == endpoint)
        .map(|(_, f)| f)
        .unwrap_or_else(|| panic!("no pii_in_response on {endpoint}: {found:#?}"))
}

fn assert_quiet(module: &str, report: &Value) {
    let serious: Vec<_> = findings(report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .collect();
    assert!(serious.is_empty(), "clean twin {module} has medium+ findings: {serious:#?}");
}

#[test]
fn post_only_form_action_is_found_with_its_leak() {
    let leaky = scan_target("portal_forms", &[]);
    let (methods, sources) = entry(&leaky.report, "/orders/lookup");
    assert_eq!(methods, vec!["POST"], "a 405 on GET keeps the path with its Allow methods");
    assert!(sources.contains(&"form".to_string()), "{sources:?}");
    let (methods, _) = entry(&leaky.report, "/newsletter");
    assert_eq!(methods, vec!["POST"]);
    let found = findings(&leaky.report);
    let leak = leak_on(&found, "/orders/lookup");
    assert_eq!(leak["method"], "POST");
    assert!(matches!(leak["severity"].as_str(), Some("medium" | "high" | "critical")), "{leak}");
    assert!(pii(leak).contains(&"phone") && pii(leak).contains(&"email"), "{leak}");
    // The form's action was confirmed with a GET (answered 405), never submitted well-formed.
    assert!(leaky.requests.iter().any(|r| r["method"] == "GET" && r["path"] == "/orders/lookup"));

    let clean = scan_target("portal_forms", &[("PORTAL_STRICT_LOOKUP", "1")]);
    assert_eq!(entry(&clean.report, "/orders/lookup").0, vec!["POST"]);
    assert_quiet("portal_forms (strict lookup)", &clean.report);
}

#[test]
fn endpoints_named_only_in_documentation_text_are_scanned() {
    let leaky = scan_target("docs_only_api", &[]);
    let (methods, sources) = entry(&leaky.report, "/api/v2/members/{member_id}");
    assert_eq!((methods, sources), (vec!["GET".to_string()], vec!["docs".to_string()]));
    let (methods, sources) = entry(&leaky.report, "/api/v2/redemptions");
    assert_eq!((methods, sources), (vec!["POST".to_string()], vec!["docs".to_string()]));
    let found = findings(&leaky.report);
    let leak = leak_on(&found, "/api/v2/members/{member_id}");
    assert_eq!(leak["severity"], "critical");
    assert!(pii(leak).contains(&"ssn"), "{leak}");
    assert!(leaky.requests.iter().any(|r| r["path"] == "/api/v2/members/1"), "the documented template was requested");

    let clean = scan_target("docs_only_api", &[("LOYALTY_PUBLIC_FIELDS", "1")]);
    entry(&clean.report, "/api/v2/members/{member_id}");
    assert_quiet("docs_only_api (public fields)", &clean.report);
}

#[test]
fn endpoints_referenced_only_from_javascript_are_scanned_and_vendored_bundles_ignored() {
    let leaky = scan_target("dashboard_js", &[]);
    let (methods, sources) = entry(&leaky.report, "/api/accounts/{accountId}/transactions");
    assert_eq!((methods, sources), (vec!["GET".to_string()], vec!["script".to_string()]));
    assert_eq!(entry(&leaky.report, "/api/transfers").0, vec!["POST"], "fetch(url, {{method: 'POST'}})");
    entry(&leaky.report, "/api/payees/{id}");
    let found = findings(&leaky.report);
    let leak = leak_on(&found, "/api/accounts/{accountId}/transactions");
    assert_eq!(leak["severity"], "critical");
    assert!(pii(leak).contains(&"credit_card"), "{leak}");
    // The vendored jQuery build names paths too; they are neither endpoints nor requested.
    assert!(!endpoints(&leaky.report).iter().any(|e| e.contains("jq-")), "{:?}", endpoints(&leaky.report));
    let from_vendor: Vec<_> =
        leaky.requests.iter().filter(|r| r["path"].as_str().unwrap_or("").contains("jq-")).collect();
    assert!(from_vendor.is_empty(), "paths from a vendored bundle were requested: {from_vendor:?}");
    // The script also calls a state-changing GET; discovery never sends it.
    assert!(!leaky.requests.iter().any(|r| r["path"] == "/api/session/logout"), "discovery called /api/session/logout");

    let clean = scan_target("dashboard_js", &[("DASHBOARD_MASK_CARDS", "1")]);
    entry(&clean.report, "/api/accounts/{accountId}/transactions");
    assert_quiet("dashboard_js (masked cards)", &clean.report);
}

#[test]
fn nested_debug_path_is_found_by_guessing() {
    let leaky = scan_target("ops_debug", &[]);
    let (_, sources) = entry(&leaky.report, "/debug/vars");
    assert_eq!(sources, vec!["guess"]);
    let found = findings(&leaky.report);
    let leak = leak_on(&found, "/debug/vars");
    assert!(matches!(leak["severity"].as_str(), Some("high" | "critical")), "{leak}");
    // Guessing is bounded.
    let guessed = leaky.requests.len();
    assert!(guessed < 400, "{guessed} requests");

    let clean = scan_target("ops_debug", &[("OPS_DEBUG_ROUTES", "0")]);
    assert!(!endpoints(&clean.report).contains(&"/debug/vars".to_string()));
    assert_quiet("ops_debug (debug routes off)", &clean.report);
}

#[test]
fn unlinked_v0_sibling_of_v1_is_found() {
    let leaky = scan_target("versioned_api", &[]);
    entry(&leaky.report, "/api/v1/users/{id}");
    let (_, sources) = entry(&leaky.report, "/api/v0/users/{id}");
    assert_eq!(sources, vec!["guess"]);
    let found = findings(&leaky.report);
    let leak = leak_on(&found, "/api/v0/users/{id}");
    assert_eq!(leak["severity"], "critical");
    assert!(pii(leak).contains(&"ssn"), "{leak}");

    let clean = scan_target("versioned_api", &[("MEMBERS_RETIRE_V0", "1")]);
    assert!(!endpoints(&clean.report).iter().any(|e| e.starts_with("/api/v0")), "{:?}", endpoints(&clean.report));
    assert_quiet("versioned_api (v0 retired)", &clean.report);
}

#[test]
fn search_next_to_an_id_route_stays_its_own_endpoint() {
    let leaky = scan_target("catalog_search", &[]);
    let (_, sources) = entry(&leaky.report, "/api/items/search");
    assert!(sources.contains(&"form".to_string()), "{sources:?}");
    entry(&leaky.report, "/api/items/{id}");
    let found = findings(&leaky.report);
    let leak = leak_on(&found, "/api/items/search");
    assert!(matches!(leak["severity"].as_str(), Some("medium" | "high" | "critical")), "{leak}");
    assert!(
        !found.iter().any(|(cat, f)| cat == "data_exposure" && f["endpoint"] == "/api/items/{id}"),
        "the search leak was pinned on the item route"
    );

    let clean = scan_target("catalog_search", &[("CATALOG_PUBLIC_SEARCH", "1")]);
    entry(&clean.report, "/api/items/search");
    assert_quiet("catalog_search (public fields)", &clean.report);
}

#[test]
fn catch_all_under_api_turns_no_guess_or_script_path_into_an_endpoint() {
    let scanned = scan_target("api_catchall", &[]);
    let eps = endpoints(&scanned.report);
    assert!(eps.contains(&"/api/v1/orders".to_string()), "{eps:?}");
    let invented: Vec<_> =
        eps.iter().filter(|e| !matches!(e.as_str(), "/" | "/api/v1/orders" | "/static/app.js")).collect();
    assert!(invented.is_empty(), "the /api catch-all's answers became endpoints: {invented:?}");
}

#[test]
fn a_spec_written_for_the_production_gateway_is_moved_to_where_the_app_serves() {
    // FastAPI's own /openapi.json names only `https://api.acme-hr.example/v1`; the app serves the
    // documented paths at its root. Trusting `servers` would scan `/v1/personnel/…` and find 404s.
    let leaky = scan_target("personnel_fastapi", &[]);
    let all = findings(&leaky.report);
    let leak = leak_on(&all, "/personnel/records/{record_id}");
    assert!(pii(leak).contains(&"ssn"), "{leak}");
    let (_, sources) = entry(&leaky.report, "/personnel/records/{record_id}");
    assert!(sources.iter().any(|s| s == "spec"), "{sources:?}");
    let v1: Vec<&Value> =
        leaky.requests.iter().filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/v1/personnel"))).collect();
    assert_eq!(v1.len(), 1, "one probe under the spec's base, not a scan of it: {v1:#?}");
    assert!(
        !endpoints(&leaky.report).iter().any(|e| e.starts_with("/v1/personnel")),
        "{:#?}",
        endpoints(&leaky.report)
    );

    let masked = scan_target("personnel_fastapi", &[("PERSONNEL_MASKED", "1")]);
    assert!(endpoints(&masked.report).iter().any(|e| e == "/personnel/records/{record_id}"));
    assert_quiet("personnel_fastapi (masked)", &masked.report);
}
