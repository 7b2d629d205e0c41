//! The registry's compliance harness: every check has docs, CWEs, a Flask remediation, and a target
//! under tests/targets that triggers it — proven by scanning that target.
mod common;

use std::collections::BTreeMap;

use common::{findings, repo_root, scan, Target};
use leakprobe_engine::checks::CHECKS;

/// Which target makes each check fire. A new check without a row here fails the test.
const TRIGGERS: &[(&str, &str)] = &[
    ("pii_in_response", "crm_debug"),
    ("werkzeug_debugger", "crm_debug"),
    ("werkzeug_debugger_page", "crm_debug"),
    ("stack_trace_disclosure", "crm_verbose_errors"),
    ("sql_error_disclosure", "crm_verbose_errors"),
    ("server_error_on_malformed_input", "crm_verbose_errors"),
    ("dangerous_methods", "banner_leaky"),
    ("server_version_disclosure", "werkzeug_api"),
    ("powered_by_disclosure", "banner_leaky"),
    ("auth_realm_disclosure", "banner_leaky"),
    ("backup_file_exposed", "static_leaks"),
    ("data_export_exposed", "static_leaks"),
    ("vcs_metadata_exposed", "static_leaks"),
    ("config_file_exposed", "static_leaks"),
    ("key_file_exposed", "static_leaks"),
    ("directory_listing", "static_leaks"),
    ("cors_origin_reflection", "cors_leaky"),
    ("cors_null_origin", "cors_leaky"),
    ("cors_origin_bypass", "cors_leaky"),
    ("cors_wildcard_origin", "cors_leaky"),
    ("cleartext_http", "cors_leaky"),
    ("basic_auth_cleartext", "tls_weak"),
    ("insecure_cookie", "tls_weak"),
    // `tls:` targets are served over TLS 1.0+ with a self-signed certificate and scanned --insecure.
    ("hsts_missing_or_weak", "tls:tls_weak"),
    ("tls_certificate", "tls:tls_weak"),
    ("legacy_tls_protocol", "tls:tls_weak"),
];

#[test]
fn every_check_is_documented_and_triggered_by_a_target() {
    let mut by_target: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (i, check) in CHECKS.iter().enumerate() {
        assert!(CHECKS[..i].iter().all(|c| c.id != check.id), "{}: listed twice", check.id);
        assert!(check.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}: ids are snake_case", check.id);
        for heading in ["## What it finds", "## Why it matters", "## Example exchange", "## Remediation (Flask)", "## References"] {
            assert!(check.docs.contains(heading), "{}: docs lack {heading}", check.id);
        }
        assert!(!check.cwe.is_empty(), "{}: no CWE", check.id);
        assert!(check.remediation().len() > 40, "{}: no remediation", check.id);
        let Some((_, target)) = TRIGGERS.iter().find(|(id, _)| *id == check.id) else {
            panic!("{}: no target in TRIGGERS triggers it", check.id);
        };
        let module = target.trim_start_matches("tls:");
        assert!(repo_root().join("tests/targets").join(format!("{module}.py")).exists(), "{module}.py missing");
        by_target.entry(target).or_default().push(check.id);
    }
    // One scan per target, all at once.
    std::thread::scope(|scope| {
        for (target, checks) in &by_target {
            scope.spawn(move || {
                let (t, args): (Target, &[&str]) = match target.strip_prefix("tls:") {
                    Some(module) => (Target::start_tls_self_signed(module, &[("TARGET_TLS_MIN", "1.0")]), &["--insecure"]),
                    None => (Target::start(target), &[]),
                };
                let out = scan(&t.url, args);
                assert_eq!(out.code, 0, "{target}: {}", out.stderr);
                let fired: Vec<String> = findings(&out.report).iter().map(|(_, f)| f["check"].as_str().unwrap_or("").to_string()).collect();
                for check in checks {
                    assert!(fired.iter().any(|f| f == check), "{check} did not fire on {target}; fired: {fired:?}");
                }
            });
        }
    });
}
