//! Server-side request forgery: a link-preview service that fetches any URL (`ssrf_fetch`) and its
//! allow-listed twin (`ssrf_hardened`). The canary only runs with `--active`; without it nothing is
//! planted and the target fetches nothing.
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, scan, scan_in_process, timing_line, Target};
use serde_json::Value;

fn planted(r: &Value) -> bool {
    let text = format!("{} {}", r["query"].as_str().unwrap_or(""), r["body"].as_str().unwrap_or(""));
    let text = text.to_ascii_lowercase();
    text.contains("lp-") || text.contains("127.0.0.1") || text.contains("file%3a") || text.contains("file://")
}

#[test]
fn preview_and_webhooks_fetch_the_canary_with_active() {
    let target = Target::start("ssrf_fetch");
    let (report, _, _) = scan_in_process(&target.url, |c| {
        c.active = true;
        c.wordlist = false;
    });
    eprintln!("{}", timing_line("ssrf_fetch (--active)", &report));
    let all = findings(&report);
    let fetch: Vec<_> = all.iter().filter(|(_, f)| f["check"] == "ssrf_url_fetch").collect();

    let preview = fetch.iter().find(|(_, f)| f["endpoint"] == "/api/preview").unwrap_or_else(|| panic!("{all:#?}"));
    assert_eq!(preview.0, "ssrf");
    assert_eq!(preview.1["method"], "GET");
    assert_eq!(preview.1["severity"], "critical");
    assert_eq!(preview.1["confidence"], "confirmed");
    assert!(preview.1["title"].as_str().unwrap_or("").contains("`url`"), "{}", preview.1);
    assert!(
        preview.1["title"].as_str().unwrap_or("").contains("returns what it got"),
        "full-read, not blind: {}",
        preview.1
    );
    assert!(
        preview.1["evidence"].as_str().unwrap_or("").contains("User-Agent: linkcards/2.3"),
        "the canary saw the target itself: {}",
        preview.1
    );

    let hook = fetch.iter().find(|(_, f)| f["endpoint"] == "/api/webhooks").unwrap_or_else(|| panic!("{all:#?}"));
    assert_eq!(hook.1["method"], "POST");
    assert_eq!(hook.1["severity"], "critical");
    assert_eq!(hook.1["confidence"], "confirmed");
    assert!(
        hook.1["title"].as_str().unwrap_or("").contains("`callback_url`")
            && hook.1["title"].as_str().unwrap_or("").contains("blind"),
        "{}",
        hook.1
    );

    let relayed: Vec<_> = all.iter().filter(|(_, f)| f["check"] == "ssrf_internal_content").collect();
    assert_eq!(relayed.len(), 1, "{relayed:#?}");
    assert_eq!(relayed[0].0, "ssrf");
    assert_eq!(relayed[0].1["endpoint"], "/api/preview");
    assert_eq!(relayed[0].1["severity"], "high");
    assert!(relayed[0].1["evidence"].as_str().unwrap_or("").contains("file:///etc/passwd"), "{}", relayed[0].1);

    let fetched = target.get_json("/__test__/fetches");
    let fetched: Vec<&str> = fetched.as_array().expect("list").iter().filter_map(Value::as_str).collect();
    assert!(
        fetched.iter().all(|u| u.starts_with("http://127.0.0.1:") || *u == "file:///etc/passwd"),
        "the target was only ever pointed at the canary: {fetched:?}"
    );
}

#[test]
fn default_scan_plants_no_canary_and_sends_nothing_that_changes_state() {
    let (target, log) = Target::start_logged("ssrf_fetch");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("ssrf_fetch (default)", &out.report));

    let requests = Target::requests(&log);
    assert!(requests.len() > 20, "the scan did run: {} requests", requests.len());
    assert_only_safe_requests(&requests);
    let probes: Vec<_> = requests.iter().filter(|r| planted(r)).collect();
    assert!(probes.is_empty(), "SSRF probes without --active: {probes:#?}");
    assert_eq!(target.get_json("/__test__/fetches"), serde_json::json!([]), "the target fetched something");
    let ssrf: Vec<_> = findings(&out.report).into_iter().filter(|(c, _)| c == "ssrf").collect();
    assert!(ssrf.is_empty(), "{ssrf:#?}");
}

#[test]
fn allow_listed_twin_refuses_every_canary() {
    let (target, log) = Target::start_logged("ssrf_hardened");
    let (report, _, _) = scan_in_process(&target.url, |c| {
        c.active = true;
        c.wordlist = false;
    });
    eprintln!("{}", timing_line("ssrf_hardened (--active)", &report));
    let requests = Target::requests(&log);
    assert!(requests.iter().any(planted), "the canary was planted and refused, not skipped");
    assert_eq!(target.get_json("/__test__/fetches"), serde_json::json!([]), "the twin fetched something");
    let serious: Vec<_> = findings(&report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .collect();
    assert!(serious.is_empty(), "hardened twin has a medium-or-higher finding: {serious:#?}");
}
