//! Safety stays absolute (issue 11 §5) and identities that die (§2): the client's state guard keeps
//! every default scan away from GETs that change state, `--active` verifies them with a
//! before/after comparison, and an identity whose token expires is renewed through its login flow
//! or named in the report.
//!
//! Targets: `stockroom_api` (Flask: `GET /api/admin/reset-db` linked from the landing page wipes
//! the stock tables), its twin `stockroom_hardened` (the same functions behind POST and an admin
//! token), and `roster_fastapi` (FastAPI on uvicorn: bearer tokens that run out after a number of
//! calls, a login that may refuse to sign in twice).
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, scan, scan_in_process, timing_line, Target};
use leakprobe_engine::identity::Identity;
use serde_json::{json, Value};

const RESET: &str = "/api/admin/reset-db";
const FLUSH: &str = "/api/cache/flush";
/// A GET the roster's OpenAPI spec documents: every check that reads spec operations would call it.
const REBUILD: &str = "/api/admin/roster/rebuild";
/// The payslip portal's sign-out, a POST: not even that method may reach it by default.
const LOGOUT: &str = "/api/auth/logout";
const KIM_PASSWORD: &str = "Harbour-Lights-42";

fn requested(log: &[Value], path: &str) -> Vec<Value> {
    log.iter().filter(|r| r["path"] == path).cloned().collect()
}

fn not_called(report: &Value) -> Vec<(String, String)> {
    report["coverage"]["not_called"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|n| (n["method"].as_str().unwrap_or("").to_string(), n["path"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Findings of medium severity or more, as `check endpoint severity`.
fn serious(report: &Value) -> Vec<String> {
    findings(report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .map(|(_, f)| format!("{} {} {}", f["check"], f["endpoint"], f["severity"]))
        .collect()
}

#[test]
fn default_scan_never_calls_the_destructive_get_and_says_so() {
    let (target, log) = Target::start_logged("stockroom_api");
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("stockroom_api", &out.report));
    let requests = Target::requests(&log);
    assert_only_safe_requests(&requests);
    assert_eq!(requested(&requests, RESET), Vec::<Value>::new(), "the scan called the reset");
    assert_eq!(requested(&requests, FLUSH), Vec::<Value>::new(), "the scan called the flush");
    // The pages around them were read: discovery followed the other links of the same page.
    assert!(!requested(&requests, "/api/items").is_empty());
    let state = target.get_json("/__test__/state");
    assert_eq!(state, json!({"items": 5, "bins": 5, "reset_db": 0, "flush_cache": 0}), "the data is intact");
    // The report names what it did not call.
    let skipped = not_called(&out.report);
    for path in [RESET, FLUSH] {
        assert!(skipped.contains(&("GET".to_string(), path.to_string())), "{path} not in not_called: {skipped:?}");
    }
    assert!(
        !findings(&out.report).iter().any(|(_, f)| f["check"] == "state_changing_get"),
        "nothing is reported without calling it"
    );
}

#[test]
fn a_target_url_that_names_a_state_change_is_refused_too() {
    let (target, log) = Target::start_logged("stockroom_api");
    let out = scan(&format!("{}{RESET}", target.url), &[]);
    assert_eq!(out.code, 2, "a usage error: {}", out.stderr);
    assert!(out.stderr.contains("names a state change"), "{}", out.stderr);
    assert_eq!(Target::requests(&log), Vec::<Value>::new(), "nothing was sent");
    assert_eq!(target.get_json("/__test__/state")["reset_db"], 0);
}

#[test]
fn active_scan_proves_the_destructive_get_by_before_and_after() {
    let (target, log) = Target::start_logged("stockroom_api");
    let out = scan(&target.url, &["--active"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid_report(&out.report);
    eprintln!("{}", timing_line("stockroom_api --active", &out.report));
    let all = findings(&out.report);
    let hits: Vec<&(String, Value)> = all.iter().filter(|(_, f)| f["check"] == "state_changing_get").collect();
    assert_eq!(hits.len(), 1, "one finding, the reset (the flush changes nothing visible): {hits:?}");
    let (category, finding) = hits[0];
    assert_eq!(category, "input_validation");
    assert_eq!(finding["endpoint"], RESET);
    assert_eq!(finding["method"], "GET");
    assert_eq!(finding["severity"], "high");
    assert_eq!(finding["confidence"], "confirmed");
    assert!(finding["title"].as_str().unwrap_or("").contains("without credentials"), "{finding}");
    let evidence = finding["evidence"].as_str().unwrap_or("");
    assert!(evidence.contains("before") && evidence.contains("0 item(s) after"), "{evidence}");
    // Called once, after every other check; the flush was called once too and reported nothing.
    let state = target.get_json("/__test__/state");
    assert_eq!(state["reset_db"], 1, "{state}");
    assert_eq!(state["items"], 0, "{state}");
    assert!(state["flush_cache"].as_u64().unwrap_or(9) <= 1, "{state}");
    let requests = Target::requests(&log);
    assert_eq!(requested(&requests, RESET).len(), 1, "exactly one call to the reset");
    let last_reset = requests.iter().rposition(|r| r["path"] == RESET).unwrap_or(0);
    let reads_after = requests[last_reset..].iter().filter(|r| r["path"] == "/api/items").count();
    assert!(reads_after >= 1, "the listing was read again after the call");
}

#[test]
fn hardened_twin_stays_clean_and_intact_with_and_without_active() {
    for args in [&[][..], &["--active"][..]] {
        let (target, log) = Target::start_logged("stockroom_hardened");
        let out = scan(&target.url, args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_valid_report(&out.report);
        eprintln!("{}", timing_line(&format!("stockroom_hardened {args:?}"), &out.report));
        assert_eq!(serious(&out.report), Vec::<String>::new(), "{args:?}");
        let state = target.get_json("/__test__/state");
        assert_eq!(state["items"], 5, "{args:?}: {state}");
        assert_eq!(state["reset_db"], 0, "{args:?}: {state}");
        let requests = Target::requests(&log);
        if args.is_empty() {
            assert_only_safe_requests(&requests);
            assert_eq!(requested(&requests, RESET), Vec::<Value>::new());
        } else {
            // The one GET the --active check sends answers 405; nothing else goes to the path.
            let resets = requested(&requests, RESET);
            assert!(resets.iter().all(|r| r["method"] == "GET"), "{resets:?}");
            assert!(resets.len() <= 1, "{resets:?}");
        }
    }
}

fn roster_identity() -> Identity {
    roster_login("kim", "kim.staff", KIM_PASSWORD)
}

fn roster_login(name: &str, username: &str, password: &str) -> Identity {
    let body = json!({"username": username, "password": password});
    Identity {
        role: Some("user".into()),
        ..common::login_identity(name, "/api/auth/login", body, Some("/access_token"), None)
    }
}

fn identity_reasons(report: &Value) -> Vec<String> {
    report["coverage"]["incomplete"]
        .as_array()
        .expect("incomplete")
        .iter()
        .filter_map(Value::as_str)
        .filter(|r| r.contains("identity `kim`"))
        .map(str::to_string)
        .collect()
}

#[test]
fn expired_token_is_renewed_through_the_login_flow() {
    let target = Target::start_env("roster_fastapi", &[("ROSTER_TOKEN_USES", "8")]);
    let (report, _, elapsed) = scan_in_process(&target.url, |c| c.identities = vec![roster_identity()]);
    assert_valid_report(&report);
    eprintln!("{} (wall {} ms)", timing_line("roster_fastapi (renewable)", &report), elapsed.as_millis());
    assert_eq!(identity_reasons(&report), Vec::<String>::new(), "the identity was kept alive");
    let state = target.get_json("/__test__/state");
    eprintln!("roster state: {state}");
    let logins = state["logins"]["kim.staff"].as_u64().unwrap_or(0);
    assert!(logins >= 3, "a token good for 8 calls was renewed as often as the scan needed: {state}");
    let answered = state["answered_by_generation"].as_object().expect("generations");
    // Renewed when it expired, not before: every token but the last served its 8 calls.
    for generation in 1..logins {
        assert_eq!(answered.get(&generation.to_string()), Some(&json!(8)), "generation {generation}: {state}");
    }
    let renewed: u64 = answered.iter().filter(|(g, _)| g.as_str() != "1").filter_map(|(_, n)| n.as_u64()).sum();
    assert!(renewed >= 8, "calls with renewed tokens were answered: {state}");
    let text = report.to_string();
    assert!(!text.contains(KIM_PASSWORD), "the password appears in the report");
    // The spec's state-changing GET was declared, refused by the guard for every check, and listed.
    assert_eq!(state["rebuilds"], 0, "{state}");
    assert!(not_called(&report).contains(&("GET".to_string(), REBUILD.to_string())), "{}", report["coverage"]);
}

#[test]
fn identity_that_cannot_be_renewed_is_named_in_the_report() {
    let target = Target::start_env("roster_fastapi", &[("ROSTER_TOKEN_USES", "3"), ("ROSTER_LOGIN_LIMIT", "1")]);
    let (report, _, _) = scan_in_process(&target.url, |c| c.identities = vec![roster_identity()]);
    assert_valid_report(&report);
    eprintln!("{}", timing_line("roster_fastapi (login once)", &report));
    let reasons = identity_reasons(&report);
    assert!(!reasons.is_empty(), "no reason names the dead identity: {:?}", report["coverage"]["incomplete"]);
    eprintln!("{reasons:#?}");
    // Expired during discovery (3 calls), and not renewable at any phase boundary after it.
    for phase in ["discovery", "exercise", "checks"] {
        let reason = reasons
            .iter()
            .find(|r| r.contains(&format!("stopped working after the {phase} phase")))
            .unwrap_or_else(|| panic!("no reason for the {phase} phase: {reasons:?}"));
        assert!(reason.contains("GET /api/me answered 401"), "{reason}");
        assert!(reason.contains("login answered 429"), "{reason}");
    }
    assert_eq!(report["coverage"]["complete"], false);
    let text = report.to_string();
    assert!(!text.contains(KIM_PASSWORD), "the password appears in the report");
    let state = target.get_json("/__test__/state");
    assert_eq!(state["logins"]["kim.staff"], 1, "{state}");
}

#[test]
fn active_scan_calls_a_spec_documented_get_as_the_identity_when_anonymous_is_refused() {
    // As the staff member: refused (403), so nothing changed and nothing is reported.
    let target = Target::start("roster_fastapi");
    let (report, _, _) = scan_in_process(&target.url, |c| {
        c.identities = vec![roster_identity()];
        c.active = true;
    });
    assert_valid_report(&report);
    eprintln!("{}", timing_line("roster_fastapi --active (staff)", &report));
    assert!(!findings(&report).iter().any(|(_, f)| f["check"] == "state_changing_get"), "{:?}", findings(&report));
    assert_eq!(target.get_json("/__test__/state")["shifts"], 3);
    drop(target);

    // As the team lead: the rebuild runs and the lead's shift listing empties.
    let target = Target::start("roster_fastapi");
    let (report, _, _) = scan_in_process(&target.url, |c| {
        c.identities = vec![roster_login("lee", "lee.lead", "Quiet-Orchard-17")];
        c.active = true;
    });
    assert_valid_report(&report);
    eprintln!("{}", timing_line("roster_fastapi --active (lead)", &report));
    let all = findings(&report);
    let (category, finding) = all
        .iter()
        .find(|(_, f)| f["check"] == "state_changing_get")
        .unwrap_or_else(|| panic!("no state_changing_get: {all:?}"));
    assert_eq!(category, "input_validation");
    assert_eq!(finding["endpoint"], REBUILD);
    assert_eq!(finding["severity"], "high");
    assert_eq!(finding["confidence"], "confirmed");
    let title = finding["title"].as_str().unwrap_or("");
    assert!(title.contains("deletes data") && !title.contains("without credentials"), "{title}");
    let state = target.get_json("/__test__/state");
    assert_eq!((state["rebuilds"].as_u64(), state["shifts"].as_u64()), (Some(1), Some(0)), "{state}");
}

/// Every issue 11 target with the paths a default scan must never request (a path ending so: the
/// templated ones, `/orders/{order_no}/cancel`, by their last segment).
#[rustfmt::skip] // one row per target
const ISSUE_11_TARGETS: &[(&str, &[&str])] = &[
    ("stockroom_api", &[RESET, FLUSH]),
    ("stockroom_hardened", &[RESET, FLUSH]),
    ("roster_fastapi", &[REBUILD]),
    ("statements_api", &["/api/statements/regenerate"]),
    ("statements_hardened", &["/api/statements/regenerate"]),
    ("bank_fastapi", &["/demo/reset"]),
    ("bank_fastapi_hardened", &["/demo/reset"]),
    ("orders_html", &["/cancel"]),
    ("orders_html_hardened", &["/cancel"]),
    ("blog_fastapi", &["/publish"]),
    ("blog_fastapi_hardened", &["/publish"]),
    ("payslip_jwt_unverified", &[LOGOUT]),
    ("payslip_jwt_weak", &[LOGOUT]),
    ("payslip_jwt_none", &[LOGOUT]),
    ("payslip_jwt_verified", &[LOGOUT]),
    ("payslip_login_leaky", &[LOGOUT]),
    // Their dangerous operations are writes on readable paths (PUT /api/notes/{id}, DELETE
    // /api/users/{name}): write_authorization.rs asserts those per method, with identities.
    ("notes_fastapi", &[]),
    ("notes_hardened", &[]),
    ("teamboard_api", &[]),
    ("teamboard_hardened", &[]),
    ("rewards_api", &[]),
    ("rewards_hardened", &[]),
];

#[test]
fn default_scans_of_issue_11_targets_send_only_safe_requests() {
    // Three scans at a time: each waits on its Flask target most of the time, and one by one they
    // were the slowest minute and a half of the suite.
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((module, forbidden)) = ISSUE_11_TARGETS.get(i) else { break };
                default_scan_sends_only_safe_requests(module, forbidden);
            });
        }
    });
}

fn default_scan_sends_only_safe_requests(module: &str, forbidden: &[&str]) {
    let (target, log) = Target::start_logged(module);
    let out = scan(&target.url, &[]);
    assert_eq!(out.code, 0, "{module}: {}", out.stderr);
    eprintln!("{}", timing_line(&format!("{module} (default)"), &out.report));
    let requests = Target::requests(&log);
    assert!(!requests.is_empty(), "{module}: the log is empty");
    assert_only_safe_requests(&requests);
    for path in forbidden {
        let hits: Vec<_> = requests
            .iter()
            .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with(path)) && r["method"] != "OPTIONS")
            .collect();
        assert!(hits.is_empty(), "{module}: a default scan requested {path}: {hits:?}");
    }
    drop(target);
}
