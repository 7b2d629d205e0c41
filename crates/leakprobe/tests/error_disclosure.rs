//! Errors and debuggers: the CRM targets (debug mode, `str(e)` error handler) and their hardened twin.
mod common;

use common::{assert_valid_report, findings, scan, Target};
use serde_json::Value;

fn find<'a>(all: &'a [(String, Value)], check: &str, endpoint: &str) -> Option<&'a Value> {
    all.iter().map(|(_, f)| f).find(|f| f["check"] == check && f["endpoint"] == endpoint)
}

fn expect<'a>(all: &'a [(String, Value)], check: &str, endpoint: &str) -> &'a Value {
    find(all, check, endpoint).unwrap_or_else(|| {
        let have: Vec<_> = all.iter().map(|(_, f)| format!("{} {}", f["check"], f["endpoint"])).collect();
        panic!("no {check} on {endpoint}; findings: {have:#?}")
    })
}

fn grade(report: &Value) -> &str {
    report["grade"].as_str().expect("grade")
}

#[test]
fn debug_mode_target_confirms_the_debugger_without_touching_the_console_evaluator() {
    let (target, log) = Target::start_logged("crm_debug");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    let all = findings(&out.report);

    let debugger = expect(&all, "werkzeug_debugger", "*");
    assert_eq!(debugger["confidence"], "confirmed");
    assert_eq!(debugger["severity"], "high");
    assert_eq!(debugger["cwe"], serde_json::json!([215, 94]));
    let console = expect(&all, "werkzeug_debugger", "/console");
    assert_eq!(console["severity"], "critical");
    // The bad id made the app raise; the answer was the debugger's traceback page.
    let page = expect(&all, "werkzeug_debugger_page", "/api/users/{id}");
    assert_eq!(page["severity"], "high");
    assert!(page["evidence"].as_str().unwrap_or("").contains("→ 500"), "{page}");
    expect(&all, "server_error_on_malformed_input", "/api/users/{id}");
    assert!(matches!(grade(&out.report), "D" | "F"), "grade {}", grade(&out.report));

    // Read-only proof: only the resource command, never an evaluation, a PIN or a frame.
    let requests = Target::requests(&log);
    let debugger_requests: Vec<&Value> =
        requests.iter().filter(|r| r["query"].as_str().unwrap_or("").contains("__debugger__")).collect();
    assert!(!debugger_requests.is_empty(), "the debugger was not probed");
    for r in &debugger_requests {
        let q = r["query"].as_str().unwrap_or("");
        assert!(q.contains("cmd=resource") && !q.contains("frm=") && !q.contains("s="), "unsafe debugger request: {q}");
    }
    assert!(requests.iter().all(|r| r["method"] != "PUT" && r["method"] != "DELETE" && r["method"] != "PATCH"));
}

#[test]
fn str_e_error_handler_leaks_sql_with_bound_pii_and_tracebacks() {
    let target = Target::start("crm_verbose_errors");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    let all = findings(&out.report);

    let sql = expect(&all, "sql_error_disclosure", "/api/users/{id}/orders");
    assert_eq!(sql["severity"], "critical", "{sql}");
    assert!(sql["pii_types"].as_array().expect("pii").contains(&Value::from("email")), "{sql}");
    let evidence = sql["evidence"].as_str().expect("evidence");
    assert!(evidence.contains("[SQL: SELECT"), "{evidence}");
    assert!(!evidence.contains("maria.lopez@fastmail.fm"), "bound e-mail must be redacted: {evidence}");

    let trace = expect(&all, "stack_trace_disclosure", "/api/feedback");
    assert_eq!(trace["method"], "POST", "malformed JSON provoked it");
    expect(&all, "server_error_on_malformed_input", "/api/feedback");
    expect(&all, "stack_trace_disclosure", "/api/orders/{id}");
    assert!(find(&all, "werkzeug_debugger", "*").is_none(), "debug is off here");
    assert!(matches!(grade(&out.report), "D" | "F"), "grade {}", grade(&out.report));
    assert!(!out.stdout.contains("maria.lopez@fastmail.fm"), "raw PII in the report");
}

#[test]
fn hardened_twin_stays_clean() {
    let target = Target::start("crm_hardened");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    let serious: Vec<_> = findings(&out.report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .collect();
    assert!(serious.is_empty(), "hardened twin has findings: {serious:#?}");
    assert!(matches!(grade(&out.report), "A" | "B"), "grade {}", grade(&out.report));
    // It was really probed: the same malformed inputs were sent and got 4xx.
    assert!(out.report["requests"].as_u64().unwrap_or(0) > 100);
    let inventory = out.report["inventory"].as_array().expect("inventory");
    assert!(inventory.iter().any(|e| e["endpoint"] == "/api/users/{id}/orders"), "{inventory:?}");
}
