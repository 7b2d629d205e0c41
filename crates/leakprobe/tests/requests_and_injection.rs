//! Requests the endpoint will accept, and SQL injection (issue 10, section 2): the FastAPI catalog
//! (loud and quiet injection in query parameters), the Flask helpdesk login (injection in a JSON
//! body, `--active` only) and the FastAPI sign-up (a well-formed POST whose answer leaks), each
//! with its fixed twin.
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, pii, scan, timing_line, Target};
use serde_json::Value;

fn find<'a>(all: &'a [(String, Value)], check: &str, endpoint: &str) -> Option<&'a (String, Value)> {
    all.iter().find(|(_, f)| f["check"] == check && f["endpoint"] == endpoint)
}

fn expect<'a>(all: &'a [(String, Value)], check: &str, endpoint: &str) -> &'a (String, Value) {
    find(all, check, endpoint).unwrap_or_else(|| {
        let have: Vec<_> =
            all.iter().map(|(_, f)| format!("{} {} {}", f["check"], f["method"], f["endpoint"])).collect();
        panic!("no {check} on {endpoint}; findings: {have:#?}")
    })
}

/// Findings of medium severity or more, as `check method endpoint` lines.
fn serious(report: &Value) -> Vec<String> {
    findings(report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .map(|(_, f)| format!("{} {} {}: {}", f["check"], f["method"], f["endpoint"], f["evidence"]))
        .collect()
}

fn evidence(f: &Value) -> &str {
    f["evidence"].as_str().unwrap_or("")
}

/// Requests in a target's log with this method and path.
fn sent<'a>(log: &'a [Value], method: &str, path: &str) -> Vec<&'a Value> {
    log.iter().filter(|r| r["method"] == method && r["path"] == path).collect()
}

#[test]
fn catalog_query_injection_is_proved_by_the_database_error_and_by_true_false_conditions() {
    let (target, log) = Target::start_logged("catalog_fastapi");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("catalog_fastapi", &out.report));
    let all = findings(&out.report);

    // Loud: the quote's SQLite error comes back through the JSON 500 handler.
    let (category, loud) = expect(&all, "sql_injection", "/api/products");
    assert_eq!(category, "input_validation");
    assert_eq!(loud["method"], "GET");
    assert_eq!(loud["severity"], "high");
    assert_eq!(loud["confidence"], "confirmed");
    assert_eq!(loud["cwe"], serde_json::json!([89]));
    assert!(evidence(loud).contains("`category`") && evidence(loud).contains("unrecognized token"), "{loud}");

    // The same in a path parameter, filled with a SKU harvested from the product list.
    let (_, by_sku) = expect(&all, "sql_injection", "/api/products/by-sku/{sku}");
    assert_eq!(by_sku["confidence"], "confirmed");
    assert!(evidence(by_sku).contains("path parameter `sku`"), "{by_sku}");

    // Quiet: errors are swallowed, only `' OR 1=1-- ` against `' OR 1=2-- ` shows it.
    let (_, quiet) = expect(&all, "sql_injection", "/api/stores/search");
    assert_eq!(quiet["severity"], "high");
    assert_eq!(quiet["confidence"], "high");
    assert!(evidence(quiet).contains("`city`") && evidence(quiet).contains("(true)"), "{quiet}");

    // One root cause: the quote's 500 is not also a generic malformed-input finding.
    assert!(find(&all, "server_error_on_malformed_input", "/api/products").is_none(), "{:#?}", serious(&out.report));
    // Typed path ids (FastAPI answers 422) are not injection.
    assert!(find(&all, "sql_injection", "/api/products/{product_id}").is_none());

    // The value came from the catalog's own answers (a real category), not a random string.
    let requests = Target::requests(&log);
    assert!(
        sent(&requests, "GET", "/api/products")
            .iter()
            .any(|r| r["query"].as_str().unwrap_or("").starts_with("category=tents")),
        "no well-formed search with a harvested category"
    );
    assert_only_safe_requests(&requests);
    assert!(requests.iter().all(|r| r["method"] != "DELETE"));
}

#[test]
fn parameterized_catalog_is_clean() {
    let target = Target::start_env("catalog_fastapi", &[("CATALOG_PARAMETERIZED", "1")]);
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    eprintln!("{}", timing_line("catalog_fastapi (parameterized)", &out.report));
    assert_eq!(serious(&out.report), Vec::<String>::new());
}

#[test]
fn active_scan_exercises_writes_but_never_deletes() {
    let (target, log) = Target::start_logged("catalog_fastapi");
    let out = scan(&target.url, &["--active"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let requests = Target::requests(&log);
    // The spec's POST /api/products was sent with a body its pydantic model accepts.
    let created = sent(&requests, "POST", "/api/products");
    let well_formed = created.iter().find(|r| {
        serde_json::from_str::<Value>(r["body"].as_str().unwrap_or(""))
            .is_ok_and(|b| b["sku"].is_string() && b["price_cents"].is_number())
    });
    assert!(well_formed.is_some(), "no well-formed POST /api/products: {created:#?}");
    assert!(requests.iter().all(|r| r["method"] != "DELETE"), "DELETE sent");
}

#[test]
fn login_body_injection_needs_active_and_is_found_with_it() {
    let (target, log) = Target::start_logged("helpdesk_auth");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all = findings(&out.report);
    assert!(find(&all, "sql_injection", "/api/auth/login").is_none());
    // The default scan sent no well-formed login at all.
    let requests = Target::requests(&log);
    assert_only_safe_requests(&requests);
    assert!(sent(&requests, "POST", "/api/auth/login")
        .iter()
        .all(|r| !r["body"].as_str().unwrap_or("").contains("username")));
    drop(target);

    let target = Target::start("helpdesk_auth");
    let out = scan(&target.url, &["--active"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("helpdesk_auth --active", &out.report));
    let all = findings(&out.report);
    let (category, login) = expect(&all, "sql_injection", "/api/auth/login");
    assert_eq!(category, "input_validation");
    assert_eq!(login["method"], "POST");
    assert_eq!(login["severity"], "high");
    assert_eq!(login["confidence"], "high", "errors are hidden: boolean proof");
    assert!(
        evidence(login).contains("`username`")
            && evidence(login).contains("→ 200")
            && evidence(login).contains("→ 401"),
        "{login}"
    );
}

#[test]
fn parameterized_login_is_clean_even_with_active() {
    let target = Target::start_env("helpdesk_auth", &[("HELPDESK_SAFE", "1")]);
    let out = scan(&target.url, &["--active"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    eprintln!("{}", timing_line("helpdesk_auth (safe) --active", &out.report));
    assert_eq!(serious(&out.report), Vec::<String>::new());
}

#[test]
fn well_formed_posts_leak_password_api_key_and_reset_pin_only_with_active() {
    let (target, log) = Target::start_logged("signup_fastapi");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(serious(&out.report), Vec::<String>::new(), "nothing is found without sending a registration");
    let requests = Target::requests(&log);
    assert_only_safe_requests(&requests);
    drop(target);

    let (target, log) = Target::start_logged("signup_fastapi");
    let out = scan(&target.url, &["--active"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("signup_fastapi --active", &out.report));
    let all = findings(&out.report);
    let (category, leak) = expect(&all, "pii_in_response", "/api/v1/register");
    assert_eq!(category, "data_exposure");
    assert_eq!(leak["method"], "POST");
    assert_eq!(leak["severity"], "high");
    let types = pii(leak);
    assert!(types.contains(&"password") && types.contains(&"api_key"), "{types:?}");
    // The reset PIN in the answer to a well-formed reset request.
    let (_, pin) = expect(&all, "pii_in_response", "/api/v1/password-reset");
    assert_eq!(pin["method"], "POST");
    assert_eq!(pin["severity"], "high");
    assert_eq!(pii(pin), vec!["secret"]);
    // The body the pydantic model accepted: e-mail, a long enough password, the first plan.
    let requests = Target::requests(&log);
    let registered = sent(&requests, "POST", "/api/v1/register")
        .into_iter()
        .filter_map(|r| serde_json::from_str::<Value>(r["body"].as_str().unwrap_or("")).ok())
        .find(|b| b["plan"] == "starter")
        .expect("a well-formed registration");
    assert!(registered["email"].as_str().unwrap_or("").contains('@'));
    assert!(registered["password"].as_str().unwrap_or("").len() >= 10);
}

#[test]
fn registration_twin_answers_only_an_id() {
    let target = Target::start_env("signup_fastapi", &[("SIGNUP_RESPONSE_MODEL", "1")]);
    let out = scan(&target.url, &["--active"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    eprintln!("{}", timing_line("signup_fastapi (response model) --active", &out.report));
    assert_eq!(serious(&out.report), Vec::<String>::new());
}
