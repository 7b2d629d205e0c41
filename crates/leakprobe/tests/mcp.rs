//! `leakprobe mcp` driven by a real MCP client (the official Python SDK, `tests/mcp/client_flow.py`)
//! over stdio and streamable HTTP, against the helpdesk target whose leak is switched off mid-test.
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{python, repo_root, Target};
use serde_json::Value;

/// A project directory for the server to run in: a log with personal data for `detect_pii`, and a
/// symlink that points out of it.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leakprobe-mcp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("logs")).expect("workdir");
    std::fs::write(
        dir.join("logs/support.log"),
        "2026-11-30 09:12:44 WARN ticket 4711 reopened by jonas.berg@wingtip-mail.com from 10.2.3.4\n",
    )
    .expect("log");
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc", dir.join("escape")).expect("symlink");
    dir
}

/// Runs the client script; panics with its stderr when an assertion failed.
fn client(mode: &str, server: &str, cwd: &Path, args: &[&str]) -> Value {
    let script = repo_root().join("tests/mcp/client_flow.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(mode)
        .args(["--server", server])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run the MCP client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "MCP client ({mode} via {server}) failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("client output {stdout:?}: {e}"))
}

fn stdio_server() -> String {
    format!("stdio:{}", env!("CARGO_BIN_EXE_leakprobe"))
}

/// `leakprobe mcp --http 127.0.0.1:0` in `cwd`; returns the process and its endpoint URL.
fn http_server(cwd: &Path) -> (KillOnDrop, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakprobe"))
        .args(["mcp", "--http", "127.0.0.1:0"])
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start leakprobe mcp --http");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    while stderr.read_line(&mut line).expect("server stderr") > 0 && !line.contains("listening on ") {
        line.clear();
    }
    let url =
        line.split("listening on ").nth(1).map(str::trim).unwrap_or_else(|| panic!("no URL in {line:?}")).to_string();
    (KillOnDrop(child), url)
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn full_flow(server: impl FnOnce(&Path) -> (Option<KillOnDrop>, String), name: &str) -> Value {
    let dir = workdir(name);
    let flags = dir.join("flags.json");
    let target = Target::start_env("helpdesk_api", &[("HELPDESK_FLAGS", flags.to_str().expect("utf8"))]);
    let (_server, endpoint) = server(&dir);
    let out = client("flow", &endpoint, &dir, &["--target", &target.url, "--flags", flags.to_str().expect("utf8")]);
    eprintln!("{name}: {out}");
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn mcp_over_stdio_scans_explains_rescans_and_sees_the_fix() {
    let out = full_flow(|_| (None, stdio_server()), "stdio");
    assert!(out["scan_requests"].as_u64().is_some_and(|n| n > 0), "{out}");
    assert!(out["progress_notifications"].as_u64().is_some_and(|n| n >= 3), "{out}");
}

#[test]
fn mcp_over_streamable_http_scans_explains_rescans_and_sees_the_fix() {
    let out = full_flow(
        |dir| {
            let (child, url) = http_server(dir);
            (Some(child), url)
        },
        "http",
    );
    assert!(out["leak_finding"].is_string(), "{out}");
}

#[test]
fn mcp_refuses_foreign_hosts_active_scans_escaping_paths_and_bad_urls_before_sending() {
    let dir = workdir("refusals");
    let (target, log) = Target::start_logged("helpdesk_api");
    let out = client(
        "refusals",
        &stdio_server(),
        &dir,
        &["--target", &target.url, "--request-log", log.to_str().expect("utf8")],
    );
    assert_eq!(out["sent_during_refusals"], 0, "{out}");
    assert!(out["logged_after_allowed_scan"].as_u64().is_some_and(|n| n > 0), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mcp_runs_active_scans_when_leakprobe_toml_allows_them() {
    let dir = workdir("permitted");
    std::fs::write(dir.join("leakprobe.toml"), "[mcp]\nallow_active = true\nallow_hosts = [\"api.staging.example\"]\n")
        .expect("config");
    let (target, log) = Target::start_logged("helpdesk_api");
    let out = client("permitted", &stdio_server(), &dir, &["--target", &target.url]);
    assert!(out["active_scan_requests"].as_u64().is_some_and(|n| n > 0), "{out}");
    let methods: std::collections::BTreeSet<String> =
        Target::requests(&log).iter().filter_map(|r| r["method"].as_str().map(str::to_string)).collect();
    assert!(
        methods.iter().any(|m| !["GET", "HEAD", "OPTIONS", "TRACE"].contains(&m.as_str())),
        "an active scan sent only {methods:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mcp_http_listens_only_on_loopback() {
    let out = common::leakprobe().args(["mcp", "--http", "0.0.0.0:0"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
