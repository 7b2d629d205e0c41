//! Throttling and page-size caps: a members directory with neither (`ratelimit_open`) and its
//! hardened twin (`ratelimit_guarded`: RateLimit headers, 429 past the window, `limit` capped).
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, scan, scan_in_process, timing_line, Target};
use serde_json::Value;

fn by_check<'a>(all: &'a [(String, Value)], check: &str) -> Vec<&'a (String, Value)> {
    all.iter().filter(|(_, f)| f["check"] == check).collect()
}

use common::pii;

#[test]
fn open_directory_answers_bursts_and_uncapped_pages_without_sending_writes() {
    let (target, log) = Target::start_logged("ratelimit_open");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("ratelimit_open (default)", &out.report));
    let all = findings(&out.report);

    let bursts = by_check(&all, "missing_rate_limit");
    let lookup = bursts
        .iter()
        .find(|(_, f)| f["endpoint"] == "/api/users/lookup")
        .unwrap_or_else(|| panic!("no lookup finding: {bursts:#?}"));
    assert_eq!(lookup.0, "rate_limiting");
    assert_eq!(lookup.1["method"], "GET");
    assert_eq!(lookup.1["severity"], "medium");
    assert_eq!(lookup.1["confidence"], "medium", "twenty answers make it likely, not proven");
    let evidence = lookup.1["evidence"].as_str().unwrap_or("");
    assert!(evidence.contains("email=…") && !evidence.contains("jane.doe"), "query values are hidden: {evidence}");

    let list = bursts
        .iter()
        .find(|(_, f)| f["endpoint"] == "/api/users")
        .unwrap_or_else(|| panic!("no personal-data finding: {bursts:#?}"));
    assert_eq!(list.1["severity"], "medium");
    assert!(pii(&list.1).contains(&"email"), "{:?}", list.1);
    assert!(!bursts.iter().any(|(_, f)| f["method"] == "POST"), "the login burst needs --active: {bursts:#?}");

    let pages = by_check(&all, "unbounded_page_size");
    assert_eq!(pages.len(), 1, "{pages:#?}");
    let (category, page) = pages[0];
    assert_eq!(category, "rate_limiting");
    assert_eq!(page["endpoint"], "/api/users");
    assert_eq!(page["severity"], "high", "the uncapped page is full of contact details");
    assert_eq!(page["confidence"], "confirmed");
    assert!(pii(page).contains(&"email"), "{page}");
    assert!(page["evidence"].as_str().unwrap_or("").contains("300 items"), "{page}");

    let requests = Target::requests(&log);
    assert_only_safe_requests(&requests);
    let burst_requests = requests.iter().filter(|r| r["query"].as_str().unwrap_or("").contains("_lp=")).count();
    assert!(burst_requests <= 3 * 20, "bursts are bounded: {burst_requests}");
    assert!(
        !requests.iter().any(|r| r["path"] == "/api/login" && r["body"].as_str().unwrap_or("").contains("password")),
        "no login attempt without --active"
    );
}

#[test]
fn open_login_takes_twenty_wrong_passwords_with_active() {
    let target = Target::start("ratelimit_open");
    let (report, _, _) = scan_in_process(&target.url, |c| {
        c.active = true;
        c.wordlist = false;
    });
    eprintln!("{}", timing_line("ratelimit_open (--active)", &report));
    let all = findings(&report);
    let login: Vec<_> =
        by_check(&all, "missing_rate_limit").into_iter().filter(|(_, f)| f["endpoint"] == "/api/login").collect();
    assert_eq!(login.len(), 1, "{all:#?}");
    let (category, f) = login[0];
    assert_eq!(category, "rate_limiting");
    assert_eq!(f["method"], "POST");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["confidence"], "high", "every attempt was refused as a login (401)");
    assert!(f["evidence"].as_str().unwrap_or("").contains("401"), "{f}");
}

#[test]
fn guarded_twin_is_clean_and_bursts_stop_at_the_first_rate_limit_header() {
    let (target, log) = Target::start_logged("ratelimit_guarded");
    let (report, _, _) = scan_in_process(&target.url, |c| c.active = true);
    eprintln!("{}", timing_line("ratelimit_guarded (--active)", &report));
    let all = findings(&report);
    let ours: Vec<_> = all.iter().filter(|(c, _)| c == "rate_limiting").collect();
    assert!(ours.is_empty(), "{ours:#?}");
    let serious: Vec<_> =
        all.iter().filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical"))).collect();
    assert!(serious.is_empty(), "hardened twin has a medium-or-higher finding: {serious:#?}");

    let requests = Target::requests(&log);
    let bursts = requests.iter().filter(|r| r["query"].as_str().unwrap_or("").contains("_lp=")).count();
    assert!(bursts <= 2, "a metered endpoint needs no burst: {bursts} burst requests");
    let logins = requests
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"] == "/api/login"
                && r["body"].as_str().unwrap_or("").contains("leakprobe.invalid")
        })
        .count();
    assert_eq!(logins, 1, "the first login attempt carries RateLimit headers: stop there");
}
