//! The analysis phase under the scan's limits, against hostile targets (`tests/targets/hostile.py`):
//! its grace past a spent time limit follows the limit (a short limit is not overrun by seconds) and
//! the report says how many answers went unread; every body nested too deep to parse is counted,
//! whether or not an analyzer read it.
mod common;

use std::time::{Duration, Instant};

use common::Target;
use serde_json::Value;

fn incomplete(report: &Value) -> Vec<String> {
    report["coverage"]["incomplete"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// `(not analysed, of)` from "time limit reached during analysis: N of M response(s) not analysed".
fn not_analysed(reasons: &[String]) -> Option<(usize, usize)> {
    reasons.iter().find_map(|r| {
        let counts =
            r.strip_prefix("time limit reached during analysis: ")?.strip_suffix(" response(s) not analysed")?;
        let (n, m) = counts.split_once(" of ")?;
        Some((n.parse().ok()?, m.parse().ok()?))
    })
}

/// Dozens of 2 MiB JSON pages, and one endpoint that holds its requests past the time limit: the
/// analysis starts with the limit spent. It gets a tenth of a 3 s limit (the fixed 5 s before made
/// this scan take 8 s and more), stops there and says how much it left; given time, it reads all.
#[test]
fn analysis_past_a_spent_time_limit_is_short_and_says_what_it_left() {
    let target = Target::start_env("hostile", &[("HOSTILE_CASE", "pages_silent")]);
    let limit = Duration::from_secs(3);
    let started = Instant::now();
    let out = common::scan(&target.url, &["--no-wordlist", "--timeout", "30s", "--time-limit", "3s"]);
    let took = started.elapsed();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reasons = incomplete(&out.report);
    let (left, of) = not_analysed(&reasons).unwrap_or_else(|| panic!("analysis not cut: {reasons:?}"));
    let requests = out.report["requests"].as_u64().expect("requests") as usize;
    assert!(left >= 1 && left <= of && of <= requests, "{left} of {of}, {requests} requests");
    assert_eq!(out.report["coverage"]["complete"], false);
    // The deadline, the grace (≤ 0.3 s), one exchange being analysed and the report.
    assert!(took < limit + Duration::from_secs(4), "scan took {took:?} with --time-limit 3s");

    // The same pages with time to spare (the silent endpoint now ends at its 1 s timeout): read whole.
    let out = common::scan(&target.url, &["--no-wordlist", "--timeout", "1s", "--time-limit", "60s"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reasons = incomplete(&out.report);
    assert_eq!(not_analysed(&reasons), None, "{reasons:?}");
}

/// Every answer but `/` is JSON nested 10⁶ deep, and the same for every path, so it is the site's
/// soft-404 page and no analyzer reads it: each such body is still counted, once, and only those.
#[test]
fn every_body_too_deep_to_parse_is_counted_once_whoever_reads_it() {
    let target = Target::start_env("hostile", &[("HOSTILE_CASE", "deep_json")]);
    let out = common::leakprobe()
        .args([
            "-vv",
            "scan",
            &target.url,
            "--format",
            "json",
            "--no-wordlist",
            "--timeout",
            "3s",
            "--time-limit",
            "20s",
        ])
        .output()
        .expect("run leakprobe");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    // `-vv` logs each request: answers with a body other than `/` carry the deep JSON.
    let log = String::from_utf8_lossy(&out.stderr);
    let deep_bodies = log
        .lines()
        .filter(|l| l.contains(" request ") && l.contains("status=200"))
        .filter(|l| !l.contains("method=HEAD") && !l.contains("path=/ "))
        .count();
    assert!(deep_bodies >= 3, "{log}");
    let reasons = incomplete(&report);
    let counted: Vec<usize> = reasons
        .iter()
        .filter_map(|r| r.strip_suffix(" response body(ies) nested deeper than 128 levels, read only to that depth"))
        .map(|n| n.parse().expect("count"))
        .collect();
    assert_eq!(counted, [deep_bodies], "{reasons:?}");
    assert_eq!(report["coverage"]["complete"], false);
    common::assert_valid_report(&report);
}
