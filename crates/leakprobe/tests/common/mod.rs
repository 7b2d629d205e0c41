//! Test harness: real Flask targets from `tests/targets/` on 127.0.0.1 with ephemeral ports, and
//! the real `leakprobe` binary run against them.
#![allow(dead_code)] // each test file uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// The venv's Python (created by `scripts/test.sh`), or `LEAKPROBE_PYTHON`.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("LEAKPROBE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".venv/bin/python");
    assert!(venv.exists(), "no Python venv at {}: run scripts/test.sh, which creates it", venv.display());
    venv
}

/// A Flask target from `tests/targets/`, stopped when dropped.
pub struct Target {
    child: Child,
    pub url: String,
    pub port: u16,
}

impl Target {
    pub fn start(module: &str) -> Target {
        Self::start_env(module, &[])
    }

    /// A target that appends every request it receives (method, path, query, body, headers) to a
    /// JSON-lines file; read it with [`Target::requests`].
    pub fn start_logged(module: &str) -> (Target, PathBuf) {
        let log = std::env::temp_dir().join(format!("leakprobe-{module}-{}-{:?}.jsonl", std::process::id(), std::thread::current().id()));
        let _ = std::fs::remove_file(&log);
        let target = Self::start_env(module, &[("TARGET_REQUEST_LOG", log.to_str().expect("utf8 path"))]);
        (target, log)
    }

    pub fn requests(log: &Path) -> Vec<Value> {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("request log line"))
            .collect()
    }

    pub fn start_env(module: &str, env: &[(&str, &str)]) -> Target {
        let dir = repo_root().join("tests/targets");
        let mut child = Command::new(python())
            .arg(dir.join("serve.py"))
            .arg(module)
            .envs(env.iter().copied())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start target {module}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("target's first line");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("target {module} did not report its port: {line:?}"));
        let target = Target { child, url: format!("http://127.0.0.1:{port}"), port };
        target.wait_until_up();
        target
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("target on port {} never answered", self.port);
    }

    /// GET a test-only endpoint of the target (bookkeeping the scanner never sees).
    pub fn get_json(&self, path: &str) -> Value {
        let url = format!("{}{}", self.url, path);
        let out = Command::new(python())
            .args(["-c", "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())", &url])
            .output()
            .expect("python");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{url}: {e}"))
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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

/// Every finding of the report with its category.
pub fn findings(report: &Value) -> Vec<(String, Value)> {
    report["categories"]
        .as_object()
        .expect("categories")
        .iter()
        .flat_map(|(cat, c)| c["findings"].as_array().expect("findings").iter().map(move |f| (cat.clone(), f.clone())))
        .collect()
}
