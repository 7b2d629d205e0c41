//! The analysis phase under the scan's limits, against hostile targets (`tests/targets/hostile.py`):
//! its grace past a spent time limit follows the limit (a short limit is not overrun by seconds) and
//! the report says how many answers went unread; every body nested too deep to parse is counted,
//! whether or not an analyzer read it. (`analysis_grace` in the engine has the unit tests of the
//! grace's size: a scan long enough to need more than 5 s of it costs too much CI time.)
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

/// Dozens of 1.9 MB pages of records, and one endpoint that holds its requests past the time limit: the
/// analysis starts with the limit spent. It gets a tenth of the 1 s limit (a fixed 5 s before),
/// stops there and the report says how many answers it left.
#[test]
fn analysis_past_a_spent_time_limit_is_short_and_says_what_it_left() {
    let target = Target::start_env("hostile", &[("HOSTILE_CASE", "pages_silent")]);
    let started = Instant::now();
    let out = common::leakprobe()
        .args([
            "-v",
            "scan",
            &target.url,
            "--format",
            "json",
            "--no-wordlist",
            "--timeout",
            "30s",
            "--time-limit",
            "1s",
        ])
        .output()
        .expect("run leakprobe");
    let took = started.elapsed();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    // The acceptance bound of every hostile case.
    assert!(took < Duration::from_secs(1 + 15), "scan took {took:?} with --time-limit 1s");
    // `-v`: the engine's `analysis exchanges=N analysed=N bytes=N ms=N` line.
    let event =
        log.lines().find(|l| l.contains(": analysis exchanges=")).unwrap_or_else(|| panic!("no analysis event: {log}"));
    let field = |name: &str| -> usize {
        let value = event.split_whitespace().find_map(|f| f.strip_prefix(name)?.strip_prefix('='));
        value.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {name} in {event}"))
    };
    let (exchanges, analysed, ms) = (field("exchanges"), field("analysed"), field("ms"));
    assert!(field("bytes") > 20 << 20, "the pages were not read: {event}");
    // 0.1 s of grace, plus the answers being analysed when it ran out.
    assert!(ms < 2_000, "analysis ran {ms} ms past a spent 1 s limit");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    let reasons = incomplete(&report);
    assert!(analysed < exchanges, "{event}");
    assert_eq!(not_analysed(&reasons), Some((exchanges - analysed, exchanges)), "{reasons:?}");
    assert_eq!(report["coverage"]["complete"], false);
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
        .filter(|l| l.contains(" request ") && l.contains("status=\"200\""))
        .filter(|l| !l.contains("method=HEAD") && !l.contains("path=\"/\" "))
        .count();
    assert!(deep_bodies >= 3, "{log}");
    let reasons = incomplete(&report);
    let counted: Vec<usize> = reasons
        .iter()
        .filter_map(|r| r.strip_suffix(" response body(ies) nested deeper than 128 levels, read only to that depth"))
        .map(|n| n.parse().expect("count"))
        .collect();
    assert_eq!(counted, [deep_bodies], "{reasons:?}");
    // With time left, the analysis reads every answer and says nothing of it.
    assert_eq!(not_analysed(&reasons), None, "{reasons:?}");
    assert_eq!(report["coverage"]["complete"], false);
    common::assert_valid_report(&report);
}
