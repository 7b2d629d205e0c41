//! Precision: what users notice first (issue 10, section 4). A set of realistic targets that must
//! stay at zero medium-or-higher findings — a portal serving swagger-ui and a minified app bundle,
//! the signed-in customer's own profile, an environment listing with `PWD`, card and e-mail checks
//! that echo what they were sent — each with a leaky counterpart proving the detectors still fire;
//! and "one leak, one finding" on the existing debug, banner and static-file targets.
mod common;

use common::{assert_valid_report, findings, leakprobe, pii, scan, timing_line, Target};
use serde_json::Value;

/// The portal's bearer token for its customer `dana` (see `tests/targets/precision_portal.py`).
const DANA: &str = "dana=bearer:tok-dana-7f3e9a1c5b";

/// Findings at medium or above, every one of them.
fn loud(report: &Value) -> Vec<String> {
    findings(report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .map(|(c, f)| {
            format!("{c}/{} {} {} {}: {}", f["check"], f["severity"], f["methods"], f["endpoint"], f["title"])
        })
        .collect()
}

fn on<'a>(all: &'a [(String, Value)], check: &str, endpoint: &str) -> Option<&'a Value> {
    all.iter().map(|(_, f)| f).find(|f| f["check"] == check && f["endpoint"] == endpoint)
}

fn paths_requested(log: &[Value]) -> Vec<String> {
    log.iter().map(|r| r["path"].as_str().unwrap_or("").to_string()).collect()
}

#[test]
fn portal_with_swagger_ui_minified_js_own_profile_and_env_listing_stays_quiet() {
    let (target, log) = Target::start_logged("precision_portal");
    let out = scan(&target.url, &["--identity", DANA]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("precision_portal", &out.report));
    let requested = paths_requested(&Target::requests(&log));
    // The scan did read every part that used to cry wolf, so their silence means something.
    for path in ["/static/swagger-ui/swagger-ui-bundle.js", "/static/js/main.3f9a1c.js", "/api/me", "/ops/diagnostics"]
    {
        assert!(requested.iter().any(|p| p == path), "{path} never requested: {requested:?}");
    }
    assert_eq!(loud(&out.report), Vec::<String>::new(), "the precision set must stay below medium");

    let all = findings(&out.report);
    assert!(
        all.iter().all(|(_, f)| !f["endpoint"].as_str().unwrap_or("").starts_with("/static/")),
        "code is not data: {all:#?}"
    );
    // Dana's own record: low, with all her name fields, because it is hers.
    let me = on(&all, "pii_in_response", "/api/me").expect("the profile is still noted");
    assert_eq!(me["severity"], "low");
    assert!(pii(me).contains(&"email") && pii(me).contains(&"name"), "{me}");
    // PWD, OLDPWD, HOME, PATH are directories, not passwords, in every check.
    assert!(on(&all, "pii_in_response", "/ops/diagnostics").is_none(), "{all:#?}");
    assert!(on(&all, "sensitive_property_exposure", "/ops/diagnostics").is_none(), "{all:#?}");
    // X-Powered-By only on the health check is the health check's fact, not the origin's.
    let powered =
        all.iter().map(|(_, f)| f).find(|f| f["check"] == "powered_by_disclosure").expect("X-Powered-By seen");
    assert_eq!(powered["endpoint"], "/health");
}

#[test]
fn leaky_portal_still_reports_every_customer_and_the_environments_secrets() {
    let target = Target::start_env("precision_portal", &[("PORTAL_LEAKY", "1")]);
    let out = scan(&target.url, &["--identity", DANA]);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("precision_portal leaky", &out.report));
    let all = findings(&out.report);
    let me = on(&all, "pii_in_response", "/api/me").expect("all customers on /api/me");
    assert!(matches!(me["severity"].as_str(), Some("medium" | "high" | "critical")), "{me}");
    let env = on(&all, "pii_in_response", "/ops/diagnostics").expect("secrets in the environment listing");
    assert!(matches!(env["severity"].as_str(), Some("high" | "critical")), "{env}");
    let kinds = pii(env);
    assert!(kinds.contains(&"api_key") && kinds.contains(&"secret"), "{env}");
    // Still only the swagger/app bundles' silence: the scan knows the difference.
    assert!(all.iter().all(|(_, f)| !f["endpoint"].as_str().unwrap_or("").starts_with("/static/")), "{all:#?}");
}

#[test]
fn card_and_email_checks_echoing_their_input_are_not_leaks() {
    let (target, log) = Target::start_logged("card_checks");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("card_checks", &out.report));
    let requested = paths_requested(&Target::requests(&log));
    assert!(requested.iter().any(|p| p == "/api/cards/4485275742308327/validate"), "{requested:?}");
    assert!(requested.iter().any(|p| p == "/api/accounts/lookup"), "{requested:?}");
    // The detector does see a card number in the echo; the scan knows the request carried it.
    let echo = r#"{"number":"4485275742308327","valid":true,"brand":"visa"}"#;
    let detected = leakprobe().args(["detect", "-"]).write_stdin(echo).output().expect("detect");
    assert!(String::from_utf8_lossy(&detected.stdout).contains("credit_card"), "the detector must flag the bare body");
    assert_eq!(loud(&out.report), Vec::<String>::new());
    let all = findings(&out.report);
    assert!(on(&all, "pii_in_response", "/api/cards/{number}/validate").is_none(), "{all:#?}");
    assert!(on(&all, "pii_in_response", "/api/accounts/lookup").is_none(), "{all:#?}");
}

#[test]
fn lookup_that_returns_more_than_it_was_sent_is_a_leak() {
    let target = Target::start_env("card_checks", &[("CARD_CHECKS_LEAKY", "1")]);
    let out = scan(&target.url, &[]);
    assert_valid_report(&out.report);
    let all = findings(&out.report);
    let lookup = on(&all, "pii_in_response", "/api/accounts/lookup").expect("phone and birthday returned");
    assert!(matches!(lookup["severity"].as_str(), Some("medium" | "high" | "critical")), "{lookup}");
    assert!(pii(lookup).contains(&"phone"), "{lookup}");
    // The e-mail the caller sent is still not counted as exposed.
    assert!(!lookup["evidence"].as_str().unwrap_or("").contains("email"), "{lookup}");
}

#[test]
fn debugger_target_reports_one_leak_once_and_links_consequences_to_their_root() {
    let target = Target::start("crm_debug");
    let out = scan(&target.url, &[]);
    assert_valid_report(&out.report);
    let all = findings(&out.report);
    // The console's script globals are the debugger's, reported by werkzeug_debugger only,
    // not again as a "secret in the response" on four methods.
    assert!(on(&all, "pii_in_response", "/console").is_none(), "{all:#?}");
    let mut keys: Vec<(String, String)> =
        all.iter().map(|(_, f)| (f["check"].to_string(), f["endpoint"].to_string())).collect();
    let before = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), before, "one finding per check and endpoint, methods listed: {all:#?}");

    let debugger = on(&all, "werkzeug_debugger", "*").expect("debugger confirmed");
    let page = on(&all, "werkzeug_debugger_page", "/api/users/{id}").expect("debugger page");
    assert_eq!(page["related"], debugger["id"]);
    let error = on(&all, "server_error_on_malformed_input", "/api/users/{id}").expect("the 500");
    assert_eq!(error["related"], page["id"]);
    let ledger = out.report["ledger"].as_array().expect("ledger");
    for related in [page, error] {
        let line = ledger.iter().find(|l| l["finding"] == related["id"]).expect("ledger line");
        assert_eq!(line["deduction"], 0, "{line}");
        assert!(line["reason"].as_str().unwrap_or("").contains("follows from"), "{line}");
    }
}

#[test]
fn basic_auth_on_get_and_head_is_one_finding_listing_both_methods() {
    let target = Target::start("banner_leaky");
    let out = scan(&target.url, &[]);
    assert_valid_report(&out.report);
    let all = findings(&out.report);
    let basic: Vec<&Value> = all.iter().map(|(_, f)| f).filter(|f| f["check"] == "basic_auth_cleartext").collect();
    assert_eq!(basic.len(), 1, "{basic:#?}");
    assert_eq!(basic[0]["methods"], serde_json::json!(["GET", "HEAD"]));
    assert_eq!(basic[0]["method"], "GET");
    // The realm is only on /admin's answer: that is where it is reported.
    assert_eq!(on(&all, "auth_realm_disclosure", "/admin").map(|f| f["severity"].clone()), Some("low".into()));
    // X-Powered-By is stamped on every answer: origin-wide.
    assert!(on(&all, "powered_by_disclosure", "*").is_some(), "{all:#?}");
}

#[test]
fn served_files_carry_their_data_and_are_not_reported_again_as_generic_pii() {
    let target = Target::start("static_leaks");
    let out = scan(&target.url, &[]);
    assert_valid_report(&out.report);
    let all = findings(&out.report);
    for file in ["/.env", "/config.py", "/northwind.sql", "/server.key", "/uploads/users.csv", "/docker-compose.yml"] {
        assert!(on(&all, "pii_in_response", file).is_none(), "{file} reported twice: {all:#?}");
    }
    let env = on(&all, "config_file_exposed", "/.env").expect(".env");
    for kind in ["password", "api_key", "secret"] {
        assert!(pii(env).contains(&kind), "{kind} missing from {env}");
    }
}

#[test]
fn debugger_page_showing_a_customer_carries_their_data_types_once() {
    let target = Target::start("invoice_debug");
    let out = scan(&target.url, &[]);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("invoice_debug", &out.report));
    let all = findings(&out.report);
    let page =
        on(&all, "werkzeug_debugger_page", "/api/invoices/{id}/pdf").expect("the crash answered with the debugger");
    assert_eq!(pii(page), vec!["email", "phone"], "the page's data, not the debugger's own SECRET: {page}");
    assert!(on(&all, "pii_in_response", "/api/invoices/{id}/pdf").is_none(), "{all:#?}");
    assert!(all.iter().all(|(_, f)| !(f["check"] == "pii_in_response" && f["endpoint"] == "/console")), "{all:#?}");
}

#[test]
fn data_an_error_page_already_reports_and_its_500_deduct_once() {
    let target = Target::start("crm_verbose_errors");
    let out = scan(&target.url, &[]);
    assert_valid_report(&out.report);
    let all = findings(&out.report);
    // The disclosures on an endpoint that follow from nothing else: the root causes.
    let roots = |endpoint: &str| -> Vec<Value> {
        all.iter()
            .map(|(_, f)| f)
            .filter(|f| {
                f["endpoint"] == endpoint
                    && f["related"].is_null()
                    && f["check"].as_str().unwrap_or("").ends_with("_disclosure")
            })
            .cloned()
            .collect()
    };
    let orders_of_user = roots("/api/users/{id}/orders");
    assert!(!orders_of_user.is_empty(), "{all:#?}");
    let generic = on(&all, "pii_in_response", "/api/users/{id}/orders").expect("the e-mail in the error text");
    assert!(orders_of_user.iter().any(|r| r["id"] == generic["related"]), "{generic}");
    // `/api/orders/abc` fails in `int()` before any query: a traceback and its 500, every run.
    let order = roots("/api/orders/{id}");
    let error = on(&all, "server_error_on_malformed_input", "/api/orders/{id}").expect("the 500");
    assert!(order.iter().any(|r| r["id"] == error["related"]), "{error}");
    let ledger = out.report["ledger"].as_array().expect("ledger");
    let zero = |id: &Value| ledger.iter().any(|l| &l["finding"] == id && l["deduction"] == 0);
    assert!(zero(&generic["id"]) && zero(&error["id"]));
}
