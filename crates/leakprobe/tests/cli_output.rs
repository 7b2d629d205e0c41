//! Thresholds, output files, explain and the demo, through the real binary.
mod common;

use common::{leakprobe, scan, Target};

#[test]
fn thresholds_fail_the_build_with_exit_1() {
    let target = Target::start("werkzeug_api");
    // The Werkzeug header is a medium finding: --fail-on medium trips, --fail-on high does not.
    assert_eq!(scan(&target.url, &["--fail-on", "medium"]).code, 1);
    assert_eq!(scan(&target.url, &["--fail-on", "high"]).code, 0);
    let out = scan(&target.url, &["--fail-below", "100"]);
    assert_eq!(out.code, 1, "score {} is below 100", out.report["score"]);
    assert_eq!(scan(&target.url, &["--fail-below", "10"]).code, 0);
}

#[test]
fn output_file_gets_the_json_report() {
    let target = Target::start("werkzeug_api");
    let path = std::env::temp_dir().join(format!("leakprobe-report-{}.json", std::process::id()));
    let out = leakprobe().args(["scan", &target.url, "-o"]).arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("report file")).expect("json");
    common::assert_valid_report(&report);
    let _ = std::fs::remove_file(path);
}

#[test]
fn terminal_report_shows_grade_table_and_ledger() {
    let target = Target::start("werkzeug_api");
    let out = leakprobe().args(["scan", &target.url, "--format", "terminal"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Grade"), "{text}");
    assert!(text.contains("fingerprinting"), "{text}");
    assert!(text.contains("[-10] medium server_version_disclosure"), "{text}");
    assert!(!text.contains('\u{1b}'), "NO_COLOR must strip colours");
}

#[test]
fn explain_prints_each_checks_docs() {
    for check in leakprobe_engine::checks::CHECKS {
        let out = leakprobe().args(["explain", check.id]).output().expect("run");
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("## Remediation (Flask)") && text.contains(&format!("CWE-{}", check.cwe[0])), "{text}");
    }
}

#[test]
fn demo_scans_the_embedded_api_and_prints_a_graded_report() {
    let out = leakprobe().arg("demo").output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Score") && text.contains("Grade"), "{text}");
    assert!(text.contains("server_version_disclosure"), "{text}");
    assert!(text.contains("pii_in_response"), "{text}");
    assert!(!text.contains("maria.lopez@fastmail.fm"), "evidence must be redacted by default");
}
