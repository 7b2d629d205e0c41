//! The GitHub Action: `action.yml` declares the documented interface, and its script
//! (`scripts/action.sh`), run with the environment GitHub gives a step (`GITHUB_OUTPUT`,
//! `GITHUB_STEP_SUMMARY`, `GITHUB_ACTIONS=true`, `INPUT_*`) against Flask targets, writes the
//! outputs, the job summary and the SARIF file, and exits like the CLI.
mod ci_support;
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ci_support::{active, read, read_json, temp_dir};
use common::{repo_root, Target};

struct Step {
    code: i32,
    stdout: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

/// Runs the action's script as the composite step would: inputs as INPUT_* variables, in a
/// workspace directory, with the binary this test suite built.
fn run_step(workspace: &Path, inputs: &[(&str, &str)]) -> Step {
    let output_file = workspace.join("github_output");
    let summary_file = workspace.join("step_summary.md");
    let _ = std::fs::remove_file(&output_file);
    let _ = std::fs::remove_file(&summary_file);
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/action.sh"))
        .current_dir(workspace)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("LEAKPROBE_ACTION_PATH", repo_root())
        .env("LEAKPROBE_BIN", assert_cmd::cargo::cargo_bin("leakprobe"))
        .env("NO_COLOR", "1")
        .env_remove("LEAKPROBE_LOG");
    for (k, v) in inputs {
        cmd.env(format!("INPUT_{}", k.to_ascii_uppercase().replace('-', "_")), v);
    }
    let out = cmd.output().expect("bash");
    let outputs = std::fs::read_to_string(&output_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    Step {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary_file).unwrap_or_default(),
    }
}

const SECRET: &str = "lp-action-secret-93b1f0";

#[test]
fn action_step_writes_outputs_and_summary_and_fails_on_threshold() {
    let (target, log) = Target::start_logged("crm_verbose_errors");
    let ws = temp_dir("ci-action");
    let identities = format!(
        "Authorization: Bearer {SECRET}\n# comments and blank lines are skipped\n\nX-Api-Key: {SECRET}-key\nops=header:X-Ops-Token:{SECRET}-ops\n"
    );
    let step = run_step(
        &ws,
        &[("url", &target.url), ("fail-on", "high"), ("identities", &identities), ("sarif", "out/leakprobe.sarif")],
    );
    assert_eq!(step.code, 1, "the verbose CRM target has high findings: exit 1 like the CLI\n{}", step.stdout);

    let report_path = PathBuf::from(&step.outputs["report-path"]);
    let report = read_json(&ws.join(&report_path));
    common::assert_valid_report(&report);
    assert_eq!(step.outputs["score"], report["score"].to_string());
    assert_eq!(step.outputs["grade"], report["grade"].as_str().expect("grade"));
    assert_eq!(step.outputs["findings-count"], active(&report).len().to_string());
    assert_eq!(step.outputs["new-findings-count"], step.outputs["findings-count"], "no baseline: every finding is new");
    assert_eq!(step.outputs["exit-code"], "1");

    let sarif = read_json(&ws.join(&step.outputs["sarif-path"]));
    assert_eq!(sarif["version"], "2.1.0");
    for name in ["leakprobe.html", "leakprobe.md", "leakprobe-junit.xml"] {
        assert!(ws.join("leakprobe-report").join(name).is_file(), "{name} in report-dir");
    }

    let grade = report["grade"].as_str().expect("grade");
    assert!(
        step.summary.contains(&format!("grade **{grade}**")),
        "job summary is the Markdown report: {}",
        step.summary
    );
    assert!(step.summary.contains("| data_exposure |"));

    // GitHub masks registered secrets in the log; nothing else may carry them.
    assert!(step.stdout.contains(&format!("::add-mask::Bearer {SECRET}")), "{}", step.stdout);
    assert!(step.stdout.contains("::error title=leakprobe::threshold failed"));
    assert!(step.stdout.lines().any(|l| l == format!("::add-mask::{SECRET}")), "the token alone is masked too");
    assert!(step.stdout.lines().any(|l| l == format!("::add-mask::{SECRET}-ops")), "identity secrets are masked");
    let requests = Target::requests(&log);
    let sent = |header: &str, value: &str| requests.iter().any(|r| r["headers"][header].as_str() == Some(value));
    assert!(sent("authorization", &format!("Bearer {SECRET}")), "header lines go out as -H");
    assert!(sent("x-ops-token", &format!("{SECRET}-ops")), "NAME=SPEC lines go out as --identity");
    let elsewhere: Vec<&str> = step.stdout.lines().filter(|l| !l.starts_with("::add-mask::")).collect();
    assert!(!elsewhere.join("\n").contains(SECRET), "secret printed outside ::add-mask::");
    assert!(!step.summary.contains(SECRET) && !read(&ws.join(&report_path)).contains(SECRET));
}

#[test]
fn action_step_passes_with_a_baseline_when_nothing_new_is_bad() {
    let target = Target::start("crm_hardened");
    let ws = temp_dir("ci-action-baseline");
    // First run: the report that becomes the baseline (as the default branch's run would).
    let first = run_step(&ws, &[("url", &target.url), ("report-dir", "main"), ("sarif", "")]);
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert!(!first.outputs.contains_key("sarif-path"), "no SARIF asked for");
    let baseline = ws.join("main/leakprobe.json");
    let step = run_step(
        &ws,
        &[
            ("url", &target.url),
            ("baseline", baseline.to_str().expect("utf8")),
            ("fail-on-new", "low"),
            ("threshold", "50"),
        ],
    );
    assert_eq!(step.code, 0, "same target, nothing new: {}", step.stdout);
    assert_eq!(step.outputs["new-findings-count"], "0");
    let report = read_json(&ws.join(&step.outputs["report-path"]));
    assert!(report["baseline"].is_object(), "the baseline was applied");
    assert!(ws.join("leakprobe.sarif").is_file(), "default SARIF path");

    // A baseline path that does not exist is a warning, not a failure.
    let missing = run_step(&ws, &[("url", &target.url), ("baseline", "nope/leakprobe.json")]);
    assert_eq!(missing.code, 0);
    assert!(missing.stdout.contains("::warning title=leakprobe::baseline nope/leakprobe.json not found"));
}

#[test]
fn action_step_reports_an_unreachable_target_with_exit_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let ws = temp_dir("ci-action-down");
    let step = run_step(&ws, &[("url", &format!("http://127.0.0.1:{port}"))]);
    assert_eq!(step.code, 3);
    assert_eq!(step.outputs.get("exit-code").map(String::as_str), Some("3"));
    assert!(!step.outputs.contains_key("score"));
    assert!(step.summary.contains("no report") && step.summary.contains("exit code 3"), "{}", step.summary);

    let bad = run_step(&ws, &[("url", "http://127.0.0.1:1"), ("identities", "Authorization Bearer oops")]);
    assert_eq!(bad.code, 2, "a malformed identity line is a usage error");
    assert!(!bad.stdout.contains("Bearer oops"));
}

#[test]
fn action_yml_declares_the_documented_interface() {
    let text = read(&repo_root().join("action.yml"));
    let action: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("action.yml is YAML");
    let inputs = action["inputs"].as_mapping().expect("inputs");
    for name in ["url", "spec", "threshold", "fail-on", "identities", "baseline", "sarif"] {
        assert!(inputs.contains_key(name), "input {name}");
    }
    assert_eq!(action["inputs"]["url"]["required"].as_bool(), Some(true));
    for name in ["score", "grade", "findings-count", "report-path"] {
        assert_eq!(
            action["outputs"][name]["value"].as_str(),
            Some(format!("${{{{ steps.scan.outputs.{name} }}}}").as_str()),
            "output {name}"
        );
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let step = &action["runs"]["steps"][0];
    assert_eq!(step["id"].as_str(), Some("scan"));
    let env = step["env"].as_mapping().expect("env");
    let script = read(&repo_root().join("scripts/action.sh"));
    for name in inputs.keys().filter_map(|k| k.as_str()) {
        let var = format!("INPUT_{}", name.to_ascii_uppercase().replace('-', "_"));
        assert_eq!(
            env.get(var.as_str()).and_then(|v| v.as_str()),
            Some(format!("${{{{ inputs.{name} }}}}").as_str()),
            "{var} passes input {name}"
        );
        assert!(script.contains(&var), "scripts/action.sh reads {var}");
    }
    assert!(!step["run"].as_str().expect("run").contains("inputs."), "inputs never interpolated into the script");

    // The README shows the workflow.
    let readme = read(&repo_root().join("README.md"));
    let ci = &readme[readme.find("## In CI").expect("README has an In CI section")..];
    assert!(ci.contains("upload-sarif") && ci.contains("pull_request") && ci.contains("security-events: write"));
}
