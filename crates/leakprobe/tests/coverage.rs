//! The request budget spent by risk, and coverage that tells the truth (issue 10, section 3).
//!
//! `warehouse_erp` is a generated FastAPI with 200 GET operations whose one leak (a zone's staff
//! roster with SSNs) sorts last alphabetically; `WAREHOUSE_STAFF_MASKED=1` is its fixed twin. The
//! scans run the real binary against real targets on 127.0.0.1.
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, pii, scan, timing_line, Target};
use leakprobe_engine::identity::Identity;
use leakprobe_engine::report::Report;
use leakprobe_render::Format;
use serde_json::Value;

const ROSTER: &str = "/api/zones/{zone_id}/roster";

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["coverage"]["checks"]
        .as_array()
        .expect("coverage.checks")
        .iter()
        .find(|c| c["check"] == id)
        .unwrap_or_else(|| panic!("no coverage entry for {id}: {}", report["coverage"]))
}

fn skipped(entry: &Value, reason: &str) -> u64 {
    entry["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter(|s| s["reason"] == reason)
        .map(|s| s["count"].as_u64().unwrap_or(0))
        .sum()
}

fn roster_leak(report: &Value) -> Option<Value> {
    findings(report).into_iter().map(|(_, f)| f).find(|f| f["check"] == "pii_in_response" && f["endpoint"] == ROSTER)
}

#[test]
fn default_scan_of_200_operations_finds_the_leak_that_sorts_last() {
    let target = Target::start("warehouse_erp");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("warehouse_erp (default)", &out.report));
    assert_eq!(out.report["coverage"]["from_spec"], 200, "{}", out.report["coverage"]);

    let leak = roster_leak(&out.report).unwrap_or_else(|| panic!("roster leak missed: {:#?}", findings(&out.report)));
    assert!(pii(&leak).contains(&"ssn") && pii(&leak).contains(&"email"), "{leak}");
    // The checks that probe endpoint by endpoint reached it too, though it is the 200th.
    let on_roster: Vec<String> = findings(&out.report)
        .into_iter()
        .filter(|(_, f)| f["endpoint"] == ROSTER)
        .map(|(_, f)| f["check"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(on_roster.iter().any(|c| c == "bola_id_enumeration"), "{on_roster:?}");
}

#[test]
fn budget_of_300_fetches_the_riskiest_first_and_lists_what_it_skipped() {
    let (target, log) = Target::start_logged("warehouse_erp");
    let out = scan(&target.url, &["--max-requests", "300"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("warehouse_erp (--max-requests 300)", &out.report));
    let report = &out.report;

    // 300 requests do not reach every sample in alphabetical order (the leak is the 200th): the
    // scheduler put the roster, whose spec declares `ssn`, first.
    let leak =
        roster_leak(report).unwrap_or_else(|| panic!("roster leak missed within the budget: {:#?}", findings(report)));
    assert!(pii(&leak).contains(&"ssn"), "{leak}");
    let requests = Target::requests(&log);
    assert_only_safe_requests(&requests);
    let fetched = |path: &str| requests.iter().any(|r| r["path"] == path);
    assert!(fetched("/api/zones/1/roster"));
    // In alphabetical order these come before the roster; the scheduler left them for last, and
    // the budget ran out first.
    let left: Vec<&str> =
        ["/api/vehicles", "/api/work-orders", "/api/zones"].into_iter().filter(|p| !fetched(p)).collect();
    assert!(!left.is_empty(), "every catalogue list was fetched: the budget did not bite");

    // Coverage says the scan was partial, check by check, and why.
    let coverage = &report["coverage"];
    assert_eq!(coverage["complete"], false, "{coverage}");
    let budget_skips: Vec<&Value> =
        coverage["checks"].as_array().expect("checks").iter().filter(|c| skipped(c, "budget") > 0).collect();
    assert!(budget_skips.len() >= 3, "{coverage}");
    let malformed = check(report, "server_error_on_malformed_input");
    assert_eq!(malformed["unit"], "endpoints");
    assert!(malformed["planned"].as_u64() > Some(200), "{malformed}");
    assert_eq!(
        skipped(malformed, "budget") + malformed["ran"].as_u64().unwrap_or(0),
        malformed["planned"].as_u64().unwrap_or(0),
        "{malformed}"
    );
    // Skipped for budget is not the same as needing setup: both are said, apart.
    assert!(skipped(check(report, "bola_cross_identity"), "needs two identities") > 0, "{coverage}");
    // checks_run counts checks that sent or analyzed something, not the registry.
    let ran = coverage["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["ran"].as_u64() > Some(0) || c["requests"].as_u64() > Some(0))
        .count();
    assert_eq!(coverage["checks_run"].as_u64(), Some(ran as u64), "{coverage}");
    assert!(
        coverage["incomplete"]
            .as_array()
            .expect("incomplete")
            .iter()
            .any(|r| r.as_str().is_some_and(|r| r.contains("budget"))),
        "{coverage}"
    );

    // Every renderer says it, the terminal next to the grade.
    let typed: Report = serde_json::from_value(report.clone()).expect("report deserializes");
    let terminal = leakprobe_render::render(&typed, Format::Terminal);
    let headline = terminal.lines().find(|l| l.starts_with("Score")).expect("score line");
    assert!(headline.contains("partial:") && headline.contains("(budget)"), "{headline}");
    let line = terminal
        .lines()
        .find(|l| l.contains("server_error_on_malformed_input: ran "))
        .unwrap_or_else(|| panic!("{terminal}"));
    assert!(line.contains("endpoints, skipped") && line.ends_with("(budget)"), "{line}");
    assert!(leakprobe_render::render(&typed, Format::Markdown).contains("partial:"));
    assert!(leakprobe_render::render(&typed, Format::Html).contains("id=\"partial\""));
    for format in [Format::Sarif, Format::Junit, Format::Json] {
        assert!(!leakprobe_render::render(&typed, format).is_empty());
    }
}

#[test]
fn masked_roster_twin_has_no_medium_or_higher_finding() {
    let target = Target::start_env("warehouse_erp", &[("WAREHOUSE_STAFF_MASKED", "1")]);
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("warehouse_erp masked (default)", &out.report));
    let serious: Vec<Value> = findings(&out.report)
        .into_iter()
        .map(|(_, f)| f)
        .filter(|f| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
    // Not clean because nothing was looked at: the roster was fetched and probed.
    let enumeration = check(&out.report, "bola_id_enumeration");
    assert!(enumeration["ran"].as_u64() > Some(0), "{enumeration}");
}

#[test]
fn small_api_is_covered_completely_and_says_what_needs_identities() {
    let target = Target::start("crm_hardened");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    let coverage = &out.report["coverage"];
    assert_eq!(coverage["complete"], true, "{coverage}");
    assert_eq!(coverage["incomplete"], serde_json::json!([]), "{coverage}");
    let checks = coverage["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), leakprobe_engine::checks::CHECKS.len());
    for c in checks {
        assert_eq!(skipped(c, "budget") + skipped(c, "time limit"), 0, "{c}");
    }
    let ran: Vec<&str> = checks
        .iter()
        .filter(|c| c["ran"].as_u64() > Some(0) || c["requests"].as_u64() > Some(0))
        .filter_map(|c| c["check"].as_str())
        .collect();
    assert_eq!(coverage["checks_run"].as_u64(), Some(ran.len() as u64), "{coverage}");
    assert!(ran.contains(&"pii_in_response") && ran.contains(&"server_error_on_malformed_input"), "{ran:?}");
    // Without identities the identity checks did not run, and coverage says why.
    assert!(!ran.contains(&"bola_cross_identity") && !ran.contains(&"unauthenticated_access"), "{ran:?}");
    let bola = check(&out.report, "bola_cross_identity");
    assert!(skipped(bola, "needs two identities") > 0, "{bola}");
    assert_eq!(bola["ran"], 0, "{bola}");
    assert!(skipped(check(&out.report, "unauthenticated_access"), "needs an identity") > 0);
    assert!(
        skipped(check(&out.report, "ssrf_url_fetch"), "needs --active") > 0
            || check(&out.report, "ssrf_url_fetch")["planned"] == 0
    );
    // Setup a user can add is not a partial scan.
    let typed: Report = serde_json::from_value(out.report.clone()).expect("report deserializes");
    let terminal = leakprobe_render::render(&typed, Format::Terminal);
    let headline = terminal.lines().find(|l| l.starts_with("Score")).expect("score line");
    assert!(!headline.contains("partial"), "{headline}");
    assert!(terminal.contains("bola_cross_identity (needs two identities)"), "{terminal}");
    let junit = leakprobe_render::render(&typed, Format::Junit);
    assert!(
        junit.contains("name=\"bola_cross_identity\" time=\"0\">\n      <skipped message=\"needs two identities\"/>"),
        "{junit}"
    );
}

#[test]
fn two_identities_run_the_cross_identity_check() {
    let target = Target::start("roles_api");
    let (report, _, _) = common::scan_in_process(&target.url, |config| {
        config.identities = ["alice=bearer:alice-token-7Hq2xR9kLm4pW3", "bob=bearer:bob-token-Vn3s8Jd2QwZ6tY"]
            .iter()
            .map(|s| Identity::parse(s).expect("identity"))
            .collect();
    });
    assert_valid_report(&report);
    let bola = check(&report, "bola_cross_identity");
    assert!(bola["ran"].as_u64() > Some(0) && bola["requests"].as_u64() > Some(0), "{bola}");
    assert_eq!(skipped(bola, "needs two identities"), 0, "{bola}");
    assert_eq!(report["coverage"]["complete"], true, "{}", report["coverage"]);
}
