//! Finding ids are users' baselines and suppressions: they come from stable facts (check, endpoint
//! template, kind), never from display text or a version in a header. The ids of a fixed target are
//! pinned as literal strings, so a change that would silently break every baseline fails here; the
//! same target with an upgraded version banner keeps every id.
mod common;

use std::collections::BTreeMap;

use common::{findings, scan, Target};

/// `(check, endpoint) → id` of the `stable_ids` target. Changing one of these breaks baselines:
/// only do it on purpose, and say so in the changelog.
const PINNED: [(&str, &str, &str); 9] = [
    ("pii_in_response", "/api/customers", "701ebeff4936bd2b"),
    ("sensitive_property_exposure", "/api/customers", "8bfe114682baa827"),
    ("missing_rate_limit", "/api/customers", "907796c011fdb751"),
    ("stack_trace_disclosure", "/api/report", "69a9327a48d26e58"),
    ("config_file_exposed", "/.env", "f0c2a2e530e54ad7"),
    ("powered_by_disclosure", "*", "297a47c6c8898ff5"),
    ("auth_realm_disclosure", "/admin", "0852e691b76e321a"),
    ("basic_auth_cleartext", "/admin", "9e973b4ccb664978"),
    ("cleartext_http", "*", "d798a96c80f8bf8b"),
];

/// `(check, endpoint) → id` of a scan of the target with `version` in its banners.
fn ids(version: &str) -> BTreeMap<(String, String), String> {
    let target = Target::start_env("stable_ids", &[("BANNER_VERSION", version)]);
    let out = scan(&target.url, &["--time-limit", "30"]);
    assert!(out.report.is_object(), "no report: {}", out.stderr);
    let mut ids = BTreeMap::new();
    for (_, f) in findings(&out.report) {
        let key = (
            f["check"].as_str().unwrap_or_default().to_string(),
            f["endpoint"].as_str().unwrap_or_default().to_string(),
        );
        ids.insert(key, f["id"].as_str().unwrap_or_default().to_string());
    }
    ids
}

#[test]
fn finding_ids_are_pinned_and_survive_a_version_upgrade() {
    // Two scans at once: the target as deployed, and its twin after an upgrade (3.0.1 → 3.0.6 in
    // `X-Powered-By` and in the Basic-auth realm).
    let upgraded = std::thread::spawn(|| ids("3.0.6"));
    let before = ids("3.0.1");
    let after = upgraded.join().expect("upgraded scan");

    for (check, endpoint, id) in PINNED {
        let key = (check.to_string(), endpoint.to_string());
        assert_eq!(before.get(&key).map(String::as_str), Some(id), "{check} on {endpoint}: {before:#?}");
    }
    assert_eq!(before, after, "an upgraded version banner changed finding ids");
}
