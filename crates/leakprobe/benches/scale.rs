//! The scale bench (`cargo bench -p leakprobe --bench scale`): a default scan of the generated API
//! (tests/targets/generated_api.py) at 100, 1,000 and 5,000 operations and with a 20 MB spec, by
//! the release binary. Prints wall time, requests, peak RSS, the planted leaks found (and which
//! were missed), `coverage.complete` and the checks that skipped work, with why. Nothing is
//! asserted: tests/scale.rs holds the assertions that fit in CI.
#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{python, repo_root, Target};
use serde_json::Value;

fn planted(env: &[(&str, &str)]) -> Vec<(String, String)> {
    let out = Command::new(python())
        .arg(repo_root().join("tests/targets/generated_api.py"))
        .arg("--planted")
        .envs(env.iter().copied())
        .output()
        .expect("generator");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| (v["check"].as_str().unwrap_or("").to_string(), v["endpoint"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// Runs the scan, polling the peak RSS (VmHWM) of the process while it runs.
fn scan(url: &str) -> (Value, u64, Duration) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_leakprobe"))
        .args(["scan", url, "--format", "json"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("leakprobe");
    let status_path = format!("/proc/{}/status", child.id());
    let watcher = std::thread::spawn(move || {
        let mut peak_kib = 0u64;
        while let Ok(status) = std::fs::read_to_string(&status_path) {
            let hwm = status.lines().find(|l| l.starts_with("VmHWM:"));
            if let Some(kib) = hwm.and_then(|l| l.split_whitespace().nth(1)?.parse().ok()) {
                peak_kib = peak_kib.max(kib);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        peak_kib
    });
    let out = child.wait_with_output().expect("wait");
    let peak = watcher.join().unwrap_or(0);
    (serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), peak, started.elapsed())
}

fn main() {
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("100 ops", &[("GEN_OPS", "100")]),
        ("1,000 ops", &[("GEN_OPS", "1000")]),
        ("5,000 ops", &[("GEN_OPS", "5000")]),
        ("20 MB spec", &[("GEN_OPS", "5000"), ("GEN_SPEC_PAD_MB", "20")]),
    ];
    for (name, env) in cases {
        let target = Target::start_env("generated_api", env);
        let planted = planted(env);
        let (report, peak_kib, elapsed) = scan(&target.url);
        let found: BTreeSet<(String, String)> = common::findings(&report)
            .into_iter()
            .map(|(_, f)| {
                (f["check"].as_str().unwrap_or("").to_string(), f["endpoint"].as_str().unwrap_or("").to_string())
            })
            .collect();
        let missed: Vec<String> =
            planted.iter().filter(|p| !found.contains(*p)).map(|(c, e)| format!("{c} {e}")).collect();
        let skipped: Vec<String> = report["coverage"]["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                let reasons: Vec<String> = c["skipped"]
                    .as_array()?
                    .iter()
                    .filter(|s| matches!(s["reason"].as_str(), Some("budget" | "time limit")))
                    .map(|s| format!("{} {}", s["count"], s["reason"].as_str().unwrap_or("")))
                    .collect();
                (!reasons.is_empty()).then(|| format!("{} ({})", c["check"].as_str().unwrap_or(""), reasons.join(", ")))
            })
            .collect();
        println!(
            "{name:<11} {:>7.1} s {:>5} requests {:>5} MB peak RSS  leaks {}/{}  complete {}",
            elapsed.as_secs_f64(),
            report["requests"],
            peak_kib / 1024,
            planted.len() - missed.len(),
            planted.len(),
            report["coverage"]["complete"],
        );
        if !missed.is_empty() {
            println!("    missed: {}", missed.join("; "));
        }
        if !skipped.is_empty() {
            println!("    skipped: {}", skipped.join("; "));
        }
    }
}
