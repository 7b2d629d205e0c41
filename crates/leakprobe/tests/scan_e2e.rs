//! End to end: the `leakprobe` binary against real Flask targets on loopback.
mod common;

use common::{assert_valid_report, findings, scan, Target};

#[test]
fn werkzeug_server_header_is_reported_under_fingerprinting() {
    let target = Target::start("werkzeug_api");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_valid_report(&out.report);

    let categories = out.report["categories"].as_object().expect("categories");
    assert_eq!(categories.len(), 13, "every category is present, with or without findings");

    let fp = &out.report["categories"]["fingerprinting"]["findings"];
    let server = fp
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "server_version_disclosure")
        .unwrap_or_else(|| panic!("no server_version_disclosure in {fp}"));
    let evidence = server["evidence"].as_str().expect("evidence");
    assert!(evidence.starts_with("Server: Werkzeug/") && evidence.contains("Python/"), "{evidence}");
    assert_eq!(server["severity"], "medium", "the Flask dev server is called out");
    assert_eq!(server["cwe"], serde_json::json!([200, 497]));

    // Discovery found the linked endpoints and folded ids into templates.
    let inventory: Vec<&str> =
        out.report["inventory"].as_array().expect("inventory").iter().filter_map(|e| e["endpoint"].as_str()).collect();
    for expected in ["/", "/api/products", "/api/health"] {
        assert!(inventory.contains(&expected), "{expected} missing from {inventory:?}");
    }
    // The ledger explains the score.
    let deducted: u64 =
        out.report["ledger"].as_array().expect("ledger").iter().map(|l| l["deduction"].as_u64().unwrap_or(0)).sum();
    assert_eq!(out.report["score"].as_u64(), Some(100 - deducted));
}

fn assert_catch_all_adds_nothing(module: &str) {
    let target = Target::start(module);
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_valid_report(&out.report);
    // The wordlist and spec probes all got 200s; none of them may become an endpoint or a finding.
    let inventory = out.report["inventory"].as_array().expect("inventory");
    let endpoints: Vec<&str> = inventory.iter().filter_map(|e| e["endpoint"].as_str()).collect();
    assert_eq!(endpoints, vec!["/"], "catch-all pages became endpoints");
    assert_eq!(out.report["coverage"]["from_spec"], 0, "an HTML page was taken for a spec");
    // Origin-wide observations (the Server header, plain http) hold for any target; nothing may be
    // pinned on a path that only the catch-all answered.
    let on_paths: Vec<_> = findings(&out.report).into_iter().filter(|(_, f)| f["endpoint"] != "*").collect();
    assert!(on_paths.is_empty(), "findings from a catch-all: {on_paths:?}");
    let serious: Vec<_> = findings(&out.report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .collect();
    assert!(serious.is_empty(), "a clean catch-all has medium+ findings: {serious:?}");
    assert!(out.report["requests"].as_u64().unwrap_or(0) > 50, "the wordlist was not probed at all");
}

#[test]
fn catch_all_spa_yields_no_endpoints_or_findings() {
    assert_catch_all_adds_nothing("spa_catchall");
}

#[test]
fn catch_all_that_echoes_the_path_yields_no_endpoints_or_findings() {
    assert_catch_all_adds_nothing("spa_echo");
}

#[test]
fn no_identical_request_is_sent_twice_in_one_scan() {
    let (target, log) = Target::start_logged("crm_hardened");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let requests = Target::requests(&log);
    assert!(requests.len() > 100, "only {} requests", requests.len());
    let mut seen = std::collections::HashSet::new();
    for r in &requests {
        // Identical means everything the server saw: method, target, headers and body.
        let key = format!("{} {}?{} {} {}", r["method"], r["path"], r["query"], r["headers"], r["body"]);
        assert!(seen.insert(key.clone()), "sent twice: {key}");
    }
    assert_eq!(out.report["requests"].as_u64(), Some(requests.len() as u64), "the report counts what was sent");
}

#[test]
fn custom_headers_reach_every_request_and_never_the_output() {
    let (target, log) = Target::start_logged("werkzeug_api");
    let secret = "Bearer lp-test-7f3c9a1e5b";
    let out = scan(&target.url, &["-H", &format!("Authorization: {secret}"), "-H", "X-Team: qa", "-v"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let requests = Target::requests(&log);
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r["headers"]["x-team"], "qa", "plain headers go on every request: {r}");
        // Absent (anonymous probes), the credential, or the deliberately broken one.
        let auth = r["headers"]["authorization"].as_str().unwrap_or(secret);
        assert!(auth.starts_with(secret), "{r}");
    }
    // The credential header became the scan's identity: discovery used it, and the checks that
    // compare with anonymous callers sent some requests without it.
    let with = requests.iter().filter(|r| r["headers"]["authorization"] == secret).count();
    assert!(with * 2 > requests.len(), "only {with} of {} requests carried the credential", requests.len());
    assert!(requests.iter().any(|r| r["path"] == "/" && r["headers"]["authorization"] == secret));
    assert!(!out.stdout.contains("lp-test-7f3c9a1e5b") && !out.stderr.contains("lp-test-7f3c9a1e5b"));
}

#[test]
fn discovery_follows_spec_robots_sitemap_and_links() {
    let (target, log) = Target::start_logged("discovery_api");
    let out = scan(&target.url, &["--no-wordlist"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let inventory = out.report["inventory"].as_array().expect("inventory");
    let source_of = |endpoint: &str| -> Vec<String> {
        inventory
            .iter()
            .find(|e| e["endpoint"] == endpoint)
            .unwrap_or_else(|| panic!("{endpoint} not discovered: {inventory:#?}"))["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    assert!(source_of("/v2/warehouses/{warehouse_id}/stock").contains(&"spec".to_string()));
    assert!(source_of("/internal/reports").contains(&"robots".to_string()));
    assert!(source_of("/help/faq").contains(&"sitemap".to_string()));
    assert!(source_of("/catalog/page").contains(&"link".to_string()));
    assert!(source_of("/api/items/{id}").contains(&"link".to_string()), "JSON links fold into a template");
    assert_eq!(out.report["coverage"]["from_spec"], 2);
    // Spec examples ($ref'd x-example) were used to request the templates.
    let requests = Target::requests(&log);
    assert!(requests.iter().any(|r| r["path"] == "/v2/warehouses/4/stock"), "spec example not used");
    assert!(!requests.iter().any(|r| r["path"].as_str().unwrap_or("").contains("elsewhere")));
}

#[test]
fn spec_given_as_a_file_feeds_the_inventory() {
    let target = Target::start("werkzeug_api");
    let spec = std::env::temp_dir().join(format!("leakprobe-spec-{}.yaml", std::process::id()));
    std::fs::write(&spec, "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /api/products/{product_id}:\n    get:\n      parameters:\n        - {name: product_id, in: path, required: true, schema: {type: integer, example: 2}}\n").expect("spec");
    let out = scan(&target.url, &["--spec", spec.to_str().expect("utf8"), "--no-wordlist"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.report["coverage"]["from_spec"], 1);
    let inventory = out.report["inventory"].as_array().expect("inventory");
    assert!(inventory.iter().any(|e| e["endpoint"] == "/api/products/{product_id}"), "{inventory:#?}");
    let _ = std::fs::remove_file(spec);
}
