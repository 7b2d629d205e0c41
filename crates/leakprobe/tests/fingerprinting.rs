//! Banner headers, realms and advertised methods: a chatty target and its quiet twin.
mod common;

use common::{assert_valid_report, findings, scan, Target};

#[test]
fn chatty_target_discloses_framework_realm_and_write_methods() {
    let target = Target::start("banner_leaky");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    let all = findings(&out.report);
    let by_check =
        |check: &str| all.iter().filter(|(_, f)| f["check"] == check).map(|(c, f)| (c.as_str(), f)).collect::<Vec<_>>();

    let powered = by_check("powered_by_disclosure");
    assert_eq!(powered.len(), 1, "one finding however many responses carried it: {powered:?}");
    assert_eq!(powered[0].0, "fingerprinting");
    assert!(powered[0].1["evidence"].as_str().unwrap_or("").contains("Flask/2.0.1"));

    let realm = by_check("auth_realm_disclosure");
    assert_eq!(realm.len(), 1, "{realm:?}");
    assert!(realm[0].1["evidence"].as_str().unwrap_or("").contains("staging-admin"));

    let methods = by_check("dangerous_methods");
    assert_eq!(methods.len(), 1, "{methods:?}");
    assert_eq!(methods[0].0, "input_validation");
    assert_eq!(methods[0].1["endpoint"], "/api/notes");
    assert!(methods[0].1["title"].as_str().unwrap_or("").contains("PUT, DELETE"));
}

#[test]
fn quiet_twin_has_no_fingerprinting_or_method_findings() {
    let target = Target::start("banner_clean");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let noisy: Vec<_> =
        findings(&out.report).into_iter().filter(|(c, _)| c == "fingerprinting" || c == "input_validation").collect();
    assert!(noisy.is_empty(), "{noisy:#?}");
    // The realm was seen (the 401 is in the inventory), it just is not a disclosure.
    let inventory = out.report["inventory"].as_array().expect("inventory");
    assert!(inventory.iter().any(|e| e["endpoint"] == "/admin"), "{inventory:?}");
}
