//! The registry's compliance harness: every check has docs, CWEs, a Flask remediation, and a target
//! under tests/targets that triggers it — proven by scanning that target.
mod common;

use std::collections::BTreeMap;

use common::{findings, repo_root, scan, Target};
use leakprobe_engine::checks::CHECKS;

/// Which target (and flags) makes each check fire. A new check without a row here fails the test.
/// `tls:` targets are served over TLS 1.0+ with a self-signed certificate and scanned `--insecure`;
/// `{HMAC}` is a leakprobe.toml with a signing identity, `{TARGETS}` the tests/targets folder.
const TRIGGERS: &[(&str, &str, &[&str])] = &[
    ("pii_in_response", "crm_debug", &[]),
    ("werkzeug_debugger", "crm_debug", &[]),
    ("werkzeug_debugger_page", "crm_debug", &[]),
    ("stack_trace_disclosure", "crm_verbose_errors", &[]),
    ("sql_error_disclosure", "crm_verbose_errors", &[]),
    ("server_error_on_malformed_input", "crm_verbose_errors", &[]),
    ("dangerous_methods", "banner_leaky", &[]),
    ("state_changing_get", "stockroom_api", &["--active"]),
    ("sql_injection", "catalog_fastapi", &[]),
    ("server_version_disclosure", "werkzeug_api", &[]),
    ("powered_by_disclosure", "banner_leaky", &[]),
    ("auth_realm_disclosure", "banner_leaky", &[]),
    ("backup_file_exposed", "static_leaks", &[]),
    ("data_export_exposed", "static_leaks", &[]),
    ("vcs_metadata_exposed", "static_leaks", &[]),
    ("config_file_exposed", "static_leaks", &[]),
    ("key_file_exposed", "static_leaks", &[]),
    ("directory_listing", "static_leaks", &[]),
    ("cors_origin_reflection", "cors_leaky", &[]),
    ("cors_null_origin", "cors_leaky", &[]),
    ("cors_origin_bypass", "cors_leaky", &[]),
    ("cors_wildcard_origin", "cors_leaky", &[]),
    ("cleartext_http", "cors_leaky", &[]),
    ("basic_auth_cleartext", "tls_weak", &[]),
    ("insecure_cookie", "tls_weak", &[]),
    ("hsts_missing_or_weak", "tls:tls_weak", &["--insecure"]),
    ("tls_certificate", "tls:tls_weak", &["--insecure"]),
    ("legacy_tls_protocol", "tls:tls_weak", &["--insecure"]),
    ("unauthenticated_access", "basic_auth_api", &["--identity", "maria=basic:maria:correct-horse-7"]),
    ("api_key_in_query", "apikey_api", &["--identity", "mobile=header:X-Api-Key:lp-key-3c1f8e2a9b7d4f60"]),
    ("credential_echo", "apikey_api", &["--identity", "mobile=header:X-Api-Key:lp-key-3c1f8e2a9b7d4f60"]),
    ("signature_not_enforced", "hmac_api", &["--config", "{HMAC}", "--spec", "{TARGETS}/hmac_api.openapi.json"]),
    ("signature_partial_coverage", "hmac_api", &["--config", "{HMAC}", "--spec", "{TARGETS}/hmac_api.openapi.json"]),
    ("signature_replay", "hmac_api", &["--config", "{HMAC}", "--spec", "{TARGETS}/hmac_api.openapi.json"]),
    ("unsigned_legacy_route", "hmac_api", &["--config", "{HMAC}", "--spec", "{TARGETS}/hmac_api.openapi.json"]),
    ("missing_rate_limit", "ratelimit_open", &[]),
    ("unbounded_page_size", "ratelimit_open", &[]),
    ("ssrf_url_fetch", "ssrf_fetch", &["--active"]),
    ("ssrf_internal_content", "ssrf_fetch", &["--active"]),
    ("declared_security_not_enforced", "spec_drift", &[]),
    ("deprecated_operation_active", "spec_drift", &[]),
    ("unlinked_operation_reachable", "spec_drift", &[]),
    ("admin_function_exposed", "roles_api", &[]),
    ("method_tampering", "roles_api", &[]),
    ("undeclared_response_property", "roles_api", &[]),
    ("write_only_property_returned", "roles_api", &[]),
    ("sensitive_property_exposure", "roles_api", &[]),
    ("bola_id_enumeration", "roles_api", &["--identity", "alice=bearer:alice-token-7Hq2xR9kLm4pW3"]),
    ("bola_cross_identity", "roles_api", ROLES_ACTIVE),
    ("mass_assignment", "roles_api", ROLES_ACTIVE),
    ("jwt_none_algorithm", "payslip_jwt_none", &["--config", "{PAYSLIP}"]),
    ("jwt_signature_not_verified", "payslip_jwt_unverified", &["--config", "{PAYSLIP}"]),
    ("jwt_weak_secret", "payslip_jwt_weak", &["--config", "{PAYSLIP}"]),
    ("jwt_expired_accepted", "payslip_jwt_weak", &["--config", "{PAYSLIP}"]),
    ("user_enumeration", "payslip_login_leaky", &["--config", "{PAYSLIP}", "--active"]),
    ("bola_cross_identity_write", "teamboard_api", TEAMBOARD_ACTIVE),
    ("bfla_privileged_write", "teamboard_api", TEAMBOARD_ACTIVE),
];

const TEAMBOARD_ACTIVE: &[&str] = &[
    "--identity",
    "priya=bearer:tb_pat_priya_5Kq8Zr2Wm7Xc",
    "--identity",
    "jonas=bearer:tb_pat_jonas_3Hv6Nb9Pd1Ls",
    "--identity",
    "ops=bearer:tb_pat_ops_8Yt4Gf2Qa6Jw",
    "--role",
    "priya=user",
    "--role",
    "jonas=user",
    "--role",
    "ops=admin",
    "--active",
];

const ROLES_ACTIVE: &[&str] = &[
    "--identity",
    "alice=bearer:alice-token-7Hq2xR9kLm4pW3",
    "--identity",
    "bob=bearer:bob-token-Vn3s8Jd2QwZ6tY",
    "--identity",
    "carol=bearer:carol-token-Pz5t1Yc8Rb0eKu",
    "--role",
    "alice=user",
    "--role",
    "bob=user",
    "--role",
    "carol=admin",
    "--active",
];

/// The signing partner of hmac_api.py, as a user writes it in leakprobe.toml.
const HMAC_CONFIG: &str = r#"
[[identity]]
name = "harbor"
auth = "header:X-Api-Key:nwp_pk_4f9c2e71d8a3"

[identity.sign]
secret = "nwp_sk_9Qm3vX7tLr2Hc8KdW1"
header = "X-Signature"
template = "{method}\n{path}\n{timestamp}\n{nonce}\n{body}"
timestamp_header = "X-Timestamp"
nonce_header = "X-Nonce"
"#;

/// Two employees of the Payslip API (payslip_*.py), logging in for their bearer JWTs.
const PAYSLIP_CONFIG: &str = r#"
[[identity]]
name = "alice"
[identity.login]
url = "/api/auth/login"
body = { username = "alice", password = "Alice-Payroll-2024!" }
token_pointer = "/access_token"

[[identity]]
name = "bob"
[identity.login]
url = "/api/auth/login"
body = { username = "bob", password = "Bob-Payroll-2024!" }
token_pointer = "/access_token"
"#;

#[test]
fn every_check_is_documented_and_triggered_by_a_target() {
    let hmac_config = std::env::temp_dir().join(format!("leakprobe-registry-{}.toml", std::process::id()));
    std::fs::write(&hmac_config, HMAC_CONFIG).expect("config");
    let payslip_config = std::env::temp_dir().join(format!("leakprobe-registry-payslip-{}.toml", std::process::id()));
    std::fs::write(&payslip_config, PAYSLIP_CONFIG).expect("config");
    let targets_dir = repo_root().join("tests/targets");
    let expand = |arg: &str| {
        arg.replace("{HMAC}", hmac_config.to_str().expect("utf8"))
            .replace("{PAYSLIP}", payslip_config.to_str().expect("utf8"))
            .replace("{TARGETS}", targets_dir.to_str().expect("utf8"))
    };

    let mut by_scan: BTreeMap<(&str, Vec<String>), Vec<&str>> = BTreeMap::new();
    for (i, check) in CHECKS.iter().enumerate() {
        assert!(CHECKS[..i].iter().all(|c| c.id != check.id), "{}: listed twice", check.id);
        assert!(check.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}: ids are snake_case", check.id);
        for heading in
            ["## What it finds", "## Why it matters", "## Example exchange", "## Remediation (Flask)", "## References"]
        {
            assert!(check.docs.contains(heading), "{}: docs lack {heading}", check.id);
        }
        assert!(!check.cwe.is_empty(), "{}: no CWE", check.id);
        assert!(check.remediation().len() > 40, "{}: no remediation", check.id);
        let Some((_, target, args)) = TRIGGERS.iter().find(|(id, _, _)| *id == check.id) else {
            panic!("{}: no target in TRIGGERS triggers it", check.id);
        };
        let module = target.trim_start_matches("tls:");
        assert!(targets_dir.join(format!("{module}.py")).exists(), "{module}.py missing");
        by_scan.entry((*target, args.iter().map(|a| expand(a)).collect())).or_default().push(check.id);
    }
    let scans: Vec<_> = by_scan.into_iter().collect();
    // A few scans at a time: all at once would starve a 2-core machine and skew rate-limit checks.
    for batch in scans.chunks(4) {
        std::thread::scope(|scope| {
            for ((target, args), checks) in batch {
                scope.spawn(move || {
                    let t = match target.strip_prefix("tls:") {
                        Some(module) => Target::start_tls_self_signed(module, &[("TARGET_TLS_MIN", "1.0")]),
                        None => Target::start(target),
                    };
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let out = scan(&t.url, &args);
                    assert_eq!(out.code, 0, "{target}: {}", out.stderr);
                    let fired: Vec<String> = findings(&out.report)
                        .iter()
                        .map(|(_, f)| f["check"].as_str().unwrap_or("").to_string())
                        .collect();
                    for check in checks {
                        assert!(
                            fired.iter().any(|f| f == check),
                            "{check} did not fire on {target} {args:?}; fired: {fired:?}"
                        );
                    }
                });
            }
        });
    }
    let _ = std::fs::remove_file(hmac_config);
    let _ = std::fs::remove_file(payslip_config);
}
