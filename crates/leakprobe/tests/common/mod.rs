//! Test harness: real Flask targets from `tests/targets/` on 127.0.0.1 with ephemeral ports, and
//! the real `leakprobe` binary run against them.
#![allow(dead_code)] // each test file uses its own subset

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[allow(unused_imports)] // each test file uses its own subset
pub use leakprobe_testkit::{pki, python, repo_root, Target};

pub fn leakprobe() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("leakprobe").expect("leakprobe binary");
    cmd.env("NO_COLOR", "1").env_remove("LEAKPROBE_LOG");
    cmd
}

pub struct ScanOutput {
    pub code: i32,
    pub report: Value,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// `leakprobe scan URL --format json ARGS…`.
pub fn scan(url: &str, args: &[&str]) -> ScanOutput {
    let started = Instant::now();
    let out = leakprobe().arg("scan").arg(url).args(["--format", "json"]).args(args).output().expect("run leakprobe");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    ScanOutput { code: out.status.code().unwrap_or(-1), report, stdout, stderr, elapsed: started.elapsed() }
}

/// Validates a report against the committed JSON Schema with Python's `jsonschema` (a real,
/// independent validator), panicking with its message when invalid.
pub fn assert_valid_report(report: &Value) {
    let schema = repo_root().join("schema/report.schema.json");
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        jsonschema.Draft202012Validator.check_schema(schema)\n\
        jsonschema.Draft202012Validator(schema).validate(json.load(sys.stdin))\n";
    let mut child = Command::new(python())
        .args(["-c", script])
        .arg(&schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    serde_json::to_writer(child.stdin.take().expect("stdin"), report).expect("write report");
    let out = child.wait_with_output().expect("validator");
    assert!(out.status.success(), "report does not match the schema:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// A finding's `pii_types` as strings.
pub fn pii(finding: &Value) -> Vec<&str> {
    finding["pii_types"].as_array().expect("pii_types").iter().filter_map(Value::as_str).collect()
}

/// Every finding of the report with its category.
pub fn findings(report: &Value) -> Vec<(String, Value)> {
    report["categories"]
        .as_object()
        .expect("categories")
        .iter()
        .flat_map(|(cat, c)| c["findings"].as_array().expect("findings").iter().map(move |f| (cat.clone(), f.clone())))
        .collect()
}

/// Runs the engine in-process against `url` (a real scan over real HTTP), with `configure` applied
/// to the default config: for settings the CLI has no flag for yet (`active`, identities). Returns
/// the report as the JSON contract, the typed report, and the wall time.
pub fn scan_in_process(
    url: &str,
    configure: impl FnOnce(&mut leakprobe_engine::ScanConfig),
) -> (Value, leakprobe_engine::report::Report, Duration) {
    let mut config = leakprobe_engine::ScanConfig::new(url).expect("config");
    configure(&mut config);
    let started = Instant::now();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let report = runtime.block_on(leakprobe_engine::scan(config, &leakprobe_engine::NoProgress)).expect("scan");
    let json = serde_json::to_value(&report).expect("report serializes");
    (json, report, started.elapsed())
}

/// Panics unless every request in a target's log is one a default (non-`--active`) scan may send:
/// GET, HEAD, OPTIONS or a bodiless unknown method, or a body that no handler can parse as JSON or
/// a form. DELETE, PUT and PATCH are never allowed.
pub fn assert_only_safe_requests(log: &[Value]) {
    for r in log {
        let method = r["method"].as_str().unwrap_or("");
        let body = r["body"].as_str().unwrap_or("");
        match method {
            "GET" | "HEAD" | "OPTIONS" | "TRACE" => continue,
            "DELETE" | "PUT" | "PATCH" => {
                panic!("state-changing {method} sent without --active: {r}")
            }
            _ => {}
        }
        if body.trim().is_empty() {
            continue;
        }
        let json_ok = serde_json::from_str::<Value>(body).is_ok();
        let form_ok = !body.starts_with(['{', '[', '<']) && body.contains('=') && !body.contains(char::is_whitespace);
        assert!(!json_ok && !form_ok, "well-formed {method} body sent without --active: {r}");
    }
}

/// `"findings: N, took X.Ys, R requests"` for a report, printed by tests for the closing notes.
pub fn timing_line(name: &str, report: &Value) -> String {
    format!(
        "{name}: {} ms, {} requests, {} findings",
        report["duration_ms"],
        report["requests"],
        findings(report).len()
    )
}

/// An identity that signs in by POSTing `body` (JSON) to `url` and keeps the answer's token at the
/// JSON pointer `token` as its bearer credential, or else the session cookie `cookie`.
pub fn login_identity(
    name: &str,
    url: &str,
    body: Value,
    token: Option<&str>,
    cookie: Option<&str>,
) -> leakprobe_engine::identity::Identity {
    leakprobe_engine::identity::Identity {
        name: name.to_string(),
        role: None,
        credential: None,
        signer: None,
        login: Some(leakprobe_engine::identity::Login {
            url: url.to_string(),
            body,
            token_pointer: token.map(str::to_string),
            cookie: cookie.map(str::to_string),
            use_as: None,
        }),
    }
}

/// Runs `cmd` to its end, polling its peak resident memory (VmHWM): `(output, peak KiB, wall time)`.
pub fn run_watching_memory(mut cmd: Command) -> (std::process::Output, u64, Duration) {
    let started = Instant::now();
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let watcher = std::thread::spawn(move || {
        let mut peak_kib = 0u64;
        while let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kib) =
                status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        peak_kib
    });
    let output = child.wait_with_output().expect("wait");
    let peak = watcher.join().unwrap_or(0);
    (output, peak, started.elapsed())
}
