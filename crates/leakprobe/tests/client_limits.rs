//! The client's safety contract against real targets: rate, back-off, hostile answers.
mod common;

use std::time::Duration;

use common::{run_watching_memory, scan, Target};

#[test]
fn rate_flag_holds_the_per_host_rate() {
    let target = Target::start("rate_counter");
    let out = scan(&target.url, &["--rate", "5", "--max-requests", "25", "--no-wordlist"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let arrivals: Vec<f64> =
        target.get_json("/__test__/arrivals").as_array().expect("array").iter().filter_map(|v| v.as_f64()).collect();
    assert!(arrivals.len() >= 20, "too few requests to judge the rate: {}", arrivals.len());
    // No one-second window may hold more than 5 requests (+1 for arrival jitter at the edges).
    let busiest = arrivals
        .iter()
        .map(|&start| arrivals.iter().filter(|&&t| t >= start && t < start + 1.0).count())
        .max()
        .unwrap_or(0);
    assert!(busiest <= 6, "{busiest} requests in one second at --rate 5");
    let span = arrivals.last().unwrap_or(&0.0) - arrivals.first().unwrap_or(&0.0);
    assert!(span >= (arrivals.len() as f64 - 1.0) / 5.0 * 0.8, "{} requests in {span:.2}s", arrivals.len());
}

#[test]
fn retry_after_is_honoured_and_the_report_says_throttled() {
    let target = Target::start("throttled");
    let out = scan(&target.url, &["--no-wordlist"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.report["coverage"]["throttled"], true);
    let log = target.get_json("/__test__/log");
    let log: Vec<(f64, u64)> = log
        .as_array()
        .expect("log")
        .iter()
        .map(|e| (e[0].as_f64().expect("time"), e[1].as_u64().expect("status")))
        .collect();
    let last_refusal = log.iter().filter(|e| e.1 == 429).map(|e| e.0).fold(f64::MIN, f64::max);
    let first_after = log.iter().filter(|e| e.1 == 200).map(|e| e.0).fold(f64::MAX, f64::min);
    assert!(
        first_after - last_refusal >= 0.95,
        "no back-off: next request {:.3}s after the 429",
        first_after - last_refusal
    );
    // The root was retried and answered, so the scan has a real result.
    assert!(out.report["inventory"].as_array().is_some_and(|i| !i.is_empty()));
}

#[test]
fn endless_and_silent_answers_end_within_the_time_limit_with_bounded_memory() {
    let target = Target::start("hostile");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("leakprobe"));
    cmd.args(["scan", &target.url, "--format", "json", "--no-wordlist", "--timeout", "3s", "--time-limit", "8s"]);
    let (out, peak_kib, elapsed) = run_watching_memory(cmd);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(elapsed < Duration::from_secs(15), "scan took {elapsed:?} with --time-limit 8s");
    // 2 MiB body cap per response; the endless stream must not grow memory without bound.
    assert!(peak_kib < 150 * 1024, "peak RSS {peak_kib} KiB");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let incomplete: Vec<&str> =
        report["coverage"]["incomplete"].as_array().expect("incomplete").iter().filter_map(|v| v.as_str()).collect();
    assert!(incomplete.iter().any(|r| r.contains("cut at")), "truncated body not reported: {incomplete:?}");
    assert!(incomplete.iter().any(|r| r.contains("timeout")), "silent endpoint not reported: {incomplete:?}");
    // What did answer is still reported.
    let inventory = report["inventory"].as_array().expect("inventory");
    assert!(inventory.iter().any(|e| e["endpoint"] == "/api/ok"), "{inventory:?}");
}
