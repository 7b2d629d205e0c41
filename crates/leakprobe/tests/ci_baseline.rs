//! Baselines and `leakprobe diff` on real scans: the hardened CRM twin and the verbose one share
//! routes, so their reports differ by the leaks the hardening fixed. (One verbose finding, the SQL
//! error on `/api/orders/{id}`, comes and goes with request timing; expectations are derived from
//! the reports themselves, and the same-target test uses the debug CRM, whose findings are stable.)
mod ci_support;
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ci_support::{active, ids, read, read_json, temp_dir};
use common::{findings, leakprobe, Target};
use serde_json::Value;

struct Reports {
    dir: PathBuf,
    verbose: PathBuf,
    hardened: PathBuf,
}

/// One scan of each twin, written as JSON reports (the baselines of the tests below).
fn reports() -> &'static Reports {
    static REPORTS: OnceLock<Reports> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let dir = temp_dir("ci-baseline");
        let write = |module: &str| {
            let target = Target::start(module);
            let path = dir.join(format!("{module}.json"));
            let out = leakprobe().args(["scan", &target.url, "-o"]).arg(&path).output().expect("run");
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            path
        };
        Reports { verbose: write("crm_verbose_errors"), hardened: write("crm_hardened"), dir: dir.clone() }
    })
}

fn all_ids(report: &Value) -> BTreeSet<String> {
    ids(&findings(report))
}

/// The ids the baseline comparison lists as fixed.
fn fixed_ids(report: &Value) -> BTreeSet<String> {
    report["baseline"]["fixed"]
        .as_array()
        .expect("fixed")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_string())
        .collect()
}

/// `leakprobe scan` of a fresh `module` target with `args`; the JSON report and the process output.
fn scan_with(module: &str, args: &[&str]) -> (std::process::Output, Value) {
    let target = Target::start(module);
    let out = leakprobe().args(["scan", &target.url, "--format", "json"]).args(args).output().expect("run");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("json: {}", String::from_utf8_lossy(&out.stderr)));
    common::assert_valid_report(&report);
    (out, report)
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf8 path")
}

#[test]
fn same_target_is_all_unchanged_and_fail_on_new_passes() {
    let dir = temp_dir("ci-baseline-same");
    let target = Target::start("crm_debug");
    let first = dir.join("debug.json");
    let out = leakprobe().args(["scan", &target.url, "-o"]).arg(&first).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let baseline = read_json(&first);
    let out = leakprobe()
        .args(["scan", &target.url, "--format", "json", "--baseline", arg(&first), "--fail-on-new", "low"])
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    common::assert_valid_report(&report);
    assert!(active(&report).iter().any(|(_, f)| f["severity"] == "critical"), "the findings are still there");
    assert_eq!(out.status.code(), Some(0), "nothing new: --fail-on-new passes despite critical findings");
    for (_, f) in findings(&report) {
        assert_eq!(f["baseline"], "unchanged", "{f}");
    }
    assert_eq!(all_ids(&report), all_ids(&baseline));
    let summary = &report["baseline"];
    assert_eq!(summary["new"], 0);
    assert_eq!(summary["unchanged"].as_u64(), Some(active(&report).len() as u64));
    assert_eq!(summary["fixed"].as_array().map(Vec::len), Some(0));
    assert_eq!(summary["score"], baseline["score"]);
}

#[test]
fn leaks_since_the_hardened_baseline_are_new_and_fail_the_gate() {
    let r = reports();
    let hardened = read_json(&r.hardened);
    let md = r.dir.join("pr.md");
    let (out, report) =
        scan_with("crm_verbose_errors", &["--baseline", arg(&r.hardened), "--fail-on-new", "high", "-o", arg(&md)]);
    assert_eq!(out.status.code(), Some(1), "new critical/high leaks trip --fail-on-new high");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("new finding(s) at or above --fail-on-new high"), "{stderr}");

    let before = all_ids(&hardened);
    let mut new = 0;
    for (_, f) in findings(&report) {
        let was_there = before.contains(f["id"].as_str().expect("id"));
        assert_eq!(f["baseline"], if was_there { "unchanged" } else { "new" }, "{f}");
        new += usize::from(!was_there);
    }
    assert!(new >= 5, "the verbose twin's leaks are new: {new}");
    assert_eq!(report["baseline"]["new"].as_u64(), Some(new as u64));
    let expected_fixed: BTreeSet<String> = before.difference(&all_ids(&report)).cloned().collect();
    let fixed: BTreeSet<String> = fixed_ids(&report);
    assert_eq!(fixed, expected_fixed);

    let summary = read(&md);
    assert!(summary.contains(&format!("**{new} new**")) && summary.contains("🆕"), "{summary}");
}

#[test]
fn hardening_shows_up_as_fixed() {
    let r = reports();
    let verbose = read_json(&r.verbose);
    let txt = r.dir.join("hardened.txt");
    let (out, report) =
        scan_with("crm_hardened", &["--baseline", arg(&r.verbose), "--fail-on-new", "critical", "-o", arg(&txt)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let fixed: BTreeSet<String> = fixed_ids(&report);
    assert_eq!(fixed, all_ids(&verbose).difference(&all_ids(&report)).cloned().collect::<BTreeSet<_>>());
    let fixed_checks: BTreeSet<&str> =
        report["baseline"]["fixed"].as_array().expect("fixed").iter().filter_map(|f| f["check"].as_str()).collect();
    assert!(
        fixed_checks.contains("sql_error_disclosure") && fixed_checks.contains("stack_trace_disclosure"),
        "{fixed_checks:?}"
    );
    let text = read(&txt);
    assert!(text.contains("Fixed since the baseline") && text.contains("Baseline:"), "{text}");
}

#[test]
fn diff_prints_what_appeared_disappeared_and_changed() {
    let r = reports();
    let (verbose, hardened) = (read_json(&r.verbose), read_json(&r.hardened));
    let appeared: BTreeSet<String> = all_ids(&verbose).difference(&all_ids(&hardened)).cloned().collect();
    assert!(!appeared.is_empty());

    // Text, for people.
    let out = leakprobe().args(["diff", arg(&r.hardened), arg(&r.verbose)]).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let headline = format!(
        "score {} ({}) → {} ({}), {:+}",
        hardened["score"],
        hardened["grade"].as_str().expect("grade"),
        verbose["score"],
        verbose["grade"].as_str().expect("grade"),
        verbose["score"].as_i64().expect("score") - hardened["score"].as_i64().expect("score")
    );
    assert!(text.contains(&headline), "{headline} in {text}");
    assert!(text.contains(&format!("Appeared ({}):", appeared.len())), "{text}");
    assert!(text.contains("+ [critical] SQL error"), "{text}");

    // JSON, for machines; the reverse direction sees the same findings disappear.
    let out = leakprobe().args(["diff", arg(&r.verbose), arg(&r.hardened), "--format", "json"]).output().expect("run");
    let d: Value = serde_json::from_slice(&out.stdout).expect("diff json");
    let listed = |key: &str| -> BTreeSet<String> {
        d[key].as_array().expect(key).iter().map(|e| e["id"].as_str().expect("id").to_string()).collect()
    };
    assert_eq!(listed("disappeared"), appeared);
    assert_eq!(listed("appeared"), all_ids(&hardened).difference(&all_ids(&verbose)).cloned().collect::<BTreeSet<_>>());
    assert_eq!(
        d["score_change"].as_i64(),
        Some(hardened["score"].as_i64().expect("s") - verbose["score"].as_i64().expect("s"))
    );

    // Changed: the same finding with another severity, and one that became suppressed.
    let mut edited = verbose.clone();
    let mut touched = Vec::new();
    for cat in edited["categories"].as_object_mut().expect("categories").values_mut() {
        for f in cat["findings"].as_array_mut().expect("findings") {
            if f["check"] == "server_version_disclosure" {
                f["severity"] = "high".into();
                touched.push(f["id"].clone());
            } else if f["check"] == "pii_in_response" && f.get("suppressed").is_none() {
                f["suppressed"] = serde_json::json!({"rule": "check = \"pii_in_response\"", "reason": "accepted"});
                touched.push(f["id"].clone());
            }
        }
    }
    assert_eq!(touched.len(), 2);
    let edited_path = r.dir.join("edited.json");
    std::fs::write(&edited_path, serde_json::to_vec(&edited).expect("json")).expect("write");
    let out = leakprobe().args(["diff", arg(&r.verbose), arg(&edited_path), "--format", "json"]).output().expect("run");
    let d: Value = serde_json::from_slice(&out.stdout).expect("diff json");
    assert_eq!(d["appeared"].as_array().map(Vec::len), Some(0));
    assert_eq!(d["disappeared"].as_array().map(Vec::len), Some(0));
    let changed = d["changed"].as_array().expect("changed");
    let changed_ids: BTreeSet<String> = changed.iter().map(|c| c["id"].to_string()).collect();
    assert_eq!(changed_ids, touched.iter().map(Value::to_string).collect::<BTreeSet<_>>());
    assert!(changed.iter().any(|c| c["changes"][0] == "severity: medium → high"), "{changed:?}");
    assert!(changed.iter().any(|c| c["changes"][0] == "active → suppressed"), "{changed:?}");

    // Same report: nothing to say. Gate on what appeared. Markdown for comments. Bad input.
    let out = leakprobe().args(["diff", arg(&r.verbose), arg(&r.verbose)]).output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("No findings appeared, disappeared or changed."));
    let out = leakprobe()
        .args(["diff", arg(&r.hardened), arg(&r.verbose), "--fail-on-new", "critical"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "a critical finding appeared");
    let out = leakprobe()
        .args(["diff", arg(&r.verbose), arg(&r.hardened), "--fail-on-new", "critical"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "nothing critical appeared on the hardened side");
    let out =
        leakprobe().args(["diff", arg(&r.hardened), arg(&r.verbose), "--format", "markdown"]).output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("## leakprobe diff"));
    let out = leakprobe().args(["diff", arg(&r.verbose), "/no/such/report.json"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let not_report = r.dir.join("not-a-report.json");
    std::fs::write(&not_report, "{\"name\": \"x\"}").expect("write");
    let out = leakprobe().args(["diff", arg(&not_report), arg(&r.verbose)]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a leakprobe JSON report"));
}
