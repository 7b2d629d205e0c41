//! The safety contract, measured at the target: without `--active` only GET, HEAD, OPTIONS and
//! TRACE (safe methods, RFC 9110 §9.2.1) are sent, plus requests whose bodies no handler can parse.
mod common;

use common::{scan, Target};

fn assert_only_safe_requests(module: &str, args: &[&str]) {
    let (target, log) = Target::start_logged(module);
    let out = scan(&target.url, args);
    assert_eq!(out.code, 0, "{module}: {}", out.stderr);
    let requests = Target::requests(&log);
    assert!(requests.len() > 50, "{module}: only {} requests", requests.len());
    common::assert_only_safe_requests(&requests);
    assert!(requests.iter().any(|r| r["method"] == "POST"), "{module}: the malformed-body probes were not sent");
}

#[test]
fn leaky_crm_gets_only_safe_requests_by_default() {
    assert_only_safe_requests("crm_verbose_errors", &[]);
}

#[test]
fn apps_with_write_routes_get_only_safe_requests_by_default() {
    assert_only_safe_requests("banner_leaky", &[]);
}
