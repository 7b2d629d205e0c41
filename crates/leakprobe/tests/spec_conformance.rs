//! Spec vs reality: a storefront whose code drifted from its OpenAPI document (`spec_drift`) and
//! its twin that does what the spec says (`spec_aligned`).
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, scan, scan_in_process, timing_line, Target};
use leakprobe_engine::identity::Identity;
use serde_json::Value;

const ALICE_TOKEN: &str = "tok_alice_7Qm2xV9pL4sK8dW3";

fn one<'a>(all: &'a [(String, Value)], check: &str) -> &'a (String, Value) {
    let hits: Vec<_> = all.iter().filter(|(_, f)| f["check"] == check).collect();
    assert_eq!(hits.len(), 1, "{check}: {all:#?}");
    hits[0]
}

#[test]
fn drifted_spec_shows_unenforced_security_live_deprecation_and_an_unlinked_route() {
    let (target, log) = Target::start_logged("spec_drift");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("spec_drift (default)", &out.report));
    let all = findings(&out.report);

    let (category, declared) = one(&all, "declared_security_not_enforced");
    assert_eq!(category, "authentication");
    assert_eq!(declared["endpoint"], "/api/accounts/{account_id}", "the spec's own template");
    assert_eq!(declared["method"], "GET");
    assert_eq!(declared["severity"], "critical", "the account holds contact details");
    assert_eq!(declared["confidence"], "high", "no identity to compare with: likely, not confirmed");
    let pii: Vec<&str> = declared["pii_types"].as_array().expect("pii").iter().filter_map(Value::as_str).collect();
    assert!(pii.contains(&"email"), "{declared}");

    let (category, deprecated) = one(&all, "deprecated_operation_active");
    assert_eq!(category, "fingerprinting");
    assert_eq!(deprecated["endpoint"], "/api/v1/products");
    assert_eq!(deprecated["severity"], "low");

    let (category, unlinked) = one(&all, "unlinked_operation_reachable");
    assert_eq!(category, "fingerprinting");
    assert_eq!(unlinked["endpoint"], "/api/internal/stock-levels");
    assert_eq!(unlinked["severity"], "low", "an internal route");
    assert_eq!(unlinked["confidence"], "medium");

    assert_only_safe_requests(&Target::requests(&log));
}

#[test]
fn an_identity_confirms_the_drift_and_its_token_appears_in_no_output() {
    let target = Target::start("spec_drift");
    let (json, report, _) = scan_in_process(&target.url, |c| {
        c.wordlist = false;
        c.identities.push(Identity::parse(&format!("alice=bearer:{ALICE_TOKEN}")).expect("identity"));
    });
    eprintln!("{}", timing_line("spec_drift (identity)", &json));
    let all = findings(&json);
    let (_, declared) = one(&all, "declared_security_not_enforced");
    assert_eq!(declared["confidence"], "confirmed", "alice and nobody get the same account: {declared}");
    assert!(declared["evidence"].as_str().unwrap_or("").contains("identity `alice`"), "{declared}");

    use leakprobe_render::Format;
    for format in [Format::Terminal, Format::Json, Format::Sarif, Format::Junit, Format::Markdown, Format::Html] {
        let text = leakprobe_render::render(&report, format);
        assert!(!text.contains(ALICE_TOKEN) && !text.contains("7Qm2xV9pL4sK8dW3"), "{format:?} output holds the token");
    }
    assert!(!json.to_string().contains(ALICE_TOKEN));
}

#[test]
fn aligned_twin_keeps_its_spec_and_stays_clean() {
    let target = Target::start("spec_aligned");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    eprintln!("{}", timing_line("spec_aligned (default)", &out.report));
    let all = findings(&out.report);
    let ours: Vec<_> = all
        .iter()
        .filter(|(_, f)| {
            ["declared_security_not_enforced", "deprecated_operation_active", "unlinked_operation_reachable"]
                .contains(&f["check"].as_str().unwrap_or(""))
        })
        .collect();
    assert!(ours.is_empty(), "{ours:#?}");
    let serious: Vec<_> =
        all.iter().filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical"))).collect();
    assert!(serious.is_empty(), "hardened twin has a medium-or-higher finding: {serious:#?}");
    // The spec was read: every operation is in the inventory.
    let inventory = out.report["inventory"].as_array().expect("inventory");
    assert!(inventory.iter().any(|e| e["endpoint"] == "/api/accounts/{account_id}"), "{inventory:?}");
}
