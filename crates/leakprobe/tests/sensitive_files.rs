//! `sensitive_files`: a Flask deployment that serves its project checkout, a backup in `static/` and
//! a listed uploads folder is reported file by file, under the right check, endpoint and severity;
//! its hardened twin (same files on disk, look-alike names served) and catch-all SPAs stay silent.
mod common;

use common::{assert_valid_report, findings, scan, Target};
use serde_json::Value;

const CHECKS: [&str; 6] = [
    "backup_file_exposed",
    "data_export_exposed",
    "vcs_metadata_exposed",
    "config_file_exposed",
    "key_file_exposed",
    "directory_listing",
];

fn rank(severity: &str) -> u8 {
    match severity {
        "info" => 0,
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        "critical" => 4,
        other => panic!("unknown severity {other}"),
    }
}

/// The `sensitive_files` findings of a report.
fn sensitive(report: &Value) -> Vec<Value> {
    findings(report).into_iter().filter(|(c, _)| c == "sensitive_files").map(|(_, f)| f).collect()
}

fn find<'a>(found: &'a [Value], check: &str, endpoint: &str) -> &'a Value {
    found.iter().find(|f| f["check"] == check && f["endpoint"] == endpoint).unwrap_or_else(|| {
        let seen: Vec<String> = found.iter().map(|f| format!("{} {}", f["check"], f["endpoint"])).collect();
        panic!("no {check} finding on {endpoint}; found: {seen:#?}")
    })
}

#[test]
fn leaky_deployment_reports_each_served_file_under_its_check() {
    let target = Target::start("static_leaks");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_valid_report(&out.report);
    let found = sensitive(&out.report);

    // (check, endpoint, kind, severity)
    let expected = [
        ("config_file_exposed", "/.env", "env", "critical"),
        ("config_file_exposed", "/config.py", "python_config", "critical"),
        ("config_file_exposed", "/docker-compose.yml", "docker_compose", "high"),
        ("vcs_metadata_exposed", "/.git/config", "git_config", "high"),
        ("vcs_metadata_exposed", "/.git/HEAD", "git_head", "medium"),
        ("vcs_metadata_exposed", "/.git/index", "git_index", "critical"),
        ("vcs_metadata_exposed", "/.git/logs/HEAD", "git_log", "high"),
        ("backup_file_exposed", "/static/backup.zip", "zip", "critical"),
        ("backup_file_exposed", "/static/db.sqlite3", "sqlite", "critical"),
        // Named after the app: `<title>Northwind Outfitters` → northwind.sql.
        ("backup_file_exposed", "/northwind.sql", "sql", "critical"),
        ("data_export_exposed", "/uploads/users.csv", "csv", "critical"),
        // Only the listing names this one.
        ("data_export_exposed", "/uploads/customers-2024.csv", "csv", "high"),
        ("directory_listing", "/uploads/", "listing", "high"),
        ("key_file_exposed", "/server.key", "private_key", "critical"),
    ];
    for (check, endpoint, _kind, severity) in expected {
        let f = find(&found, check, endpoint);
        assert_eq!(f["severity"], severity, "{check} {endpoint}: {f:#}");
        assert_eq!(f["method"], "GET");
        assert!(f["remediation"].as_str().is_some_and(|r| r.len() > 100), "{check} has no remediation");
    }
    assert_eq!(found.len(), expected.len(), "unexpected extra findings: {found:#?}");
    for f in &found {
        assert_eq!(
            f["confidence"],
            if f["check"] == "config_file_exposed" && f["endpoint"] == "/docker-compose.yml" {
                "high"
            } else {
                "confirmed"
            }
        );
    }

    // Evidence says what the file is without repeating its secrets.
    let env = find(&found, "config_file_exposed", "/.env");
    let evidence = env["evidence"].as_str().expect("evidence");
    assert!(evidence.contains("SECRET_KEY") && evidence.contains("DATABASE_URL"), "{evidence}");
    assert!(env["title"].as_str().is_some_and(|t| t.contains("secrets")), "{env:#}");
    assert!(env["pii_types"].as_array().is_some_and(|t| t.contains(&Value::from("password"))), "{env:#}");
    let zip = find(&found, "backup_file_exposed", "/static/backup.zip");
    assert!(zip["evidence"].as_str().is_some_and(|e| e.contains("northwind/.env")), "{zip:#}");
    let index = find(&found, "vcs_metadata_exposed", "/.git/index");
    assert!(index["evidence"].as_str().is_some_and(|e| e.contains("7 tracked files")), "{index:#}");
    let users = find(&found, "data_export_exposed", "/uploads/users.csv");
    let types = users["pii_types"].as_array().expect("pii_types");
    assert!(types.contains(&Value::from("ssn")) && types.contains(&Value::from("email")), "{users:#}");
    let listing = find(&found, "directory_listing", "/uploads/");
    assert!(listing["evidence"].as_str().is_some_and(|e| e.contains("users.csv")), "{listing:#}");
    let ours = serde_json::to_string(&found).expect("json");
    for secret in ["Wint3r-Sale-2024", "7d1f0c9be2a4", "sk_live_", "maria.lopez@fastmail.fm", "pbkdf2:sha256"] {
        assert!(!ours.contains(secret), "`{secret}` leaked into the evidence");
    }

    // The CWE mapping of the issue: 530 for backups, 538 for files served, 540 for settings.
    assert_eq!(find(&found, "backup_file_exposed", "/northwind.sql")["cwe"], serde_json::json!([530, 538]));
    assert_eq!(find(&found, "config_file_exposed", "/.env")["cwe"], serde_json::json!([538, 540, 260]));

    let ms = out.report["duration_ms"].as_u64().expect("duration_ms");
    assert!(ms < 5_000, "scan took {ms} ms");
}

#[test]
fn hardened_twin_serves_look_alikes_and_stays_silent() {
    let target = Target::start("static_clean");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_valid_report(&out.report);
    let found = sensitive(&out.report);
    assert!(found.is_empty(), "findings on the hardened twin: {found:#?}");
    let loud: Vec<_> = findings(&out.report)
        .into_iter()
        .filter(|(_, f)| {
            CHECKS.contains(&f["check"].as_str().unwrap_or_default())
                && rank(f["severity"].as_str().unwrap_or("info")) >= 2
        })
        .collect();
    assert!(loud.is_empty(), "{loud:?}");

    // Silent because it looked and found nothing, not because it never asked.
    let requested: Vec<String> = serde_json::from_value(target.get_json("/__test__/requests")).expect("paths");
    for path in [
        "/.env",
        "/.git/HEAD",
        "/backup.zip",
        "/northwind.sql",     // derived from the app's title
        "/static/export.csv", // in-folder name in a folder the app links into
        "/static/customers.csv",
        "/downloads/backup.zip", // a folder that answers, with a soft-404 of its own
        "/uploads/users.csv",    // a folder that exists but forbids its index
    ] {
        assert!(requested.iter().any(|p| p == path), "{path} was never requested");
    }
    assert!(!requested.iter().any(|p| p == "/.git/index"), ".git/index is only asked for after .git/HEAD or config");
    let ms = out.report["duration_ms"].as_u64().expect("duration_ms");
    assert!(ms < 5_000, "scan took {ms} ms");
}

#[test]
fn catch_all_spas_serve_no_sensitive_files() {
    for module in ["spa_catchall", "spa_echo"] {
        let target = Target::start(module);
        let out = scan(&target.url, &[]);
        assert_eq!(out.code, 0, "stderr: {}", out.stderr);
        let found = sensitive(&out.report);
        assert!(found.is_empty(), "{module}: the catch-all page was taken for files: {found:#?}");
    }
}
