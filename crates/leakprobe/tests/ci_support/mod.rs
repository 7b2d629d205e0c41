//! Helpers shared by the `ci_*` tests (CI outputs, suppressions, baselines, the GitHub Action).
#![allow(dead_code)] // each test file uses its own subset

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{python, repo_root};

/// A fresh, empty directory for one test's files.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leakprobe-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs a Python snippet with the venv's interpreter (jsonschema, junitparser) and returns its
/// stdout, panicking with its stderr when it fails.
pub fn python_ok<I, S>(script: &str, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .expect("python");
    assert!(out.status.success(), "python failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Findings that count (not suppressed), with their category.
pub fn active(report: &Value) -> Vec<(String, Value)> {
    crate::common::findings(report).into_iter().filter(|(_, f)| f.get("suppressed").is_none()).collect()
}

pub fn ids(findings: &[(String, Value)]) -> std::collections::BTreeSet<String> {
    findings.iter().map(|(_, f)| f["id"].as_str().expect("id").to_string()).collect()
}
